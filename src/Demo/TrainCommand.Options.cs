using System.CommandLine;
using System.IO;

namespace GenSoftmax.App
{
    /// <summary>
    /// train's options, declared in the order help lists them: data, model, recipe and optimizer, schedule, early stopping,
    /// exact solver, output. A default the recipe decides is stated for each recipe in the description, never as a
    /// <c>[default: ...]</c> that would be right for one recipe only.
    /// </summary>
    internal sealed partial class TrainCommand
    {
        // Data (DataOptions adds --data, --labels, --label-column, --no-header).
        private readonly DataOptions _data = new();
        private readonly Option<string?> _test = new("--test")
        {
            HelpName = "FILE",
            Description = "Test data for a CSV/TSV or .npy --data, in the same format (an IDX directory holds its own).",
        };

        private readonly Option<double> _validation = NumberOptions.Double(
            "--validation", "Hold out this share of the training rows (rounded up, chosen by --seed) and report accuracy on it each epoch.",
            0, 0, false, 1, true, "0.1");

        // Model.
        private readonly Option<int?> _hypercomplex = NumberOptions.OptionalInt(
            "--hypercomplex", "Train the PHM model with this n (784x10 data: n = 2, 3,938 parameters), then the dense one to compare.",
            1, "2");

        private readonly Option<string> _input = NumberOptions.Choice(
            "--input", "Byte data as uint8 (the kernels scale by 1/255) or a float32 copy scaled up front (the textbook's); same math.",
            "uint8", "uint8", "float32");

        private readonly Option<KernelIsa?> _isa = Models.IsaOption();

        // Recipe and optimizer (SGD).
        private readonly Option<string> _recipe = NumberOptions.Choice(
            "--recipe", "Starting values of the SGD options: fast (0.846 on Fashion-MNIST) or textbook (0.8297); given options override.",
            "fast", "fast", "textbook");

        private readonly Option<int> _epochs = ByRecipe(NumberOptions.Int(
            "--epochs", "Passes over the training data: fast 8, textbook 10 (--resume: the saved run's).", 8, 1, 1_000_000, "10"));

        private readonly Option<int> _batch = ByRecipe(NumberOptions.Int(
            "--batch", "Minibatch size: fast 512, textbook 256.", 512, 1, int.MaxValue, "256"));

        private readonly Option<float> _rate = ByRecipe(NumberOptions.Float(
            "--lr", "Learning rate (with a schedule, the starting one): fast 0.4 (PHM 0.1), textbook 0.1.",
            0.4f, 0, true, float.PositiveInfinity, false, "0.1"));

        private readonly Option<float> _momentum = ByRecipe(NumberOptions.Float(
            "--momentum", "SGD momentum: fast 0.9, textbook 0 (plain SGD).", 0.9f, 0, false, 1, true, "0.9"));

        private readonly Option<float> _weightDecay = NumberOptions.Float(
            "--weight-decay", "L2 weight decay added to the gradient.", 0f, 0, false, float.PositiveInfinity, false, "0.0005");

        private readonly Option<int> _seed = NumberOptions.Int(
            "--seed", "Seed of the initial weights, the shuffles and the held-out splits.", 42, int.MinValue, int.MaxValue, "42");

        private readonly Option<int> _threads = ByRecipe(NumberOptions.Int(
            "--threads", "Threads sharing each pass: fast 2, textbook all cores.", 2, 1, 256, "2"));

        private readonly Option<string> _loss = NumberOptions.Choice(
            "--loss", "cross-entropy, or squared-error (the chapter's first attempt; needs a rate about ten times smaller).",
            "cross-entropy", "cross-entropy", "squared-error");

        private readonly Option<float> _labelSmoothing = NumberOptions.Float(
            "--label-smoothing", "Targets (1 - eps) one-hot + eps / classes.", 0f, 0, false, 1, true, "0.1");

        private readonly Option<float> _softLabels = ByRecipe(NumberOptions.Float(
            "--soft-labels", "Soft targets: P on each row's label, the rest shared by the other classes (not given: hard labels).",
            1f, 0, true, 1, false, "0.9"));

        // Schedule.
        private readonly Option<string> _schedule = NumberOptions.Choice(
            "--schedule", "Learning-rate schedule: constant, step, cosine (fast cosine, textbook constant).",
            null, "constant", "step", "cosine");

        private readonly Option<int?> _warmup = NumberOptions.OptionalInt(
            "--warmup", "Epochs of linear warm-up first (default 0).", 0, "1");

        private readonly Option<int?> _stepEpochs = NumberOptions.OptionalInt(
            "--step-epochs", "Step schedule: epochs between decays (default 5).", 1, "3");

        private readonly Option<float> _stepFactor = NumberOptions.Float(
            "--step-factor", "Step schedule: factor of each decay.", 0.1f, 0, true, 1, false, "0.1");

        private readonly Option<float> _cosineFinal = NumberOptions.Float(
            "--cosine-final", "Cosine schedule: share of the rate reached at the end.", 0f, 0, false, 1, true, "0.01");

        // Early stopping.
        private readonly Option<int?> _earlyStopping = NumberOptions.OptionalInt(
            "--early-stopping", "Stop after PATIENCE epochs without a better held-out loss; the best epoch's weights are kept.", 1, "3");

        private readonly Option<double> _minDelta = NumberOptions.Double(
            "--min-delta", "Early stopping: the least fall of the held-out loss that counts.",
            1e-4, 0, false, double.PositiveInfinity, false, "0.0001");

        private readonly Option<float> _holdOut = NumberOptions.Float(
            "--hold-out", "Early stopping: the share of the training rows held out to watch.", 0.1f, 0, true, 1, true, "0.1");

        // Exact solver.
        private readonly Option<string> _solver = NumberOptions.Choice(
            "--solver",
            "lbfgs solves exactly, newton too (fewer passes at tight tolerances), sgd trains minibatches; " +
            "auto: lbfgs when a pass is at most 5e7 multiply-adds.",
            "auto", "auto", "sgd", "lbfgs", "newton");

        private readonly Option<string?> _c = new("--c")
        {
            HelpName = "C|inf|auto",
            Description = "Exact solver: inverse L2 strength on W (default 1, scikit-learn's; inf: none; auto: chosen on held-out rows).",
        };

        private readonly Option<int> _maxIterations = NumberOptions.Int(
            "--max-iterations", "Exact solver: the most iterations.", 100, 1, 1_000_000, "500");

        private readonly Option<double> _tolerance = NumberOptions.Double(
            "--tolerance", "Exact solver: stop when every gradient element is at most this.",
            1e-4, 0, true, double.PositiveInfinity, false, "1e-6");

        private readonly Option<string?> _sampleWeights = new("--sample-weights")
        {
            HelpName = "FILE.npy",
            Description = "A weight per training row (np.save, float [rows]): 2 counts a row twice, 0 leaves it out.",
        };

        private readonly Option<string?> _classWeight = new("--class-weight")
        {
            HelpName = "balanced|FILE",
            Description = "balanced: every class counts the same (scikit-learn's class_weight='balanced'); FILE: a weight per class, " +
                "JSON {\"class\": weight} or CSV lines class,weight (a class by name or label; unlisted classes weigh 1).",
        };

        // Output.
        private readonly Option<FileInfo?> _save = new("--save")
        {
            HelpName = "FILE",
            Description = "Save the model, its class names and the run's state (diverged: the last finite weights).",
        };

        private readonly Option<FileInfo?> _checkpoint = new("--checkpoint")
        {
            HelpName = "FILE",
            Description = "Where Ctrl+C, SIGTERM or SIGHUP saves the run (default: --save, else ./gensoftmax.checkpoint).",
        };

        private readonly Option<FileInfo?> _resume = new("--resume")
        {
            HelpName = "FILE",
            Description = "Continue a saved run; the same data, --validation, --soft-labels, --input and --isa continue it bit for bit.",
        };

        private readonly Option<FileInfo?> _plot = new("--plot")
        {
            HelpName = "FILE", Description = "Draw the learning curves to FILE.svg or FILE.png.",
        };

        private readonly Option<FileInfo?> _report = new("--report")
        {
            HelpName = "FILE", Description = "Write a JSON summary of the run (options, epochs, solver, how it ended).",
        };

        private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "Print only the final result and errors." };

        /// <summary>An option whose default the recipe decides: help shows no single default (the description names each).</summary>
        private static Option<T> ByRecipe<T>(Option<T> option)
        {
            option.DefaultValueFactory = null;
            return option;
        }
    }
}
