using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading;
using GenSoftmax.IO;

namespace GenSoftmax.App
{
    /// <summary>
    /// <c>train</c>: the textbook recipe (Dive into Deep Learning, softmax regression from scratch) by default —
    /// Fashion-MNIST, weights N(0, 0.01), bias 0, minibatch SGD, batch 256, learning rate 0.1, 10 epochs — on any
    /// IDX, CSV/TSV or .npy data. Shapes other than 784x10 train the run-time-shaped model.
    /// </summary>
    /// <remarks>
    /// Adding a trainer option (a learning-rate schedule, early stopping, a loss kind) takes three lines: declare the
    /// <see cref="Option{T}"/> below, add it in <see cref="AddTo"/>, set it in <see cref="BuildOptions"/> (and, if the
    /// saved run's value must win on --resume, one <c>Check</c> line in <see cref="ApplyResume"/>).
    /// </remarks>
    internal sealed class TrainCommand
    {
        private readonly Option<int> _epochs = NumberOptions.Int("--epochs", "Passes over the training data (default 10; on --resume, the saved run's).", 10, 1, 1_000_000, "10");
        private readonly Option<int> _batch = NumberOptions.Int("--batch", "Minibatch size.", 256, 1, int.MaxValue, "256");
        private readonly Option<float> _rate = NumberOptions.Float("--lr", "SGD learning rate.", 0.1f, 0, true, float.PositiveInfinity, false, "0.1");
        private readonly Option<float> _momentum = NumberOptions.Float("--momentum", "SGD momentum (0 = plain SGD, as the textbook).", 0f, 0, false, 1, true, "0.9");
        private readonly Option<float> _weightDecay = NumberOptions.Float("--weight-decay", "L2 weight decay added to the gradient (0 = none).", 0f, 0, false, float.PositiveInfinity, false, "0.0005");
        private readonly Option<int> _seed = NumberOptions.Int("--seed", "Seed of the initial weights, the shuffles and the validation split.", 42, int.MinValue, int.MaxValue, "42");
        private readonly Option<int> _threads = NumberOptions.Int("--threads", "Threads sharing each minibatch (default: all cores).", Environment.ProcessorCount, 1, 256, "2");
        private readonly Option<string> _input = new("--input")
        {
            Description = "For byte data: uint8 feeds the raw pixels to the kernels, which scale them by 1/255; float32 trains on a float copy scaled up front, as the textbook does. Same math.",
            DefaultValueFactory = _ => "uint8",
        };

        private readonly Option<KernelIsa?> _isa = Models.IsaOption();
        private readonly DataOptions _data = new();
        private readonly Option<string?> _test = new("--test") { HelpName = "FILE", Description = "Test data for a CSV/TSV or .npy --data, in the same format (IDX directories hold their own)." };
        private readonly Option<double> _validation = NumberOptions.Double(
            "--validation", "Hold out this fraction of the training rows (0 to <1, chosen by --seed) and report accuracy on it after each epoch; 0 (default) reports the test set's.",
            0, 0, false, 1, true, "0.1");

        private readonly Option<FileInfo?> _save = new("--save") { HelpName = "FILE", Description = "Save the trained model, its class names and its training state to this model file." };
        private readonly Option<FileInfo?> _checkpoint = new("--checkpoint") { HelpName = "FILE", Description = "Where Ctrl+C or SIGTERM saves the interrupted run (default: the --save file, else ./gensoftmax.checkpoint)." };
        private readonly Option<FileInfo?> _resume = new("--resume")
        {
            HelpName = "FILE",
            Description = "Continue the run saved in this model file (by --save or an interruption) until its epochs (or --epochs) are done. Give the same data, --validation, --input and --isa for a bit-identical continuation.",
        };

        private readonly Option<FileInfo?> _plot = new("--plot") { HelpName = "FILE", Description = "Draw the learning curves (train loss, train and validation/test accuracy per epoch) to FILE.svg or FILE.png." };
        private readonly Option<FileInfo?> _report = new("--report") { HelpName = "FILE", Description = "Write a JSON summary of the run to this file." };
        private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "Print only the final result and errors." };

        public TrainCommand()
        {
            _input.AcceptOnlyFromAmong("uint8", "float32");
        }

        /// <summary>Adds the options to <paramref name="command"/> (the root, where train is the default, and the train command).</summary>
        public void AddTo(Command command)
        {
            foreach (Option o in new Option[] { _epochs, _batch, _rate, _momentum, _weightDecay, _seed, _threads, _input, _isa })
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

        private TrainerOptions BuildOptions(ParseResult parse) => new()
        {
            Epochs = parse.GetValue(_epochs),
            BatchSize = parse.GetValue(_batch),
            Optimizer = new SgdOptions
            {
                LearningRate = parse.GetValue(_rate),
                Momentum = parse.GetValue(_momentum),
                WeightDecay = parse.GetValue(_weightDecay),
            },
            Seed = parse.GetValue(_seed),
            Threads = parse.GetValue(_threads),
        };

        /// <summary>The saved run's options, with --epochs if given; an option given that disagrees with the saved run is an error.</summary>
        private TrainerOptions ApplyResume(ParseResult parse, TrainerOptions given, TrainerOptions saved, TrainingState state, string file)
        {
            var conflicts = new List<string>();
            void Check<T>(Option<T> option, T value, T savedValue, string what)
            {
                if (parse.GetResult(option) is { Implicit: false } && !Equals(value, savedValue))
                {
                    conflicts.Add(string.Create(CultureInfo.InvariantCulture, $"{option.Name} {value} conflicts with the {what} of the saved run, {savedValue}"));
                }
            }

            Check(_batch, given.BatchSize, saved.BatchSize, "batch size");
            Check(_rate, given.Optimizer.LearningRate, saved.Optimizer.LearningRate, "learning rate");
            Check(_momentum, given.Optimizer.Momentum, saved.Optimizer.Momentum, "momentum");
            Check(_weightDecay, given.Optimizer.WeightDecay, saved.Optimizer.WeightDecay, "weight decay");
            Check(_seed, given.Seed, saved.Seed, "seed");
            Check(_threads, given.Threads, saved.Threads, "thread count");
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

            // The default checkpoint (./gensoftmax.checkpoint) is not checked: a run that is never interrupted never writes it.
            foreach ((string? file, string option) in new[] { (save, "--save"), (report, "--report"), (plot, "--plot"), (explicitCheckpoint, "--checkpoint") })
            {
                CheckWritable(file, option);
            }

            TrainerOptions options = BuildOptions(parse);
            string? resumeFile = parse.GetValue(_resume)?.FullName;
            KernelIsa? isa = parse.GetValue(_isa);

            // The saved run's class names keep CSV string labels mapped to the same class numbers.
            (ISoftmaxModel Model, ModelFileContents Contents)? resumed = resumeFile is null ? null : Models.Load(resumeFile, isa);
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
                names ??= r.Contents.ClassNames;
                say.WriteLine($"Resuming '{resumeFile}': {state.CompletedEpochs} epochs done" +
                    (state.BatchesDone > 0 ? $" and {state.BatchesDone} batches of epoch {state.CompletedEpochs + 1}" : "") + $", {options.Epochs} to do.");
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

            string kind = model is FashionClassifier ? "generated" : "run-time-shaped";
            say.WriteLine(
                $"Model {model.Inputs}x{model.Classes} ({kind}), kernels: {model.Isa} (best this binary runs: {IsaSelection.Best}, this CPU: {CpuFeatures.CpuBest()}), " +
                $"threads: {options.Threads}, input: {(train.IsPixels ? "uint8 pixels" : "float32")}");
            if (CpuFeatures.BetterVariantAdvice() is { } advice)
            {
                say.WriteLine($"note: {advice}");
            }

            say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"SGD: batch {options.BatchSize}, learning rate {options.Optimizer.LearningRate}, momentum {options.Optimizer.Momentum}, " +
                $"weight decay {options.Optimizer.WeightDecay}, {options.Epochs} epochs, seed {options.Seed}"));

            var trainer = new Trainer(model, options);
            if (state is null)
            {
                trainer.Initialize();
            }
            else
            {
                trainer.RestoreState(state);
            }

            LabeledData? perEpoch = validation ?? test;
            string perEpochName = validation is not null ? "val acc" : test is not null ? "test acc" : "-";
            string curveName = validation is not null ? "validation" : "test";
            var display = new TrainingDisplay(live, quiet, train.Count, options.BatchSize, options.Epochs, perEpochName);
            IReadOnlyList<EpochReport> epochs;
            using (var interrupt = new Interruption())
            {
                try
                {
                    epochs = display.Run(() => trainer.Fit(train, perEpoch, display, interrupt.Token));
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

            TrainingDisplay.Summary(epochs, curveName, live);
            double trainSeconds = 0;
            foreach (EpochReport e in epochs)
            {
                trainSeconds += e.Seconds;
            }

            double? testAccuracy = test is null ? null : Trainer.Accuracy(model, test);
            double? validationAccuracy = validation is null ? null : Trainer.Accuracy(model, validation);
            CultureInfo inv = CultureInfo.InvariantCulture;
            string result = string.Create(inv, $"After {trainer.CompletedEpochs} epoch{(trainer.CompletedEpochs == 1 ? "" : "s")}: train loss {Last(epochs).TrainLoss:F4}, train accuracy {Last(epochs).TrainAccuracy:F4}") +
                (validationAccuracy is { } va ? string.Create(inv, $", validation accuracy {va:F4}") : "") +
                (testAccuracy is { } ta ? string.Create(inv, $", test accuracy {ta:F4}") : "") +
                string.Create(inv, $" (training took {trainSeconds:F2} s)");
            Console.WriteLine(result);

            IReadOnlyList<string>? savedClassNames = names is null ? null : Models.Names(names, model.Classes);
            if (save is not null)
            {
                ModelFile.Save(save, trainer, savedClassNames);
                say.WriteLine($"Model saved to {save}");
            }

            if (plot is not null)
            {
                Pictures.LearningCurves(plot, trainer.History, curveName, $"softmax regression {model.Inputs}x{model.Classes}");
                say.WriteLine($"Learning curves drawn to {plot}");
            }

            if (report is not null)
            {
                SafeFile.Write(report, stream => WriteReport(stream, model, options, train, trainer.History, testAccuracy, validationAccuracy, trainSeconds, loaded, savedClassNames));
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
            if (fraction > 0)
            {
                (train, validation) = DataLoader.Split(train, fraction, seed);
                if (validation.Count == 0)
                {
                    throw new AppError($"--validation {fraction} of {loaded.Train.Count} rows holds out no row: raise the fraction or use more data.");
                }
            }

            if (train.Count == 0)
            {
                throw new AppError(fraction > 0
                    ? $"the training split is empty: --validation {fraction} leaves none of the {loaded.Train.Count} rows to train on; lower the fraction."
                    : $"the training data ({loaded.Description}) has no rows.");
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

        private static void WriteReport(
            Stream stream, ISoftmaxModel model, TrainerOptions options, LabeledData train, IReadOnlyList<EpochReport> epochs,
            double? testAccuracy, double? validationAccuracy, double trainSeconds, LoadedData loaded, IReadOnlyList<string>? classNames)
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("data", loaded.Description);
            json.WriteNumber("inputs", model.Inputs);
            json.WriteNumber("classes", model.Classes);
            if (classNames is not null)
            {
                json.WriteStartArray("class_names");
                foreach (string n in classNames)
                {
                    json.WriteStringValue(n);
                }

                json.WriteEndArray();
            }

            json.WriteString("model", model is FashionClassifier ? "generated" : "runtime-shaped");
            json.WriteString("isa", model.Isa.ToString());
            json.WriteNumber("threads", options.Threads);
            json.WriteString("input", train.IsPixels ? "uint8" : "float32");
            json.WriteNumber("batch_size", options.BatchSize);
            json.WriteNumber("learning_rate", options.Optimizer.LearningRate);
            json.WriteNumber("momentum", options.Optimizer.Momentum);
            json.WriteNumber("weight_decay", options.Optimizer.WeightDecay);
            json.WriteNumber("seed", options.Seed);
            json.WriteStartArray("epochs");
            foreach (EpochReport r in epochs)
            {
                json.WriteStartObject();
                json.WriteNumber("epoch", r.Epoch);
                Number(json, "train_loss", r.TrainLoss);
                Number(json, "train_accuracy", r.TrainAccuracy);
                Number(json, "validation_loss", r.ValidationLoss);
                Number(json, "validation_accuracy", r.ValidationAccuracy);
                Number(json, "seconds", r.Seconds);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            Number(json, "validation_accuracy", validationAccuracy);
            Number(json, "test_accuracy", testAccuracy);
            Number(json, "train_seconds", trainSeconds);
            json.WriteEndObject();
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
