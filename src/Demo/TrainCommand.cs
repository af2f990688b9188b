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
    /// <summary>
    /// <c>train</c>: the fast recipe (<see cref="TrainerOptions.Fast"/>: 8 epochs of batch 512, SGD with momentum 0.9 and
    /// rate 0.4 on a cosine schedule) by default, or with <c>--recipe textbook</c> the textbook's (Dive into Deep
    /// Learning, softmax regression from scratch: weights N(0, 0.01), bias 0, minibatch SGD, batch 256, learning rate
    /// 0.1, 10 epochs), on Fashion-MNIST or any IDX, CSV/TSV or .npy data. Every option given explicitly overrides the
    /// recipe's value. Shapes other than 784x10 train the run-time-shaped model; <c>--hypercomplex 2</c> the PHM model.
    /// </summary>
    /// <remarks>
    /// Adding a trainer option (a learning-rate schedule, early stopping, a loss kind) takes three lines: declare the
    /// <see cref="Option{T}"/> below, add it in <see cref="AddTo"/>, set it in <see cref="BuildOptions"/> (and, if the
    /// saved run's value must win on --resume, one <c>Check</c> line in <see cref="ApplyResume"/>).
    /// </remarks>
    internal sealed class TrainCommand
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

        /// <summary>Adds the options to <paramref name="command"/> (the root, where train is the default, and the train command).</summary>
        public void AddTo(Command command)
        {
            foreach (Option o in new Option[]
            {
                _solver, _c, _maxIterations, _tolerance, _classWeight, _recipe, _epochs, _batch, _rate, _momentum, _weightDecay, _seed, _threads, _schedule, _warmup, _stepEpochs, _stepFactor, _cosineFinal,
                _loss, _labelSmoothing, _softLabels, _earlyStopping, _minDelta, _holdOut, _hypercomplex, _input, _isa,
            })
            {
                command.Options.Add(o);
            }

            _data.AddTo(command);
            foreach (Option o in new Option[] { _test, _validation, _save, _checkpoint, _resume, _plot, _report, _quiet })
            {
                command.Options.Add(o);
            }

            command.SetAction(Run);
        }

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

        private int Run(ParseResult parse)
        {
            bool quiet = parse.GetValue(_quiet);
            bool live = !quiet && !Console.IsOutputRedirected;
            TextWriter say = quiet ? TextWriter.Null : Console.Out;

            // Every file this run writes is checked now, before minutes of training, not after.
            string? save = parse.GetValue(_save)?.FullName;
            string? report = parse.GetValue(_report)?.FullName;
            string? plot = parse.GetValue(_plot)?.FullName;
            string? explicitCheckpoint = parse.GetValue(_checkpoint)?.FullName;
            string checkpoint = explicitCheckpoint ?? save ?? Path.GetFullPath("gensoftmax.checkpoint");
            if (plot is not null)
            {
                Pictures.CheckExtension(plot, "--plot", svgAllowed: true);
            }

            // No output may replace an input or another output (the checkpoint is meant to be the resumed or saved file).
            OutputPaths.Check(
                [(parse.GetValue(_data.Data), "--data"), (parse.GetValue(_test), "--test"), (parse.GetValue(_data.Labels), "--labels"),
                    (parse.GetValue(_resume)?.ToString(), "--resume")],
                [(parse.GetValue(_save)?.ToString(), "--save"), (parse.GetValue(_checkpoint)?.ToString(), "--checkpoint"),
                    (parse.GetValue(_report)?.ToString(), "--report"), (parse.GetValue(_plot)?.ToString(), "--plot")],
                ("--checkpoint", "--resume"), ("--checkpoint", "--save"));

            // The default checkpoint (./gensoftmax.checkpoint) is not checked: a run that is never interrupted never writes it.
            foreach ((string? file, string option) in new[] { (save, "--save"), (report, "--report"), (plot, "--plot"), (explicitCheckpoint, "--checkpoint") })
            {
                CheckWritable(file, option);
            }

            TrainerOptions options = BuildOptions(parse);
            string recipeName = parse.GetValue(_recipe) ?? "fast";
            float? softLabels = Given(parse, _softLabels) ? parse.GetValue(_softLabels) : null;
            int? hypercomplex = parse.GetValue(_hypercomplex);
            string? resumeFile = parse.GetValue(_resume)?.FullName;
            if (hypercomplex is { } n)
            {
                HypercomplexRun.Create(n); // an n without a declared model is an error before any data is read
                if (recipeName == "fast" && !Given(parse, _rate))
                {
                    // The bilinear product W = sum A_i (x) S_i diverges at the fast recipe's 0.4 (epoch 1); see HypercomplexRun.FastLearningRate.
                    options = options with { Optimizer = options.Optimizer with { LearningRate = HypercomplexRun.FastLearningRate } };
                }
            }

            KernelIsa? isa = parse.GetValue(_isa);

            // The saved run's class names keep CSV string labels mapped to the same class numbers. A file of a PHM run
            // continues as one (its factors and their velocity are in it), with or without --hypercomplex.
            (ISoftmaxModel Model, ModelFileContents Contents)? resumed = null;
            if (resumeFile is not null)
            {
                int? savedN = SavedHypercomplex(resumeFile, hypercomplex);
                hypercomplex ??= savedN;
                resumed = savedN is { } sn ? LoadHypercomplex(resumeFile, sn, isa) : Models.Load(resumeFile, isa);
            }

            IReadOnlyList<string>? savedNames = resumed?.Contents.ClassNames;

            // A resumed run splits off the same validation rows: by the saved run's seed, not the command line's.
            int splitSeed = resumed?.Contents.TrainerOptions?.Seed ?? options.Seed;
            TrainingData data = LoadData(parse, splitSeed, savedNames, resumed?.Model.Classes);
            (LoadedData loaded, LabeledData train, LabeledData? validation, LabeledData? test, IReadOnlyList<string>? names, int classes) = data;
            say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Data: {loaded.Description}: {train.Count:N0} training rows{(validation is null ? "" : $", {validation.Count:N0} validation rows")}{(test is null ? "" : $", {test.Count:N0} test rows")}, " +
                $"{train.Inputs} inputs, {classes} classes ({data.LoadSeconds:F2} s to load)"));

            ISoftmaxModel model;
            TrainingState? state = null;
            if (resumed is { } r)
            {
                model = r.Model;
                if (model.Inputs != train.Inputs || model.Classes < classes)
                {
                    throw new AppError($"the model in '{resumeFile}' is {model.Inputs}x{model.Classes} but the data has {train.Inputs} inputs and {classes} classes: resume with the data the run started with.");
                }

                if (r.Contents.TrainerOptions is not { } savedOptions || r.Contents.TrainingState is not { } savedState)
                {
                    throw new AppError($"'{resumeFile}' holds a model but not the state of its training run, so the run cannot be continued; train from the start, or resume from a file saved by train.");
                }

                options = ApplyResume(parse, options, savedOptions, savedState, resumeFile!);
                state = savedState;
                if (state.EarlyStopping is { Stopped: true } stopped)
                {
                    throw new AppError(
                        $"the run in '{resumeFile}' already stopped early after epoch {state.CompletedEpochs} (best epoch {stopped.BestEpoch}), so it has nothing left to train: " +
                        "use the model as it is (eval, predict), or start a new run with more --early-stopping patience.");
                }

                names ??= r.Contents.ClassNames;
                say.WriteLine($"Resuming '{resumeFile}': {state.CompletedEpochs} epochs done" +
                    (state.BatchesDone > 0 ? $" and {state.BatchesDone} batches of epoch {state.CompletedEpochs + 1}" : "") + $", {options.Epochs} to do.");
            }
            else if (hypercomplex is { } phmN)
            {
                IHypercomplexModel created = HypercomplexRun.Create(phmN);
                if (isa is { } chosen)
                {
                    created.Isa = chosen;
                }

                model = created;
            }
            else
            {
                model = Models.Create(train.Inputs, classes, isa);
            }

            bool useBytes = parse.GetValue(_input) == "uint8";
            if (!useBytes)
            {
                train = train.ToFeatures();
                test = test?.ToFeatures();
                validation = validation?.ToFeatures();
            }

            if (hypercomplex is { } phm)
            {
                if (train.Inputs != FashionClassifier.InputCount || classes > FashionClassifier.ClassCount)
                {
                    throw new AppError(
                        $"--hypercomplex {phm} trains the declared {FashionClassifier.InputCount}x{FashionClassifier.ClassCount} PHM model, but the data has {train.Inputs} inputs and {classes} classes: use Fashion-MNIST-shaped data (784 inputs, at most 10 classes).");
                }
            }

            IHypercomplexModel? phmModel = model as IHypercomplexModel;
            if (phmModel is not null)
            {
                HypercomplexLayout layout = phmModel.Layout;
                say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Model {model.Inputs}x{model.Classes} hypercomplex (PHM, n = {layout.N}): W = sum of {layout.N} Kronecker products A_i (x) S_i, {layout.ParameterCount:N0} parameters " +
                    $"({layout.FactorALength} in A, {layout.FactorSLength:N0} in S, {model.Classes} bias) instead of {layout.DenseParameterCount:N0}; kernels: {model.Isa}, threads: {options.Threads}"));
            }
            else
            {
                string kind = model is FashionClassifier ? "generated" : "run-time-shaped";
                say.WriteLine(
                    $"Model {model.Inputs}x{model.Classes} ({kind}), kernels: {model.Isa} (best this binary runs: {IsaSelection.Best}, this CPU: {IsaSelection.CpuBest}), " +
                    $"threads: {options.Threads}, input: {(train.IsPixels ? "uint8 pixels" : "float32")}");
            }

            if (parse.GetValue(_classWeight) is { } classWeight)
            {
                if (!classWeight.Equals("balanced", StringComparison.OrdinalIgnoreCase))
                {
                    throw new AppError($"--class-weight {classWeight} is not a weighting this app knows: use --class-weight balanced.");
                }

                train = train.WithClassWeights(train.BalancedClassWeights());
            }

            (TrainingSolver solver, string solverReason) = options.SolverFor(model, train, softLabels is not null);
            if (solver == TrainingSolver.Lbfgs)
            {
                say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Exact solver (L-BFGS): C {(SearchC(parse) ? "auto" : options.Lbfgs.C.ToString("R", CultureInfo.InvariantCulture))}, " +
                    $"tolerance {options.Lbfgs.Tolerance}, at most {options.Lbfgs.MaxIterations} iterations{(train.Weights is null ? "" : ", balanced class weights")} ({solverReason})"));
            }
            else
            {
                if (SearchC(parse))
                {
                    throw new AppError($"--c auto chooses the exact solver's penalty, but this run trains with minibatch SGD ({solverReason}): add --solver lbfgs.");
                }

                say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"SGD: batch {options.BatchSize}, learning rate {options.Optimizer.LearningRate}, momentum {options.Optimizer.Momentum}, " +
                    $"weight decay {options.Optimizer.WeightDecay}, {options.Epochs} epochs, seed {options.Seed}") +
                    (options.Solver == TrainingSolver.Auto ? $" ({solverReason})" : ""));
                say.WriteLine($"Recipe {recipeName}: {DescribeOptions(options, softLabels)}" +
                    (phmModel is not null && resumed is null && recipeName == "fast" && !Given(parse, _rate)
                        ? string.Create(CultureInfo.InvariantCulture, $"; learning rate {HypercomplexRun.FastLearningRate} for the PHM model (0.4 diverges)")
                        : ""));
            }

            long trainStarted = Stopwatch.GetTimestamp();
            var trainer = new Trainer(model, options);
            if (state is null)
            {
                trainer.Initialize();
            }
            else
            {
                trainer.RestoreState(state);
            }

            CSearchResult? search = null;
            if (solver == TrainingSolver.Lbfgs && SearchC(parse))
            {
                search = LbfgsSolver.SearchC(model, train, new CSearchOptions { Seed = options.Seed, Solver = options.Lbfgs with { Threads = options.Threads } });
                foreach (CSearchPoint point in search.Curve)
                {
                    say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  C {point.C,-10:G4} held-out loss {point.HeldOutLoss:F4}, accuracy {point.HeldOutAccuracy:F4}{(point.C == search.BestC ? "  <- best" : "")}"));
                }

                options = options with { Lbfgs = options.Lbfgs with { C = search.BestC } };
                trainer = new Trainer(model, options); // the search left the refit on every row in the model: Fit starts from it
            }

            LabeledData? perEpoch = validation ?? test;
            string perEpochName = validation is not null ? "val acc" : test is not null ? "test acc" : "-";
            string curveName = validation is not null ? "validation" : "test";
            var display = new TrainingDisplay(live, quiet, train.Count, options.BatchSize, options.Epochs, perEpochName);
            IReadOnlyList<EpochReport> epochs;
            SoftTargets? targets = softLabels is { } onLabel ? SoftTargets.OnLabels(train, onLabel, model.Classes) : null;
            IReadOnlyList<string>? savedClassNames = names is null ? null : Models.Names(names, model.Classes);
            var ran = phmModel is null
                ? new RunInfo(recipeName, softLabels, model, options, train, loaded, savedClassNames) { Trainer = trainer, Search = search }
                : new RunInfo(recipeName, softLabels, model, options, train, loaded, savedClassNames)
                {
                    ModelKind = "hypercomplex", Hypercomplex = phmModel.Layout.N, Trainer = trainer, Search = search,
                };
            if (phmModel is not null)
            {
                say.WriteLine($"PHM n = {phmModel.Layout.N}:");
            }

            using (var interrupt = new Interruption())
            {
                try
                {
                    epochs = display.Run(() => targets is null
                        ? trainer.Fit(train, perEpoch, display, interrupt.Token)
                        : trainer.FitTargets(targets, perEpoch, display, interrupt.Token));
                }
                catch (TrainingDivergedException e)
                {
                    return Diverged(e, trainer, ran, save, report, display.Epochs);
                }
                catch (OperationCanceledException) when (interrupt.Signal is { } signal)
                {
                    int code = signal == PosixSignal.SIGINT ? 130 : 143;
                    TrainingState at = trainer.SaveState();
                    try
                    {
                        ModelFile.Save(checkpoint, trainer, names is null ? null : Models.Names(names, model.Classes));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        Console.Error.WriteLine($"interrupted ({signal}) at epoch {at.CompletedEpochs + 1}, batch {at.BatchesDone}, but the run could not be saved: {e.Message.ReplaceLineEndings(" ")} Name a writable file with --checkpoint.");
                        return code;
                    }

                    Console.Error.WriteLine(
                        $"interrupted ({signal}) at epoch {at.CompletedEpochs + 1}, batch {at.BatchesDone}: the run is saved in '{checkpoint}'; " +
                        $"continue it with 'train --resume {checkpoint}' and the same data options.");
                    return code;
                }
            }

            double trainWall = Stopwatch.GetElapsedTime(trainStarted).TotalSeconds;
            TrainingDisplay.Summary(epochs, curveName, live);
            double trainSeconds = 0;
            foreach (EpochReport e in epochs)
            {
                trainSeconds += e.Seconds;
            }

            long evaluateStarted = Stopwatch.GetTimestamp();
            double? testAccuracy = test is null ? null : Trainer.Accuracy(model, test);
            double? validationAccuracy = validation is null ? null : Trainer.Accuracy(model, validation);
            double evaluateSeconds = Stopwatch.GetElapsedTime(evaluateStarted).TotalSeconds;
            CultureInfo inv = CultureInfo.InvariantCulture;
            foreach (string warning in trainer.Warnings)
            {
                Console.Error.WriteLine($"warning: {warning}");
            }

            if (trainer.SolverResult is { } solved)
            {
                say.WriteLine(string.Create(inv,
                    $"Exact solver: {StopName(solved.Stop)} after {solved.Iterations} iterations ({solved.Evaluations} passes over the data, {solved.Seconds:F2} s), " +
                    $"objective {solved.Objective:G8}, largest gradient element {solved.GradientNorm:G3}"));
            }

            string fitted = trainer.SolverResult is null
                ? string.Create(inv, $"After {trainer.CompletedEpochs} epoch{(trainer.CompletedEpochs == 1 ? "" : "s")}")
                : "After the exact fit";
            string result = fitted + string.Create(inv, $": train loss {Last(epochs).TrainLoss:F4}, train accuracy {Last(epochs).TrainAccuracy:F4}") +
                (validationAccuracy is { } va ? string.Create(inv, $", validation accuracy {va:F4}") : "") +
                (testAccuracy is { } ta ? string.Create(inv, $", test accuracy {ta:F4}") : "") +
                string.Create(inv, $" (training took {trainSeconds:F2} s)");
            Console.WriteLine(result);
            var times = new RunTimes(ProcessClock.StartSeconds, data.LoadSeconds, trainWall, evaluateSeconds, ProcessClock.Elapsed);
            say.WriteLine(times.ToString());

            if (trainer.Outcome is { } outcome && options.EarlyStopping is not null)
            {
                say.WriteLine(outcome.ToString());
            }

            DenseComparison? comparison = phmModel is null
                ? null
                : CompareWithDense(phmModel, trainer, options, train, perEpoch, test ?? validation, test is not null ? "test accuracy" : validation is not null ? "validation accuracy" : "train accuracy",
                    targets, curveName, perEpochName, live, quiet, say);

            if (save is not null)
            {
                ModelFile.Save(save, trainer, savedClassNames);
                say.WriteLine(phmModel is null
                    ? $"Model saved to {save}"
                    : $"Model saved to {save} (the PHM model's factors, their W = sum A_i (x) S_i and the run's state: 'train --resume' continues it, and it loads as a dense 784x10 model elsewhere)");
            }

            if (plot is not null)
            {
                Pictures.LearningCurves(plot, trainer.History, curveName,
                    phmModel is null ? $"softmax regression {model.Inputs}x{model.Classes}" : $"PHM n = {phmModel.Layout.N} softmax regression {model.Inputs}x{model.Classes}");
                say.WriteLine($"Learning curves drawn to {plot}");
            }

            if (report is not null)
            {
                Action<Utf8JsonWriter>? extra = comparison is not { } c ? null : json =>
                {
                    json.WriteNumber("parameters", phmModel!.Layout.ParameterCount);
                    json.WriteStartObject("dense_comparison");
                    json.WriteNumber("parameters", phmModel.Layout.DenseParameterCount);
                    Number(json, "accuracy", c.Accuracy);
                    Number(json, "train_loss", c.Epochs?[^1].TrainLoss);
                    Number(json, "fastest_epoch_seconds", c.Epochs?.Min(e => e.Seconds));
                    Number(json, "mean_epoch_seconds", c.Epochs?.Average(e => e.Seconds));
                    json.WriteEndObject();
                    Number(json, "fastest_epoch_seconds", trainer.History.Min(e => e.Seconds));
                    Number(json, "mean_epoch_seconds", trainer.History.Average(e => e.Seconds));
                };
                SafeFile.Write(report, stream => WriteReport(stream, ran, trainer.History, testAccuracy, validationAccuracy, trainSeconds, Outcome(trainer.Outcome), extra, times));
                say.WriteLine($"Report written to {report}");
            }

            return 0;
        }

        /// <summary>The dense model's run beside a PHM run: its epochs and final accuracy, or why it has none.</summary>
        private sealed record DenseComparison(IReadOnlyList<EpochReport>? Epochs, double? Accuracy, string? Failure);

        /// <summary>The n of the PHM run saved in <paramref name="file"/> (null for a dense one); an error if --hypercomplex disagrees.</summary>
        private static int? SavedHypercomplex(string file, int? given)
        {
            if (!File.Exists(file))
            {
                return given is null ? null : throw new AppError($"model file '{file}' does not exist: give the file written by 'train --save' or the interrupted run's checkpoint.");
            }

            int n = ModelFile.ReadInfo(file).HypercomplexFactors;
            if (given is { } g && n != g)
            {
                throw new AppError(n == 0
                    ? $"'{file}' holds a dense run, but --hypercomplex {g} asks for a PHM one: leave --hypercomplex out to continue it."
                    : $"'{file}' holds a PHM run with n = {n}, but --hypercomplex {g} asks for n = {g}: leave --hypercomplex out to continue it.");
            }

            return n == 0 ? null : n;
        }

        /// <summary>Loads the PHM run saved in <paramref name="file"/> into a new declared model of its n.</summary>
        private static (ISoftmaxModel Model, ModelFileContents Contents) LoadHypercomplex(string file, int n, KernelIsa? isa)
        {
            IHypercomplexModel model = HypercomplexRun.Create(n);
            if (model.Inputs != ModelFile.ReadInfo(file).Inputs || model.Classes != ModelFile.ReadInfo(file).Classes)
            {
                throw new AppError($"'{file}' holds a PHM model of another shape than the declared {model.Inputs}x{model.Classes} one, so this app cannot continue it.");
            }

            ModelFileContents contents = ModelFile.Load(file, model);
            if (isa is { } chosen)
            {
                model.Isa = chosen;
            }

            return (model, contents);
        }

        /// <summary>
        /// After a PHM run: trains the dense model with a trainer of the same options (so the same shuffles, batches, rates
        /// and threads) and prints both models' parameter count, accuracy and epoch times. Ctrl+C during it skips it.
        /// </summary>
        private static DenseComparison CompareWithDense(
            IHypercomplexModel phm, Trainer phmTrainer, TrainerOptions options, LabeledData train, LabeledData? perEpoch, LabeledData? final, string finalName,
            SoftTargets? targets, string curveName, string perEpochName, bool live, bool quiet, TextWriter say)
        {
            var dense = new FashionClassifier { Isa = phm.Isa };
            var trainer = new Trainer(dense, options);
            trainer.Initialize();
            say.WriteLine("Dense, for comparison (same batches, rates and threads):");
            var display = new TrainingDisplay(live, quiet, train.Count, options.BatchSize, options.Epochs, perEpochName);
            IReadOnlyList<EpochReport>? denseEpochs = null;
            string? failure = null;
            using (var interrupt = new Interruption())
            {
                try
                {
                    denseEpochs = display.Run(() => targets is null
                        ? trainer.Fit(train, perEpoch, display, interrupt.Token)
                        : trainer.FitTargets(targets, perEpoch, display, interrupt.Token));
                    TrainingDisplay.Summary(denseEpochs, curveName, live);
                }
                catch (TrainingDivergedException e)
                {
                    failure = $"diverged at epoch {e.Epoch}, batch {e.Batch} at these settings";
                }
                catch (OperationCanceledException) when (interrupt.Signal is { } signal)
                {
                    failure = $"not compared: its run was interrupted ({signal})";
                }
            }

            CultureInfo inv = CultureInfo.InvariantCulture;
            HypercomplexLayout layout = phm.Layout;
            double Accuracy(ISoftmaxModel m, IReadOnlyList<EpochReport> epochs) => final is null ? epochs[^1].TrainAccuracy : Trainer.Accuracy(m, final);
            string Line(string what, int parameters, double accuracy, IReadOnlyList<EpochReport> epochs) => string.Create(inv,
                $"{what,-10} {parameters,6:N0} parameters, {finalName} {accuracy:F4}, train loss {epochs[^1].TrainLoss:F4}, " +
                $"epoch time fastest {epochs.Min(e => e.Seconds) * 1000:F0} ms, mean {epochs.Average(e => e.Seconds) * 1000:F0} ms");

            Console.WriteLine(Line($"PHM n = {layout.N}", layout.ParameterCount, Accuracy(phm, phmTrainer.History), phmTrainer.History));
            double? denseAccuracy = null;
            if (denseEpochs is not null)
            {
                denseAccuracy = Accuracy(dense, denseEpochs);
                Console.WriteLine(Line("dense", layout.DenseParameterCount, denseAccuracy.Value, denseEpochs));
            }
            else
            {
                Console.WriteLine(string.Create(inv, $"{"dense",-10} {layout.DenseParameterCount,6:N0} parameters: {failure}"));
            }

            say.WriteLine("(epoch times: one process, both models one after the other on the same batches; on a shared machine they vary from run to run)");
            return new DenseComparison(denseEpochs, denseAccuracy, failure);
        }

        /// <summary>Loads the training data, the test data (IDX: its own split; else --test) and the --validation split.</summary>
        private TrainingData LoadData(ParseResult parse, int seed, IReadOnlyList<string>? savedNames, int? savedClasses)
        {
            var watch = Stopwatch.StartNew();
            DataSpec spec = _data.Read(parse);
            LoadedData loaded = DataLoader.Load(spec, savedNames, savedClasses);
            LabeledData train = loaded.Train;
            LabeledData? test = loaded.Test;
            string? testPath = parse.GetValue(_test);
            if (testPath is not null)
            {
                if (loaded.Kind == DataKind.Idx)
                {
                    throw new AppError("--test applies to CSV/TSV and .npy data; an IDX directory holds its test split (t10k-*).");
                }

                test = DataLoader.Load(spec with { Path = testPath, LabelsPath = null }, train.ClassNames ?? savedNames, null).Train;
            }

            double fraction = parse.GetValue(_validation);
            LabeledData? validation = null;
            if (fraction > 0 && train.Count > 0)
            {
                // The same rows early stopping would hold out for this share and seed (HoldOut.Split: ⌈share × rows⌉).
                if (HoldOut.Size(train.Count, fraction) >= train.Count)
                {
                    throw new AppError(
                        $"the training split is empty: --validation {fraction} leaves none of the {train.Count} rows to train on; " +
                        "lower the fraction.");
                }

                (train, validation) = HoldOut.Split(train, fraction, seed);
            }

            if (train.Count == 0)
            {
                throw new AppError($"the training data ({loaded.Description}) has no rows.");
            }

            IReadOnlyList<string>? names = train.ClassNames ?? savedNames;
            int classes = Math.Max(DataLoader.MaxLabel(train.Labels), test is null ? -1 : DataLoader.MaxLabel(test.Labels)) + 1;
            classes = Math.Max(Math.Max(classes, validation is null ? 0 : DataLoader.MaxLabel(validation.Labels) + 1), names?.Count ?? 0);
            if (classes < 2)
            {
                throw new AppError($"the training data ({loaded.Description}) has only one class: a classifier needs labels of at least two classes.");
            }

            return new TrainingData(loaded, train, validation, test, names, classes) { LoadSeconds = watch.Elapsed.TotalSeconds };
        }

        /// <summary>The data a run trains and reports on.</summary>
        private sealed record TrainingData(LoadedData Loaded, LabeledData Train, LabeledData? Validation, LabeledData? Test, IReadOnlyList<string>? Names, int Classes)
        {
            public double LoadSeconds { get; init; }
        }

        private static EpochReport Last(IReadOnlyList<EpochReport> epochs) => epochs[^1];

        /// <summary>Fails now, with the option's name, if <paramref name="file"/> cannot be written later.</summary>
        internal static void CheckWritable(string? file, string option)
        {
            if (file is null)
            {
                return;
            }

            try
            {
                SafeFile.CheckTarget(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new AppError($"{option} '{file}' cannot be written: {e.Message}");
            }
        }

        /// <summary>What a run trains and with which options: the report's first half.</summary>
        private sealed record RunInfo(
            string Recipe, float? SoftLabels, ISoftmaxModel Model, TrainerOptions Options, LabeledData Train, LoadedData Loaded, IReadOnlyList<string>? ClassNames)
        {
            public string ModelKind { get; init; } = Model is FashionClassifier ? "generated" : "runtime-shaped";

            public int? Hypercomplex { get; init; }

            public Trainer? Trainer { get; init; }

            public CSearchResult? Search { get; init; }
        }

        /// <summary>How a run ended, for the report.</summary>
        private sealed record RunEnd(string Reason, int LastEpoch, int BestEpoch, double BestHeldOutValue, bool RestoredBestWeights, string Message)
        {
            public int? DivergedEpoch { get; init; }

            public int? DivergedBatch { get; init; }

            public string? SavedTo { get; init; }
        }

        private static RunEnd? Outcome(TrainingOutcome? o) => o is null ? null : new RunEnd(
            o.Reason == StopReason.EarlyStopped ? "early-stopped" : "completed", o.LastEpoch, o.BestEpoch, o.BestHeldOutValue, o.RestoredBestWeights, o.ToString());

        /// <summary>
        /// Training diverged: one line naming the epoch and batch; with --save, the last finite weights and the run's
        /// state (before that batch) are saved, atomically, so the file never holds NaN and a failed write loses nothing.
        /// </summary>
        private static int Diverged(TrainingDivergedException e, Trainer trainer, RunInfo ran, string? save, string? report, IReadOnlyList<EpochReport> epochs)
        {
            string saved = "";
            if (save is not null)
            {
                try
                {
                    ModelFile.Save(save, trainer, ran.ClassNames);
                    saved = $" The last finite weights (from before that batch) and the run's state are saved in '{save}'.";
                }
                catch (Exception io) when (io is IOException or UnauthorizedAccessException)
                {
                    saved = $" The last finite weights could not be saved to '{save}': {io.Message.ReplaceLineEndings(" ")}";
                }
            }
            else
            {
                saved = " Nothing was saved (no --save).";
            }

            if (report is not null)
            {
                var end = new RunEnd("diverged", trainer.CompletedEpochs, 0, double.NaN, false, e.Message)
                {
                    DivergedEpoch = e.Epoch, DivergedBatch = e.Batch, SavedTo = save,
                };
                double seconds = 0;
                foreach (EpochReport r in epochs)
                {
                    seconds += r.Seconds;
                }

                try
                {
                    SafeFile.Write(report, stream => WriteReport(stream, ran, epochs, null, null, seconds, end));
                }
                catch (Exception io) when (io is IOException or UnauthorizedAccessException)
                {
                    saved += $" The report could not be written: {io.Message.ReplaceLineEndings(" ")}";
                }
            }

            Console.Error.WriteLine(("error: " + e.Message + saved).ReplaceLineEndings(" "));
            return AppError.Failure;
        }

        private static void WriteReport(
            Stream stream, RunInfo ran, IReadOnlyList<EpochReport> epochs, double? testAccuracy, double? validationAccuracy, double trainSeconds, RunEnd? end,
            Action<Utf8JsonWriter>? extra = null, RunTimes? times = null)
        {
            ISoftmaxModel model = ran.Model;
            TrainerOptions options = ran.Options;
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("data", ran.Loaded.Description);
            json.WriteNumber("inputs", model.Inputs);
            json.WriteNumber("classes", model.Classes);
            if (ran.ClassNames is not null)
            {
                json.WriteStartArray("class_names");
                foreach (string n in ran.ClassNames)
                {
                    json.WriteStringValue(n);
                }

                json.WriteEndArray();
            }

            json.WriteString("model", ran.ModelKind);
            if (ran.Hypercomplex is { } n2)
            {
                json.WriteNumber("hypercomplex", n2);
            }

            json.WriteString("isa", model.Isa.ToString());
            json.WriteNumber("threads", options.Threads);
            json.WriteString("input", ran.Train.IsPixels ? "uint8" : "float32");
            if (ran.Trainer?.SolverResult is { } solved)
            {
                json.WriteStartObject("exact_solver");
                json.WriteNumber("c", double.IsFinite(options.Lbfgs.C) ? options.Lbfgs.C : -1);
                json.WriteBoolean("penalty", double.IsFinite(options.Lbfgs.C));
                json.WriteNumber("tolerance", options.Lbfgs.Tolerance);
                json.WriteNumber("max_iterations", options.Lbfgs.MaxIterations);
                json.WriteString("stop", solved.Stop.ToString());
                json.WriteNumber("iterations", solved.Iterations);
                json.WriteNumber("passes", solved.Evaluations);
                json.WriteNumber("objective", solved.Objective);
                json.WriteNumber("gradient_norm", solved.GradientNorm);
                json.WriteBoolean("class_weights_balanced", ran.Train.Weights is not null);
                if (ran.Search is { } search)
                {
                    json.WriteStartArray("c_search");
                    foreach (CSearchPoint point in search.Curve)
                    {
                        json.WriteStartObject();
                        json.WriteNumber("c", point.C);
                        json.WriteNumber("held_out_loss", point.HeldOutLoss);
                        json.WriteNumber("held_out_accuracy", point.HeldOutAccuracy);
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteString("solver", ran.Trainer?.Solver is TrainingSolver.Lbfgs ? "lbfgs" : "sgd");
            json.WriteString("recipe", ran.Recipe);
            json.WriteNumber("epochs_planned", options.Epochs);
            json.WriteNumber("batch_size", options.BatchSize);
            json.WriteNumber("learning_rate", options.Optimizer.LearningRate);
            json.WriteNumber("momentum", options.Optimizer.Momentum);
            json.WriteNumber("weight_decay", options.Optimizer.WeightDecay);
            json.WriteNumber("seed", options.Seed);
            json.WriteStartObject("schedule");
            json.WriteString("kind", ScheduleName(options.Schedule.Kind));
            json.WriteNumber("warmup_epochs", options.Schedule.WarmupEpochs);
            if (options.Schedule.Kind == LearningRateScheduleKind.StepDecay)
            {
                json.WriteNumber("step_epochs", options.Schedule.StepEpochs);
                json.WriteNumber("step_factor", options.Schedule.StepFactor);
            }

            if (options.Schedule.Kind == LearningRateScheduleKind.Cosine)
            {
                json.WriteNumber("final_fraction", options.Schedule.FinalFraction);
            }

            json.WriteEndObject();
            json.WriteString("loss", LossName(options.Loss));
            json.WriteNumber("label_smoothing", options.LabelSmoothing);
            Number(json, "soft_labels", ran.SoftLabels);
            if (options.EarlyStopping is { } stopping)
            {
                json.WriteStartObject("early_stopping");
                json.WriteNumber("patience", stopping.Patience);
                json.WriteNumber("min_delta", stopping.MinImprovement);
                json.WriteNumber("hold_out", stopping.HoldOutFraction);
                json.WriteString("metric", stopping.Metric == EarlyStoppingMetric.HeldOutLoss ? "held-out loss" : "held-out accuracy");
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("early_stopping");
            }

            json.WriteStartArray("epochs");
            foreach (EpochReport r in epochs)
            {
                json.WriteStartObject();
                json.WriteNumber("epoch", r.Epoch);
                Number(json, "learning_rate", r.LearningRate);
                Number(json, "train_loss", r.TrainLoss);
                Number(json, "train_accuracy", r.TrainAccuracy);
                Number(json, "validation_loss", r.ValidationLoss);
                Number(json, "validation_accuracy", r.ValidationAccuracy);
                if (options.EarlyStopping is not null)
                {
                    Number(json, "held_out_loss", r.HeldOutLoss);
                    Number(json, "held_out_accuracy", r.HeldOutAccuracy);
                }

                Number(json, "seconds", r.Seconds);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (end is not null)
            {
                json.WriteStartObject("outcome");
                json.WriteString("reason", end.Reason);
                json.WriteNumber("last_epoch", end.LastEpoch);
                if (end.BestEpoch > 0)
                {
                    json.WriteNumber("best_epoch", end.BestEpoch);
                    Number(json, "best_held_out_loss", end.BestHeldOutValue);
                    json.WriteBoolean("restored_best_weights", end.RestoredBestWeights);
                }

                if (end.DivergedEpoch is { } de)
                {
                    json.WriteNumber("diverged_epoch", de);
                    json.WriteNumber("diverged_batch", end.DivergedBatch ?? 0);
                    if (end.SavedTo is { } to)
                    {
                        json.WriteString("last_finite_weights_saved_to", to);
                    }
                }

                json.WriteString("message", end.Message);
                json.WriteEndObject();
            }

            Number(json, "validation_accuracy", validationAccuracy);
            Number(json, "test_accuracy", testAccuracy);
            Number(json, "train_seconds", trainSeconds);
            if (times is not null)
            {
                // The wall-time breakdown the run printed: start-up, load, train (with per-epoch accuracy), evaluate, the rest.
                json.WriteStartObject("time_seconds");
                Number(json, "start", times.Start);
                Number(json, "load", times.Load);
                Number(json, "train", times.Train);
                Number(json, "evaluate", times.Evaluate);
                Number(json, "other", times.Other);
                Number(json, "total", times.Total);
                json.WriteEndObject();
            }

            extra?.Invoke(json);
            json.WriteEndObject();
        }

        /// <summary>A float as its shortest round-trip text (0.9, not 0.8999999761581421), or null when missing or not finite.</summary>
        private static void Number(Utf8JsonWriter json, string name, float? value)
        {
            if (value is { } v && float.IsFinite(v))
            {
                json.WriteNumber(name, v);
            }
            else
            {
                json.WriteNull(name);
            }
        }

        /// <summary>JSON has no NaN or infinity: a missing or non-finite value is written as null.</summary>
        private static void Number(Utf8JsonWriter json, string name, double? value)
        {
            if (value is { } v && double.IsFinite(v))
            {
                json.WriteNumber(name, v);
            }
            else
            {
                json.WriteNull(name);
            }
        }

        /// <summary>Turns the first SIGINT or SIGTERM into a cancellation (a second one ends the process as usual).</summary>
        private sealed class Interruption : IDisposable
        {
            private readonly CancellationTokenSource _source = new();
            private readonly PosixSignalRegistration _int;
            private readonly PosixSignalRegistration _term;
            private readonly object _gate = new();
            private PosixSignal? _signal;

            public Interruption()
            {
                _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
                _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
            }

            public CancellationToken Token => _source.Token;

            public PosixSignal? Signal
            {
                get
                {
                    lock (_gate)
                    {
                        return _signal;
                    }
                }
            }

            public void Dispose()
            {
                _int.Dispose();
                _term.Dispose();
                _source.Dispose();
            }

            private void Handle(PosixSignalContext context)
            {
                lock (_gate)
                {
                    if (_signal is not null)
                    {
                        return;
                    }

                    _signal = context.Signal;
                }

                context.Cancel = true;
                _source.Cancel();
            }
        }
    }
}
