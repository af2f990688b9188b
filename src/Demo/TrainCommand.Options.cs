using System.CommandLine;
using System.IO;

namespace GenSoftmax.App
{
    /// <summary>train's options, declared.</summary>
    internal sealed partial class TrainCommand
    {
        private readonly Option<string> _recipe = NumberOptions.Choice(
            "--recipe",
            "Starting values of every training option: fast (default: 8 epochs, batch 512, lr 0.4, momentum 0.9, cosine schedule; 0.846 test accuracy on Fashion-MNIST) or textbook (10 epochs, batch 256, lr 0.1, plain SGD, constant rate; 0.8297). Options given explicitly override the recipe's values.",
            "fast", "fast", "textbook");

        private readonly Option<string> _solver = NumberOptions.Choice(
            "--solver",
            "How to fit: lbfgs solves exactly (scikit-learn's LogisticRegression), sgd trains minibatches with the recipe, auto (default) solves exactly when one pass over the data is at most 5e7 multiply-adds (rows x inputs x classes) and no SGD option is given.",
            "auto", "auto", "sgd", "lbfgs");

        private readonly Option<string?> _c = new("--c")
        {
            HelpName = "C|inf|auto",
            Description = "With the exact solver: inverse strength of the L2 penalty on W (default 1, scikit-learn's; inf: no penalty; auto: chosen on a held-out fifth of the rows from 1e-4..1e4, then refit on all).",
        };

        private readonly Option<int> _maxIterations = NumberOptions.Int("--max-iterations", "With the exact solver: the most iterations (default 100, scikit-learn's).", 100, 1, 1_000_000, "500");
        private readonly Option<double> _tolerance = NumberOptions.Double("--tolerance", "With the exact solver: stop when every gradient element is at most this (default 1e-4).", 1e-4, 0, true, double.PositiveInfinity, false, "1e-6");
        private readonly Option<string?> _sampleWeights = new("--sample-weights")
        {
            HelpName = "FILE.npy",
            Description = "A weight per training row (scikit-learn's sample_weight, saved with np.save: float, [rows]); weight 2 counts a row twice, 0 leaves it out.",
        };

        private readonly Option<string?> _classWeight = new("--class-weight")
        {
            HelpName = "balanced",
            Description = "Weigh each class's rows so that every class counts the same in the loss (scikit-learn's class_weight='balanced').",
        };

        private readonly Option<int> _epochs = NumberOptions.Int("--epochs", "Passes over the training data (default: the recipe's, 8 or 10; on --resume, the saved run's).", 8, 1, 1_000_000, "10");
        private readonly Option<int> _batch = NumberOptions.Int("--batch", "Minibatch size (default: the recipe's, 512 or 256).", 512, 1, int.MaxValue, "256");
        private readonly Option<float> _rate = NumberOptions.Float("--lr", "SGD learning rate (default: the recipe's, 0.4 or 0.1; with a schedule, the rate it starts from).", 0.4f, 0, true, float.PositiveInfinity, false, "0.1");
        private readonly Option<float> _momentum = NumberOptions.Float("--momentum", "SGD momentum (default: the recipe's, 0.9 or 0 = plain SGD).", 0.9f, 0, false, 1, true, "0.9");
        private readonly Option<float> _weightDecay = NumberOptions.Float("--weight-decay", "L2 weight decay added to the gradient (0 = none, both recipes).", 0f, 0, false, float.PositiveInfinity, false, "0.0005");
        private readonly Option<int> _seed = NumberOptions.Int("--seed", "Seed of the initial weights, the shuffles and the validation and early-stopping splits.", 42, int.MinValue, int.MaxValue, "42");
        private readonly Option<int> _threads = NumberOptions.Int("--threads", "Threads sharing each minibatch (default: 2 for the fast recipe, whose figures are for 2; all cores for textbook).", 2, 1, 256, "2");
        private readonly Option<string> _schedule = NumberOptions.Choice(
            "--schedule",
            "Learning-rate schedule (default: the recipe's, cosine or constant): constant; step (times --step-factor every --step-epochs epochs); cosine (half a cosine wave, batch by batch, down to --cosine-final of the rate).",
            null, "constant", "step", "cosine");

        private readonly Option<int?> _warmup = NumberOptions.OptionalInt("--warmup", "Epochs of linear warm-up before the schedule (default 0).", 0, "1");
        private readonly Option<int?> _stepEpochs = NumberOptions.OptionalInt("--step-epochs", "With --schedule step: epochs between decays (default 5).", 1, "3");
        private readonly Option<float> _stepFactor = NumberOptions.Float("--step-factor", "With --schedule step: factor of each decay, above 0 and at most 1 (default 0.1).", 0.1f, 0, true, 1, false, "0.1");
        private readonly Option<float> _cosineFinal = NumberOptions.Float("--cosine-final", "With --schedule cosine: share of the rate reached at the end, at least 0 and below 1 (default 0).", 0f, 0, false, 1, true, "0.01");
        private readonly Option<string> _loss = NumberOptions.Choice(
            "--loss",
            "Loss minimised: cross-entropy (default) or squared-error (1/2 |logits - one-hot|^2, the chapter's first attempt; needs a rate about ten times smaller).",
            "cross-entropy", "cross-entropy", "squared-error");

        private readonly Option<float> _labelSmoothing = NumberOptions.Float("--label-smoothing", "Label smoothing eps: targets (1 - eps) one-hot + eps / classes (default 0 = off).", 0f, 0, false, 1, true, "0.1");
        private readonly Option<float> _softLabels = NumberOptions.Float("--soft-labels", "Train on soft targets built from the labels: P on each row's label, (1 - P) / (classes - 1) on every other class (default: hard labels).", 1f, 0, true, 1, false, "0.9");
        private readonly Option<int?> _earlyStopping = NumberOptions.OptionalInt(
            "--early-stopping", "Stop once the held-out rows (--hold-out of the training rows, by --seed, never trained on) have not improved their loss by more than --min-delta for PATIENCE epochs; the best epoch's weights are kept.", 1, "3");
        private readonly Option<double> _minDelta = NumberOptions.Double("--min-delta", "With --early-stopping: the least fall of the held-out loss that counts as an improvement (default 0.0001).", 1e-4, 0, false, double.PositiveInfinity, false, "0.0001");
        private readonly Option<float> _holdOut = NumberOptions.Float("--hold-out", "With --early-stopping: the share of the training rows held out to watch (default 0.1).", 0.1f, 0, true, 1, true, "0.1");
        private readonly Option<int?> _hypercomplex = NumberOptions.OptionalInt(
            "--hypercomplex", "Train the parameterised-hypercomplex (PHM) model with this n instead of the dense layer (784x10 data: n = 2, 3,938 parameters instead of 7,850), then the dense model on the same batches, and compare them.", 1, "2");
        private readonly Option<string> _input = NumberOptions.Choice(
            "--input",
            "For byte data: uint8 feeds the raw pixels to the kernels, which scale them by 1/255; float32 trains on a float copy scaled up front, as the textbook does. Same math.",
            "uint8", "uint8", "float32");

        private readonly Option<KernelIsa?> _isa = Models.IsaOption();
        private readonly DataOptions _data = new();
        private readonly Option<string?> _test = new("--test") { HelpName = "FILE", Description = "Test data for a CSV/TSV or .npy --data, in the same format (IDX directories hold their own)." };
        private readonly Option<double> _validation = NumberOptions.Double(
            "--validation",
            "Hold out this fraction of the training rows (0 to <1, rounded up; chosen by --seed as early stopping chooses its rows) " +
            "and report accuracy on it after each epoch; 0 (default) reports the test set's. " +
            "Early stopping holds out its own rows from the rest.",
            0, 0, false, 1, true, "0.1");

        private readonly Option<FileInfo?> _save = new("--save") { HelpName = "FILE", Description = "Save the trained model, its class names and its training state to this model file (if training diverges: the last finite weights)." };
        private readonly Option<FileInfo?> _checkpoint = new("--checkpoint") { HelpName = "FILE", Description = "Where Ctrl+C or SIGTERM saves the interrupted run (default: the --save file, else ./gensoftmax.checkpoint)." };
        private readonly Option<FileInfo?> _resume = new("--resume")
        {
            HelpName = "FILE",
            Description = "Continue the run saved in this model file (by --save or an interruption) until its epochs (or --epochs) are done. Give the same data, --validation, --soft-labels, --input and --isa for a bit-identical continuation.",
        };

        private readonly Option<FileInfo?> _plot = new("--plot") { HelpName = "FILE", Description = "Draw the learning curves (train loss, train and validation/test accuracy per epoch) to FILE.svg or FILE.png." };
        private readonly Option<FileInfo?> _report = new("--report") { HelpName = "FILE", Description = "Write a JSON summary of the run (options, per-epoch figures and learning rate, how it ended) to this file." };
        private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "Print only the final result and errors." };
    }
}
