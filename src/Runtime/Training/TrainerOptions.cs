using System;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Settings of training. By default (<see cref="Solver"/> = <see cref="TrainingSolver.Auto"/>) a small problem is solved
    /// exactly (<see cref="Lbfgs"/>: scikit-learn's <c>LogisticRegression()</c>) and a large one by minibatch SGD with the
    /// textbook's settings: batch 256, learning rate 0.1, 10 epochs. <see cref="Fast"/> is the faster SGD recipe.
    /// </summary>
    public sealed record TrainerOptions
    {
        /// <summary>Rows per minibatch.</summary>
        public int BatchSize { get; init; } = 256;

        /// <summary>Passes over the training data that <see cref="Trainer.Fit(LabeledData, LabeledData?,
        /// System.IProgress{TrainingProgress}?, System.Threading.CancellationToken)"/> completes, counting those already done.</summary>
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
        /// The evaluation after each epoch (validation set, early stopping's held-out rows) is split across them the same
        /// way. On Linux, with no more threads than <see cref="System.Environment.ProcessorCount"/>, a training thread that
        /// keeps running on the same CPU as another moves itself to another CPU the process may use. Defaults to 1.
        /// </summary>
        public int Threads { get; init; } = 1;

        /// <summary>The learning rate of each batch, from <see cref="SgdOptions.LearningRate"/>. Defaults to constant (the
        /// textbook).</summary>
        public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

        /// <summary>The loss minimised. Defaults to cross-entropy (the textbook).</summary>
        public TrainingLoss Loss { get; init; } = TrainingLoss.CrossEntropy;

        /// <summary>
        /// Label smoothing ε in [0, 1): each training target t becomes (1 - ε) t + ε / q (for a hard label, t is its one-hot
        /// vector). Validation and accuracy use the labels as they are. 0 (the default) turns it off.
        /// </summary>
        public float LabelSmoothing { get; init; }

        /// <summary>Stops when a held-out part of the training data stops improving, or null (the default) to train every epoch.</summary>
        public EarlyStoppingOptions? EarlyStopping { get; init; }

        /// <summary>Exact solver or minibatch SGD; <see cref="TrainingSolver.Auto"/> (the default) chooses by the problem's size.</summary>
        public TrainingSolver Solver { get; init; } = TrainingSolver.Auto;

        /// <summary>The exact solver's settings (C, tolerance, iterations), used when the solver is or resolves to
        /// <see cref="TrainingSolver.Lbfgs"/> and <see cref="TrainingSolver.Newton"/>; <see cref="Threads"/> applies to them too.</summary>
        public LbfgsOptions Lbfgs { get; init; } = new LbfgsOptions();

        /// <summary>
        /// The most multiply-adds one pass over the data may take for <see cref="TrainingSolver.Auto"/> to choose the exact
        /// solver: rows x inputs x classes. At this size a pass takes about a millisecond on one core (the kernels run at
        /// 20-100 GFLOP/s), so even the 500 passes of a slow solve finish within a second, while minibatch SGD with a batch
        /// of 256 gets too few steps to converge from data this small (Iris: 120 rows, one step an epoch). Above it, a pass
        /// costs what an SGD epoch costs, and the exact solver's hundreds of passes lose to SGD's ten (Fashion-MNIST:
        /// 60,000 x 784 x 10 = 4.7e8 per pass).
        /// </summary>
        public const long ExactSolverLimit = 50_000_000;

        /// <summary>
        /// The solver <see cref="Trainer.Fit(LabeledData, LabeledData?, System.IProgress{TrainingProgress}?,
        /// System.Threading.CancellationToken)"/>
        /// uses on <paramref name="train"/>, with the reason. <see cref="TrainingSolver.Auto"/> resolves to the exact solver when
        /// rows x inputs x classes is at most <see cref="ExactSolverLimit"/> and nothing asks for SGD's own features (early
        /// stopping, the squared-error loss, label smoothing, soft targets, a reparameterized model), else to SGD.
        /// </summary>
        public (TrainingSolver Solver, string Reason) SolverFor(ISoftmaxModel model, LabeledData train, bool softTargets = false)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(train);
            if (Solver != TrainingSolver.Auto)
            {
                return (Solver, "chosen in the options");
            }

            string? sgdOnly = EarlyStopping is not null ? "early stopping"
                : Loss != TrainingLoss.CrossEntropy ? "the squared-error loss"
                : LabelSmoothing != 0f ? "label smoothing"
                : softTargets ? "soft targets"
                : model is IReparameterizedModel ? "a hypercomplex (reparameterized) model"
                : null;
            if (sgdOnly is not null)
            {
                return (TrainingSolver.Sgd, $"{sgdOnly} needs minibatch SGD");
            }

            long cost = (long)train.Count * train.Inputs * model.Classes;
            return cost <= ExactSolverLimit
                ? (TrainingSolver.Lbfgs, $"a pass is {cost:N0} multiply-adds, at most {ExactSolverLimit:N0}: solved exactly")
                : (TrainingSolver.Sgd, $"a pass is {cost:N0} multiply-adds, more than {ExactSolverLimit:N0}: minibatch SGD");
        }

        /// <summary>
        /// The textbook recipe ("Dive into Deep Learning", softmax regression from scratch): batch 256, plain SGD with
        /// learning rate 0.1, 10 epochs, cross-entropy, constant rate, one thread: <c>new TrainerOptions()</c>'s SGD settings,
        /// with SGD chosen whatever the data's size.
        /// </summary>
        public static TrainerOptions Textbook { get; } = new() { Solver = TrainingSolver.Sgd };

        /// <summary>
        /// The fast recipe, found by a search on Fashion-MNIST (README, "Training options"): 8 epochs of batch 512, SGD
        /// with learning rate 0.4 and momentum 0.9 on a cosine schedule (batch by batch, down towards 0), no weight
        /// decay, 2 threads, seed 42. From uint8 pixels it reaches 0.8467 test accuracy, the best linear models' level,
        /// in 8 epochs to the textbook's 10. The seed decides the last digits: seeds 1-4 gave 0.8454-0.8467.
        /// </summary>
        public static TrainerOptions Fast { get; } = new()
        {
            Solver = TrainingSolver.Sgd,
            BatchSize = 512,
            Epochs = 8,
            Threads = 2,
            Optimizer = new SgdOptions { LearningRate = 0.4f, Momentum = 0.9f },
            Schedule = LearningRateSchedule.Cosine(),
        };

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
                throw new ArgumentOutOfRangeException(nameof(Threads), Threads,
                    $"Threads must be between 1 and 256 (this machine has {Environment.ProcessorCount} cores).");
            }

            if (!(InitStdDev >= 0f) || float.IsInfinity(InitStdDev))
            {
                throw new ArgumentOutOfRangeException(nameof(InitStdDev), InitStdDev,
                    "The initial standard deviation must be a finite number >= 0, such as 0.01.");
            }

            ArgumentNullException.ThrowIfNull(Optimizer, nameof(Optimizer));
            Optimizer.Validate();
            ArgumentNullException.ThrowIfNull(Schedule, nameof(Schedule));
            Schedule.Validate();
            if (!Enum.IsDefined(Loss))
            {
                throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "The loss must be CrossEntropy or SquaredError.");
            }

            if (!(LabelSmoothing >= 0f && LabelSmoothing < 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing,
                    "Label smoothing must be at least 0 and below 1, such as 0.1 (0 turns it off).");
            }

            EarlyStopping?.Validate();
            if (!Enum.IsDefined(Solver))
            {
                throw new ArgumentOutOfRangeException(nameof(Solver), Solver, "The solver must be Auto, Sgd, Lbfgs or Newton.");
            }

            ArgumentNullException.ThrowIfNull(Lbfgs, nameof(Lbfgs));
            Lbfgs.Validate();
        }
    }
}
