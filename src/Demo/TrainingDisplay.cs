using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace GenSoftmax.App
{
    /// <summary>
    /// Shows training as it goes: a live Spectre.Console progress bar per batch (epoch, batches, loss, accuracy,
    /// images/s, time left) on a terminal; one line per epoch when stdout is redirected; nothing with --quiet.
    /// Reports arrive on the training thread.
    /// </summary>
    internal sealed class TrainingDisplay : IProgress<TrainingProgress>
    {
        private readonly bool _live;
        private readonly bool _quiet;
        private readonly int _rowsPerEpoch;
        private readonly int _batchSize;
        private readonly int _totalEpochs;
        private readonly string _validationName;
        private ProgressTask? _task;
        private ProgressContext? _context;
        private long _lastRefresh;
        private double _lossSum;
        private long _correct;
        private long _rows;

        public TrainingDisplay(bool live, bool quiet, int rowsPerEpoch, int batchSize, int totalEpochs, string validationName)
        {
            _live = live && !quiet;
            _quiet = quiet;
            _rowsPerEpoch = rowsPerEpoch;
            _batchSize = batchSize;
            _totalEpochs = totalEpochs;
            _validationName = validationName;
        }

        public List<EpochReport> Epochs { get; } = new();

        /// <summary>Runs <paramref name="train"/> inside the live display (or directly when there is none).</summary>
        public T Run<T>(Func<T> train)
        {
            if (!_quiet && !_live)
            {
                Console.WriteLine($"epoch  train loss  train acc  {_validationName,8}  seconds  last lr");
            }

            if (!_live)
            {
                return train();
            }

            return AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 12 })
                .Start(ctx =>
                {
                    _context = ctx;
                    return train();
                });
        }

        public void Report(TrainingProgress value)
        {
            if (value.EpochCompleted is { } r)
            {
                Epochs.Add(r);
                _lossSum = 0;
                _correct = 0;
                _rows = 0;
                if (_live)
                {
                    if (_task is not null)
                    {
                        _task.Description = Describe(value, r.TrainLoss, r.TrainAccuracy, string.Create(CultureInfo.InvariantCulture, $"{_validationName} {r.ValidationAccuracy:F4}"));
                        _task.Value = _task.MaxValue;
                        _task.StopTask();
                        _task = null;
                    }
                }
                else if (!_quiet)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Epoch,5}  {r.TrainLoss,10:F4}  {r.TrainAccuracy,9:F4}  {r.ValidationAccuracy,8:F4}  {r.Seconds,7:F3}  {Rate(r.LearningRate)}"));
                }

                return;
            }

            if (!_live || _context is null)
            {
                return;
            }

            _lossSum += (double)value.Result.Loss * value.Result.Count;
            _correct += value.Result.Correct;
            _rows += value.Result.Count;
            if (_task is null)
            {
                _task = _context.AddTask($"epoch {value.Epoch}", maxValue: value.BatchesPerEpoch);
            }

            // Redrawing costs more than a batch: update the text at most every 100 ms, and always on the last batch.
            long now = Stopwatch.GetTimestamp();
            _task.Value = value.Batch;
            if (value.Batch == value.BatchesPerEpoch || Stopwatch.GetElapsedTime(_lastRefresh, now).TotalMilliseconds >= 100)
            {
                _lastRefresh = now;
                _task.Description = Describe(value, _rows == 0 ? double.NaN : _lossSum / _rows, _rows == 0 ? double.NaN : (double)_correct / _rows, null);
            }
        }

        /// <summary>One line that fits 80 columns beside the bar: epoch, batches, running loss and accuracy, speed, and
        /// the time left for the whole run (or, once an epoch ends, its validation/test accuracy).</summary>
        private string Describe(TrainingProgress p, double loss, double accuracy, string? end)
        {
            double seconds = p.Elapsed.TotalSeconds;
            double rate = seconds > 0 ? Math.Min((long)p.Batch * _batchSize, _rowsPerEpoch) / seconds : 0;
            double left = rate > 0 ? ((double)(_totalEpochs - p.Epoch) * _rowsPerEpoch + (_rowsPerEpoch - Math.Min((long)p.Batch * _batchSize, _rowsPerEpoch))) / rate : 0;
            return string.Create(
                CultureInfo.InvariantCulture,
                $"epoch {p.Epoch}/{_totalEpochs} {p.Batch}/{p.BatchesPerEpoch} loss {loss:F4} acc {accuracy:F4} {rate / 1000:F0}k img/s {end ?? $"~{left:F0}s left"}");
        }

        /// <summary>The summary table printed after training.</summary>
        public static void Summary(IReadOnlyList<EpochReport> epochs, string validationName, bool live)
        {
            if (!live)
            {
                return;
            }

            var table = new Table().Title("training summary").AddColumns("epoch", "train loss", "train acc", validationName + " loss", validationName + " acc", "seconds", "last lr");
            foreach (EpochReport r in epochs)
            {
                table.AddRow(
                    r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.TrainLoss), F(r.TrainAccuracy), F(r.ValidationLoss), F(r.ValidationAccuracy),
                    r.Seconds.ToString("F3", CultureInfo.InvariantCulture), Rate(r.LearningRate));
            }

            AnsiConsole.Write(table);
        }

        /// <summary>The epoch's last learning rate, three significant digits (a cosine schedule ends near 1e-6).</summary>
        private static string Rate(float rate) => rate.ToString("G3", CultureInfo.InvariantCulture);

        private static string F(double v) => double.IsNaN(v) ? "-" : v.ToString("F4", CultureInfo.InvariantCulture);
    }
}
