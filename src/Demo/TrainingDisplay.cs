using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.IO;
using System.Runtime.InteropServices;
using GenSoftmax.Training;
using Spectre.Console;

namespace GenSoftmax.App
{
    /// <summary>
    /// Shows training as it goes: a live Spectre.Console progress bar per batch (epoch, batches, loss, accuracy,
    /// images/s, time left) on a terminal; one line per epoch when stdout is redirected; nothing with --quiet.
    /// Reports arrive on the training thread.
    /// </summary>
    internal sealed class TrainingDisplay : IProgress<TrainingProgress>, IProgress<SolverProgress>
    {
        private readonly bool _live;
        private readonly bool _quiet;
        private readonly long _rowsPerEpoch;
        private readonly int _batchSize;
        private readonly int _totalEpochs;
        private readonly string _validationName;
        private ProgressTask? _task;
        private ProgressContext? _context;
        private long _lastRefresh;
        private double _lossSum;
        private long _correct;
        private long _rows;

        public TrainingDisplay(bool live, bool quiet, long rowsPerEpoch, int batchSize, int totalEpochs, string validationName)
        {
            _live = live && !quiet;
            _quiet = quiet;
            _rowsPerEpoch = rowsPerEpoch;
            _batchSize = batchSize;
            _totalEpochs = totalEpochs;
            _validationName = validationName;
        }

        public List<EpochReport> Epochs { get; } = new();

        /// <summary>The exact solver's iteration limit when this run solves exactly: its iterations are shown instead of epochs.</summary>
        public int? ExactIterations { get; init; }

        /// <summary>Bytes read from disk so far, for streamed data: the progress shows MB/s, and each epoch line its average.</summary>
        public Func<long>? BytesRead { get; init; }

        private long _epochStartBytes;

        /// <summary>Whether there is a validation or test set to report per epoch ("-" names none).</summary>
        private bool HasHeldOut => _validationName != "-";

        /// <summary>Runs <paramref name="train"/> inside the live display (or directly when there is none).</summary>
        public T Run<T>(Func<T> train)
        {
            if (!_quiet && !_live)
            {
                // Without a validation or test set there is no per-epoch accuracy column (it held only NaN).
                Console.WriteLine(
                    ExactIterations is not null ? "iteration  objective        largest gradient element  passes"
                    : (HasHeldOut ? $"epoch  train loss  train acc  {_validationName,8}  seconds  last lr"
                    : "epoch  train loss  train acc  seconds  last lr") + (BytesRead is null ? "" : "     MB/s"));
            }

            _epochStartBytes = BytesRead?.Invoke() ?? 0; // what opening the source read (its labels) is not the first epoch's
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

        /// <summary>One iteration of the exact solver: a line, or the live bar's text.</summary>
        public void Report(SolverProgress value)
        {
            CultureInfo inv = CultureInfo.InvariantCulture;
            if (_live && _context is not null)
            {
                _task ??= _context.AddTask("exact solver", maxValue: ExactIterations ?? 100);
                _task.Value = value.Iteration;
                _task.Description = string.Create(inv,
                    $"iteration {value.Iteration}/{ExactIterations} objective {value.Objective:G8} gradient {value.GradientNorm:G3}");
            }
            else if (!_quiet && !_live)
            {
                Console.WriteLine(string.Create(inv,
                    $"{value.Iteration,9}  {value.Objective,-15:G8}  {value.GradientNorm,24:G4}  {value.Passes,6}"));
            }
        }

        public void Report(TrainingProgress value)
        {
            if (value.EpochCompleted is { } fit && ExactIterations is not null)
            {
                // The exact fit as one epoch: its figures are in the lines after it, not in the iteration table.
                Epochs.Add(fit);
                _task?.StopTask();
                _task = null;
                return;
            }

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
                        _task.Description = Describe(value, r.TrainLoss, r.TrainAccuracy,
                            HasHeldOut ? string.Create(CultureInfo.InvariantCulture, $"{_validationName} {r.ValidationAccuracy:F4}")
                                : "done");
                        _task.Value = _task.MaxValue;
                        _task.StopTask();
                        _task = null;
                    }
                }
                else if (!_quiet)
                {
                    string speed = BytesRead is null ? "" : string.Create(CultureInfo.InvariantCulture, $"  {Megabytes(r.Seconds),7:F1}");
                    Console.WriteLine((HasHeldOut
                        ? string.Create(CultureInfo.InvariantCulture,
                            $"{r.Epoch,5}  {r.TrainLoss,10:F4}  {r.TrainAccuracy,9:F4}  {r.ValidationAccuracy,8:F4}  {r.Seconds,7:F3}  " +
                                $"{Rate(r.LearningRate)}")
                        : string.Create(CultureInfo.InvariantCulture,
                            $"{r.Epoch,5}  {r.TrainLoss,10:F4}  {r.TrainAccuracy,9:F4}  {r.Seconds,7:F3}  {Rate(r.LearningRate)}"))
                                + speed);
                }

                _epochStartBytes = BytesRead?.Invoke() ?? 0;
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
                _task.Description = Describe(value, _rows == 0 ? double.NaN : _lossSum / _rows, _rows == 0 ? double.NaN
                    : (double)_correct / _rows, null);
            }
        }

        /// <summary>MB/s (2^20 bytes) read from disk since the epoch started, over <paramref name="seconds"/>.</summary>
        private double Megabytes(double seconds) =>
            seconds > 0 && BytesRead is { } read ? (read() - _epochStartBytes) / (1024.0 * 1024.0) / seconds : 0;

        /// <summary>One line that fits 80 columns beside the bar: epoch, batches, running loss and accuracy, speed, and
        /// the time left for the whole run (or, once an epoch ends, its validation/test accuracy).</summary>
        private string Describe(TrainingProgress p, double loss, double accuracy, string? end)
        {
            double seconds = p.Elapsed.TotalSeconds;
            double rate = seconds > 0 ? Math.Min((long)p.Batch * _batchSize, _rowsPerEpoch) / seconds : 0;
            double left = rate > 0
                ? ((double)(_totalEpochs - p.Epoch) * _rowsPerEpoch
                    + (_rowsPerEpoch - Math.Min((long)p.Batch * _batchSize, _rowsPerEpoch))) / rate : 0;
            string read = BytesRead is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{Megabytes(seconds):F0} MB/s ");
            return string.Create(
                CultureInfo.InvariantCulture,
                $"epoch {p.Epoch}/{_totalEpochs} {p.Batch}/{p.BatchesPerEpoch} loss {loss:F4} acc {accuracy:F4} {rate / 1000:F0}k img/s " +
                    $"{read}{end ?? $"~{left:F0}s left"}");
        }

        /// <summary>The summary table printed after training.</summary>
        public static void Summary(IReadOnlyList<EpochReport> epochs, string validationName, bool live)
        {
            if (!live)
            {
                return;
            }

            bool heldOut = epochs.Any(r => !double.IsNaN(r.ValidationAccuracy));
            var table = new Table().Title("training summary");
            table.AddColumns(heldOut
                ? ["epoch", "train loss", "train acc", validationName + " loss", validationName + " acc", "seconds", "last lr"]
                : ["epoch", "train loss", "train acc", "seconds", "last lr"]);
            foreach (EpochReport r in epochs)
            {
                string[] cells = heldOut
                    ? [r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.TrainLoss), F(r.TrainAccuracy), F(r.ValidationLoss),
                        F(r.ValidationAccuracy),
                        r.Seconds.ToString("F3", CultureInfo.InvariantCulture), Rate(r.LearningRate)]
                    : [r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.TrainLoss), F(r.TrainAccuracy),
                        r.Seconds.ToString("F3", CultureInfo.InvariantCulture),
                        Rate(r.LearningRate)];
                table.AddRow(cells);
            }

            AnsiConsole.Write(table);
        }

        /// <summary>The epoch's last learning rate, three significant digits (a cosine schedule ends near 1e-6).</summary>
        private static string Rate(float rate) => rate.ToString("G3", CultureInfo.InvariantCulture);

        private static string F(double v) => double.IsNaN(v) ? "-" : v.ToString("F4", CultureInfo.InvariantCulture);
    }

    /// <summary>Where a train run's wall time went, in seconds: the parts add up to <see cref="Total"/>.</summary>
    /// <param name="Start">From the process's start to Main's first line (runtime start-up; see <see cref="ProcessClock"/>).</param>
    /// <param name="Load">Reading the data (and splitting off --validation rows).</param>
    /// <param name="Train">Creating the trainer and training, including the per-epoch validation/test accuracy.</param>
    /// <param name="Evaluate">The final test and validation accuracy.</param>
    /// <param name="Total">From the process's start until the run's result was printed.</param>
    internal sealed record RunTimes(double Start, double Load, double Train, double Evaluate, double Total)
    {
        /// <summary>Everything else: parsing the command line, checking files, creating the model, printing.</summary>
        public double Other => Total - Start - Load - Train - Evaluate;

        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture,
            $"time: start {Start:F3} s, load {Load:F3} s, train {Train:F3} s, evaluate {Evaluate:F3} s, other " +
                $"{Other:F3} s, total {Total:F3} s");
    }

    /// <summary>
    /// The process's age: <see cref="MainStarted"/> (Main's first line) notes when Main began and how long after the
    /// process's start that was. On Linux the start is the kernel's (<c>/proc/self/stat</c> starttime, in clock ticks
    /// since boot, against <c>CLOCK_BOOTTIME</c>, the same clock); it is kept in whole ticks (10 ms on Linux), so the
    /// start-up time is over-stated by less than a tick. Elsewhere, <see cref="Process.StartTime"/>.
    /// </summary>
    internal static partial class ProcessClock
    {
        private const int BootTimeClock = 7; // CLOCK_BOOTTIME: the clock /proc's starttime counts on
        private const int ClockTicksName = 2; // _SC_CLK_TCK

        private static long s_mainTimestamp = Stopwatch.GetTimestamp();

        /// <summary>Seconds from the process's start to Main's first line.</summary>
        public static double StartSeconds { get; private set; }

        /// <summary>Seconds from the process's start until now.</summary>
        public static double Elapsed => StartSeconds + Stopwatch.GetElapsedTime(s_mainTimestamp).TotalSeconds;

        public static void MainStarted()
        {
            s_mainTimestamp = Stopwatch.GetTimestamp();
            StartSeconds = Math.Max(0, OperatingSystem.IsLinux() ? SinceStartLinux() : SinceStart());
        }

        private static double SinceStart()
        {
            using Process self = Process.GetCurrentProcess();
            return (DateTime.Now - self.StartTime).TotalSeconds;
        }

        private static double SinceStartLinux()
        {
            try
            {
                // Field 22 of /proc/self/stat; the second field (the command name, in parentheses) may hold spaces.
                string stat = File.ReadAllText("/proc/self/stat");
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                long startTicks = long.Parse(fields[22 - 3], NumberStyles.None, CultureInfo.InvariantCulture);
                long ticksPerSecond = (long)SysConf(ClockTicksName);
                if (ticksPerSecond <= 0 || ClockGetTime(BootTimeClock, out TimeSpec now) != 0)
                {
                    return SinceStart();
                }

                return now.Seconds + now.Nanoseconds * 1e-9 - (double)startTicks / ticksPerSecond;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException
                or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                return SinceStart();
            }
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [LibraryImport("libc", EntryPoint = "clock_gettime")]
        private static partial int ClockGetTime(int clock, out TimeSpec time);

        [LibraryImport("libc", EntryPoint = "sysconf")]
        private static partial nint SysConf(int name);
    }
}
