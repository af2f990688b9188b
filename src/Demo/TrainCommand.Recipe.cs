using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using GenSoftmax.Training;

namespace GenSoftmax.App
{
    /// <summary>train's options turned into the trainer's: the recipe they start from, the solver they choose, and on --resume
    /// the saved run's options, which win.</summary>
    internal sealed partial class TrainCommand
    {
        private static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

        /// <summary>The recipe's options with every option given on the command line put in; a combination that makes no sense is an error.
        /// </summary>
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
                    throw new AppError(
                        $"{option.Name} applies to --schedule {name}, but this run's schedule is {ScheduleName(schedule.Kind)}: " +
                        $"add --schedule {name} or leave {option.Name} out.");
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
                stopping = new EarlyStoppingOptions
                {
                    Patience = patience, MinImprovement = parse.GetValue(_minDelta), HoldOutFraction = parse.GetValue(_holdOut),
                };
            }
            else
            {
                foreach (Option option in new Option[] { _minDelta, _holdOut })
                {
                    if (Given(parse, option))
                    {
                        throw new AppError(
                            $"{option.Name} applies to early stopping: " +
                            $"add --early-stopping PATIENCE (such as 3) or leave {option.Name} out.");
                    }
                }
            }

            var options = new TrainerOptions
            {
                Solver = ChooseSolver(parse),
                Lbfgs = new LbfgsOptions
                {
                    C = ParseC(parse) ?? 1.0, MaxIterations = parse.GetValue(_maxIterations), Tolerance = parse.GetValue(_tolerance),
                },
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
                Loss = !Given(parse, _loss) ? recipe.Loss
                    : parse.GetValue(_loss) == "squared-error" ? TrainingLoss.SquaredError
                    : TrainingLoss.CrossEntropy,
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

        /// <summary>The options only minibatch SGD uses: with --solver lbfgs or newton they are refused, and they make auto choose
        /// SGD.</summary>
        private Option[] SgdOnly => [_recipe, _epochs, _batch, _rate, _momentum, _weightDecay, _schedule, _warmup, _stepEpochs, _stepFactor,
            _cosineFinal, _loss, _labelSmoothing, _softLabels, _earlyStopping, _minDelta, _holdOut, _hypercomplex];

        private Option[] ExactOnly => [_c, _maxIterations, _tolerance];

        private TrainingSolver ChooseSolver(ParseResult parse)
        {
            string solver = parse.GetValue(_solver) ?? "auto";
            Option? sgdOption = Array.Find(SgdOnly, o => Given(parse, o));
            Option? exactOption = Array.Find(ExactOnly, o => Given(parse, o));
            if (solver is "lbfgs" or "newton" && sgdOption is not null)
            {
                throw new AppError(
                    $"{sgdOption.Name} applies to minibatch SGD, but --solver {solver} solves exactly: " +
                    $"leave {sgdOption.Name} out, or use --solver sgd.");
            }

            if (solver == "sgd" && exactOption is not null)
            {
                throw new AppError(
                    $"{exactOption.Name} applies to the exact solver, but --solver sgd trains minibatches: " +
                    $"leave {exactOption.Name} out, or use --solver lbfgs.");
            }

            if (solver == "auto" && sgdOption is not null && exactOption is not null)
            {
                throw new AppError(
                    $"{sgdOption.Name} applies to minibatch SGD and {exactOption.Name} to the exact solver: " +
                    "choose one with --solver sgd or --solver lbfgs.");
            }

            return solver switch
            {
                "sgd" => TrainingSolver.Sgd,
                "lbfgs" => TrainingSolver.Lbfgs,
                "newton" => TrainingSolver.Newton,
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
                throw new AppError(
                    $"--c {text} is not a penalty strength: " +
                    "give a positive number such as 1 (larger is a weaker penalty), inf for none, or auto.");
            }

            return c;
        }

        private bool SearchC(ParseResult parse) =>
            parse.GetValue(_c) is { } text && text.Equals("auto", StringComparison.OrdinalIgnoreCase);

        private static string StopName(SolverStop stop) => stop switch
        {
            SolverStop.Converged => "converged",
            SolverStop.IterationLimit => "stopped at the iteration limit",
            SolverStop.RoundingLimit => "stopped where the float objective's rounding hides further progress",
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
                LearningRateScheduleKind.StepDecay =>
                    string.Create(CultureInfo.InvariantCulture, $"step x{s.StepFactor} every {s.StepEpochs} epochs"),
                LearningRateScheduleKind.Cosine => string.Create(CultureInfo.InvariantCulture, $"cosine to {s.FinalFraction} of the rate"),
                _ => "constant",
            };
            return s.WarmupEpochs > 0 ? $"{kind} after {Plural(s.WarmupEpochs, "warm-up epoch")}" : kind;
        }

        /// <summary>The options this run trains with, in one line.</summary>
        private static string DescribeOptions(TrainerOptions o, float? softLabels)
        {
            CultureInfo inv = CultureInfo.InvariantCulture;
            string targets = softLabels is { } p ? string.Create(inv, $"soft ({p} on the label)") : "hard labels";
            string stopping = o.EarlyStopping is { } e
                ? string.Create(inv, $"early stopping: patience {e.Patience}, min delta {e.MinImprovement}, ") +
                    string.Create(inv, $"{e.HoldOutFraction} of the training rows held out")
                : "no early stopping";
            string smoothing = o.LabelSmoothing.ToString(inv);
            return $"schedule {Describe(o.Schedule)}, loss {LossName(o.Loss)}, label smoothing {smoothing}, targets {targets}, {stopping}";
        }

        /// <summary>The saved run's options, with --epochs if given; an option given that disagrees with the saved run is an error.
        /// </summary>
        private TrainerOptions ApplyResume(ParseResult parse, TrainerOptions given, TrainerOptions saved, TrainingState state, string file)
        {
            var conflicts = new List<string>();
            void Check<T, TValue>(Option<T> option, TValue value, TValue savedValue, string what)
            {
                if (parse.GetResult(option) is { Implicit: false } && !Equals(value, savedValue))
                {
                    string text = string.Create(CultureInfo.InvariantCulture, $"{(object?)value ?? "none"}");
                    string savedText = string.Create(CultureInfo.InvariantCulture, $"{(object?)savedValue ?? "none"}");
                    conflicts.Add($"{option.Name} {text} conflicts with the {what} of the saved run, {savedText}");
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
            Check(
                _minDelta, given.EarlyStopping?.MinImprovement, saved.EarlyStopping?.MinImprovement, "early-stopping minimum improvement");
            Check(_holdOut, given.EarlyStopping?.HoldOutFraction, saved.EarlyStopping?.HoldOutFraction, "early-stopping held-out share");
            if (Given(parse, _recipe))
            {
                TrainerOptions recipe = parse.GetValue(_recipe) == "textbook" ? TrainerOptions.Textbook : TrainerOptions.Fast;
                if (recipe.BatchSize != saved.BatchSize || recipe.Optimizer != saved.Optimizer || recipe.Schedule != saved.Schedule)
                {
                    conflicts.Add(
                        $"--recipe {parse.GetValue(_recipe)} conflicts with the saved run's options " +
                        $"(batch {saved.BatchSize}, {saved.Optimizer}, schedule {Describe(saved.Schedule)})");
                }
            }

            if (conflicts.Count > 0)
            {
                throw new AppError(
                    $"{string.Join("; ", conflicts)}: a resumed run keeps the options saved in '{file}', so leave those options out.");
            }

            int epochs = parse.GetResult(_epochs) is { Implicit: false } ? given.Epochs : saved.Epochs;
            if (epochs <= state.CompletedEpochs && state.BatchesDone == 0)
            {
                throw new AppError(
                    $"the run saved in '{file}' has already completed {state.CompletedEpochs} epochs: " +
                    $"pass --epochs {state.CompletedEpochs + 1} or more to continue it.");
            }

            return saved with { Epochs = Math.Max(epochs, state.CompletedEpochs + 1) };
        }
    }
}
