using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Training;

namespace GenSoftmax.App
{
    /// <summary>
    /// <c>train</c>: the fast recipe (<see cref="TrainerOptions.Fast"/>: 8 epochs of batch 512, SGD with momentum 0.9 and
    /// rate 0.4 on a cosine schedule) by default, or with <c>--recipe textbook</c> the textbook's (Dive into Deep
    /// Learning, softmax regression from scratch: weights N(0, 0.01), bias 0, minibatch SGD, batch 256, learning rate
    /// 0.1, 10 epochs), on Fashion-MNIST or any IDX, CSV/TSV or .npy data; small data is solved exactly (L-BFGS). Every
    /// option given explicitly overrides the recipe's value. Shapes other than 784x10 train the run-time-shaped model;
    /// <c>--hypercomplex 2</c> the PHM model.
    /// </summary>
    /// <remarks>
    /// <para>The steps of a run are the methods <see cref="Run"/> calls, in order; each lives beside its kind of work:
    /// options (TrainCommand.Options.cs), the saved run (TrainCommand.Resume.cs), data and model (TrainCommand.Setup.cs),
    /// training (TrainCommand.Fit.cs), results and report (TrainCommand.Report.cs).</para>
    /// <para>Adding a trainer option (a learning-rate schedule, early stopping, a loss kind) takes three lines: declare the
    /// <see cref="Option{T}"/> in TrainCommand.Options.cs, add it in <see cref="AddTo"/>, set it in <see cref="BuildOptions"/>
    /// (and, if the saved run's value must win on --resume, one <c>Check</c> line in <see cref="ApplyResume"/>).</para>
    /// </remarks>
    internal sealed partial class TrainCommand
    {
        /// <summary>Adds the options to <paramref name="command"/> (the root, where train is the default, and the train command).</summary>
        public void AddTo(Command command, bool hidden = false)
        {
            _data.AddTo(command, hidden, streamable: true);
            foreach (Option o in Groups.SelectMany(g => g.Options).Except([.. _data.Options, _data.MemoryBudget]))
            {
                o.Hidden = hidden;
                command.Options.Add(o);
            }

            command.SetAction(Run);
        }

        /// <summary>The options by group, in the order help lists them (<see cref="GroupedHelp"/>).</summary>
        public (string Heading, Option[] Options)[] Groups =>
            [
                ("Data", [.. _data.Options, _data.MemoryBudget, _test, _validation, _input]),
                ("Model and kernels", [_hypercomplex, _isa]),
                ("Recipe and optimizer", [_recipe, _epochs, _batch, _rate, _momentum, _weightDecay, _seed, _threads, _loss,
                    _labelSmoothing, _softLabels]),
                ("Learning-rate schedule", [_schedule, _warmup, _stepEpochs, _stepFactor, _cosineFinal]),
                ("Early stopping", [_earlyStopping, _minDelta, _holdOut]),
                ("Exact solver and weights", [_solver, _c, _maxIterations, _tolerance, _sampleWeights, _classWeight]),
                ("Output", [_save, _checkpoint, _resume, _plot, _report, _quiet]),
            ];

        /// <summary>One run: everything the user gave is checked first, then the data is read, the model built and trained.</summary>
        private int Run(ParseResult parse)
        {
            if (_data.Read(parse).MemoryBudget is not null)
            {
                return RunStreamed(parse);
            }

            // What the user gave: outputs, options, the saved run. Each mistake is one line, before any data is read.
            var screen = new Screen(parse.GetValue(_quiet));
            Outputs outputs = CheckOutputs(parse);
            Request request = ReadRequest(parse);
            Resumed? resumed = LoadResumed(request);
            request = request with { Hypercomplex = request.Hypercomplex ?? resumed?.Hypercomplex };

            // The data, then the model and how it is fitted.
            // A resumed run splits off the same validation rows: by the saved run's seed, not the command line's.
            int splitSeed = resumed?.Contents.TrainerOptions?.Seed ?? request.Options.Seed;
            TrainingData data = LoadData(parse, splitSeed, resumed?.Contents.ClassNames, resumed?.Model.Classes);
            CheckHoldOut(request.Options, data.Train);
            screen.Say.WriteLine(DescribeData(data));

            Setup setup = BuildModel(parse, request, resumed, data, screen);
            data = PrepareRows(request, data);
            screen.Say.WriteLine(DescribeModel(setup, data.Train));
            data = WeighRows(parse, data);
            setup = ChooseSolver(parse, request, resumed, setup, data, screen);

            // Training, then its results and files.
            Fitted fitted = Fit(request, setup, data, outputs, screen);
            if (fitted.ExitCode is { } interrupted)
            {
                return interrupted;
            }

            Results results = Evaluate(fitted, setup, data, screen);
            DenseComparison? comparison = setup.Phm is { } phm
                ? DenseComparison.Run(phm, fitted.Trainer, fitted.Targets, data, screen)
                : null;
            WriteOutputs(outputs, fitted, setup, data, results, comparison, screen);
            return 0;
        }

        /// <summary>How much a run prints: live progress on a terminal, epoch lines when redirected, only results with --quiet.</summary>
        internal sealed record Screen(bool Quiet)
        {
            public bool Live { get; } = !Quiet && !Console.IsOutputRedirected;

            public TextWriter Say => Quiet ? TextWriter.Null : Console.Out;
        }

        /// <summary>What the command line asks for, validated: the options the trainer gets and what the app does around it.</summary>
        private sealed record Request(
            TrainerOptions Options, string Recipe, float? SoftLabels, int? Hypercomplex, KernelIsa? Isa, string? ResumeFile, bool UseBytes);

        /// <summary>The model a run trains, the options it trains with (the saved run's on --resume), where it starts.</summary>
        private sealed record Setup(ISoftmaxModel Model, TrainerOptions Options, TrainingState? State, IReadOnlyList<string>? Names)
        {
            public IHypercomplexModel? Phm => Model as IHypercomplexModel;

            /// <summary>The exact solver (L-BFGS) fits this run, not minibatch SGD.</summary>
            public bool Exact { get; init; }

            /// <summary>--c auto: C is chosen by a search on held-out rows before the fit.</summary>
            public bool SearchC { get; init; }

            /// <summary>The class names saved with the model and written to the report: one per class, numbers where unnamed.</summary>
            public IReadOnlyList<string>? SavedNames => Names is null ? null : Models.Names(Names, Model.Classes);
        }

        /// <summary>The options: the recipe with every option given put in; a bad combination fails before any data is read.</summary>
        private Request ReadRequest(ParseResult parse)
        {
            TrainerOptions options = BuildOptions(parse);
            string recipe = parse.GetValue(_recipe) ?? "fast";
            int? hypercomplex = parse.GetValue(_hypercomplex);
            if (hypercomplex is { } n)
            {
                HypercomplexRun.Create(n); // an n without a declared model is an error before any data is read
                if (recipe == "fast" && !Given(parse, _rate))
                {
                    // W = sum A_i (x) S_i diverges at the fast recipe's 0.4 (epoch 1); see HypercomplexRun.FastLearningRate.
                    options = options with { Optimizer = options.Optimizer with { LearningRate = HypercomplexRun.FastLearningRate } };
                }
            }

            float? softLabels = Given(parse, _softLabels) ? parse.GetValue(_softLabels) : null;
            return new Request(
                options, recipe, softLabels, hypercomplex, parse.GetValue(_isa), parse.GetValue(_resume)?.FullName,
                UseBytes: parse.GetValue(_input) == "uint8");
        }

        /// <summary>As --validation: an early-stopping share that leaves no row to train on is refused, not clamped to one row.</summary>
        private static void CheckHoldOut(TrainerOptions options, LabeledData train)
        {
            if (options.EarlyStopping is { } holding && HoldOut.Size(train.Count, holding.HoldOutFraction) >= train.Count)
            {
                string share = holding.HoldOutFraction.ToString(CultureInfo.InvariantCulture);
                throw new AppError(
                    $"the training split is empty: --hold-out {share} leaves none of the {train.Count} rows to train on; " +
                    "lower the fraction.");
            }
        }

        /// <summary>The model: the saved run's, a new PHM model, or a new dense one of the data's shape.</summary>
        private Setup BuildModel(ParseResult parse, Request request, Resumed? resumed, TrainingData data, Screen screen)
        {
            if (resumed is not null)
            {
                return Continue(parse, request, resumed, data, screen);
            }

            if (request.Hypercomplex is { } n)
            {
                IHypercomplexModel created = HypercomplexRun.Create(n);
                if (request.Isa is { } chosen)
                {
                    created.Isa = chosen;
                }

                return new Setup(created, request.Options, null, data.Names);
            }

            return new Setup(Models.Create(data.Train.Inputs, data.Classes, request.Isa), request.Options, null, data.Names);
        }

        /// <summary>The rows as the kernels take them (bytes or floats); a PHM run needs the declared model's shape.</summary>
        private static TrainingData PrepareRows(Request request, TrainingData data)
        {
            if (!request.UseBytes)
            {
                data = data with
                {
                    Train = data.Train.ToFeatures(), Test = data.Test?.ToFeatures(), Validation = data.Validation?.ToFeatures(),
                };
            }

            bool fashionShaped = data.Train.Inputs == FashionClassifier.InputCount && data.Classes <= FashionClassifier.ClassCount;
            if (request.Hypercomplex is { } phm && !fashionShaped)
            {
                throw new AppError(
                    $"--hypercomplex {phm} trains the declared {FashionClassifier.InputCount}x{FashionClassifier.ClassCount} PHM model, " +
                    $"but the data has {data.Train.Inputs} inputs and {data.Classes} classes: " +
                    "use Fashion-MNIST-shaped data (784 inputs, at most 10 classes).");
            }

            return data;
        }

        /// <summary>--sample-weights and --class-weight put into the training rows.</summary>
        private TrainingData WeighRows(ParseResult parse, TrainingData data)
        {
            LabeledData train = data.Train;
            if (parse.GetValue(_sampleWeights) is { } weightsFile)
            {
                if (data.Validation is not null)
                {
                    throw new AppError(
                        "--sample-weights gives one weight per row of --data, which --validation splits: leave one of them out.");
                }

                try
                {
                    train = train.WithWeights(GenSoftmax.Data.NpyReader.ReadWeights(weightsFile, train.Count));
                }
                catch (Exception e) when (e is ArgumentException or InvalidDataException)
                {
                    throw new AppError($"--sample-weights {weightsFile}: {e.Message.Split(" (Parameter")[0]}");
                }
            }

            if (parse.GetValue(_classWeight) is { } classWeight)
            {
                bool balanced = classWeight.Equals("balanced", StringComparison.OrdinalIgnoreCase);
                if (!balanced && !File.Exists(classWeight))
                {
                    throw new AppError(
                        $"--class-weight {classWeight} is not a weighting this app knows: use --class-weight balanced, or a JSON or CSV " +
                        "file of class and weight.");
                }

                try
                {
                    float[] weights = balanced ? train.BalancedClassWeights() : train.ClassWeights(ClassWeightFile.Read(classWeight));
                    train = train.WithClassWeights(weights);
                }
                catch (Exception e) when (e is ArgumentException or InvalidDataException)
                {
                    throw new AppError($"--class-weight {classWeight}: {e.Message.Split(" (Parameter")[0]}");
                }
            }

            return data with { Train = train };
        }

        /// <summary>The solver this run uses, printed with its settings.</summary>
        private Setup ChooseSolver(ParseResult parse, Request request, Resumed? resumed, Setup setup, TrainingData data, Screen screen)
        {
            TrainerOptions options = setup.Options;
            (TrainingSolver solver, string reason) = options.SolverFor(setup.Model, data.Train, request.SoftLabels is not null);
            CultureInfo inv = CultureInfo.InvariantCulture;
            if (solver is not (TrainingSolver.Lbfgs or TrainingSolver.Newton))
            {
                if (SearchC(parse))
                {
                    throw new AppError(
                        $"--c auto chooses the exact solver's penalty, but this run trains with minibatch SGD ({reason}): " +
                        "add --solver lbfgs.");
                }

                screen.Say.WriteLine(string.Create(inv,
                    $"SGD: batch {options.BatchSize}, learning rate {options.Optimizer.LearningRate}, " +
                    $"momentum {options.Optimizer.Momentum}, " +
                    $"weight decay {options.Optimizer.WeightDecay}, {options.Epochs} epochs, seed {options.Seed}") +
                    (options.Solver == TrainingSolver.Auto ? $" ({reason})" : ""));
                bool phmRate = setup.Phm is not null && resumed is null && request.Recipe == "fast" && !Given(parse, _rate);
                screen.Say.WriteLine($"Recipe {request.Recipe}: {DescribeOptions(options, request.SoftLabels)}" +
                    (phmRate ? $"; learning rate {HypercomplexRun.FastLearningRate.ToString(inv)} for the PHM model (0.4 diverges)" : ""));
                return setup;
            }

            string c = SearchC(parse) ? "auto" : options.Lbfgs.C.ToString("R", inv);
            screen.Say.WriteLine(string.Create(inv,
                $"Exact solver ({(solver == TrainingSolver.Newton ? "trust-region Newton" : "L-BFGS")}): " +
                $"C {c}, tolerance {options.Lbfgs.Tolerance}, at most {options.Lbfgs.MaxIterations} iterations" +
                $"{(data.Train.Weights is null ? "" : ", balanced class weights")} ({reason})"));
            return setup with { Exact = true, SearchC = SearchC(parse) };
        }

        /// <summary>The data line: where the rows come from and how many of each kind.</summary>
        private static string DescribeData(TrainingData data)
        {
            string validation = data.Validation is null ? "" : $", {data.Validation.Count:N0} validation rows";
            string test = data.Test is null ? "" : $", {data.Test.Count:N0} test rows";
            return string.Create(CultureInfo.InvariantCulture,
                $"Data: {data.Loaded.Description}: {data.Train.Count:N0} training rows{validation}{test}, " +
                $"{data.Train.Inputs} inputs, {data.Classes} classes, in memory ({data.LoadSeconds:F2} s to load)");
        }

        /// <summary>The model line: shape, kind, kernels and threads (the PHM model: its factors and parameter count).</summary>
        private static string DescribeModel(Setup setup, LabeledData train)
        {
            ISoftmaxModel model = setup.Model;
            if (setup.Phm is { } phm)
            {
                HypercomplexLayout layout = phm.Layout;
                return string.Create(CultureInfo.InvariantCulture,
                    $"Model {model.Inputs}x{model.Classes} hypercomplex (PHM, n = {layout.N}): W = sum of {layout.N} Kronecker products " +
                    $"A_i (x) S_i, {layout.ParameterCount:N0} parameters ({layout.FactorALength} in A, {layout.FactorSLength:N0} in S, " +
                    $"{model.Classes} bias) instead of {layout.DenseParameterCount:N0}; " +
                    $"kernels: {model.Isa}, threads: {setup.Options.Threads}");
            }

            string kind = model is FashionClassifier ? "generated" : "run-time-shaped";
            return $"Model {model.Inputs}x{model.Classes} ({kind}), kernels: {model.Isa} " +
                $"(best this binary runs: {IsaSelection.Best}, this CPU: {IsaSelection.CpuBest}), " +
                $"threads: {setup.Options.Threads}, input: {(train.IsPixels ? "uint8 pixels" : "float32")}";
        }
    }
}
