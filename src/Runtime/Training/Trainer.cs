using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using GenSoftmax.Streaming;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Minibatch training of one model: initialise, fit, observe, cancel, save the state and continue.
    /// </summary>
    /// <remarks>
    /// <para>Epoch e's order of the training rows is the identity shuffled e times in a row (Fisher-Yates) by
    /// <c>new Random(seed * 7919 + 1)</c>: a function of (seed, e) alone, so a run continued from a
    /// <see cref="TrainingState"/> at any batch boundary finishes bit-identical to one that never stopped. With early
    /// stopping, the rows trained on (ascending) take the identity's place.</para>
    /// <para>Every batch is checked: a loss or weight that is not finite stops training with a
    /// <see cref="TrainingDivergedException"/> naming the epoch and batch, and the model keeps its weights from before that batch.</para>
    /// <para>Every model is trained through its parameters (<see cref="ISoftmaxModel.Parameters"/>) by one <see cref="Sgd"/>:
    /// initialisation, the update, divergence rollback, early stopping's best epoch and the saved state all work on that
    /// list, so a hypercomplex model is trained through its factors A and S and its bias by the same steps.</para>
    /// <para>Other threads may use the model while it trains: every write of its parameters (each step, initialisation,
    /// divergence rollback, early stopping's restore) happens inside the write side of the model's
    /// <see cref="ISoftmaxModel.Gate"/>, so each of their calls sees the parameters of one step. A call waits at most for
    /// the step in progress; a step waits for the calls in progress. A model without a gate must not be used meanwhile.</para>
    /// </remarks>
    public sealed class Trainer
    {
        private readonly List<EpochReport> _history = new();
        private readonly List<string> _warnings = new();
        private int[] _order = Array.Empty<int>();
        private int[]? _orderBase; // the rows _order is a shuffle of
        private int _orderEpoch = -1; // the epoch _order belongs to, -1 for none
        private Random? _shuffle;
        // The order of epoch _orderEpoch + 1, drawn from _shuffle on a thread-pool thread while epoch _orderEpoch trains
        // (where a CPU is left over); nothing else touches _shuffle until it is taken.
        private System.Threading.Tasks.Task<int[]>? _nextOrder;
        // Or, where no CPU is free and the step has other threads to wait for, that order drawn in pieces in the calling
        // thread's waits (DataParallelStep.Idle): the draws done so far (_aheadIndex of them) into _aheadOrder.
        private int[]? _aheadOrder;
        private int _aheadIndex;
        private Func<bool>? _shuffleInWaits;
        private int _epochsDone;
        private int _batchesDone;
        private double _lossSum;
        private long _correct;
        private double _seconds;

        // Early stopping's record.
        private int _bestEpoch;
        private double _bestValue = double.NaN;
        private int _sinceBest;
        private bool _stopped;
        private NamedTensor[] _best = []; // the parameters at the best epoch

        private readonly Sgd _optimizer;

        /// <summary>A trainer for <paramref name="model"/>, which it trains as it is: call <see cref="Initialize()"/> for a fresh
        /// start.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
        public Trainer(ISoftmaxModel model, TrainerOptions? options = null)
        {
            ArgumentNullException.ThrowIfNull(model);
            options ??= new TrainerOptions();
            options.Validate();
            Model = model;
            Options = options;
            _optimizer = new Sgd(model, options.Optimizer);
            _optimizer.KeepPrevious(); // what a diverged batch overwrote, to put back
        }

        /// <summary>The model being trained.</summary>
        public ISoftmaxModel Model { get; }

        /// <summary>The settings.</summary>
        public TrainerOptions Options { get; }

        /// <summary>
        /// The optimizer, whose learning rate may be changed between batches. With a schedule other than a constant rate
        /// without warm-up, the trainer sets it before every batch.
        /// </summary>
        public Sgd Optimizer => _optimizer;

        /// <summary>
        /// The optimizer's step size of the next batch; it may be changed between batches. With a schedule other than a
        /// constant rate without warm-up, the trainer sets it before every batch.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is not a positive finite number.</exception>
        public float LearningRate
        {
            get => _optimizer.LearningRate;
            set => _optimizer.LearningRate = value;
        }

        /// <summary>Epochs completed.</summary>
        public int CompletedEpochs => _epochsDone;

        /// <summary>Reports of the epochs completed by this trainer.</summary>
        public IReadOnlyList<EpochReport> History => _history;

        /// <summary>How the last call to Fit ended (when, why, the best epoch), or null before one has returned.</summary>
        public TrainingOutcome? Outcome { get; private set; }

        /// <summary>The solver the last fit used (<see cref="TrainerOptions.SolverFor"/>), <see cref="TrainingSolver.Auto"/> before
        /// one.</summary>
        public TrainingSolver Solver { get; private set; }

        /// <summary>Why the last fit used <see cref="Solver"/>, in a few words (for a log or the app's data line).</summary>
        public string? SolverReason { get; private set; }

        /// <summary>How the exact solver ended, when the last fit used it; null otherwise.</summary>
        public SolverResult? SolverResult { get; private set; }

        /// <summary>
        /// The model's classes that the last fit's training rows do not contain (empty before a fit): it warns of them too
        /// (<see cref="Warnings"/>). A label far beyond the others (one 255 among 0..9) leaves most classes empty.
        /// </summary>
        public IReadOnlyList<int> ClassesWithoutRows { get; private set; } = [];

        /// <summary>
        /// Warnings about the run's settings, each issued once per trainer (also to <see cref="Trace"/>): for example a batch
        /// that holds the whole training set, where every epoch is one SGD step.
        /// </summary>
        public IReadOnlyList<string> Warnings => _warnings;

        /// <summary>
        /// Sets each of the model's parameters as its <see cref="NamedTensor.Init"/> says, from one <see cref="Random"/>(<paramref
        /// name="seed"/>):
        /// a dense model's W from N(0, <paramref name="stdDev"/>²) and its bias to 0; a hypercomplex model's A from N(0, 1/n),
        /// S from N(0, <paramref name="stdDev"/>²) (so each weight of W has standard deviation <paramref name="stdDev"/>) and its
        /// bias to 0.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="stdDev"/> is negative or not finite, or it is 0 for a
        /// model whose W is built from its parameters (zero factors cannot be trained: every factor gradient would be 0).</exception>
        public static void Initialize(ISoftmaxModel model, int seed, float stdDev = 0.01f)
        {
            ArgumentNullException.ThrowIfNull(model);
            if (!(stdDev >= 0f) || float.IsInfinity(stdDev) || (stdDev == 0f && model is IReparameterizedModel))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(stdDev), stdDev,
                    "The initial standard deviation must be a positive finite number, such as 0.01" +
                    (model is IReparameterizedModel ? ": zero factors cannot be trained." : " (0 starts a dense model at zero)."));
            }

            using ParameterGate.WriteScope write = EnterWrite(model);
            Internal.ParameterSet.Initialize(model, seed, stdDev);
        }

        /// <summary>A fresh start: initial weights from the options' seed, zero velocity, epoch 0, no history.</summary>
        public void Initialize()
        {
            Initialize(Model, Options.Seed, Options.InitStdDev);
            _optimizer.Reset();
            _epochsDone = 0;
            ResetEpoch();
            _history.Clear();
            ResetEarlyStopping();
            Outcome = null;
        }

        /// <summary>
        /// Trains from where the trainer is until <see cref="TrainerOptions.Epochs"/> epochs are complete (or early
        /// stopping ends the run), reshuffling every epoch, and evaluates <paramref name="validation"/> after each.
        /// </summary>
        /// <returns>The reports of the epochs completed by this call; <see cref="Outcome"/> says how it ended.</returns>
        /// <exception cref="ArgumentException">The data does not fit the model.</exception>
        /// <exception cref="TrainingDivergedException">A batch's loss or the weights after it were not finite (a learning
        /// rate too large, or a NaN or infinite feature written into the data after it was created); the model keeps the
        /// weights from before that batch.</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled. It is checked before
        /// every batch: the model holds the last completed batch's update, and <see cref="SaveState"/> can continue from there.</exception>
        public IReadOnlyList<EpochReport> Fit(
            LabeledData train, LabeledData? validation = null, IProgress<TrainingProgress>? progress = null,
                CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(train);
            return FitCore(train, null, validation, progress, cancellationToken);
        }

        /// <summary>
        /// Trains on soft targets: each row's target is its probability vector in <paramref name="train"/> (then label
        /// smoothing, when set), through the same loss and gradient as hard labels. Accuracy counts a row right when the
        /// model's argmax is the target's argmax; <paramref name="validation"/> is evaluated against its labels.
        /// </summary>
        /// <inheritdoc cref="Fit(LabeledData, LabeledData?, IProgress{TrainingProgress}?, CancellationToken)"/>
        public IReadOnlyList<EpochReport> FitTargets(
            SoftTargets train, LabeledData? validation = null, IProgress<TrainingProgress>? progress = null,
                CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(train);
            if (train.Classes != Model.Classes)
            {
                throw new ArgumentException($"The targets have {train.Classes} classes but the model has {Model.Classes}.", nameof(train));
            }

            return FitCore(train.Data, train.Targets, validation, progress, cancellationToken);
        }

        // Not AggressiveOptimization: its loop runs once per batch and calls the optimised step, so tier 0 (with OSR) serves,
        // and compiling its 1,500 bytes of IL fully optimised cost the first epoch 3.5 ms (bench/results/2026-12-05-coldstart-log).
        private IReadOnlyList<EpochReport> FitCore(
            LabeledData train, float[]? targets, LabeledData? validation, IProgress<TrainingProgress>? progress,
                CancellationToken cancellationToken)
        {
            train.CheckFits(Model, nameof(train));
            validation?.CheckFits(Model, nameof(validation));
            TrainingWarmup.TrainingStarts(train.IsPixels);

            (Solver, SolverReason) = Options.SolverFor(Model, train, targets is not null);
            if (Solver is TrainingSolver.Lbfgs or TrainingSolver.Newton)
            {
                WarnEmptyClasses(CountClasses(train.Labels, null));
                return FitExact(train, targets, validation, progress, cancellationToken);
            }

            if (Options.Loss == TrainingLoss.SquaredError && (train.Weights is not null || validation?.Weights is not null))
            {
                throw new ArgumentException(
                    "Row weights apply to the cross-entropy loss; the squared-error loss takes none. Drop " +
                        "the weights or use cross-entropy.", nameof(train));
            }
            // NaN and infinite features were refused when the data was created (LabeledData.FromFeatures). A value the
            // caller writes into the array afterwards is not scanned for again here (a pass over all the data, 8 ms an
            // epoch call for Fashion-MNIST's floats): it makes its batch's loss non-finite, and the divergence check
            // stops training at that batch with the model's last finite weights.
            EarlyStoppingOptions? stopping = Options.EarlyStopping;
            int[]? heldOut = null;
            int[]? trainRows = null;
            if (stopping is not null)
            {
                (trainRows, heldOut) = stopping.Split(train.Count, Options.Seed);
            }

            if (targets is null)
            {
                WarnEmptyClasses(CountClasses(train.Labels, trainRows));
            }

            var feed = new TrainingFeed(train, trainRows?.Length ?? train.Count, epoch => EpochOrder(epoch, trainRows, train.Count));
            return FitSgd(feed, train, targets, validation, heldOut, progress, cancellationToken);
        }

        /// <summary>
        /// Trains on the rows of <paramref name="train"/>, which stay on disk: each epoch reads them once, in blocks whose order
        /// and the order of rows inside a buffer of several blocks are functions of (seed, epoch), holding at most the
        /// source's <see cref="RowSource.MemoryBudget"/> of rows. Otherwise as <see cref="Fit(LabeledData, LabeledData?,
        /// IProgress{TrainingProgress}?, CancellationToken)"/>: the same SGD steps, reports, divergence checks and resumable
        /// state (continue with the same source, seed, batch size, threads and budget for a bit-identical finish). Data that
        /// fits one buffer is read once and trained exactly as the same rows in memory.
        /// </summary>
        /// <returns>The reports of the epochs completed by this call.</returns>
        /// <exception cref="ArgumentException">The data does not fit the model, a batch does not fit the budget, or an option needs
        /// all rows in memory (early stopping's held-out rows, label smoothing, the exact solver).</exception>
        /// <exception cref="System.IO.InvalidDataException">A file of the source changed or is damaged.</exception>
        /// <exception cref="TrainingDivergedException">As for in-memory data.</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (checked before every
        /// batch).</exception>
        public IReadOnlyList<EpochReport> FitStream(
            RowSource train, LabeledData? validation = null, IProgress<TrainingProgress>? progress = null,
                CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(train);
            CheckFits(train);
            validation?.CheckFits(Model, nameof(validation));
            TrainingWarmup.TrainingStarts(train.IsPixels);

            string? inMemoryOnly = Options.Solver == TrainingSolver.Lbfgs
                ? "the exact solver (Solver = Lbfgs), which makes many passes; use Sgd or Auto"
                : Options.EarlyStopping is not null
                    ? "early stopping, which holds out rows of the training data; stop after a fixed number of epochs"
                : Options.LabelSmoothing != 0f ? "label smoothing; train without it"
                : Options.Loss == TrainingLoss.SquaredError && train.HasWeights
                    ? "row weights with the squared-error loss; use cross-entropy"
                : null;
            if (inMemoryOnly is not null)
            {
                throw new ArgumentException($"Streamed data ({train.Description}) cannot be trained with {inMemoryOnly}.", nameof(train));
            }

            (Solver, SolverReason) = (TrainingSolver.Sgd,
                $"streamed data (budget {RowSource.FormatBytes(train.MemoryBudget)}) needs minibatch SGD");
            long[] rowsPerClass = new long[Model.Classes];
            for (int c = 0; c < train.RowsPerClass.Count; c++)
            {
                rowsPerClass[c] = train.RowsPerClass[c];
            }

            WarnEmptyClasses(rowsPerClass);
            using var windows = new RowWindows(train, Options.BatchSize, Options.Seed, shuffled: true);
            var feed = new TrainingFeed(windows, train.Count, epoch => EpochOrder(epoch, null, (int)train.Count));
            return FitSgd(feed, null, null, validation, null, progress, cancellationToken);
        }

        /// <summary>
        /// The SGD epochs over <paramref name="feed"/>; <paramref name="train"/> is its data when it is in memory. Runs once per
        /// fit and loops per window and epoch, so the JIT compiles it quickly (tier 0, replaced in its loop if it runs long);
        /// the per-batch loop is <see cref="TrainWindow"/>.
        /// </summary>
        private IReadOnlyList<EpochReport> FitSgd(
            TrainingFeed feed, LabeledData? train, float[]? targets, LabeledData? validation, int[]? heldOut,
            IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
        {
            EarlyStoppingOptions? stopping = Options.EarlyStopping;
            long trainCount = feed.Rows;
            int batchSize = Options.BatchSize;
            if (batchSize >= trainCount)
            {
                Warn(
                    $"The batch ({batchSize:N0} rows) holds the whole training set ({trainCount:N0} rows): " +
                        $"each epoch is a single SGD step, " +
                    $"so {Options.Epochs} epochs are {Options.Epochs} steps and the model stays far from the " +
                        $"minimum. Use a smaller batch, " +
                    "or the exact solver (TrainerOptions.Solver = Auto or Lbfgs), which fits data this small to convergence.");
            }

            long batchCount = (trainCount + batchSize - 1) / batchSize; // in long: a batch near int.MaxValue overflowed to 0 batches
            if (batchCount > int.MaxValue)
            {
                throw new ArgumentException($"{trainCount:N0} rows in batches of {batchSize:N0} are more than {int.MaxValue:N0} batches " +
                    $"an epoch: use larger batches.");
            }

            int batches = (int)batchCount;
            if (_batchesDone > batches)
            {
                throw new InvalidOperationException(
                    $"The saved position is batch {_batchesDone} of an epoch, but this data has {batches} batches: continue with the " +
                        $"data the run started with.");
            }

            var reports = new List<EpochReport>();
            if (_stopped)
            {
                Outcome = MakeOutcome(StopReason.EarlyStopped, restored: false);
                return reports;
            }

            var objective = new TrainingObjective(Model, train, targets, Options.Loss, Options.LabelSmoothing, Options.Threads);
            LearningRateSchedule schedule = Options.Schedule;
            bool scheduled = schedule.Kind != LearningRateScheduleKind.Constant || schedule.WarmupEpochs > 0;
            using var step = new DataParallelStep(Model, _optimizer, objective, Options.Threads);
            step.Idle = _shuffleInWaits ??= ShuffleInWaits;
            BatchResult last = default;

            while (_epochsDone < Options.Epochs && !_stopped)
            {
                int epoch = _epochsDone + 1;
                long start = Stopwatch.GetTimestamp();
                int windows = feed.Windows;
                int firstBatch = 0; // the epoch's batch number of the window's first batch
                for (int w = 0; w < windows; w++)
                {
                    int rows = feed.RowsIn(epoch, w);
                    int windowBatches = (int)(((long)rows + batchSize - 1) / batchSize);
                    if (firstBatch + windowBatches <= _batchesDone)
                    {
                        firstBatch += windowBatches; // done before the run was interrupted
                        continue;
                    }

                    (int, int)? next = w + 1 < windows ? (epoch, w + 1) : epoch < Options.Epochs ? (epoch + 1, 0) : null;
                    (objective.Data, int[] order) = feed.Window(epoch, w, next);
                    last = TrainWindow(
                        step, order, rows, firstBatch, firstBatch + windowBatches, epoch, batches, scheduled, start, progress,
                        cancellationToken);
                    firstBatch += windowBatches;
                }

                double seconds = _seconds + Stopwatch.GetElapsedTime(start).TotalSeconds;
                BatchResult v = validation is null ? default : step.Evaluate(validation, default, all: true);
                var report = new EpochReport(
                    epoch, _lossSum / trainCount, (double)_correct / trainCount,
                    validation is null ? double.NaN : v.Loss, validation is null ? double.NaN : (double)v.Correct / v.Count, seconds)
                {
                    LearningRate = LearningRate,
                };
                if (stopping is not null)
                {
                    BatchResult h = step.Evaluate(train!, heldOut, all: false);
                    report = report with { HeldOutLoss = h.Loss, HeldOutAccuracy = (double)h.Correct / h.Count };
                    Watch(stopping, epoch, stopping.Metric == EarlyStoppingMetric.HeldOutLoss ? h.Loss : report.HeldOutAccuracy);
                }

                _epochsDone = epoch;
                ResetEpoch();
                _history.Add(report);
                reports.Add(report);
                progress?.Report(new TrainingProgress(epoch, batches, batches, last, TimeSpan.FromSeconds(seconds), report));
            }

            bool restore = stopping is { RestoreBestWeights: true } && _bestEpoch > 0 && _bestEpoch != _epochsDone;
            if (restore)
            {
                using ParameterGate.WriteScope write = EnterWrite(Model);
                Internal.ParameterSet.Restore(Model, _best);
            }

            Outcome = MakeOutcome(_stopped ? StopReason.EarlyStopped : StopReason.Completed, restore);
            return reports;
        }

        /// <summary>
        /// The batches from the next to be done up to <paramref name="to"/> - 1 of an epoch: one window's rows in
        /// <paramref name="order"/>, the window starting at batch <paramref name="firstBatch"/>. Returns the last batch's result.
        /// </summary>
        // Not AggressiveOptimization: tier 0 serves a loop whose every turn is one batch's step around optimised kernels
        // (compiled fully optimised, its 1 KB cost every fresh process's first epoch 1.4 ms).
        private BatchResult TrainWindow(
            DataParallelStep step, int[] order, int rows, int firstBatch, int to, int epoch, int batches, bool scheduled, long start,
            IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
        {
            int batchSize = Options.BatchSize;
            BatchResult last = default;
            for (int b = _batchesDone; b < to; b++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    _seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
                    cancellationToken.ThrowIfCancellationRequested();
                }

                if (scheduled)
                {
                    LearningRate = Options.Schedule.RateAt(Options.Optimizer.LearningRate, epoch, b, batches, Options.Epochs);
                }

                int first = (b - firstBatch) * batchSize;
                int next = first + batchSize;
                BatchResult r = last = step.Step(
                    order.AsSpan(first, Math.Min(batchSize, rows - first)),
                    b + 1 < to ? order.AsSpan(next, Math.Min(batchSize, rows - next)) : default);
                CheckFinite(r, step.ParametersFinite, epoch, b, batches, start);
                _lossSum += (double)r.Loss * r.Count;
                _correct += r.Correct;
                _batchesDone = b + 1;
                if (progress is not null)
                {
                    ReportBatch(progress, epoch, b + 1, batches, r, start);
                }
            }

            return last;
        }

        // A batch's report, apart from the loop above: it is cold beside the batch's step and keeps the loop small.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void ReportBatch(IProgress<TrainingProgress> progress, int epoch, int batch, int batches, BatchResult r, long start) =>
            progress.Report(new TrainingProgress(
                epoch, batch, batches, r, TimeSpan.FromSeconds(_seconds) + Stopwatch.GetElapsedTime(start), null));

        /// <summary>Throws <see cref="TrainingDivergedException"/> after putting back the last finite state, if batch <paramref name="b"/>
        /// diverged.</summary>
        private void CheckFinite(BatchResult r, bool? updateFinite, int epoch, int b, int batches, long start)
        {
            // The step's update checked W and b as it wrote them (updateFinite); a reparameterised model's parameters are
            // checked here.
            if (float.IsFinite(r.Loss) && (updateFinite ?? (Internal.Blas.AllFinite(Model.Weights) && Internal.Blas.AllFinite(Model.Bias)
                && OtherParametersFinite())))
            {
                return;
            }

            Diverged(r, epoch, b, batches, start);
        }

        /// <summary>
        /// Whether every parameter other than W and b themselves is finite: a dense model's parameters are W and b (just
        /// checked), a reparameterised one's are the factors its W is built from.
        /// </summary>
        private bool OtherParametersFinite()
        {
            foreach (NamedTensor t in Model.Parameters)
            {
                ReadOnlySpan<float> values = t.Values;
                if (!values.Overlaps(Model.Weights) && !values.Overlaps(Model.Bias) && !Internal.Blas.AllFinite(values))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The cold half of <see cref="CheckFinite"/>, compiled only when a batch diverges.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Diverged(BatchResult r, int epoch, int b, int batches, long start)
        {
            string what = !float.IsFinite(r.Loss) ? $"the batch's loss is {r.Loss}"
                : !Internal.Blas.AllFinite(Model.Weights) ? "the weights after its update are not all finite"
                : !Internal.Blas.AllFinite(Model.Bias) ? "the bias after its update is not all finite"
                : $"its parameter {Internal.ParameterSet.FirstNonFinite(Model.Parameters)!.Name} after its update is not all finite";
            using (EnterWrite(Model))
            {
                _optimizer.RestorePrevious();
            }

            _seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            throw new TrainingDivergedException(epoch, b + 1, batches, what, LearningRate);
        }

        /// <summary>
        /// The exact solve: <see cref="LbfgsSolver"/> or <see cref="NewtonSolver"/> from the model's current parameters (a warm
        /// start), reported as one epoch over the training data. A <paramref name="progress"/> that is also an
        /// <see cref="IProgress{SolverProgress}"/> hears of every iteration.
        /// </summary>
        private IReadOnlyList<EpochReport> FitExact(
            LabeledData train, float[]? targets, LabeledData? validation, IProgress<TrainingProgress>? progress,
                CancellationToken cancellationToken)
        {
            if (targets is not null)
            {
                throw new ArgumentException("The exact solver fits hard labels; train soft targets with minibatch SGD (Solver = Sgd).",
                    nameof(targets));
            }

            long start = Stopwatch.GetTimestamp();
            LbfgsOptions exact = Options.Lbfgs with { Threads = Options.Threads };
            SolverResult = Solver == TrainingSolver.Newton
                ? NewtonSolver.Fit(Model, train, exact, progress as IProgress<SolverProgress>, cancellationToken)
                : LbfgsSolver.Fit(Model, train, exact, progress as IProgress<SolverProgress>, cancellationToken);
            var objective = new TrainingObjective(Model, train, null, TrainingLoss.CrossEntropy, 0f, 1);
            BatchResult t = objective.Evaluate(train);
            BatchResult v = validation is null ? default : objective.Evaluate(validation);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var report = new EpochReport(
                _epochsDone + 1, t.Loss, (double)t.Correct / t.Count,
                validation is null ? double.NaN : v.Loss, validation is null ? double.NaN : (double)v.Correct / v.Count, seconds);
            _epochsDone++;
            _history.Add(report);
            progress?.Report(new TrainingProgress(report.Epoch, 1, 1, t, TimeSpan.FromSeconds(seconds), report));
            Outcome = MakeOutcome(StopReason.Completed, restored: false);
            return [report];
        }

        /// <summary>Checks that a model of this shape can train on <paramref name="train"/>: the input width, rows, every label a
        /// class.</summary>
        private void CheckFits(RowSource train)
        {
            if (train.Inputs != Model.Inputs)
            {
                throw new ArgumentException(
                    $"{train.Description} has {train.Inputs} inputs per row but the model takes {Model.Inputs}: use a model with " +
                        $"{train.Inputs} inputs.",
                    nameof(train));
            }

            if (train.Count == 0)
            {
                throw new ArgumentException($"{train.Description} holds no rows.", nameof(train));
            }

            if (train.Classes > Model.Classes)
            {
                throw new ArgumentException(
                    $"{train.Description} has labels up to {train.Classes - 1}, but the model has {Model.Classes} classes " +
                        $"(0..{Model.Classes - 1}): " +
                    $"use a model with {train.Classes} classes.", nameof(train));
            }
        }

        /// <summary>Rows of each of the model's classes among <paramref name="rows"/> (all rows when null).</summary>
        [MethodImpl(Internal.FirstCall.Optimized)] // one compile, not tier 0 and an on-stack replacement
        private long[] CountClasses(int[] labels, int[]? rows)
        {
            long[] counts = new long[Model.Classes];
            if (rows is null)
            {
                foreach (int label in labels)
                {
                    counts[label]++;
                }
            }
            else
            {
                foreach (int r in rows)
                {
                    counts[labels[r]]++;
                }
            }

            return counts;
        }

        /// <summary>Sets <see cref="ClassesWithoutRows"/> and warns when there are any.</summary>
        private void WarnEmptyClasses(long[] rowsPerClass)
        {
            var empty = new List<int>();
            for (int c = 0; c < rowsPerClass.Length; c++)
            {
                if (rowsPerClass[c] == 0)
                {
                    empty.Add(c);
                }
            }

            ClassesWithoutRows = empty;
            // Tested here as well: the warning's text is compiled only when there is one to give.
            if (empty.Count > 0 && EmptyClassesWarning(empty, rowsPerClass.Length) is { } warning)
            {
                Warn(warning);
            }
        }

        /// <summary>
        /// The warning for classes of the model that no training row has (the model learns nothing for them and never
        /// predicts them), naming them in ranges; null when every class has a row.
        /// </summary>
        internal static string? EmptyClassesWarning(IReadOnlyList<int> empty, int classes)
        {
            if (empty.Count == 0)
            {
                return null;
            }

            var ranges = new List<string>();
            for (int i = 0; i < empty.Count; i++)
            {
                int start = empty[i];
                while (i + 1 < empty.Count && empty[i + 1] == empty[i] + 1)
                {
                    i++;
                }

                int end = empty[i];
                ranges.Add(end == start ? $"{start}" : end == start + 1 ? $"{start}, {end}" : $"{start}..{end}");
            }

            string list = ranges.Count <= 8 ? string.Join(", ", ranges) : string.Join(", ", ranges.GetRange(0, 8)) + ", ...";
            return $"{(empty.Count == 1 ? "Class" : "Classes")} {list} ({empty.Count} of the model's {classes}) " +
                $"{(empty.Count == 1 ? "has" : "have")} " +
                "no training rows: the model learns nothing for them and never predicts them. A label past the real classes " +
                "(such as 255 in a 10-class file) makes a model with that many classes: check the labels, or give the model " +
                "the data's class count.";
        }

        private void Warn(string warning)
        {
            if (!_warnings.Contains(warning))
            {
                _warnings.Add(warning);
                Trace.TraceWarning(warning);
            }
        }

        /// <summary>The write side of <paramref name="model"/>'s gate, or nothing for a model without one.</summary>
        private static ParameterGate.WriteScope EnterWrite(ISoftmaxModel model) => model.Gate is { } gate ? gate.EnterWrite() : default;

        /// <summary>Early stopping's bookkeeping after <paramref name="epoch"/>, whose held-out value is <paramref
        /// name="value"/>.</summary>
        private void Watch(EarlyStoppingOptions stopping, int epoch, double value)
        {
            bool lowerIsBetter = stopping.Metric == EarlyStoppingMetric.HeldOutLoss;
            bool improved = _bestEpoch == 0
                || (lowerIsBetter ? value < _bestValue - stopping.MinImprovement : value > _bestValue + stopping.MinImprovement);
            if (improved)
            {
                _bestEpoch = epoch;
                _bestValue = value;
                _sinceBest = 0;
                _best = Internal.ParameterSet.Snapshot(Model.Parameters);
            }
            else if (++_sinceBest >= stopping.Patience)
            {
                _stopped = true;
            }
        }

        private TrainingOutcome MakeOutcome(StopReason reason, bool restored) => new(
            reason, _epochsDone, _bestEpoch, Options.EarlyStopping is null ? double.NaN : _bestValue,
            restored || (_bestEpoch != 0 && _bestEpoch == _epochsDone));

        private void ResetEarlyStopping()
        {
            _bestEpoch = 0;
            _bestValue = double.NaN;
            _sinceBest = 0;
            _stopped = false;
            _best = [];
        }

        /// <summary>The state to continue this run later (with the model's parameters, saved separately).</summary>
        public TrainingState SaveState() => new(
            Options.Seed, _epochsDone, _batchesDone, LearningRate, Internal.ParameterSet.Snapshot(_optimizer.Velocity), _lossSum, _correct,
                _seconds)
        {
            EarlyStopping = Options.EarlyStopping is null
                ? null
                : new EarlyStoppingState(_bestEpoch, _bestValue, _sinceBest, _stopped, Internal.ParameterSet.Snapshot(_best)),
        };

        /// <summary>Continues a run saved by <see cref="SaveState"/>; the model must hold the parameters saved with it.</summary>
        /// <exception cref="ArgumentException">The state belongs to a run with another seed or other options (momentum, early stopping),
        /// its velocity or early-stopping record does not fit the model, or its numbers are not ones a run makes (a negative
        /// position, a learning rate that is not positive and finite, sums its batches cannot give): the checks a model file's
        /// readers apply.</exception>
        public void RestoreState(TrainingState state)
        {
            ArgumentNullException.ThrowIfNull(state);
            if (state.Seed != Options.Seed)
            {
                throw new ArgumentException(
                    $"The state was saved by a run with seed {state.Seed}, but this trainer's seed is " +
                        $"{Options.Seed}: its shuffles would differ. " +
                    "Create the trainer with the saved run's options.", nameof(state));
            }

            // The checks every model-file reader applies, so a state built or altered in code is refused as a damaged file is.
            Persistence.ModelFile.CheckState(state, Options, Model.Parameters, problem => new ArgumentException(
                $"The state is not one a run with these options makes: {problem}. Restore a state saved by such a run.", nameof(state)));

            EarlyStoppingState? es = state.EarlyStopping;
            if (Options.EarlyStopping is not null && es is null && state.CompletedEpochs > 0)
            {
                throw new ArgumentException(
                    "This trainer stops early, but the state was saved by a run without early stopping (or without its record): " +
                    "create the trainer with the saved run's options.", nameof(state));
            }

            if (es is not null && es.BestEpoch > 0 && Internal.ParameterSet.Mismatch(Model.Parameters, es.Best) is { } problem)
            {
                throw new ArgumentException(
                    $"The state's early-stopping record (best epoch {es.BestEpoch}) does not fit this model: {problem}. " +
                    "Restore a state saved by a run of this model.", nameof(state));
            }

            if (es is not null && es.BestEpoch > state.CompletedEpochs)
            {
                throw new ArgumentException(
                    $"The state's early-stopping record names best epoch {es.BestEpoch}, after its position (epoch " +
                        $"{state.CompletedEpochs}).", nameof(state));
            }

            ArgumentNullException.ThrowIfNull(state.Velocity, "state.Velocity");
            _optimizer.RestoreVelocity(state.Velocity);

            LearningRate = state.LearningRate;
            _epochsDone = state.CompletedEpochs;
            _batchesDone = state.BatchesDone;
            _lossSum = state.EpochLossSum;
            _correct = state.EpochCorrect;
            _seconds = state.EpochSeconds;
            ResetEarlyStopping();
            if (es is not null && Options.EarlyStopping is not null)
            {
                _bestEpoch = es.BestEpoch;
                _bestValue = es.BestValue;
                _sinceBest = es.EpochsWithoutImprovement;
                _stopped = es.Stopped;
                _best = es.BestEpoch > 0 ? Internal.ParameterSet.Snapshot(es.Best) : [];
            }
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

        /// <summary>
        /// The order of the rows in <paramref name="epoch"/>: one more shuffle of the previous epoch's order, starting
        /// from <paramref name="rows"/> (ascending), or from 0 .. count - 1 when null.
        /// </summary>
        // Not AggressiveOptimization: once an epoch, and its loops over the rows are Blas.Iota's and Shuffle's, compiled apart.
        private int[] EpochOrder(int epoch, int[]? rows, int count)
        {
            int length = rows?.Length ?? count;
            bool sameBase = _orderBase is null ? rows is null : rows is not null && _orderBase.AsSpan().SequenceEqual(rows);
            if (_orderEpoch == epoch && _order.Length == length && sameBase)
            {
                return _order;
            }

            bool follows = _orderEpoch == epoch - 1 && _order.Length == length && sameBase;
            // An order drawn ahead (ShuffleAhead) is taken if it is the one wanted; otherwise the order below replays from the
            // seed, as it does whenever the epoch does not follow.
            int[]? ahead = null;
            if (_nextOrder is { } pending)
            {
                _nextOrder = null;
                ahead = pending.Result;
            }
            else if (_aheadOrder is { } partial)
            {
                _aheadOrder = null;
                if (follows)
                {
                    Shuffle(_shuffle!, partial, _aheadIndex); // the draws the waits left
                }

                ahead = partial;
            }

            if (ahead is not null && follows)
            {
                int[] spare = _order; // the finished epoch's order, reused for the one after this
                _order = ahead;
                _orderEpoch = epoch;
                OrdersDrawnAhead++;
                ShuffleAhead(spare);
                return _order;
            }

            if (!follows || _shuffle is null)
            {
                // Replay from the start: the order of epoch e is the base order shuffled e times.
                _order = new int[length];
                if (rows is null)
                {
                    Internal.Blas.Iota(_order);
                }
                else
                {
                    rows.CopyTo(_order, 0);
                }

                _orderBase = rows;
                _shuffle = new Random(unchecked((Options.Seed * 7919) + 1));
                for (int e = 1; e < epoch; e++)
                {
                    Shuffle(_shuffle, _order);
                }
            }

            Shuffle(_shuffle, _order);
            _orderEpoch = epoch;
            if (follows)
            {
                // Not after a replay: a fresh process's first epoch leaves the other CPU to the kernels' warm-up (drawing
                // ahead there made the first epoch 1-2 ms longer).
                ShuffleAhead(null);
            }

            return _order;
        }

        /// <summary>
        /// Whether the next epoch's order may be drawn while an epoch trains (<see cref="ShuffleAhead"/>). The draws and their
        /// order are the same either way (tests switch it off to compare).
        /// </summary>
        internal bool ShufflesAhead { get; set; } = true;

        /// <summary>How many epochs started with an order drawn ahead (for tests).</summary>
        internal int OrdersDrawnAhead { get; private set; }

        /// <summary>
        /// Starts drawing the order of the epoch after <see cref="_orderEpoch"/> into <paramref name="buffer"/> (or a new
        /// array), where <see cref="ShufflesAhead"/>: on a thread-pool thread where a CPU is free, else in pieces in the
        /// calling thread's waits of a step with other threads (<see cref="ShuffleInWaits"/>). The shuffle of 60,000 rows
        /// takes 0.3 ms that the training thread otherwise spends at the start of every epoch.
        /// </summary>
        private void ShuffleAhead(int[]? buffer)
        {
            bool cpuFree = Options.Threads < Environment.ProcessorCount;
            if (!ShufflesAhead || _shuffle is null || (!cpuFree && Options.Threads < 2))
            {
                return;
            }

            int[] current = _order;
            Random random = _shuffle;
            int[] next = buffer is not null && buffer.Length == current.Length ? buffer : new int[current.Length];
            if (!cpuFree)
            {
                current.CopyTo(next, 0);
                _aheadOrder = next;
                _aheadIndex = 0;
                return;
            }

            _nextOrder = System.Threading.Tasks.Task.Run(() =>
            {
                current.CopyTo(next, 0);
                Shuffle(random, next);
                return next;
            });
        }

        /// <summary>
        /// Draws of the next epoch's order in each of the step's waits (32; tests set 0 to leave them all to the epoch's
        /// start).
        /// </summary>
        internal int DrawsPerWait { get; set; } = 32;

        /// <summary>
        /// A piece of the next epoch's order (<see cref="DrawsPerWait"/> draws), for <see cref="DataParallelStep.Idle"/>;
        /// whether draws are left.
        /// </summary>
        private bool ShuffleInWaits()
        {
            if (_aheadOrder is not { } order || DrawsPerWait <= 0)
            {
                return false;
            }

            int end = Math.Min(_aheadIndex + DrawsPerWait, order.Length - 1);
            Shuffle(_shuffle!, order, _aheadIndex, end);
            _aheadIndex = end;
            return end < order.Length - 1;
        }

        /// <summary>
        /// <see cref="Random.Shuffle{T}(Span{T})"/>'s Fisher-Yates pass, the same draws in the same order, so the same rows
        /// for a seed; its steps <paramref name="from"/> to <paramref name="to"/> - 1 alone (step i fixes position i), so
        /// that a pass in pieces draws the same. Its own small loop, compiled once fully optimised: the generic one went
        /// through tier 0 and an on-stack replacement on every fresh process's first epoch (1.2 ms of JIT).
        /// </summary>
        [MethodImpl(Internal.FirstCall.Optimized)]
        internal static void Shuffle(Random random, Span<int> values, int from = 0, int to = int.MaxValue)
        {
            int n = values.Length;
            for (int i = from, end = Math.Min(to, n - 1); i < end; i++)
            {
                int j = random.Next(i, n);
                if (j != i)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                }
            }
        }
    }
}
