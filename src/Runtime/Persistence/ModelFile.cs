using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using GenSoftmax.Hypercomplex;
using GenSoftmax.IO;
using GenSoftmax.Training;

namespace GenSoftmax.Persistence
{
    /// <summary>
    /// Saves a model to a file and loads it back: its parameters, and optionally the class names and what a run needs to
    /// continue (its options and the trainer's state), in the safetensors format, which numpy and Python's
    /// <c>safetensors</c> package read without GenSoftmax (docs/model-files.md describes the tensors and metadata).
    /// </summary>
    /// <example>
    /// <code>
    /// ModelFile.Save("fashion.safetensors", trainer, FashionMnist.ClassNames);   // parameters, names, options, state
    ///
    /// var model = new FashionClassifier();
    /// ModelFileContents saved = ModelFile.Load("fashion.safetensors", model);    // model now predicts as the saved one
    /// var resumed = new Trainer(model, saved.TrainerOptions! with { Epochs = 20 });
    /// resumed.RestoreState(saved.TrainingState!);                                // and continues the run bit-identically
    /// </code>
    /// </example>
    /// <remarks>
    /// Tensors: the model's parameters by name (<c>W</c> and <c>b</c>; a hypercomplex model's <c>A</c>, <c>S</c>, <c>b</c>
    /// and the <c>W</c> they make, so any reader finds W and b), the optimizer's velocity as <c>velocity.NAME</c> and early
    /// stopping's best parameters as <c>best.NAME</c>. Metadata (strings): <c>format</c>, <c>format_version</c>,
    /// <c>inputs</c>, <c>classes</c>, <c>hypercomplex</c> (n, or 0), and when saved <c>class_names</c>,
    /// <c>trainer_options</c> and <c>training_state</c> (JSON), then <c>checksum</c>: XxHash3 of the header (with the
    /// checksum's digits as zeros) and the data.
    /// </remarks>
    public static class ModelFile
    {
        /// <summary>The format version this library writes, and the only one it reads.</summary>
        public const int FormatVersion = 2;

        internal const string FormatName = "GenSoftmax model";
        private const string VelocityPrefix = "velocity.";
        private const string BestPrefix = "best.";

        /// <summary>
        /// Saves <paramref name="model"/>'s parameters, and what <paramref name="contents"/> holds, to <paramref name="path"/>,
        /// atomically (a reader sees the old file or the new one, whole, never a mix).
        /// </summary>
        /// <exception cref="ArgumentException">A parameter of the model is NaN or infinite (the message names it), or
        /// <paramref name="contents"/> does not fit the model: a class name per class, velocity and best parameters of the
        /// model's parameters, the same seed in the options and the state.</exception>
        /// <exception cref="IOException">The file cannot be written; the message names it and says why.</exception>
        public static void Save(string path, ISoftmaxModel model, ModelFileContents? contents)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            ArgumentNullException.ThrowIfNull(model);
            contents ??= new ModelFileContents();
            IReadOnlyList<NamedTensor> parameters = model.Parameters;
            CheckFinite(parameters, "The model's parameter", nameof(model));
            contents.TrainerOptions?.Validate();
            CheckNames(contents.ClassNames, model.Classes);
            if (contents.TrainingState is { } state)
            {
                CheckState(state, contents.TrainerOptions, parameters, fail: problem =>
                    new ArgumentException(problem + ": save the state of a trainer of this model.", "contents"));
            }

            var tensors = new List<(string Name, NamedTensor NamedTensor)>();
            foreach (NamedTensor p in parameters)
            {
                tensors.Add((p.Name, p));
            }

            if (model is IReparameterizedModel)
            {
                tensors.Add(("W", new NamedTensor("W", model.Weights.ToArray(), [model.Classes, model.Inputs], decays: false,
                    TensorInit.Zeros)));
            }

            if (contents.TrainingState is { } s)
            {
                foreach (NamedTensor v in s.Velocity)
                {
                    tensors.Add((VelocityPrefix + v.Name, v));
                }

                if (s.EarlyStopping is { BestEpoch: > 0 } es)
                {
                    foreach (NamedTensor b in es.Best)
                    {
                        tensors.Add((BestPrefix + b.Name, b));
                    }
                }
            }

            List<KeyValuePair<string, string>> metadata = Metadata(model, contents);
            SafeFile.Write(path, stream => SafetensorsFile.Write(stream, tensors, metadata));
        }

        /// <summary>Saves <paramref name="model"/>'s parameters alone.</summary>
        /// <inheritdoc cref="Save(string, ISoftmaxModel, ModelFileContents?)"/>
        public static void Save(string path, ISoftmaxModel model) => Save(path, model, contents: null);

        /// <summary>
        /// Saves <paramref name="model"/>'s parameters with the names of its classes (for example the training data's
        /// <c>LabeledData.ClassNames</c>), which <c>eval</c> and <c>predict</c> then show; null saves class numbers only.
        /// </summary>
        /// <inheritdoc cref="Save(string, ISoftmaxModel, ModelFileContents?)"/>
        public static void Save(string path, ISoftmaxModel model, IReadOnlyList<string>? classNames) =>
            Save(path, model, classNames is null ? null : new ModelFileContents { ClassNames = classNames });

        /// <summary>
        /// Saves the trainer's model with the run's options and state (so <see cref="Trainer.RestoreState"/> continues it
        /// bit-identically), and optionally the class names.
        /// </summary>
        /// <inheritdoc cref="Save(string, ISoftmaxModel, ModelFileContents?)"/>
        public static void Save(string path, Trainer trainer, IReadOnlyList<string>? classNames)
        {
            ArgumentNullException.ThrowIfNull(trainer);
            Save(path, trainer.Model, new ModelFileContents
            {
                ClassNames = classNames, TrainerOptions = trainer.Options, TrainingState = trainer.SaveState(),
            });
        }

        /// <summary>
        /// Loads the parameters saved in <paramref name="path"/> into <paramref name="into"/>, which must have the saved shape
        /// (a dense model loads a hypercomplex model's W; a hypercomplex model loads its factors), and returns what else
        /// the file holds.
        /// </summary>
        /// <exception cref="ModelFileException">The file is missing, unreadable, not a model file, damaged (its checksum does
        /// not match), truncated, or inconsistent, or its shape differs from the model's; the message says which and what to
        /// do. The model is unchanged then.</exception>
        public static ModelFileContents Load(string path, ISoftmaxModel into)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            ArgumentNullException.ThrowIfNull(into);
            return LoadInto(Read(path, verify: true), into);
        }

        /// <summary>Loads a file read and checked once: what was checked is what loads, whatever happens to the file meanwhile.</summary>
        private static ModelFileContents LoadInto(Parsed file, ISoftmaxModel into)
        {
            string full = file.Path;
            if (file.Inputs != into.Inputs || file.Classes != into.Classes)
            {
                throw new ModelFileException(full,
                    $"'{full}' holds a model of {Plural.Of(file.Inputs, "input")} x {Plural.Of(file.Classes, "class")}, but the model it " +
                        $"is loaded into has " +
                    $"{into.Inputs} x {into.Classes}: load it into a model of the saved shape " +
                        $"(ModelFile.Load(path, out contents) makes one).", null);
            }

            IReadOnlyList<NamedTensor> parameters = into.Parameters;
            int n = (into as IHypercomplexModel)?.Layout.N ?? 0;
            if (n != 0 && n != file.Hypercomplex)
            {
                throw new ModelFileException(full, file.Hypercomplex == 0
                    ? $"'{full}' holds a dense model, but the model it is loaded into is hypercomplex (n = {n}): load it into a dense " +
                        $"model of the same shape."
                    : $"'{full}' holds a hypercomplex model with n = {file.Hypercomplex}, but the model it is loaded into has n = {n}.",
                        null);
            }

            var values = new NamedTensor[parameters.Count];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = file.Tensor(parameters[i], parameters[i].Name)
                    ?? throw SafetensorsFile.Invalid(full,
                        $"it holds no tensor '{parameters[i].Name}' of shape {Shape(parameters[i])}, which this model needs");
            }

            if (n != 0)
            {
                CheckFactors(full, (IHypercomplexModel)into, values, file);
            }

            // A dense model loads a hypercomplex model's W and b; the run's state belongs to the factors and stays in the file.
            bool denseView = n == 0 && file.Hypercomplex != 0;
            TrainingState? state = denseView ? null : file.State(parameters);
            if (state is not null)
            {
                CheckState(state, file.Options, parameters, fail: problem =>
                    SafetensorsFile.Invalid(full, $"its training state is not one a trainer makes: {problem}"));
            }

            using (into.Gate is { } gate ? gate.EnterWrite() : default)
            {
                Internal.ParameterSet.Restore(into, values);
            }

            return new ModelFileContents { ClassNames = file.ClassNames, TrainerOptions = file.Options, TrainingState = state };
        }

        /// <summary>
        /// Loads a model whose shape is known only from the file: a <see cref="RuntimeSoftmaxModel"/> of the saved shape with
        /// the saved W and b (a hypercomplex model's materialised W), and what else the file holds.
        /// </summary>
        /// <inheritdoc cref="Load(string, ISoftmaxModel)"/>
        public static RuntimeSoftmaxModel Load(string path, out ModelFileContents contents)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            Parsed file = Read(path, verify: true);
            var model = new RuntimeSoftmaxModel(file.Inputs, file.Classes);
            contents = LoadInto(file, model);
            return model;
        }

        /// <summary>
        /// Describes the model file <paramref name="path"/> without loading it: format version, shape, class names, training
        /// options and position, and whether the checksum holds (a damaged file is described, not refused, as far as its
        /// structure can still be read).
        /// </summary>
        /// <exception cref="ModelFileException">The file is missing, unreadable, empty, truncated, not a model file, from a
        /// newer format version, or too damaged to describe (its metadata, tensors or training state are not what GenSoftmax
        /// writes, checked as <see cref="Load(string, ISoftmaxModel)"/> checks them).</exception>
        public static ModelFileInfo ReadInfo(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            Parsed file = Read(path, verify: false);
            StateJson? state = file.StateJson;
            return new ModelFileInfo
            {
                Path = file.Path,
                Length = file.Length,
                FormatVersion = FormatVersion,
                Inputs = file.Inputs,
                Classes = file.Classes,
                ClassNames = file.ClassNames,
                TrainerOptions = file.Options,
                HasTrainingState = state is not null,
                CompletedEpochs = state?.CompletedEpochs ?? 0,
                BatchesDone = state?.BatchesDone ?? 0,
                ChecksumValid = file.Container.ChecksumValid,
                HypercomplexFactors = file.Hypercomplex,
                Problem = file.Container.ChecksumValid ? null : file.Container.ChecksumMismatch(file.Path),
            };
        }

        private static List<KeyValuePair<string, string>> Metadata(ISoftmaxModel model, ModelFileContents contents)
        {
            var metadata = new List<KeyValuePair<string, string>>
            {
                new("format", FormatName),
                new("format_version", FormatVersion.ToString(CultureInfo.InvariantCulture)),
                new("inputs", model.Inputs.ToString(CultureInfo.InvariantCulture)),
                new("classes", model.Classes.ToString(CultureInfo.InvariantCulture)),
                new("hypercomplex", ((model as IHypercomplexModel)?.Layout.N ?? 0).ToString(CultureInfo.InvariantCulture)),
            };
            if (contents.ClassNames is { } names)
            {
                string[] array = [.. names];
                metadata.Add(new("class_names", JsonSerializer.Serialize(array, ModelFileJson.Default.StringArray)));
            }

            if (contents.TrainerOptions is { } options)
            {
                metadata.Add(new("trainer_options",
                    JsonSerializer.Serialize(OptionsJson.From(options), ModelFileJson.Default.OptionsJson)));
            }

            if (contents.TrainingState is { } s)
            {
                var json = new StateJson
                {
                    Seed = s.Seed,
                    CompletedEpochs = s.CompletedEpochs,
                    BatchesDone = s.BatchesDone,
                    LearningRate = s.LearningRate,
                    EpochLossSum = s.EpochLossSum,
                    EpochCorrect = s.EpochCorrect,
                    EpochSeconds = s.EpochSeconds,
                    EarlyStopping = s.EarlyStopping is not { } es ? null : new StoppingStateJson
                    {
                        BestEpoch = es.BestEpoch, BestValue = es.BestValue, EpochsWithoutImprovement = es.EpochsWithoutImprovement,
                            Stopped = es.Stopped,
                    },
                };
                metadata.Add(new("training_state", JsonSerializer.Serialize(json, ModelFileJson.Default.StateJson)));
            }

            return metadata;
        }

        private static void CheckNames(IReadOnlyList<string>? names, int classes)
        {
            if (names is null)
            {
                return;
            }

            if (names.Count != classes)
            {
                throw new ArgumentException(
                    $"ClassNames has {Plural.Of(names.Count, "name")}, but the model has {Plural.Of(classes, "class")}: give one name " +
                        $"per class, in class order.",
                        "contents");
            }

            for (int k = 0; k < classes; k++)
            {
                string? name = names[k];
                if (string.IsNullOrEmpty(name))
                {
                    throw new ArgumentException($"ClassNames[{k}] is {(name is null ? "null" : "empty")}: give every class a name.",
                        "contents");
                }

                for (int j = 0; j < k; j++)
                {
                    if (string.Equals(names[j], name, StringComparison.Ordinal))
                    {
                        throw new ArgumentException($"ClassNames[{j}] and ClassNames[{k}] are both '{name}': class names must be unique.",
                            "contents");
                    }
                }

                foreach (char c in name)
                {
                    if (char.IsSurrogate(c) && !System.Text.Rune.TryGetRuneAt(name, name.IndexOf(c, StringComparison.Ordinal), out _))
                    {
                        throw new ArgumentException($"ClassNames[{k}] is not valid Unicode text (it holds a " +
                            $"lone surrogate), so it cannot " +
                            $"be saved as UTF-8.", "contents");
                    }
                }
            }
        }

        /// <summary>The state is saved and loaded only as a trainer of this model makes it, so loading never refuses what was
        /// saved.</summary>
        internal static void CheckState(TrainingState state, TrainerOptions? options, IReadOnlyList<NamedTensor> parameters, Func<string,
            Exception> fail)
        {
            if (state.Velocity is null)
            {
                throw fail("its velocity is null");
            }

            if (state.Velocity.Count != 0 && Internal.ParameterSet.Mismatch(parameters, state.Velocity) is { } velocity)
            {
                throw fail($"its velocity does not match the model's parameters ({velocity})");
            }

            if (Internal.ParameterSet.FirstNonFinite(state.Velocity) is { } bad)
            {
                throw fail($"its velocity of {bad.Name} holds a NaN or infinite value");
            }

            if (StateNumbersProblem(
                state.CompletedEpochs, state.BatchesDone, state.LearningRate, state.EpochLossSum, state.EpochCorrect, state.EpochSeconds,
                    options) is { } numbers)
            {
                throw fail(numbers);
            }

            if (StoppingProblem(state, options, parameters) is { } stopping)
            {
                throw fail($"its early-stopping record is not one a trainer makes: {stopping}");
            }

            if (options is null)
            {
                return;
            }

            if (state.Seed != options.Seed)
            {
                throw fail($"it is of a run with seed {state.Seed}, but the trainer options have seed {options.Seed}");
            }

            if ((options.Optimizer.Momentum != 0f) != (state.Velocity.Count != 0))
            {
                throw fail(options.Optimizer.Momentum != 0f
                    ? "the trainer options have momentum, but the training state has no velocity"
                    : "the training state has a velocity, but the trainer options have no momentum");
            }
        }

        /// <summary>
        /// The numbers of a training state against what a trainer can make, or null when they hold: a position of at least 0
        /// within the largest data set, a positive finite learning rate, and the partial epoch's sums as its batches can
        /// give them (a loss sum finite and at least 0, a correct count from 0 to the rows of its batches, both 0 at batch 0,
        /// a time finite and at least 0). Every reader of a model file applies it, so no consumer believes what another refuses.
        /// </summary>
        internal static string? StateNumbersProblem(
            int completedEpochs, int batchesDone, float learningRate, double lossSum, long correct, double seconds, TrainerOptions? options)
        {
            if (completedEpochs < 0 || batchesDone < 0)
            {
                return $"its position (epoch {completedEpochs}, batch {batchesDone}) is negative";
            }

            if (!(learningRate > 0f) || float.IsInfinity(learningRate))
            {
                return $"its learning rate is {Format(learningRate)}, but must be positive and finite";
            }

            if (!(double.IsFinite(lossSum) && lossSum >= 0))
            {
                return $"its epoch's loss sum is {Format(lossSum)}, but a sum of losses is finite and at least 0";
            }

            if (!(double.IsFinite(seconds) && seconds >= 0))
            {
                return $"its epoch's time is {Format(seconds)} s, but a time is finite and at least 0";
            }

            if (batchesDone == 0 && (lossSum != 0 || correct != 0))
            {
                return $"it is at the start of an epoch (batch 0), but its epoch's loss sum is {Format(lossSum)} and correct count " +
                    $"{correct}, not 0";
            }

            // The rows its batches held: at most batches x batch size, and never more than a data set's int.MaxValue rows.
            long rows = int.MaxValue;
            if (options is not null)
            {
                if ((batchesDone - 1L) * options.BatchSize >= int.MaxValue)
                {
                    return $"its position (batch {batchesDone} of batches of {Plural.Of(options.BatchSize, "row")}) is past the end of " +
                        $"any data set " +
                        $"({Plural.Of(int.MaxValue, "row", "N0")} at most)";
                }

                rows = Math.Min(rows, (long)batchesDone * options.BatchSize);
            }

            if (correct < 0 || correct > rows)
            {
                return options is null
                    ? $"its epoch's correct count is {correct}, but a count of rows is from 0 to {int.MaxValue:N0}"
                    : $"its epoch's correct count is {correct}, but its {Plural.Of(batchesDone, "batch")} of at most " +
                        $"{Plural.Of(options.BatchSize, "row")} can hold at most {rows:N0}";
            }

            return null;
        }

        /// <summary>A number as JSON's readers spell it: NaN, +Infinity and -Infinity in words, never "∞".</summary>
        private static string Format(double value) => double.IsFinite(value)
            ? value.ToString("R", CultureInfo.InvariantCulture)
            : double.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";

        private static string Format(float value) =>
            float.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : Format((double)value);

        private static string? StoppingProblem(TrainingState state, TrainerOptions? options, IReadOnlyList<NamedTensor> parameters)
        {
            EarlyStoppingState? es = state.EarlyStopping;
            if (options is not null && (options.EarlyStopping is null) != (es is null))
            {
                return es is null ? "the trainer options stop early, but there is no record"
                    : "there is a record, but the trainer options do not stop early";
            }

            if (es is null)
            {
                return null;
            }

            int completed = state.CompletedEpochs;
            if (es.BestEpoch < 0 || es.EpochsWithoutImprovement < 0)
            {
                return $"its best epoch ({es.BestEpoch}) or epochs without improvement ({es.EpochsWithoutImprovement}) is negative";
            }

            if (es.BestEpoch > completed || es.EpochsWithoutImprovement > completed)
            {
                return $"its best epoch ({es.BestEpoch}) or epochs without improvement ({es.EpochsWithoutImprovement}) is past the run's " +
                    $"{completed} completed epochs";
            }

            if (es.BestEpoch == 0)
            {
                return double.IsNaN(es.BestValue) && es.EpochsWithoutImprovement == 0 && !es.Stopped && (es.Best?.Count ?? 0) == 0
                    ? null
                    : "it has no best epoch yet, so its best value must be NaN, it has no best parameters, " +
                        "its epochs without improvement " +
                        "are 0 and it cannot have stopped";
            }

            if (!(double.IsFinite(es.BestValue) && es.BestValue >= 0))
            {
                return $"its best held-out value is {es.BestValue}, but a loss or accuracy is finite and at least 0";
            }

            if (options?.EarlyStopping is { Metric: EarlyStoppingMetric.HeldOutAccuracy } && es.BestValue > 1)
            {
                return $"its best held-out accuracy is {Format(es.BestValue)}, but an accuracy is from 0 to 1";
            }

            if (Internal.ParameterSet.Mismatch(parameters, es.Best) is { } problem)
            {
                return $"its best parameters do not match the model's ({problem})";
            }

            return Internal.ParameterSet.FirstNonFinite(es.Best!) is { } bad ? $"its best {bad.Name} holds a NaN or infinite value" : null;
        }

        private static void CheckFinite(IReadOnlyList<NamedTensor> tensors, string what, string parameter)
        {
            foreach (NamedTensor t in tensors)
            {
                Span<float> v = t.Values;
                for (int i = 0; i < v.Length; i++)
                {
                    if (!float.IsFinite(v[i]))
                    {
                        throw new ArgumentException(
                            $"{what} {t.Name}[{Index(t, i)}] is {Describe(v[i])}: a model with a NaN or infinite parameter predicts " +
                                $"nothing useful and is " +
                            "not saved. Train it again from its last good checkpoint, with a smaller learning rate.", parameter);
                    }
                }
            }
        }

        /// <summary>A hypercomplex model's saved W must be what its saved factors make (within the rounding of the n-term sum).</summary>
        private static void CheckFactors(string full, IHypercomplexModel model, NamedTensor[] values, Parsed file)
        {
            HypercomplexLayout layout = model.Layout;
            NamedTensor w = file.Tensor(new NamedTensor("W", [model.Classes, model.Inputs], decays: false, TensorInit.Zeros), "W")
                ?? throw SafetensorsFile.Invalid(full, "it holds a hypercomplex model's factors but not the W they make");
            var made = new float[w.Length];
            var scale = new float[w.Length];
            layout.Materialize(values[0].Values, values[1].Values, made);
            float[] absA = values[0].Values.ToArray();
            float[] absS = values[1].Values.ToArray();
            System.Numerics.Tensors.TensorPrimitives.Abs(absA, absA);
            System.Numerics.Tensors.TensorPrimitives.Abs(absS, absS);
            layout.Materialize(absA, absS, scale);
            Span<float> saved = w.Values;
            for (int k = 0; k < saved.Length; k++)
            {
                // Each of the n products and n - 1 additions rounds once: |error| <= 2n u Σ|A_i S_i|, u = 2^-24.
                double bound = (2.0 * layout.N * Math.ScaleB(1.0, -24) * scale[k]) + float.Epsilon;
                if (!(Math.Abs((double)saved[k] - made[k]) <= bound))
                {
                    throw SafetensorsFile.Invalid(full,
                        $"its W[{k / model.Inputs}, {k % model.Inputs}] is {saved[k]}, not what its factors make ({made[k]})");
                }
            }
        }

        private static Parsed Read(string path, bool verify)
        {
            string full = Path.GetFullPath(path);
            using FileStream stream = Open(full);
            try
            {
                SafetensorsFile.Contents container = SafetensorsFile.Read(stream, full, verify);
                return new Parsed(full, stream.Length, container);
            }
            catch (IOException e) when (e is not ModelFileException)
            {
                throw new ModelFileException(full, $"'{full}' could not be read: {e.Message}", e);
            }
        }

        private static FileStream Open(string full)
        {
            if (Directory.Exists(full))
            {
                throw new ModelFileException(full, $"'{full}' is a directory, not a model file: name the file inside it.", null);
            }

            // Opening a FIFO for reading waits for a writer: refuse anything that is not a regular file before opening it.
            if (File.Exists(full) && !SafeFile.IsRegularFile(full, followLinks: true))
            {
                throw new ModelFileException(full,
                    $"'{full}' is not a regular file (a device, FIFO or socket), so it cannot be a model file.", null);
            }

            try
            {
                return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16,
                    FileOptions.SequentialScan);
            }
            catch (FileNotFoundException e)
            {
                throw new ModelFileException(full, $"'{full}' does not exist: check the path, or save a model there first.", e);
            }
            catch (DirectoryNotFoundException e)
            {
                throw new ModelFileException(full,
                    $"'{full}' does not exist: its directory '{Path.GetDirectoryName(full)}' does not exist either.", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new ModelFileException(full, $"'{full}' cannot be read: permission denied.", e);
            }
            catch (IOException e)
            {
                throw new ModelFileException(full, $"'{full}' cannot be opened: {e.Message}", e);
            }
        }

        private static string Index(NamedTensor t, int i) => Index(t.Shape, i);

        private static string Index(IReadOnlyList<int> shape, int i)
        {
            var parts = new int[shape.Count];
            for (int d = parts.Length - 1; d >= 0; d--)
            {
                parts[d] = i % shape[d];
                i /= shape[d];
            }

            return string.Join(", ", parts);
        }

        private static string Shape(NamedTensor t) => "[" + string.Join(", ", t.Shape) + "]";

        /// <summary>NaN, +Infinity or -Infinity, as the ONNX exporter spells them.</summary>
        private static string Describe(float value) => float.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";

        /// <summary>A file read and checked as a container, with its metadata decoded and checked.</summary>
        private sealed class Parsed
        {
            private readonly HashSet<string> _used = new(StringComparer.Ordinal);

            public Parsed(string full, long length, SafetensorsFile.Contents container)
            {
                Path = full;
                Length = length;
                Container = container;
                Dictionary<string, string> m = container.Metadata;
                if (!m.TryGetValue("format", out string? format) || format != FormatName)
                {
                    throw SafetensorsFile.NotModel(full, format is null
                        ? "its metadata has no \"format\" entry (a safetensors file written by another program)"
                        : $"its metadata says its format is \"{format}\"");
                }

                int version = Integer(m, "format_version", 1, int.MaxValue);
                if (version > FormatVersion)
                {
                    throw new ModelFileException(full,
                        $"'{full}' is in model file format version {version}, written by a newer GenSoftmax; this one reads version " +
                            $"{FormatVersion}. " +
                        "Upgrade the GenSoftmax package to load it.", null);
                }

                if (version != FormatVersion)
                {
                    throw SafetensorsFile.Invalid(full,
                        $"its format version is {version}; this GenSoftmax reads version {FormatVersion} only");
                }

                Inputs = Integer(m, "inputs", ModelLimits.MinInputs, ModelLimits.MaxInputs);
                Classes = Integer(m, "classes", ModelLimits.MinClasses, ModelLimits.MaxClasses);
                if ((long)Inputs * Classes > ModelLimits.MaxParameters)
                {
                    throw SafetensorsFile.Invalid(full,
                        $"its shape {Inputs} x {Classes} has more than {Plural.Of(ModelLimits.MaxParameters, "weight", "N0")}");
                }

                Hypercomplex = Integer(m, "hypercomplex", 0, ModelLimits.MaxClasses);
                if (Hypercomplex != 0)
                {
                    try
                    {
                        _ = new HypercomplexLayout(Hypercomplex, Inputs, Classes);
                    }
                    catch (ArgumentOutOfRangeException e)
                    {
                        throw SafetensorsFile.Invalid(full, $"its hypercomplex n = {Hypercomplex} does not fit its shape ({e.Message})");
                    }
                }

                ClassNames = m.TryGetValue("class_names", out string? names) ? DecodeNames(names) : null;
                Options = m.TryGetValue("trainer_options", out string? options) ? DecodeOptions(options) : null;
                StateJson = m.TryGetValue("training_state", out string? state)
                    ? Decode(state, "training_state", ModelFileJson.Default.StateJson)
                    : null;
                if (StateJson is { } s && StateNumbersProblem(
                    s.CompletedEpochs, s.BatchesDone, s.LearningRate, s.EpochLossSum, s.EpochCorrect, s.EpochSeconds,
                        Options) is { } problem)
                {
                    throw SafetensorsFile.Invalid(full, $"its training state is not one a trainer makes: {problem}");
                }
                foreach (string key in m.Keys)
                {
                    if (key is not ("format" or "format_version" or "inputs" or "classes" or "hypercomplex" or "class_names"
                        or "trainer_options"
                        or "training_state" or SafetensorsFile.ChecksumKey))
                    {
                        throw SafetensorsFile.Invalid(full, $"its metadata has an entry '{key}' that this GenSoftmax does not know");
                    }
                }

                // Every tensor must be one this shape of model has: its parameters, W, and their velocity and best values.
                foreach (SafetensorsFile.TensorEntry t in container.Tensors)
                {
                    string name = t.Name.StartsWith(VelocityPrefix, StringComparison.Ordinal) ? t.Name[VelocityPrefix.Length..]
                        : t.Name.StartsWith(BestPrefix, StringComparison.Ordinal) ? t.Name[BestPrefix.Length..]
                        : t.Name;
                    int[]? expected = ExpectedShape(name);
                    if (expected is null)
                    {
                        throw SafetensorsFile.Invalid(full,
                            $"it holds a tensor '{t.Name}' that a {(Hypercomplex == 0 ? "dense" : "hypercomplex")} " +
                                "model file does not have");
                    }

                    if (!expected.AsSpan().SequenceEqual(t.Shape))
                    {
                        throw SafetensorsFile.Invalid(full,
                            $"its tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], but a {Inputs} x {Classes} model's is " +
                                $"[{string.Join(", ", expected)}]");
                    }

                    ReadOnlySpan<float> values = container.Values(t);
                    if (!Internal.Blas.AllFinite(values))
                    {
                        int at = 0;
                        while (float.IsFinite(values[at]))
                        {
                            at++;
                        }

                        throw SafetensorsFile.Invalid(full, $"its tensor '{t.Name}' holds {Describe(values[at])} at " +
                            $"[{Index(t.Shape, at)}], but every value of a model file is finite");
                    }
                }
            }

            public string Path { get; }

            public long Length { get; }

            public SafetensorsFile.Contents Container { get; }

            public int Inputs { get; }

            public int Classes { get; }

            public int Hypercomplex { get; }

            public IReadOnlyList<string>? ClassNames { get; }

            public TrainerOptions? Options { get; }

            public StateJson? StateJson { get; }

            /// <summary>The tensor <paramref name="name"/> as a copy shaped like <paramref name="like"/>, or null when the file has
            /// none.</summary>
            public NamedTensor? Tensor(NamedTensor like, string name)
            {
                SafetensorsFile.TensorEntry? entry = Container.Find(name);
                if (entry is null)
                {
                    return null;
                }

                NamedTensor copy = like.Clone();
                Container.Values(entry).CopyTo(copy.Values);
                _used.Add(name);
                return copy;
            }

            /// <summary>The training state with its velocity and best parameters from the file's tensors, or null without one.</summary>
            public TrainingState? State(IReadOnlyList<NamedTensor> parameters)
            {
                if (StateJson is not { } s)
                {
                    if (Container.Tensors.Exists(t =>
                        t.Name.StartsWith(VelocityPrefix, StringComparison.Ordinal)
                            || t.Name.StartsWith(BestPrefix, StringComparison.Ordinal)))
                    {
                        throw SafetensorsFile.Invalid(Path, "it holds velocity or best tensors but no training_state");
                    }

                    return null;
                }

                List<NamedTensor> velocity = Tensors(parameters, VelocityPrefix);
                EarlyStoppingState? stopping = s.EarlyStopping is not { } es ? null
                    : new EarlyStoppingState(es.BestEpoch, es.BestValue, es.EpochsWithoutImprovement, es.Stopped,
                        Tensors(parameters, BestPrefix));
                if (s.EarlyStopping is null && Container.Tensors.Exists(t => t.Name.StartsWith(BestPrefix, StringComparison.Ordinal)))
                {
                    throw SafetensorsFile.Invalid(Path, "it holds best tensors but its training state has no early-stopping record");
                }

                return new TrainingState(s.Seed, s.CompletedEpochs, s.BatchesDone, s.LearningRate, velocity, s.EpochLossSum, s.EpochCorrect,
                    s.EpochSeconds)
                {
                    EarlyStopping = stopping,
                };
            }

            /// <summary>The tensors PREFIX.NAME for each parameter: all of them, or none (an error when only some are there).</summary>
            private List<NamedTensor> Tensors(IReadOnlyList<NamedTensor> parameters, string prefix)
            {
                var found = new List<NamedTensor>();
                foreach (NamedTensor p in parameters)
                {
                    if (Tensor(p, prefix + p.Name) is { } t)
                    {
                        found.Add(t);
                    }
                }

                if (found.Count != 0 && found.Count != parameters.Count)
                {
                    throw SafetensorsFile.Invalid(Path,
                        $"it holds {found.Count} of the {parameters.Count} tensors {prefix}NAME of this model's parameters");
                }

                int all = Container.Tensors.FindAll(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)).Count;
                if (all != found.Count)
                {
                    throw SafetensorsFile.Invalid(Path, $"it holds {prefix}NAME tensors of parameters this model does not have");
                }

                return found;
            }

            private int[]? ExpectedShape(string name)
            {
                int n = Hypercomplex;
                return name switch
                {
                    "W" => [Classes, Inputs],
                    "b" => [Classes],
                    "A" when n != 0 => [n, n, n],
                    "S" when n != 0 => [n, Classes / n, Inputs / n],
                    _ => null,
                };
            }

            private int Integer(Dictionary<string, string> m, string key, int min, int max)
            {
                if (!m.TryGetValue(key, out string? text))
                {
                    throw SafetensorsFile.Invalid(Path, $"its metadata has no \"{key}\"");
                }

                if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
                {
                    throw SafetensorsFile.Invalid(Path,
                        $"its metadata's \"{key}\" is \"{text}\", not a whole number from {min} to {max:N0}");
                }

                return value;
            }

            private string[] DecodeNames(string json)
            {
                string[] names = Decode(json, "class_names", ModelFileJson.Default.StringArray);
                if (names.Length != Classes || Array.IndexOf(names, null) >= 0)
                {
                    throw SafetensorsFile.Invalid(Path,
                        $"its class_names holds {Plural.Of(names.Length, "name")} for {Plural.Of(Classes, "class")}");
                }

                var seen = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
                for (int k = 0; k < names.Length; k++)
                {
                    if (names[k].Length == 0)
                    {
                        throw SafetensorsFile.Invalid(Path, $"its class_names[{k}] is empty, but every class has a name");
                    }

                    if (!seen.TryAdd(names[k], k))
                    {
                        throw SafetensorsFile.Invalid(Path,
                            $"its class_names[{seen[names[k]]}] and [{k}] are both \"{names[k]}\", but class names are unique");
                    }
                }

                return names;
            }

            private TrainerOptions DecodeOptions(string json)
            {
                TrainerOptions options = Decode(json, "trainer_options", ModelFileJson.Default.OptionsJson).ToOptions();
                try
                {
                    options.Validate();
                }
                catch (ArgumentException e)
                {
                    throw SafetensorsFile.Invalid(Path, $"its trainer options are out of range: {e.Message}");
                }

                return options;
            }

            private T Decode<T>(string json, string key, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
            {
                try
                {
                    return JsonSerializer.Deserialize(json, type) ?? throw new JsonException("it is null");
                }
                catch (JsonException e)
                {
                    throw SafetensorsFile.Invalid(Path, $"its metadata's \"{key}\" is not what GenSoftmax writes ({e.Message})");
                }
            }
        }
    }
}
