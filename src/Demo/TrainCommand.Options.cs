using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading;
using GenSoftmax.Hypercomplex;
using GenSoftmax.IO;
using GenSoftmax.Persistence;
using GenSoftmax.Training;


namespace GenSoftmax.App
{
    /// <summary>train's options: their declarations, the recipe they start from, the solver they choose, and how a resumed run's saved options win.</summary>
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

        private static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

        /// <summary>The recipe's options with every option given on the command line put in; combinations that make no sense are errors.</summary>
        private TrainerOptions BuildOptions(ParseResult parse)
        {
            bool textbook = parse.GetValue(_recipe) == "textbook";
            TrainerOptions recipe = textbook ? TrainerOptions.Textbook : TrainerOptions.Fast;
            T Pick<T>(Option<T> option, T recipeValue) => Given(parse, option) ? parse.GetValue(option)! : recipeValue;

            LearningRateSchedule schedule = recipe.Schedule;
            if (Given(parse, _schedule))
            {
                schedule = parse.GetValue(_schedule) switch
                {
                    "step" => LearningRateSchedule.StepDecay(5, 0.1f),
                    "cosine" => LearningRateSchedule.Cosine(),
                    _ => LearningRateSchedule.Constant,
                };
            }

            foreach ((Option option, LearningRateScheduleKind kind, string name) in new (Option, LearningRateScheduleKind, string)[]
            {
                (_stepEpochs, LearningRateScheduleKind.StepDecay, "step"), (_stepFactor, LearningRateScheduleKind.StepDecay, "step"),
                (_cosineFinal, LearningRateScheduleKind.Cosine, "cosine"),
            })
            {
                if (Given(parse, option) && schedule.Kind != kind)
                {
                    throw new AppError($"{option.Name} applies to --schedule {name}, but this run's schedule is {ScheduleName(schedule.Kind)}: add --schedule {name} or leave {option.Name} out.");
                }
            }

            schedule = schedule with
            {
                WarmupEpochs = parse.GetValue(_warmup) ?? schedule.WarmupEpochs,
                StepEpochs = parse.GetValue(_stepEpochs) ?? schedule.StepEpochs,
                StepFactor = Pick(_stepFactor, schedule.StepFactor),
                FinalFraction = Pick(_cosineFinal, schedule.FinalFraction),
            };

            EarlyStoppingOptions? stopping = null;
            if (parse.GetValue(_earlyStopping) is { } patience)
            {
                stopping = new EarlyStoppingOptions { Patience = patience, MinImprovement = parse.GetValue(_minDelta), HoldOutFraction = parse.GetValue(_holdOut) };
            }
            else
            {
                foreach (Option option in new Option[] { _minDelta, _holdOut })
                {
                    if (Given(parse, option))
                    {
                        throw new AppError($"{option.Name} applies to early stopping: add --early-stopping PATIENCE (such as 3) or leave {option.Name} out.");
                    }
                }
            }

            var options = new TrainerOptions
            {
                Solver = ChooseSolver(parse),
                Lbfgs = new LbfgsOptions { C = ParseC(parse) ?? 1.0, MaxIterations = parse.GetValue(_maxIterations), Tolerance = parse.GetValue(_tolerance) },
                Epochs = Pick(_epochs, recipe.Epochs),
                BatchSize = Pick(_batch, recipe.BatchSize),
                Optimizer = new SgdOptions
                {
                    LearningRate = Pick(_rate, recipe.Optimizer.LearningRate),
                    Momentum = Pick(_momentum, recipe.Optimizer.Momentum),
                    WeightDecay = Pick(_weightDecay, recipe.Optimizer.WeightDecay),
                },
                Seed = Pick(_seed, recipe.Seed),
                Threads = Pick(_threads, textbook ? Math.Min(Environment.ProcessorCount, 256) : recipe.Threads),
                Schedule = schedule,
                Loss = Given(parse, _loss) ? (parse.GetValue(_loss) == "squared-error" ? TrainingLoss.SquaredError : TrainingLoss.CrossEntropy) : recipe.Loss,
                LabelSmoothing = Pick(_labelSmoothing, recipe.LabelSmoothing),
                EarlyStopping = stopping,
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new AppError(FirstLine(e.Message));
            }

            return options;
        }

        /// <summary>The options only minibatch SGD uses: given with --solver lbfgs they are refused, and they make auto choose SGD.</summary>
        private Option[] SgdOnly => [_recipe, _epochs, _batch, _rate, _momentum, _weightDecay, _schedule, _warmup, _stepEpochs, _stepFactor,
            _cosineFinal, _loss, _labelSmoothing, _softLabels, _earlyStopping, _minDelta, _holdOut, _hypercomplex];

        private Option[] ExactOnly => [_c, _maxIterations, _tolerance];

        private TrainingSolver ChooseSolver(ParseResult parse)
        {
            string solver = parse.GetValue(_solver) ?? "auto";
            Option? sgdOption = Array.Find(SgdOnly, o => Given(parse, o));
            Option? exactOption = Array.Find(ExactOnly, o => Given(parse, o));
            if (solver == "lbfgs" && sgdOption is not null)
            {
                throw new AppError($"{sgdOption.Name} applies to minibatch SGD, but --solver lbfgs solves exactly: leave {sgdOption.Name} out, or use --solver sgd.");
            }

            if (solver == "sgd" && exactOption is not null)
            {
                throw new AppError($"{exactOption.Name} applies to the exact solver, but --solver sgd trains minibatches: leave {exactOption.Name} out, or use --solver lbfgs.");
            }

            if (solver == "auto" && sgdOption is not null && exactOption is not null)
            {
                throw new AppError($"{sgdOption.Name} applies to minibatch SGD and {exactOption.Name} to the exact solver: choose one with --solver sgd or --solver lbfgs.");
            }

            return solver switch
            {
                "sgd" => TrainingSolver.Sgd,
                "lbfgs" => TrainingSolver.Lbfgs,
                _ => sgdOption is not null ? TrainingSolver.Sgd : exactOption is not null ? TrainingSolver.Lbfgs : TrainingSolver.Auto,
            };
        }

        /// <summary>--c as a number (inf: no penalty), or null for auto and when not given.</summary>
        private double? ParseC(ParseResult parse)
        {
            string? text = parse.GetValue(_c);
            if (text is null || text.Equals("auto", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            if (text.Equals("inf", StringComparison.OrdinalIgnoreCase) || text.Equals("infinity", StringComparison.OrdinalIgnoreCase))
            {
                return double.PositiveInfinity;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double c) || !(c > 0) || !double.IsFinite(c))
            {
                throw new AppError($"--c {text} is not a penalty strength: give a positive number such as 1 (larger is a weaker penalty), inf for none, or auto.");
            }

            return c;
        }

        private bool SearchC(ParseResult parse) => parse.GetValue(_c) is { } text && text.Equals("auto", StringComparison.OrdinalIgnoreCase);

        private static string StopName(SolverStop stop) => stop switch
        {
            SolverStop.Converged => "converged",
            SolverStop.IterationLimit => "stopped at the iteration limit (raise --max-iterations to go on)",
            _ => "stopped where the line search found no lower point",
        };

        private static string FirstLine(string message)
        {
            int newline = message.IndexOf('\n', StringComparison.Ordinal);
            return (newline < 0 ? message : message[..newline]).TrimEnd();
        }

        private static string ScheduleName(LearningRateScheduleKind kind) => kind switch
        {
            LearningRateScheduleKind.StepDecay => "step",
            LearningRateScheduleKind.Cosine => "cosine",
            _ => "constant",
        };

        private static string LossName(TrainingLoss loss) => loss == TrainingLoss.SquaredError ? "squared-error" : "cross-entropy";

        /// <summary>The schedule in words: "cosine to 0 of the rate", "step x0.1 every 5 epochs", "constant"; with its warm-up.</summary>
        private static string Describe(LearningRateSchedule s)
        {
            string kind = s.Kind switch
            {
                LearningRateScheduleKind.StepDecay => string.Create(CultureInfo.InvariantCulture, $"step x{s.StepFactor} every {s.StepEpochs} epochs"),
                LearningRateScheduleKind.Cosine => string.Create(CultureInfo.InvariantCulture, $"cosine to {s.FinalFraction} of the rate"),
                _ => "constant",
            };
            return s.WarmupEpochs > 0 ? string.Create(CultureInfo.InvariantCulture, $"{kind} after {s.WarmupEpochs} warm-up epoch{(s.WarmupEpochs == 1 ? "" : "s")}") : kind;
        }

        /// <summary>The options this run trains with, in one line.</summary>
        private static string DescribeOptions(TrainerOptions o, float? softLabels)
        {
            CultureInfo inv = CultureInfo.InvariantCulture;
            string targets = softLabels is { } p ? string.Create(inv, $"soft ({p} on the label)") : "hard labels";
            string stopping = o.EarlyStopping is { } e
                ? string.Create(inv, $"early stopping: patience {e.Patience}, min delta {e.MinImprovement}, {e.HoldOutFraction} of the training rows held out")
                : "no early stopping";
            return string.Create(inv, $"schedule {Describe(o.Schedule)}, loss {LossName(o.Loss)}, label smoothing {o.LabelSmoothing}, targets {targets}, {stopping}");
        }

        /// <summary>The saved run's options, with --epochs if given; an option given that disagrees with the saved run is an error.</summary>
        private TrainerOptions ApplyResume(ParseResult parse, TrainerOptions given, TrainerOptions saved, TrainingState state, string file)
        {
            var conflicts = new List<string>();
            void Check<T, TValue>(Option<T> option, TValue value, TValue savedValue, string what)
            {
                if (parse.GetResult(option) is { Implicit: false } && !Equals(value, savedValue))
                {
                    conflicts.Add(string.Create(CultureInfo.InvariantCulture, $"{option.Name} {(object?)value ?? "none"} conflicts with the {what} of the saved run, {(object?)savedValue ?? "none"}"));
                }
            }

            Check(_batch, given.BatchSize, saved.BatchSize, "batch size");
            Check(_rate, given.Optimizer.LearningRate, saved.Optimizer.LearningRate, "learning rate");
            Check(_momentum, given.Optimizer.Momentum, saved.Optimizer.Momentum, "momentum");
            Check(_weightDecay, given.Optimizer.WeightDecay, saved.Optimizer.WeightDecay, "weight decay");
            Check(_seed, given.Seed, saved.Seed, "seed");
            Check(_threads, given.Threads, saved.Threads, "thread count");
            Check(_schedule, ScheduleName(given.Schedule.Kind), ScheduleName(saved.Schedule.Kind), "schedule");
            Check(_warmup, given.Schedule.WarmupEpochs, saved.Schedule.WarmupEpochs, "warm-up epochs");
            Check(_stepEpochs, given.Schedule.StepEpochs, saved.Schedule.StepEpochs, "epochs between step decays");
            Check(_stepFactor, given.Schedule.StepFactor, saved.Schedule.StepFactor, "step-decay factor");
            Check(_cosineFinal, given.Schedule.FinalFraction, saved.Schedule.FinalFraction, "cosine schedule's final share");
            Check(_loss, LossName(given.Loss), LossName(saved.Loss), "loss");
            Check(_labelSmoothing, given.LabelSmoothing, saved.LabelSmoothing, "label smoothing");
            Check(_earlyStopping, given.EarlyStopping?.Patience, saved.EarlyStopping?.Patience, "early-stopping patience");
            Check(_minDelta, given.EarlyStopping?.MinImprovement, saved.EarlyStopping?.MinImprovement, "early-stopping minimum improvement");
            Check(_holdOut, given.EarlyStopping?.HoldOutFraction, saved.EarlyStopping?.HoldOutFraction, "early-stopping held-out share");
            if (Given(parse, _recipe))
            {
                TrainerOptions recipe = parse.GetValue(_recipe) == "textbook" ? TrainerOptions.Textbook : TrainerOptions.Fast;
                if (recipe.BatchSize != saved.BatchSize || recipe.Optimizer != saved.Optimizer || recipe.Schedule != saved.Schedule)
                {
                    conflicts.Add($"--recipe {parse.GetValue(_recipe)} conflicts with the saved run's options (batch {saved.BatchSize}, {saved.Optimizer}, schedule {Describe(saved.Schedule)})");
                }
            }

            if (conflicts.Count > 0)
            {
                throw new AppError($"{string.Join("; ", conflicts)}: a resumed run keeps the options saved in '{file}', so leave those options out.");
            }

            int epochs = parse.GetResult(_epochs) is { Implicit: false } ? given.Epochs : saved.Epochs;
            if (epochs <= state.CompletedEpochs && state.BatchesDone == 0)
            {
                throw new AppError(
                    $"the run saved in '{file}' has already completed {state.CompletedEpochs} epochs: pass --epochs {state.CompletedEpochs + 1} or more to continue it.");
            }

            return saved with { Epochs = Math.Max(epochs, state.CompletedEpochs + 1) };
        }
    }
}
