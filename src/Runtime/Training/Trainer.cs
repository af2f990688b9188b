using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace GenSoftmax
{
    /// <summary>Settings of minibatch training. The defaults are the textbook recipe: batch 256, SGD with learning rate 0.1, 10 epochs.</summary>
    public sealed record TrainerOptions
    {
        /// <summary>Rows per minibatch.</summary>
        public int BatchSize { get; init; } = 256;

        /// <summary>Passes over the training data that <see cref="Trainer.Fit"/> completes, counting those already done.</summary>
        public int Epochs { get; init; } = 10;

        /// <summary>Seed of the weight initialisation and of every epoch's shuffle.</summary>
        public int Seed { get; init; } = 42;

        /// <summary>Standard deviation of the initial weights, drawn from N(0, std); the bias starts at 0.</summary>
        public float InitStdDev { get; init; } = 0.01f;

        /// <summary>The optimizer's settings: learning rate, momentum, weight decay.</summary>
        public SgdOptions Optimizer { get; init; } = new SgdOptions();

        /// <summary>
        /// Threads that share each minibatch (data parallelism): thread t takes the t-th slice of the batch, and
        /// the slices' gradients are combined in thread order, so a seed and thread count give bit-identical results.
        /// Defaults to 1.
        /// </summary>
        public int Threads { get; init; } = 1;

        /// <summary>Throws when a setting is out of range, naming it and a valid example.</summary>
        public void Validate()
        {
            if (BatchSize < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be at least 1, such as 256.");
            }

            if (Epochs < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Train for at least one epoch.");
            }

            if (Threads < 1 || Threads > 256)
            {
                throw new ArgumentOutOfRangeException(nameof(Threads), Threads, $"Threads must be between 1 and 256 (this machine has {Environment.ProcessorCount} cores).");
            }

            if (!(InitStdDev >= 0f) || float.IsInfinity(InitStdDev))
            {
                throw new ArgumentOutOfRangeException(nameof(InitStdDev), InitStdDev, "The initial standard deviation must be a finite number >= 0, such as 0.01.");
            }

            ArgumentNullException.ThrowIfNull(Optimizer, nameof(Optimizer));
            Optimizer.Validate();
        }
    }

    /// <summary>One epoch of training as the trainer reports it.</summary>
    /// <param name="Epoch">1-based epoch number.</param>
    /// <param name="TrainLoss">Mean cross-entropy over the epoch's batches, each measured before its update.</param>
    /// <param name="TrainAccuracy">Share of training rows classified right by the model as it was when their batch came.</param>
    /// <param name="ValidationLoss">Mean cross-entropy on the validation data after the epoch, or NaN without it.</param>
    /// <param name="ValidationAccuracy">Accuracy on the validation data after the epoch, or NaN without it.</param>
    /// <param name="Seconds">Wall time of the epoch's training steps (shuffle included, validation excluded).</param>
    public sealed record EpochReport(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double Seconds);

    /// <summary>
    /// Where training is, reported after every batch (<see cref="EpochCompleted"/> null) and after every epoch
    /// (<see cref="EpochCompleted"/> set, <see cref="Batch"/> = <see cref="BatchesPerEpoch"/>).
    /// </summary>
    /// <param name="Epoch">1-based epoch number.</param>
    /// <param name="Batch">Batches of the epoch done, 1-based.</param>
    /// <param name="BatchesPerEpoch">Batches in an epoch.</param>
    /// <param name="Result">The last batch's loss and correct count, before its update (default when an epoch of a
    /// continued run had no batches left to do).</param>
    /// <param name="Elapsed">Training time of the epoch so far.</param>
    /// <param name="EpochCompleted">The epoch's report, when this is the end of an epoch.</param>
    public readonly record struct TrainingProgress(int Epoch, int Batch, int BatchesPerEpoch, BatchResult Result, TimeSpan Elapsed, EpochReport? EpochCompleted);

    /// <summary>
    /// Everything besides the model's parameters that a run needs to continue exactly where it stopped: the
    /// position (epoch and batch), the optimizer's state and the partial epoch's sums.
    /// </summary>
    /// <param name="Seed">The run's seed, which decides every epoch's shuffle.</param>
    /// <param name="CompletedEpochs">Epochs finished.</param>
    /// <param name="BatchesDone">Batches of the next epoch already done (0 at an epoch boundary).</param>
    /// <param name="LearningRate">The optimizer's current learning rate.</param>
    /// <param name="VelocityWeights">Momentum velocity of the weights (empty without momentum).</param>
    /// <param name="VelocityBias">Momentum velocity of the bias (empty without momentum).</param>
    /// <param name="EpochLossSum">Sum over the partial epoch's rows of their loss.</param>
    /// <param name="EpochCorrect">Rows of the partial epoch classified right.</param>
    /// <param name="EpochSeconds">Training time of the partial epoch.</param>
    public sealed record TrainingState(
        int Seed, int CompletedEpochs, int BatchesDone, float LearningRate, float[] VelocityWeights, float[] VelocityBias,
        double EpochLossSum, long EpochCorrect, double EpochSeconds);

    /// <summary>
    /// Minibatch training of one model: initialise, fit, observe, cancel, save the state and continue.
    /// </summary>
    /// <remarks>
    /// Epoch e's order of the training rows is the identity shuffled e times in a row (Fisher-Yates) by
    /// <c>new Random(seed * 7919 + 1)</c>: a function of (seed, e) alone, so a run continued from a
    /// <see cref="TrainingState"/> at any batch boundary finishes bit-identical to one that never stopped.
    /// </remarks>
    public sealed class Trainer
    {
        private readonly List<EpochReport> _history = new();
        private int[] _order = Array.Empty<int>();
        private int _orderEpoch = -1; // the epoch _order belongs to, -1 for none
        private Random? _shuffle;
        private int _epochsDone;
        private int _batchesDone;
        private double _lossSum;
        private long _correct;
        private double _seconds;

        /// <summary>A trainer for <paramref name="model"/>, which it trains as it is: call <see cref="Initialize()"/> for a fresh start.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
        public Trainer(ISoftmaxModel model, TrainerOptions? options = null)
        {
            ArgumentNullException.ThrowIfNull(model);
            options ??= new TrainerOptions();
            options.Validate();
            Model = model;
            Options = options;
            Optimizer = new Sgd(model, options.Optimizer);
        }

        /// <summary>The model being trained.</summary>
        public ISoftmaxModel Model { get; }

        /// <summary>The settings.</summary>
        public TrainerOptions Options { get; }

        /// <summary>The optimizer, whose learning rate may be changed between batches.</summary>
        public Sgd Optimizer { get; }

        /// <summary>Epochs completed.</summary>
        public int CompletedEpochs => _epochsDone;

        /// <summary>Reports of the epochs completed by this trainer.</summary>
        public IReadOnlyList<EpochReport> History => _history;

        /// <summary>Sets the weights to N(0, <paramref name="stdDev"/>) draws from <paramref name="seed"/> and the bias to 0.</summary>
        public static void Initialize(ISoftmaxModel model, int seed, float stdDev = 0.01f)
        {
            ArgumentNullException.ThrowIfNull(model);
            var random = new Random(seed);
            Span<float> w = model.Weights;
            for (int i = 0; i < w.Length; i++)
            {
                // Box-Muller; 1 - u keeps the log argument in (0, 1].
                double u1 = 1.0 - random.NextDouble();
                double u2 = random.NextDouble();
                w[i] = (float)(stdDev * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
            }

            model.Bias.Clear();
        }

        /// <summary>A fresh start: initial weights from the options' seed, zero velocity, epoch 0, no history.</summary>
        public void Initialize()
        {
            Initialize(Model, Options.Seed, Options.InitStdDev);
            Optimizer.Reset();
            _epochsDone = 0;
            ResetEpoch();
            _history.Clear();
        }

        /// <summary>
        /// Trains from where the trainer is until <see cref="TrainerOptions.Epochs"/> epochs are complete, reshuffling
        /// every epoch, and evaluates <paramref name="validation"/> after each.
        /// </summary>
        /// <returns>The reports of the epochs completed by this call.</returns>
        /// <exception cref="ArgumentException">The data does not fit the model.</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled. It is checked before
        /// every batch: the model holds the last completed batch's update, and <see cref="SaveState"/> can continue from there.</exception>
        public IReadOnlyList<EpochReport> Fit(
            LabeledData train, LabeledData? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(train);
            train.CheckFits(Model, nameof(train));
            validation?.CheckFits(Model, nameof(validation));
            int batchSize = Options.BatchSize;
            int batches = (train.Count + batchSize - 1) / batchSize;
            if (_batchesDone > batches)
            {
                throw new InvalidOperationException(
                    $"The saved position is batch {_batchesDone} of an epoch, but this data has {batches} batches: continue with the data the run started with.");
            }

            var reports = new List<EpochReport>();
            using var step = new DataParallelStep(Model, Optimizer, train, Options.Threads);
            BatchResult last = default;
            while (_epochsDone < Options.Epochs)
            {
                int epoch = _epochsDone + 1;
                long start = Stopwatch.GetTimestamp();
                int[] order = EpochOrder(epoch, train.Count);
                for (int b = _batchesDone; b < batches; b++)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        _seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    int first = b * batchSize;
                    BatchResult r = last = step.Step(order.AsSpan(first, Math.Min(batchSize, train.Count - first)));
                    _lossSum += (double)r.Loss * r.Count;
                    _correct += r.Correct;
                    _batchesDone = b + 1;
                    progress?.Report(new TrainingProgress(epoch, b + 1, batches, r, TimeSpan.FromSeconds(_seconds) + Stopwatch.GetElapsedTime(start), null));
                }

                double seconds = _seconds + Stopwatch.GetElapsedTime(start).TotalSeconds;
                BatchResult v = validation is null ? default : Model.Loss(validation.All());
                var report = new EpochReport(
                    epoch, _lossSum / train.Count, (double)_correct / train.Count,
                    validation is null ? double.NaN : v.Loss, validation is null ? double.NaN : (double)v.Correct / v.Count, seconds);
                _epochsDone = epoch;
                ResetEpoch();
                _history.Add(report);
                reports.Add(report);
                progress?.Report(new TrainingProgress(epoch, batches, batches, last, TimeSpan.FromSeconds(seconds), report));
            }

            return reports;
        }

        /// <summary>The state to continue this run later (with the model's parameters, saved separately).</summary>
        public TrainingState SaveState() => new(
            Options.Seed, _epochsDone, _batchesDone, Optimizer.LearningRate, Optimizer.VelocityWeights.ToArray(), Optimizer.VelocityBias.ToArray(),
            _lossSum, _correct, _seconds);

        /// <summary>Continues a run saved by <see cref="SaveState"/>; the model must hold the parameters saved with it.</summary>
        /// <exception cref="ArgumentException">The state belongs to a run with another seed, or its velocity does not fit the model.</exception>
        public void RestoreState(TrainingState state)
        {
            ArgumentNullException.ThrowIfNull(state);
            if (state.Seed != Options.Seed)
            {
                throw new ArgumentException(
                    $"The state was saved by a run with seed {state.Seed}, but this trainer's seed is {Options.Seed}: its shuffles would differ. " +
                    "Create the trainer with the saved run's options.", nameof(state));
            }

            if (state.CompletedEpochs < 0 || state.BatchesDone < 0)
            {
                throw new ArgumentException($"The state's position (epoch {state.CompletedEpochs}, batch {state.BatchesDone}) is negative.", nameof(state));
            }

            Optimizer.RestoreVelocity(state.VelocityWeights, state.VelocityBias);
            Optimizer.LearningRate = state.LearningRate;
            _epochsDone = state.CompletedEpochs;
            _batchesDone = state.BatchesDone;
            _lossSum = state.EpochLossSum;
            _correct = state.EpochCorrect;
            _seconds = state.EpochSeconds;
        }

        /// <summary>Share of rows of <paramref name="data"/> whose predicted class is the label.</summary>
        public static double Accuracy(ISoftmaxModel model, LabeledData data)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(data);
            data.CheckFits(model, nameof(data));
            BatchResult r = model.Loss(data.All());
            return (double)r.Correct / r.Count;
        }

        private void ResetEpoch()
        {
            _batchesDone = 0;
            _lossSum = 0;
            _correct = 0;
            _seconds = 0;
        }

        /// <summary>The order of the rows in <paramref name="epoch"/>: one more shuffle of the previous epoch's order.</summary>
        private int[] EpochOrder(int epoch, int count)
        {
            if (_orderEpoch == epoch && _order.Length == count)
            {
                return _order;
            }

            if (_orderEpoch != epoch - 1 || _order.Length != count || _shuffle is null)
            {
                // Replay from the start: the order of epoch e is the identity shuffled e times.
                _order = new int[count];
                for (int i = 0; i < count; i++)
                {
                    _order[i] = i;
                }

                _shuffle = new Random(unchecked((Options.Seed * 7919) + 1));
                for (int e = 1; e < epoch; e++)
                {
                    _shuffle.Shuffle(_order);
                }
            }

            _shuffle.Shuffle(_order);
            _orderEpoch = epoch;
            return _order;
        }
    }
}
