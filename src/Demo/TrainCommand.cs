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
    internal sealed partial class TrainCommand
    {
        /// <summary>Adds the options to <paramref name="command"/> (the root, where train is the default, and the train command).</summary>
        public void AddTo(Command command, bool hidden = false)
        {
            foreach (Option o in new Option[]
            {
                _solver, _c, _maxIterations, _tolerance, _classWeight, _sampleWeights, _recipe, _epochs, _batch, _rate, _momentum, _weightDecay, _seed, _threads, _schedule, _warmup, _stepEpochs, _stepFactor, _cosineFinal,
                _loss, _labelSmoothing, _softLabels, _earlyStopping, _minDelta, _holdOut, _hypercomplex, _input, _isa,
            })
            {
                o.Hidden = hidden;
                command.Options.Add(o);
            }

            _data.AddTo(command, hidden);
            foreach (Option o in new Option[] { _test, _validation, _save, _checkpoint, _resume, _plot, _report, _quiet })
            {
                o.Hidden = hidden;
                command.Options.Add(o);
            }

            command.SetAction(Run);
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

            // No output may replace an input or another output. The checkpoint may be the resumed or saved file, and --save the
            // resumed one: the continued run holds all of the saved run.
            OutputPaths.Check(
                [(parse.GetValue(_data.Data), "--data"), (parse.GetValue(_test), "--test"), (parse.GetValue(_data.Labels), "--labels"),
                    (parse.GetValue(_resume)?.ToString(), "--resume"), (parse.GetValue(_sampleWeights), "--sample-weights")],
                [(parse.GetValue(_save)?.ToString(), "--save"), (parse.GetValue(_checkpoint)?.ToString(), "--checkpoint"),
                    (parse.GetValue(_report)?.ToString(), "--report"), (parse.GetValue(_plot)?.ToString(), "--plot")],
                ("--checkpoint", "--resume"), ("--checkpoint", "--save"), ("--save", "--resume"));

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
            if (options.EarlyStopping is { } holding && HoldOut.Size(train.Count, holding.HoldOutFraction) >= train.Count)
            {
                // As --validation: a share that leaves no row to train on is refused, not clamped to one row.
                throw new AppError(
                    string.Create(CultureInfo.InvariantCulture, $"the training split is empty: --hold-out {holding.HoldOutFraction} leaves none of the {train.Count} rows to train on; ") +
                    "lower the fraction.");
            }

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

            if (parse.GetValue(_sampleWeights) is { } weightsFile)
            {
                if (validation is not null)
                {
                    throw new AppError("--sample-weights gives one weight per row of --data, which --validation splits: leave one of them out.");
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

    }
}
