using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using GenSoftmax.IO;
using static GenSoftmax.ModelFileFormat;

namespace GenSoftmax
{
    /// <summary>
    /// Saves a model to a file and loads it back: the parameters, and optionally the class names and what a run
    /// needs to continue (its options and the trainer's state), in a versioned, checksummed binary format that does
    /// not depend on the kernel variant that trained the model (README.md, "Model files", documents it byte by byte).
    /// </summary>
    /// <example>
    /// <code>
    /// ModelFile.Save("fashion.gsm", trainer, FashionMnist.ClassNames);      // parameters, names, options, state
    ///
    /// var model = new FashionClassifier();
    /// ModelFileContents saved = ModelFile.Load("fashion.gsm", model);        // model now predicts as the saved one
    /// var resumed = new Trainer(model, saved.TrainerOptions! with { Epochs = 20 });
    /// resumed.RestoreState(saved.TrainingState!);                           // and continues the run bit-identically
    /// </code>
    /// </example>
    public static class ModelFile
    {
        /// <summary>The format version this library writes, and the newest it reads.</summary>
        public const int FormatVersion = ModelFileFormat.Version;

        private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        /// <summary>
        /// Saves <paramref name="model"/>'s parameters, and what <paramref name="contents"/> holds, to <paramref name="path"/>,
        /// atomically (<see cref="SafeFile.Write"/>): a reader sees the old file or the new one, whole, never a mix.
        /// </summary>
        /// <exception cref="ArgumentException">A weight or bias of the model is NaN or infinite (the message names it), or
        /// <paramref name="contents"/> does not fit the model: a class name per class,
        /// velocity of the model's shape, the same seed in the options and the state.</exception>
        /// <exception cref="IOException">The file cannot be written; the message names it and says why.</exception>
        public static void Save(string path, ISoftmaxModel model, ModelFileContents? contents)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            ArgumentNullException.ThrowIfNull(model);
            contents ??= new ModelFileContents();
            int inputs = model.Inputs;
            int classes = model.Classes;
            CheckFinite(model);
            byte[][]? names = EncodeNames(contents.ClassNames, classes);
            TrainerOptions? options = contents.TrainerOptions;
            options?.Validate();
            IHypercomplexModel? hypercomplex = model as IHypercomplexModel;
            HypercomplexLayout? layout = hypercomplex?.Layout;
            if (hypercomplex is not null)
            {
                CheckFactors(hypercomplex);
            }

            TrainingState? state = contents.TrainingState;
            if (state is not null)
            {
                CheckState(state, options, inputs, classes, layout);
            }

            bool velocity = state is not null && state.VelocityWeights.Length != 0;
            bool extension = options is not null && HasExtension(options);
            EarlyStoppingState? stopping = state?.EarlyStopping;
            bool bestWeights = stopping is { BestEpoch: > 0 };

            // A hypercomplex model's training state: its velocity is its factors' (TSTA has none), and early stopping's
            // best epoch is its factors too (ESTA has the W they make).
            bool factorState = state is not null && layout is not null;
            bool factorVelocity = factorState && state!.VelocityFactorA.Length != 0;
            bool bestFactors = factorState && bestWeights;

            HypercomplexOptimizerState? optimizer = contents.HypercomplexOptimizer;
            if (optimizer is not null)
            {
                CheckOptimizer(optimizer, layout);
            }

            bool optimizerVelocity = optimizer is not null && optimizer.VelocityA.Length != 0;
            long namesLength = 4;
            foreach (byte[] name in names ?? [])
            {
                namesLength += 4 + name.Length;
            }

            int sections = 1 + (names is null ? 0 : 1) + (options is null ? 0 : 1) + (state is null ? 0 : 1) + (extension ? 1 : 0)
                + (stopping is null ? 0 : 1) + (layout is null ? 0 : 1) + (optimizer is null ? 0 : 1) + (factorState ? 1 : 0);
            long length = HeaderLength + SectionHeaderLength + ParametersLength(inputs, classes)
                + (names is null ? 0 : SectionHeaderLength + namesLength)
                + (options is null ? 0 : SectionHeaderLength + TrainerOptionsLength)
                + (extension ? SectionHeaderLength + TrainerOptionsExtensionLength : 0)
                + (state is null ? 0 : SectionHeaderLength + TrainingStateLength(inputs, classes, velocity))
                + (stopping is null ? 0 : SectionHeaderLength + EarlyStoppingLength(inputs, classes, bestWeights))
                + (layout is null ? 0 : SectionHeaderLength + HypercomplexFactorsLength(layout))
                + (optimizer is null ? 0 : SectionHeaderLength + HypercomplexOptimizerLength(layout!, optimizerVelocity))
                + (factorState ? SectionHeaderLength + HypercomplexTrainingStateLength(layout!, factorVelocity, bestFactors) : 0)
                + ChecksumLength;

            SafeFile.Write(path, stream =>
            {
                var writer = new HashingWriter(stream);
                Span<byte> header = stackalloc byte[HeaderLength];
                header.Clear();
                Magic.CopyTo(header);
                BinaryPrimitives.WriteUInt16LittleEndian(header.Slice(VersionOffset), ModelFileFormat.Version);
                BinaryPrimitives.WriteInt32LittleEndian(header.Slice(InputsOffset), inputs);
                BinaryPrimitives.WriteInt32LittleEndian(header.Slice(ClassesOffset), classes);
                BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(SectionCountOffset), (uint)sections);
                BinaryPrimitives.WriteUInt64LittleEndian(header.Slice(FileLengthOffset), (ulong)length);
                writer.Write(header);

                writer.SectionHeader(ParametersTag, RequiredFlag, ParametersLength(inputs, classes));
                writer.Write([Float32, ClassMajor, 0, 0]);
                writer.WriteFloats(model.Weights);
                writer.WriteFloats(model.Bias);

                if (names is not null)
                {
                    writer.SectionHeader(ClassNamesTag, 0, namesLength);
                    writer.WriteUInt32((uint)names.Length);
                    foreach (byte[] name in names)
                    {
                        writer.WriteUInt32((uint)name.Length);
                        writer.Write(name);
                    }
                }

                if (options is not null)
                {
                    writer.SectionHeader(TrainerOptionsTag, 0, TrainerOptionsLength);
                    Span<byte> o = stackalloc byte[TrainerOptionsLength];
                    BinaryPrimitives.WriteInt32LittleEndian(o, options.BatchSize);
                    BinaryPrimitives.WriteInt32LittleEndian(o.Slice(4), options.Epochs);
                    BinaryPrimitives.WriteInt32LittleEndian(o.Slice(8), options.Seed);
                    BinaryPrimitives.WriteSingleLittleEndian(o.Slice(12), options.InitStdDev);
                    BinaryPrimitives.WriteInt32LittleEndian(o.Slice(16), options.Threads);
                    BinaryPrimitives.WriteSingleLittleEndian(o.Slice(20), options.Optimizer.LearningRate);
                    BinaryPrimitives.WriteSingleLittleEndian(o.Slice(24), options.Optimizer.Momentum);
                    BinaryPrimitives.WriteSingleLittleEndian(o.Slice(28), options.Optimizer.WeightDecay);
                    writer.Write(o);
                }

                if (extension)
                {
                    writer.SectionHeader(TrainerOptionsExtensionTag, RequiredFlag, TrainerOptionsExtensionLength);
                    Span<byte> x = stackalloc byte[TrainerOptionsExtensionLength];
                    WriteExtension(x, options!);
                    writer.Write(x);
                }

                if (state is not null)
                {
                    writer.SectionHeader(TrainingStateTag, 0, TrainingStateLength(inputs, classes, velocity));
                    Span<byte> s = stackalloc byte[TrainingStateFixedLength];
                    BinaryPrimitives.WriteInt32LittleEndian(s, state.Seed);
                    BinaryPrimitives.WriteInt32LittleEndian(s.Slice(4), state.CompletedEpochs);
                    BinaryPrimitives.WriteInt32LittleEndian(s.Slice(8), state.BatchesDone);
                    BinaryPrimitives.WriteSingleLittleEndian(s.Slice(12), state.LearningRate);
                    BinaryPrimitives.WriteDoubleLittleEndian(s.Slice(16), state.EpochLossSum);
                    BinaryPrimitives.WriteInt64LittleEndian(s.Slice(24), state.EpochCorrect);
                    BinaryPrimitives.WriteDoubleLittleEndian(s.Slice(32), state.EpochSeconds);
                    BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(40), velocity ? 1u : 0u);
                    writer.Write(s);
                    if (velocity)
                    {
                        writer.WriteFloats(state.VelocityWeights);
                        writer.WriteFloats(state.VelocityBias);
                    }
                }

                if (stopping is not null)
                {
                    writer.SectionHeader(EarlyStoppingStateTag, RequiredFlag, EarlyStoppingLength(inputs, classes, bestWeights));
                    Span<byte> e = stackalloc byte[EarlyStoppingFixedLength];
                    BinaryPrimitives.WriteInt32LittleEndian(e, stopping.BestEpoch);
                    BinaryPrimitives.WriteInt32LittleEndian(e.Slice(4), stopping.EpochsWithoutImprovement);
                    BinaryPrimitives.WriteDoubleLittleEndian(e.Slice(8), stopping.BestValue);
                    BinaryPrimitives.WriteUInt32LittleEndian(e.Slice(16), stopping.Stopped ? 1u : 0u);
                    BinaryPrimitives.WriteUInt32LittleEndian(e.Slice(20), bestWeights ? 1u : 0u);
                    writer.Write(e);
                    if (bestWeights)
                    {
                        writer.WriteFloats(stopping.BestWeights);
                        writer.WriteFloats(stopping.BestBias);
                    }
                }

                if (hypercomplex is not null)
                {
                    writer.SectionHeader(HypercomplexFactorsTag, 0, HypercomplexFactorsLength(layout!));
                    writer.WriteUInt32((uint)layout!.N);
                    writer.WriteUInt32(0);
                    writer.WriteFloats(hypercomplex.FactorA);
                    writer.WriteFloats(hypercomplex.FactorS);
                }

                if (optimizer is not null)
                {
                    writer.SectionHeader(HypercomplexOptimizerTag, 0, HypercomplexOptimizerLength(layout!, optimizerVelocity));
                    Span<byte> h = stackalloc byte[HypercomplexOptimizerFixedLength];
                    BinaryPrimitives.WriteSingleLittleEndian(h, optimizer.Options.LearningRate);
                    BinaryPrimitives.WriteSingleLittleEndian(h.Slice(4), optimizer.Options.Momentum);
                    BinaryPrimitives.WriteSingleLittleEndian(h.Slice(8), optimizer.Options.WeightDecay);
                    BinaryPrimitives.WriteSingleLittleEndian(h.Slice(12), optimizer.LearningRate);
                    BinaryPrimitives.WriteUInt32LittleEndian(h.Slice(16), optimizerVelocity ? 1u : 0u);
                    BinaryPrimitives.WriteUInt32LittleEndian(h.Slice(20), 0u);
                    writer.Write(h);
                    if (optimizerVelocity)
                    {
                        writer.WriteFloats(optimizer.VelocityA);
                        writer.WriteFloats(optimizer.VelocityS);
                        writer.WriteFloats(optimizer.VelocityBias);
                    }
                }

                if (factorState)
                {
                    writer.SectionHeader(HypercomplexTrainingStateTag, RequiredFlag, HypercomplexTrainingStateLength(layout!, factorVelocity, bestFactors));
                    writer.WriteUInt32((uint)layout!.N);
                    writer.WriteUInt32((factorVelocity ? 1u : 0u) | (bestFactors ? 2u : 0u));
                    if (factorVelocity)
                    {
                        writer.WriteFloats(state!.VelocityFactorA);
                        writer.WriteFloats(state.VelocityFactorS);
                        writer.WriteFloats(state.VelocityBias);
                    }

                    if (bestFactors)
                    {
                        writer.WriteFloats(stopping!.BestFactorA);
                        writer.WriteFloats(stopping.BestFactorS);
                    }
                }

                writer.WriteChecksum();
                if (writer.Position != length)
                {
                    throw new InvalidOperationException($"Internal error: the model file came to {writer.Position} bytes, but its header declares {length}.");
                }
            });
        }

        /// <summary>Saves <paramref name="model"/>'s parameters to <paramref name="path"/>, atomically.</summary>
        /// <exception cref="IOException">The file cannot be written; the message names it and says why.</exception>
        public static void Save(string path, ISoftmaxModel model) => Save(path, model, contents: null);

        /// <summary>
        /// Saves <paramref name="trainer"/>'s model with its options and state, so the run can be continued from the
        /// file (<see cref="Load(string, ISoftmaxModel)"/>, then <see cref="Trainer.RestoreState"/>), and optionally the class names.
        /// </summary>
        /// <exception cref="ArgumentException"><paramref name="classNames"/> does not have one name per class.</exception>
        /// <exception cref="IOException">The file cannot be written; the message names it and says why.</exception>
        public static void Save(string path, Trainer trainer, IReadOnlyList<string>? classNames)
        {
            ArgumentNullException.ThrowIfNull(trainer);
            Save(path, trainer.Model, new ModelFileContents
            {
                ClassNames = classNames, TrainerOptions = trainer.Options, TrainingState = trainer.SaveState(),
            });
        }

        /// <summary>
        /// Saves <paramref name="optimizer"/>'s hypercomplex model (its W, and its factors A and S) with the optimizer's
        /// settings, learning rate and velocity, so the run can be continued from the file (<see cref="Load(string, ISoftmaxModel)"/>
        /// into a model of the same declaration, then <see cref="HypercomplexOptimizerState.CreateOptimizer"/>), and optionally the class names.
        /// </summary>
        /// <exception cref="ArgumentException"><paramref name="classNames"/> does not have one name per class, or the model's
        /// weights were written directly rather than through its factors.</exception>
        /// <exception cref="IOException">The file cannot be written; the message names it and says why.</exception>
        public static void Save(string path, HypercomplexSgd optimizer, IReadOnlyList<string>? classNames)
        {
            ArgumentNullException.ThrowIfNull(optimizer);
            Save(path, optimizer.Model, new ModelFileContents
            {
                ClassNames = classNames, HypercomplexOptimizer = HypercomplexOptimizerState.Of(optimizer),
            });
        }

        /// <summary>
        /// Loads the parameters saved in <paramref name="path"/> into <paramref name="into"/>, which then predicts
        /// bit-identically to the model that was saved (with the same kernel variant), and returns what else the file holds.
        /// </summary>
        /// <remarks>The whole file is checked (magic, version, length, checksum, shape, structure) before the model is
        /// touched: after any failure it holds what it held before.</remarks>
        /// <remarks>A hypercomplex model (<see cref="IHypercomplexModel"/>) gets the file's factors A and S, from which it
        /// rebuilds W; the file must hold factors of its n (a file saved from such a model does).</remarks>
        /// <exception cref="ModelFileException">The file is missing, unreadable, empty, truncated, damaged, not a model file,
        /// from a newer format version, or holds a model of another shape (or, for a hypercomplex model, no factors of its n);
        /// the message names the file and the problem.</exception>
        public static ModelFileContents Load(string path, ISoftmaxModel into)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            ArgumentNullException.ThrowIfNull(into);
            Parsed file = Read(path, into);
            // Every parameter is replaced at once for predictions on other threads (ISoftmaxModel.Gate).
            using ParameterGate.WriteScope write = into.Gate is { } gate ? gate.EnterWrite() : default;
            if (into is IHypercomplexModel hypercomplex)
            {
                // Checked by Read: the file holds factors of this n, and they make the file's W.
                hypercomplex.SetFactors(file.FactorA, file.FactorS);
            }
            else
            {
                file.Weights.CopyTo(into.Weights);
            }

            file.Bias.CopyTo(into.Bias);
            return new ModelFileContents
            {
                ClassNames = file.ClassNames, TrainerOptions = file.Options, TrainingState = file.State, HypercomplexOptimizer = file.Optimizer,
            };
        }

        /// <summary>
        /// Loads a model file of any shape into a new run-time-shaped model (<see cref="RuntimeSoftmaxModel"/>): no
        /// <c>[SoftmaxModel]</c> declaration of that shape is needed. It predicts as the saved model did, to float rounding
        /// (its kernels sum in another order than a generated model's).
        /// </summary>
        /// <exception cref="ModelFileException">As for <see cref="Load(string, ISoftmaxModel)"/>.</exception>
        public static RuntimeSoftmaxModel Load(string path, out ModelFileContents contents)
        {
            ModelFileInfo info = ReadInfo(path);
            var model = new RuntimeSoftmaxModel(info.Inputs, info.Classes);
            contents = Load(path, model);
            return model;
        }

        /// <summary>
        /// Describes the model file <paramref name="path"/> without loading it: format version, shape, class names,
        /// training options and position, and whether the checksum holds (a damaged file is described, not refused,
        /// as far as its structure can still be read).
        /// </summary>
        /// <exception cref="ModelFileException">The file is missing, unreadable, empty, truncated, not a model file, from a
        /// newer format version, or too damaged to describe.</exception>
        public static ModelFileInfo ReadInfo(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            Parsed file = Read(path, into: null);
            return new ModelFileInfo(
                file.Path, file.Length, file.Version, file.Inputs, file.Classes, file.ClassNames, file.Options,
                file.HasState, file.CompletedEpochs, file.BatchesDone, file.ChecksumValid, file.HypercomplexN);
        }

        private static byte[][]? EncodeNames(IReadOnlyList<string>? names, int classes)
        {
            if (names is null)
            {
                return null;
            }

            if (names.Count != classes)
            {
                throw new ArgumentException(
                    $"ClassNames has {names.Count} names, but the model has {classes} classes: give one name per class, in class order.", "contents");
            }

            var encoded = new byte[classes][];
            for (int k = 0; k < classes; k++)
            {
                string? name = names[k];
                if (name is null)
                {
                    throw new ArgumentException($"ClassNames[{k}] is null: give every class a name (an empty string is allowed).", "contents");
                }

                try
                {
                    encoded[k] = StrictUtf8.GetBytes(name);
                }
                catch (EncoderFallbackException e)
                {
                    throw new ArgumentException($"ClassNames[{k}] is not valid Unicode text (it holds a lone surrogate), so it cannot be saved as UTF-8.", "contents", e);
                }
            }

            return encoded;
        }

        private static void CheckState(TrainingState state, TrainerOptions? options, int inputs, int classes, HypercomplexLayout? layout)
        {
            int w = state.VelocityWeights?.Length ?? -1;
            int b = state.VelocityBias?.Length ?? -1;
            int a = state.VelocityFactorA?.Length ?? -1;
            int s = state.VelocityFactorS?.Length ?? -1;
            if (layout is null)
            {
                if (a != 0 || s != 0)
                {
                    throw new ArgumentException(
                        $"The training state has a hypercomplex model's factor velocity ({a} + {s} entries), but the model saved is dense: " +
                        "save the state of a trainer of this model.", "contents");
                }

                if (!(w == 0 && b == 0) && !(w == (long)inputs * classes && b == classes))
                {
                    throw new ArgumentException(
                        $"The training state's velocity has {w} weights and {b} bias entries, but the model needs {(long)inputs * classes} and {classes} " +
                        "(or none, without momentum): save the state of a trainer of this model.", "contents");
                }
            }
            else if (w != 0 || (!(a == 0 && s == 0 && b == 0) && !(a == layout.FactorALength && s == layout.FactorSLength && b == classes)))
            {
                throw new ArgumentException(
                    $"The training state's velocity has {w} weights, {a} + {s} factor entries and {b} bias entries, but this hypercomplex model " +
                    $"needs no weight velocity and {layout.FactorALength} + {layout.FactorSLength} factor and {classes} bias entries " +
                    "(or none, without momentum): save the state of a trainer of this model.", "contents");
            }

            if (FirstNonFinite(state.VelocityWeights) >= 0 || FirstNonFinite(state.VelocityBias) >= 0
                || FirstNonFinite(state.VelocityFactorA) >= 0 || FirstNonFinite(state.VelocityFactorS) >= 0)
            {
                throw new ArgumentException("The training state's velocity holds a NaN or infinite value: it is not saved.", "contents");
            }

            if (state.CompletedEpochs < 0 || state.BatchesDone < 0)
            {
                throw new ArgumentException($"The training state's position (epoch {state.CompletedEpochs}, batch {state.BatchesDone}) is negative.", "contents");
            }

            CheckStopping(state, options, inputs, classes, layout);

            if (options is null)
            {
                return;
            }

            if (state.Seed != options.Seed)
            {
                throw new ArgumentException(
                    $"The training state is of a run with seed {state.Seed}, but the trainer options have seed {options.Seed}: save the options of the run the state belongs to.",
                    "contents");
            }

            if ((options.Optimizer.Momentum != 0f) != (w != 0 || a != 0))
            {
                throw new ArgumentException(
                    options.Optimizer.Momentum != 0f
                        ? "The trainer options have momentum, but the training state has no velocity: save the state of the run the options belong to."
                        : "The training state has a velocity, but the trainer options have no momentum: save the options of the run the state belongs to.",
                    "contents");
            }
        }

        /// <summary>Whether <paramref name="options"/> differ from the defaults in a setting that TOPT does not hold.</summary>
        private static bool HasExtension(TrainerOptions options) =>
            options.Schedule != LearningRateSchedule.Constant || options.Loss != TrainingLoss.CrossEntropy
            || options.LabelSmoothing != 0f || options.EarlyStopping is not null;

        private static void WriteExtension(Span<byte> x, TrainerOptions options)
        {
            x.Clear();
            LearningRateSchedule schedule = options.Schedule;
            EarlyStoppingOptions? stopping = options.EarlyStopping;
            x[0] = (byte)schedule.Kind;
            x[1] = (byte)options.Loss;
            x[2] = stopping is null ? (byte)0 : (byte)1;
            x[3] = stopping is null ? (byte)0 : (byte)stopping.Metric;
            BinaryPrimitives.WriteInt32LittleEndian(x.Slice(4), schedule.StepEpochs);
            BinaryPrimitives.WriteSingleLittleEndian(x.Slice(8), schedule.StepFactor);
            BinaryPrimitives.WriteSingleLittleEndian(x.Slice(12), schedule.FinalFraction);
            BinaryPrimitives.WriteInt32LittleEndian(x.Slice(16), schedule.WarmupEpochs);
            BinaryPrimitives.WriteSingleLittleEndian(x.Slice(20), options.LabelSmoothing);
            if (stopping is not null)
            {
                BinaryPrimitives.WriteSingleLittleEndian(x.Slice(24), stopping.HoldOutFraction);
                BinaryPrimitives.WriteInt32LittleEndian(x.Slice(28), stopping.Patience);
                BinaryPrimitives.WriteDoubleLittleEndian(x.Slice(32), stopping.MinImprovement);
                x[40] = stopping.RestoreBestWeights ? (byte)1 : (byte)0;
            }
        }

        /// <summary>The early-stopping record is saved only as a trainer makes it, so that loading it never refuses what was saved.</summary>
        private static void CheckStopping(TrainingState state, TrainerOptions? options, int inputs, int classes, HypercomplexLayout? layout)
        {
            EarlyStoppingState? es = state.EarlyStopping;
            if (options is not null && (options.EarlyStopping is null) != (es is null))
            {
                throw new ArgumentException(
                    es is null
                        ? "The trainer options stop early, but the training state has no early-stopping record: save the state of the run the options belong to."
                        : "The training state has an early-stopping record, but the trainer options do not stop early: save the options of the run the state belongs to.",
                    "contents");
            }

            if (es is null)
            {
                return;
            }

            string? problem = StoppingProblem(es.BestEpoch, es.EpochsWithoutImprovement, es.BestValue, es.Stopped ? 1u : 0u, state.CompletedEpochs);
            if (problem is null && es.BestEpoch > 0
                && (es.BestWeights is null || es.BestBias is null || es.BestWeights.Length != (long)inputs * classes || es.BestBias.Length != classes))
            {
                problem = $"its best weights have {es.BestWeights?.Length ?? -1} + {es.BestBias?.Length ?? -1} entries, but the model needs {(long)inputs * classes} + {classes}";
            }

            if (problem is null && es.BestEpoch == 0 && (es.BestWeights?.Length ?? 0) + (es.BestBias?.Length ?? 0) != 0)
            {
                problem = "it has best weights but no best epoch";
            }

            if (problem is null && es.BestEpoch > 0 && (FirstNonFinite(es.BestWeights) >= 0 || FirstNonFinite(es.BestBias) >= 0))
            {
                problem = "its best weights hold a NaN or infinite value";
            }

            int a = es.BestFactorA?.Length ?? -1, s = es.BestFactorS?.Length ?? -1;
            if (problem is null && (layout is null || es.BestEpoch == 0) && (a != 0 || s != 0))
            {
                problem = layout is null
                    ? $"it has best hypercomplex factors ({a} + {s} entries), but the model saved is dense"
                    : "it has best factors but no best epoch";
            }

            if (problem is null && layout is not null && es.BestEpoch > 0 && (a != layout.FactorALength || s != layout.FactorSLength))
            {
                problem = $"its best factors have {a} + {s} entries, but this hypercomplex model needs {layout.FactorALength} + {layout.FactorSLength}";
            }

            if (problem is null && layout is not null && es.BestEpoch > 0 && (FirstNonFinite(es.BestFactorA) >= 0 || FirstNonFinite(es.BestFactorS) >= 0))
            {
                problem = "its best factors hold a NaN or infinite value";
            }

            if (problem is not null)
            {
                throw new ArgumentException($"The training state's early-stopping record is not one a trainer makes: {problem}. Save the state of a trainer of this model.", "contents");
            }
        }

        /// <summary>What is wrong with an early-stopping record's numbers, or null.</summary>
        private static string? StoppingProblem(int bestEpoch, int sinceBest, double bestValue, uint stopped, int completedEpochs)
        {
            if (bestEpoch < 0 || sinceBest < 0)
            {
                return $"its best epoch ({bestEpoch}) or epochs without improvement ({sinceBest}) is negative";
            }

            if (stopped > 1)
            {
                return $"its stopped flag is {stopped}, but must be 0 or 1";
            }

            if (bestEpoch > completedEpochs || sinceBest > completedEpochs)
            {
                return $"its best epoch ({bestEpoch}) or epochs without improvement ({sinceBest}) is past the run's {completedEpochs} completed epochs";
            }

            if (bestEpoch == 0)
            {
                return double.IsNaN(bestValue) && sinceBest == 0 && stopped == 0
                    ? null
                    : "it has no best epoch yet, so its best value must be NaN, its epochs without improvement 0 and it cannot have stopped";
            }

            return double.IsFinite(bestValue) && bestValue >= 0
                ? null
                : $"its best held-out value is {bestValue}, but a loss or accuracy is finite and at least 0";
        }

        /// <summary>A hypercomplex model's W must be what its factors make: the file holds both, and a reader may use either.</summary>
        private static void CheckFactors(IHypercomplexModel model)
        {
            HypercomplexLayout layout = model.Layout;
            if (layout.Inputs != model.Inputs || layout.Classes != model.Classes || model.FactorA.Length != layout.FactorALength || model.FactorS.Length != layout.FactorSLength)
            {
                throw new ArgumentException($"The hypercomplex model's layout ({layout}) does not match its shape ({model.Inputs} x {model.Classes}).", nameof(model));
            }

            if (FirstNonFinite(model.FactorA) >= 0 || FirstNonFinite(model.FactorS) >= 0)
            {
                throw new ArgumentException("The hypercomplex model's factors hold a NaN or infinite value: it is not saved. Train it again with a smaller learning rate.", nameof(model));
            }

            int k = FactorMismatch(layout, model.FactorA, model.FactorS, model.Weights);
            if (k >= 0)
            {
                throw new ArgumentException(
                    $"The hypercomplex model's Weights[{k / model.Inputs}, {k % model.Inputs}] is {model.Weights[k]}, not what its factors make: its weights " +
                    "were written directly. Set them through SetFactors (or train with HypercomplexSgd) before saving.", nameof(model));
            }
        }

        /// <summary>
        /// The first weight further from Σ A_i ⊗ S_i than float rounding of the n-term sum allows (a file written on a
        /// machine whose vector width rounds the sum otherwise still loads), or -1.
        /// </summary>
        private static int FactorMismatch(HypercomplexLayout layout, ReadOnlySpan<float> a, ReadOnlySpan<float> s, ReadOnlySpan<float> weights)
        {
            var made = new float[weights.Length];
            var scale = new float[weights.Length];
            layout.Materialize(a, s, made);
            float[] absA = a.ToArray();
            float[] absS = s.ToArray();
            System.Numerics.Tensors.TensorPrimitives.Abs(absA, absA);
            System.Numerics.Tensors.TensorPrimitives.Abs(absS, absS);
            layout.Materialize(absA, absS, scale);
            for (int k = 0; k < weights.Length; k++)
            {
                // Each of the n products and n - 1 additions rounds once: |error| <= 2n u Σ|A_i S_i|, u = 2^-24.
                double bound = (2.0 * layout.N * Math.ScaleB(1.0, -24) * scale[k]) + float.Epsilon;
                if (!(Math.Abs((double)weights[k] - made[k]) <= bound))
                {
                    return k;
                }
            }

            return -1;
        }

        private static void CheckOptimizer(HypercomplexOptimizerState optimizer, HypercomplexLayout? layout)
        {
            if (layout is null)
            {
                throw new ArgumentException("HypercomplexOptimizer is the state of a hypercomplex model's optimizer, but the model saved is dense: save the hypercomplex model it trains.", "contents");
            }

            ArgumentNullException.ThrowIfNull(optimizer.Options, "contents");
            optimizer.Options.Validate();
            if (!(optimizer.LearningRate > 0f) || float.IsInfinity(optimizer.LearningRate))
            {
                throw new ArgumentException($"HypercomplexOptimizer.LearningRate is {optimizer.LearningRate}, but must be positive and finite.", "contents");
            }

            int a = optimizer.VelocityA?.Length ?? -1, s = optimizer.VelocityS?.Length ?? -1, b = optimizer.VelocityBias?.Length ?? -1;
            bool momentum = optimizer.Options.Momentum != 0f;
            bool fits = momentum
                ? a == layout.FactorALength && s == layout.FactorSLength && b == layout.Classes
                : a == 0 && s == 0 && b == 0;
            if (!fits)
            {
                throw new ArgumentException(
                    $"HypercomplexOptimizer's velocity has {a} + {s} + {b} entries, but {(momentum ? $"with momentum the model needs {layout.FactorALength} + {layout.FactorSLength} + {layout.Classes}" : "without momentum it has none")}: " +
                    "save the state of this model's optimizer (HypercomplexOptimizerState.Of).", "contents");
            }

            if (FirstNonFinite(optimizer.VelocityA) >= 0 || FirstNonFinite(optimizer.VelocityS) >= 0 || FirstNonFinite(optimizer.VelocityBias) >= 0)
            {
                throw new ArgumentException("HypercomplexOptimizer's velocity holds a NaN or infinite value: it is not saved.", "contents");
            }
        }

        /// <summary>What a read found. Weights and bias are null when only a description was asked for.</summary>
        private sealed class Parsed
        {
            public required string Path;
            public long Length;
            public int Version;
            public int Inputs;
            public int Classes;
            public bool ChecksumValid;
            public float[] Weights = [];
            public float[] Bias = [];
            public string[]? ClassNames;
            public TrainerOptions? Options;
            public TrainingState? State;
            public bool HasState;
            public int StateSeed;
            public bool StateHasVelocity;
            public int CompletedEpochs;
            public int BatchesDone;
            public Extension? Extension;
            public bool HasStopping;
            public int StoppingBestEpoch;
            public int StoppingSinceBest;
            public double StoppingBestValue;
            public uint StoppingStopped;
            public EarlyStoppingState? Stopping;
            public int HypercomplexN;
            public float[] FactorA = [];
            public float[] FactorS = [];
            public bool HasOptimizer;
            public HypercomplexOptimizerState? Optimizer;
            public bool HasFactorState;
            public bool FactorStateVelocity;
            public bool FactorStateBest;
            public float[] VelocityFactorA = [];
            public float[] VelocityFactorS = [];
            public float[] VelocityFactorBias = [];
            public float[] BestFactorA = [];
            public float[] BestFactorS = [];
        }

        /// <summary>The trainer options that TOPX holds.</summary>
        private sealed record Extension(LearningRateSchedule Schedule, TrainingLoss Loss, float LabelSmoothing, EarlyStoppingOptions? EarlyStopping);

        private static Parsed Read(string path, ISoftmaxModel? into)
        {
            string full = Path.GetFullPath(path);
            using FileStream stream = Open(full);
            try
            {
                return Read(stream, full, into);
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
                throw new ModelFileException(full, $"'{full}' is not a regular file (a device, FIFO or socket), so it cannot be a model file.", null);
            }

            try
            {
                return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
            }
            catch (FileNotFoundException e)
            {
                throw new ModelFileException(full, $"'{full}' does not exist: check the path, or save a model there first.", e);
            }
            catch (DirectoryNotFoundException e)
            {
                throw new ModelFileException(full, $"'{full}' does not exist: its directory '{Path.GetDirectoryName(full)}' does not exist either.", e);
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

        private static Parsed Read(FileStream stream, string full, ISoftmaxModel? into)
        {
            long length = stream.Length;
            Span<byte> header = stackalloc byte[HeaderLength];
            int got = stream.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false);
            CheckMagic(full, header.Slice(0, got), length);
            if (got < HeaderLength)
            {
                throw Truncated(full, $"it ends inside its {HeaderLength}-byte header, after {length} bytes");
            }

            int version = BinaryPrimitives.ReadUInt16LittleEndian(header.Slice(VersionOffset));
            if (version > ModelFileFormat.Version)
            {
                throw new ModelFileException(full,
                    $"'{full}' is in model file format version {version}, written by a newer GenSoftmax; this one reads versions up to {ModelFileFormat.Version}. " +
                    "Upgrade the GenSoftmax package to load it.", null);
            }

            if (version == 0)
            {
                throw Invalid(full, "its header declares format version 0, which does not exist");
            }

            ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(header.Slice(FileLengthOffset));
            if (declared > (ulong)length)
            {
                throw Truncated(full, $"its header declares {declared:N0} bytes, but the file has {length:N0}");
            }

            if (declared < (ulong)length)
            {
                throw Invalid(full,
                    $"it has {length - (long)declared:N0} bytes past its end (its header declares {declared:N0} bytes, the file has {length:N0}): " +
                    "something was appended to it, or its header is damaged");
            }

            if (length < MinimumLength)
            {
                throw Invalid(full, $"it declares {length} bytes, fewer than the smallest model file ({MinimumLength})");
            }

            // The checksum first, streamed: a damaged file is reported as damaged, whatever its damage made the header
            // say, and nothing is allocated for what the file declares.
            long content = length - ChecksumLength;
            stream.Position = 0;
            var scan = new HashingReader(stream, full, content);
            scan.Skip(content);
            Span<byte> trailer = stackalloc byte[ChecksumLength];
            stream.ReadExactly(trailer);
            ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(trailer);
            ulong actual = scan.Hash;
            bool checksumValid = stored == actual;
            if (!checksumValid && into is not null)
            {
                throw Damaged(full, stored, actual);
            }

            try
            {
                Parsed parsed = Parse(stream, full, header, length, version, into);
                parsed.ChecksumValid = checksumValid;
                return parsed;
            }
            catch (ModelFileException) when (!checksumValid)
            {
                throw Damaged(full, stored, actual);
            }
        }

        private static Parsed Parse(FileStream stream, string full, ReadOnlySpan<byte> header, long length, int version, ISoftmaxModel? into)
        {
            int reserved = BinaryPrimitives.ReadUInt16LittleEndian(header.Slice(ReservedOffset));
            if (reserved != 0)
            {
                throw Invalid(full, $"bytes {ReservedOffset}-{ReservedOffset + 1} of its header are 0x{reserved:X4}, but must be 0 in format version {version}");
            }

            int inputs = BinaryPrimitives.ReadInt32LittleEndian(header.Slice(InputsOffset));
            int classes = BinaryPrimitives.ReadInt32LittleEndian(header.Slice(ClassesOffset));
            if (inputs < ModelLimits.MinInputs || inputs > ModelLimits.MaxInputs || classes < ModelLimits.MinClasses || classes > ModelLimits.MaxClasses
                || (long)inputs * classes > ModelLimits.MaxParameters)
            {
                throw Invalid(full,
                    $"its header declares a model of {inputs} inputs and {classes} classes, outside what GenSoftmax supports " +
                    $"({ModelLimits.MinInputs}..{ModelLimits.MaxInputs} inputs, {ModelLimits.MinClasses}..{ModelLimits.MaxClasses} classes, " +
                    $"at most {ModelLimits.MaxParameters} weights)");
            }

            if (into is not null && (into.Inputs != inputs || into.Classes != classes))
            {
                throw new ModelFileException(full,
                    $"'{full}' holds a model of {inputs} inputs and {classes} classes, but the model it is loaded into ({into.GetType().Name}) has " +
                    $"{into.Inputs} inputs and {into.Classes} classes: load it into a model of the file's shape.", null);
            }

            uint sections = BinaryPrimitives.ReadUInt32LittleEndian(header.Slice(SectionCountOffset));
            long content = length - ChecksumLength;
            if (sections > (content - HeaderLength) / SectionHeaderLength)
            {
                throw Invalid(full, $"its header declares {sections} sections, more than its {length} bytes can hold");
            }

            var parsed = new Parsed { Path = full, Length = length, Version = version, Inputs = inputs, Classes = classes };
            stream.Position = 0;
            var reader = new HashingReader(stream, full, content);
            Span<byte> again = stackalloc byte[HeaderLength];
            reader.Read(again, "the header");
            if (!again.SequenceEqual(header))
            {
                throw Changed(full);
            }

            var seen = new HashSet<uint>();
            Span<byte> sectionHeader = stackalloc byte[SectionHeaderLength];
            for (uint s = 0; s < sections; s++)
            {
                long at = reader.Position;
                reader.Read(sectionHeader, $"the header of section {s + 1} of {sections}");
                uint tag = BinaryPrimitives.ReadUInt32LittleEndian(sectionHeader);
                uint flags = BinaryPrimitives.ReadUInt32LittleEndian(sectionHeader.Slice(4));
                ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(sectionHeader.Slice(8));
                string name = TagName(tag);
                if (declared > (ulong)reader.Remaining)
                {
                    throw Invalid(full, $"its section '{name}' at byte {at} declares {declared:N0} bytes, but only {reader.Remaining:N0} remain before the checksum");
                }

                if (!seen.Add(tag))
                {
                    throw Invalid(full, $"it holds a second section '{name}' at byte {at}; a section may appear once");
                }

                long payload = (long)declared;
                if (tag == ParametersTag)
                {
                    ReadParameters(reader, full, payload, parsed, load: into is not null);
                }
                else if (tag == ClassNamesTag)
                {
                    parsed.ClassNames = ReadNames(reader, full, payload, classes);
                }
                else if (tag == TrainerOptionsTag)
                {
                    parsed.Options = ReadOptions(reader, full, payload);
                }
                else if (tag == TrainingStateTag)
                {
                    ReadState(reader, full, payload, parsed, load: into is not null);
                }
                else if (tag == TrainerOptionsExtensionTag)
                {
                    parsed.Extension = ReadExtension(reader, full, payload);
                }
                else if (tag == EarlyStoppingStateTag)
                {
                    ReadStopping(reader, full, payload, parsed, load: into is not null);
                }
                else if (tag == HypercomplexFactorsTag)
                {
                    ReadFactors(reader, full, payload, parsed, load: into is not null);
                }
                else if (tag == HypercomplexOptimizerTag)
                {
                    ReadOptimizer(reader, full, payload, parsed, load: into is not null);
                }
                else if (tag == HypercomplexTrainingStateTag)
                {
                    ReadFactorState(reader, full, payload, parsed, load: into is not null);
                }
                else if ((flags & RequiredFlag) != 0)
                {
                    throw new ModelFileException(full,
                        $"'{full}' holds a section '{name}' (at byte {at}) that this version of GenSoftmax does not know and that the file marks as " +
                        "required: it was written by a newer GenSoftmax. Upgrade the GenSoftmax package to load it.", null);
                }
                else
                {
                    reader.Skip(payload); // optional content of a newer writer: not needed to use the model
                }

                if (reader.Position != at + SectionHeaderLength + payload)
                {
                    throw Invalid(full, $"its section '{name}' at byte {at} declares {payload:N0} bytes, but its content takes {reader.Position - at - SectionHeaderLength:N0}");
                }
            }

            if (reader.Remaining != 0)
            {
                throw Invalid(full, $"{reader.Remaining:N0} bytes between its last section (which ends at byte {reader.Position}) and its checksum belong to no section");
            }

            if (!seen.Contains(ParametersTag))
            {
                throw Invalid(full, "it has no parameters section ('PARM')");
            }

            CheckSections(full, parsed, seen, into);
            if (parsed.Options is { } options && parsed.HasState)
            {
                int seed = parsed.StateSeed;
                if (seed != options.Seed)
                {
                    throw Invalid(full, $"its training state is of a run with seed {seed}, but its trainer options have seed {options.Seed}");
                }

                bool hasVelocity = parsed.StateHasVelocity || parsed.FactorStateVelocity;
                if ((options.Optimizer.Momentum != 0f) != hasVelocity)
                {
                    throw Invalid(full, hasVelocity
                        ? "its training state has a velocity, but its trainer options have no momentum"
                        : "its trainer options have momentum, but its training state has no velocity");
                }
            }

            return parsed;
        }

        /// <summary>The checks that need more than one section, and the merging of TOPX and ESTA into what they extend.</summary>
        private static void CheckSections(string full, Parsed parsed, HashSet<uint> seen, ISoftmaxModel? into)
        {
            if (parsed.Extension is { } x)
            {
                if (parsed.Options is null)
                {
                    throw Invalid(full, "it holds more trainer options ('TOPX') but not the trainer options they extend ('TOPT')");
                }

                parsed.Options = parsed.Options with
                {
                    Schedule = x.Schedule, Loss = x.Loss, LabelSmoothing = x.LabelSmoothing, EarlyStopping = x.EarlyStopping,
                };
                CheckInRange(full, parsed.Options.Validate, "trainer options");
            }

            if (parsed.HasStopping)
            {
                if (!parsed.HasState)
                {
                    throw Invalid(full, "it holds an early-stopping record ('ESTA') but not the training state it belongs to ('TSTA')");
                }

                string? problem = StoppingProblem(
                    parsed.StoppingBestEpoch, parsed.StoppingSinceBest, parsed.StoppingBestValue, parsed.StoppingStopped, parsed.CompletedEpochs);
                if (problem is not null)
                {
                    throw Invalid(full, $"its early-stopping record is inconsistent: {problem}");
                }

                if (parsed.State is not null)
                {
                    parsed.State = parsed.State with { EarlyStopping = parsed.Stopping };
                }
            }

            if (parsed.Options is { } options && parsed.HasState && (options.EarlyStopping is not null) != parsed.HasStopping)
            {
                throw Invalid(full, parsed.HasStopping
                    ? "its training state has an early-stopping record, but its trainer options do not stop early"
                    : "its trainer options stop early, but its training state has no early-stopping record ('ESTA')");
            }

            if (parsed.HasFactorState)
            {
                if (!parsed.HasState)
                {
                    throw Invalid(full, "it holds a hypercomplex training state ('PHMT') but not the training state it extends ('TSTA')");
                }

                if (parsed.StateHasVelocity)
                {
                    throw Invalid(full, "its training state ('TSTA') has a dense weight velocity, but its model is hypercomplex: its velocity belongs in 'PHMT'");
                }

                bool best = parsed.HasStopping && parsed.StoppingBestEpoch > 0;
                if (parsed.FactorStateBest != best)
                {
                    throw Invalid(full, parsed.FactorStateBest
                        ? "its hypercomplex training state ('PHMT') has best factors, but its early-stopping record ('ESTA') has no best epoch"
                        : "its early-stopping record ('ESTA') has a best epoch, but its hypercomplex training state ('PHMT') has no best factors");
                }

                if (parsed.State is not null)
                {
                    parsed.State = parsed.State with
                    {
                        VelocityBias = parsed.VelocityFactorBias,
                        VelocityFactorA = parsed.VelocityFactorA,
                        VelocityFactorS = parsed.VelocityFactorS,
                        EarlyStopping = parsed.State.EarlyStopping is null
                            ? null
                            : parsed.State.EarlyStopping with { BestFactorA = parsed.BestFactorA, BestFactorS = parsed.BestFactorS },
                    };
                }
            }
            else if (parsed.HasState && parsed.HypercomplexN != 0)
            {
                throw Invalid(full, "its model is hypercomplex ('PHMF') and it has a training state ('TSTA'), but not the hypercomplex training state ('PHMT') that goes with it");
            }

            if (parsed.HasOptimizer && parsed.HypercomplexN == 0)
            {
                throw Invalid(full, "it holds a hypercomplex optimizer ('PHMO') but no hypercomplex factors ('PHMF')");
            }

            if (parsed.HypercomplexN != 0 && into is not null)
            {
                var layout = new HypercomplexLayout(parsed.HypercomplexN, parsed.Inputs, parsed.Classes);
                int k = FactorMismatch(layout, parsed.FactorA, parsed.FactorS, parsed.Weights);
                if (k >= 0)
                {
                    throw Invalid(full,
                        $"its weight [{k / parsed.Inputs}, {k % parsed.Inputs}] is {parsed.Weights[k]}, not what its hypercomplex factors make: " +
                        "its weights and factors disagree");
                }
            }

            if (into is IHypercomplexModel hypercomplex)
            {
                if (parsed.HypercomplexN == 0)
                {
                    throw new ModelFileException(full,
                        $"'{full}' holds a dense model without hypercomplex factors, but the model it is loaded into ({into.GetType().Name}) is a " +
                        $"hypercomplex model (n = {hypercomplex.Layout.N}) whose weights are made from factors: load the file into a dense model of its shape " +
                        "(ModelFile.Load(path, out contents) makes one).", null);
                }

                if (parsed.HypercomplexN != hypercomplex.Layout.N)
                {
                    throw new ModelFileException(full,
                        $"'{full}' holds a hypercomplex model with n = {parsed.HypercomplexN} factors, but the model it is loaded into ({into.GetType().Name}) " +
                        $"has n = {hypercomplex.Layout.N}: load it into a model declared with Hypercomplex = {parsed.HypercomplexN}, or into a dense model of its shape.", null);
                }
            }
        }

        private static Extension ReadExtension(HashingReader reader, string full, long payload)
        {
            if (payload != TrainerOptionsExtensionLength)
            {
                throw Invalid(full, $"its trainer options extension ('TOPX') has {payload:N0} bytes, but format version 1 defines {TrainerOptionsExtensionLength}");
            }

            Span<byte> x = stackalloc byte[TrainerOptionsExtensionLength];
            reader.Read(x, "the trainer options extension");
            if (x[0] > (byte)LearningRateScheduleKind.Cosine)
            {
                throw Invalid(full, $"its learning-rate schedule kind is {x[0]}, but must be 0 (constant), 1 (step decay) or 2 (cosine)");
            }

            if (x[1] > (byte)TrainingLoss.SquaredError)
            {
                throw Invalid(full, $"its loss is {x[1]}, but must be 0 (cross-entropy) or 1 (squared error)");
            }

            if (x[2] > 1)
            {
                throw Invalid(full, $"its early-stopping flag is {x[2]}, but must be 0 (none) or 1");
            }

            bool stops = x[2] == 1;
            if (x[3] > (byte)EarlyStoppingMetric.HeldOutAccuracy || x[40] > 1)
            {
                throw Invalid(full, $"its early-stopping metric ({x[3]}) or restore flag ({x[40]}) is not 0 or 1");
            }

            if (x.Slice(41).ContainsAnyExcept((byte)0) || (!stops && (x[3] != 0 || x.Slice(24, 17).ContainsAnyExcept((byte)0))))
            {
                throw Invalid(full, "its trainer options extension has non-zero bytes where it must have zeros (reserved, or early-stopping settings without early stopping)");
            }

            var schedule = new LearningRateSchedule
            {
                Kind = (LearningRateScheduleKind)x[0],
                StepEpochs = BinaryPrimitives.ReadInt32LittleEndian(x.Slice(4)),
                StepFactor = BinaryPrimitives.ReadSingleLittleEndian(x.Slice(8)),
                FinalFraction = BinaryPrimitives.ReadSingleLittleEndian(x.Slice(12)),
                WarmupEpochs = BinaryPrimitives.ReadInt32LittleEndian(x.Slice(16)),
            };
            EarlyStoppingOptions? stopping = !stops ? null : new EarlyStoppingOptions
            {
                Metric = (EarlyStoppingMetric)x[3],
                HoldOutFraction = BinaryPrimitives.ReadSingleLittleEndian(x.Slice(24)),
                Patience = BinaryPrimitives.ReadInt32LittleEndian(x.Slice(28)),
                MinImprovement = BinaryPrimitives.ReadDoubleLittleEndian(x.Slice(32)),
                RestoreBestWeights = x[40] == 1,
            };
            var extension = new Extension(schedule, (TrainingLoss)x[1], BinaryPrimitives.ReadSingleLittleEndian(x.Slice(20)), stopping);
            CheckInRange(
                full,
                new TrainerOptions { Schedule = extension.Schedule, Loss = extension.Loss, LabelSmoothing = extension.LabelSmoothing, EarlyStopping = stopping }.Validate,
                "trainer options");

            return extension;
        }

        private static void ReadStopping(HashingReader reader, string full, long payload, Parsed parsed, bool load)
        {
            if (payload < EarlyStoppingFixedLength)
            {
                throw Invalid(full, $"its early-stopping record ('ESTA') has {payload:N0} bytes, fewer than the {EarlyStoppingFixedLength} of its fixed part");
            }

            Span<byte> e = stackalloc byte[EarlyStoppingFixedLength];
            reader.Read(e, "the early-stopping record");
            int best = BinaryPrimitives.ReadInt32LittleEndian(e);
            int since = BinaryPrimitives.ReadInt32LittleEndian(e.Slice(4));
            double value = BinaryPrimitives.ReadDoubleLittleEndian(e.Slice(8));
            uint stopped = BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(16));
            uint weightsFlag = BinaryPrimitives.ReadUInt32LittleEndian(e.Slice(20));
            if (weightsFlag > 1 || (weightsFlag == 1) != (best > 0))
            {
                throw Invalid(full, $"its early-stopping record's best-weights flag is {weightsFlag}, but must be 1 exactly when it has a best epoch (it has {best})");
            }

            bool weights = weightsFlag == 1;
            CheckLength(full, payload, EarlyStoppingLength(parsed.Inputs, parsed.Classes, weights), "early-stopping record", weights, "best weights");

            parsed.HasStopping = true;
            parsed.StoppingBestEpoch = best;
            parsed.StoppingSinceBest = since;
            parsed.StoppingBestValue = value;
            parsed.StoppingStopped = stopped;
            if (!load)
            {
                reader.Skip(payload - EarlyStoppingFixedLength);
                return;
            }

            float[] w = ReadFloats(reader, weights, parsed.Inputs * parsed.Classes, "the best weights");
            float[] b = ReadFloats(reader, weights, parsed.Classes, "the best bias");
            if (AnyNonFinite(w, b))
            {
                throw Invalid(full, "its early-stopping record's best weights hold a NaN or infinite value");
            }

            parsed.Stopping = new EarlyStoppingState(best, value, since, stopped == 1, w, b);
        }

        private static void ReadFactors(HashingReader reader, string full, long payload, Parsed parsed, bool load)
        {
            if (payload < HypercomplexFactorsPrefix)
            {
                throw Invalid(full, $"its hypercomplex factors section ('PHMF') has {payload:N0} bytes, too few to hold n");
            }

            uint n = reader.ReadUInt32("the number of hypercomplex factors");
            uint reserved = reader.ReadUInt32("the reserved bytes of the hypercomplex factors");
            if (reserved != 0)
            {
                throw Invalid(full, "the reserved bytes of its hypercomplex factors section are not 0");
            }

            HypercomplexLayout layout;
            try
            {
                layout = new HypercomplexLayout((int)Math.Min(n, int.MaxValue), parsed.Inputs, parsed.Classes);
            }
            catch (ArgumentException e)
            {
                throw Invalid(full, $"its hypercomplex factors have n = {n}, which does not fit its model of {parsed.Inputs} inputs and {parsed.Classes} classes ({e.Message})");
            }

            long expected = HypercomplexFactorsLength(layout);
            if (payload != expected)
            {
                throw Invalid(full, $"its hypercomplex factors section has {payload:N0} bytes, but n = {n} needs {expected:N0}");
            }

            parsed.HypercomplexN = layout.N;
            if (!load)
            {
                reader.Skip(payload - HypercomplexFactorsPrefix);
                return;
            }

            parsed.FactorA = ReadFloats(reader, true, layout.FactorALength, "the factors A");
            parsed.FactorS = ReadFloats(reader, true, layout.FactorSLength, "the factors S");
            if (AnyNonFinite(parsed.FactorA, parsed.FactorS))
            {
                throw Invalid(full, "its hypercomplex factors hold a NaN or infinite value");
            }
        }

        private static void ReadOptimizer(HashingReader reader, string full, long payload, Parsed parsed, bool load)
        {
            if (parsed.HypercomplexN == 0)
            {
                throw Invalid(full, "its hypercomplex optimizer ('PHMO') comes before, or without, the hypercomplex factors ('PHMF') it trains");
            }

            if (payload < HypercomplexOptimizerFixedLength)
            {
                throw Invalid(full, $"its hypercomplex optimizer section has {payload:N0} bytes, fewer than the {HypercomplexOptimizerFixedLength} of its fixed part");
            }

            Span<byte> h = stackalloc byte[HypercomplexOptimizerFixedLength];
            reader.Read(h, "the hypercomplex optimizer");
            var options = new SgdOptions
            {
                LearningRate = BinaryPrimitives.ReadSingleLittleEndian(h),
                Momentum = BinaryPrimitives.ReadSingleLittleEndian(h.Slice(4)),
                WeightDecay = BinaryPrimitives.ReadSingleLittleEndian(h.Slice(8)),
            };
            float rate = BinaryPrimitives.ReadSingleLittleEndian(h.Slice(12));
            uint velocityFlag = BinaryPrimitives.ReadUInt32LittleEndian(h.Slice(16));
            uint reserved = BinaryPrimitives.ReadUInt32LittleEndian(h.Slice(20));
            CheckInRange(full, options.Validate, "hypercomplex optimizer's settings");

            if (!(rate > 0f) || float.IsInfinity(rate))
            {
                throw Invalid(full, $"its hypercomplex optimizer's learning rate is {rate}, but must be positive and finite");
            }

            if (velocityFlag > 1 || (velocityFlag == 1) != (options.Momentum != 0f) || reserved != 0)
            {
                throw Invalid(full, $"its hypercomplex optimizer's velocity flag is {velocityFlag} (reserved {reserved}), but must be 1 exactly when it has momentum (it has {options.Momentum}), and reserved 0");
            }

            var layout = new HypercomplexLayout(parsed.HypercomplexN, parsed.Inputs, parsed.Classes);
            bool velocity = velocityFlag == 1;
            CheckLength(full, payload, HypercomplexOptimizerLength(layout, velocity), "hypercomplex optimizer section", velocity, "velocity");

            parsed.HasOptimizer = true;
            if (!load)
            {
                reader.Skip(payload - HypercomplexOptimizerFixedLength);
                return;
            }

            float[] a = ReadFloats(reader, velocity, layout.FactorALength, "the velocity of A");
            float[] s = ReadFloats(reader, velocity, layout.FactorSLength, "the velocity of S");
            float[] b = ReadFloats(reader, velocity, layout.Classes, "the velocity of the bias");
            if (AnyNonFinite(a, s, b))
            {
                throw Invalid(full, "its hypercomplex optimizer's velocity holds a NaN or infinite value");
            }

            parsed.Optimizer = new HypercomplexOptimizerState(options, rate, a, s, b);
        }

        private static void ReadFactorState(HashingReader reader, string full, long payload, Parsed parsed, bool load)
        {
            if (parsed.HypercomplexN == 0)
            {
                throw Invalid(full, "its hypercomplex training state ('PHMT') comes before, or without, the hypercomplex factors ('PHMF') it belongs to");
            }

            if (payload < HypercomplexTrainingStatePrefix)
            {
                throw Invalid(full, $"its hypercomplex training state ('PHMT') has {payload:N0} bytes, fewer than the {HypercomplexTrainingStatePrefix} of its fixed part");
            }

            uint n = reader.ReadUInt32("the n of the hypercomplex training state");
            uint flags = reader.ReadUInt32("the flags of the hypercomplex training state");
            if (n != parsed.HypercomplexN)
            {
                throw Invalid(full, $"its hypercomplex training state ('PHMT') is of n = {n}, but its factors ('PHMF') have n = {parsed.HypercomplexN}");
            }

            if (flags > 3)
            {
                throw Invalid(full, $"its hypercomplex training state's flags are {flags}, but only bits 0 (velocity) and 1 (best factors) are defined");
            }

            var layout = new HypercomplexLayout(parsed.HypercomplexN, parsed.Inputs, parsed.Classes);
            bool velocity = (flags & 1) != 0, best = (flags & 2) != 0;
            long expected = HypercomplexTrainingStateLength(layout, velocity, best);
            if (payload != expected)
            {
                throw Invalid(full,
                    $"its hypercomplex training state ('PHMT') has {payload:N0} bytes, but {(velocity ? "with" : "without")} velocity and " +
                    $"{(best ? "with" : "without")} best factors it needs {expected:N0}");
            }

            parsed.HasFactorState = true;
            parsed.FactorStateVelocity = velocity;
            parsed.FactorStateBest = best;
            if (!load)
            {
                reader.Skip(payload - HypercomplexTrainingStatePrefix);
                return;
            }

            parsed.VelocityFactorA = ReadFloats(reader, velocity, layout.FactorALength, "the training state's velocity of A");
            parsed.VelocityFactorS = ReadFloats(reader, velocity, layout.FactorSLength, "the training state's velocity of S");
            parsed.VelocityFactorBias = ReadFloats(reader, velocity, layout.Classes, "the training state's velocity of the bias");
            parsed.BestFactorA = ReadFloats(reader, best, layout.FactorALength, "early stopping's best A");
            parsed.BestFactorS = ReadFloats(reader, best, layout.FactorSLength, "early stopping's best S");
            if (AnyNonFinite(parsed.VelocityFactorA, parsed.VelocityFactorS, parsed.VelocityFactorBias))
            {
                throw Invalid(full, "its hypercomplex training state's velocity holds a NaN or infinite value");
            }

            if (AnyNonFinite(parsed.BestFactorA, parsed.BestFactorS))
            {
                throw Invalid(full, "its hypercomplex training state's best factors hold a NaN or infinite value");
            }
        }

        private static void ReadParameters(HashingReader reader, string full, long payload, Parsed parsed, bool load)
        {
            long expected = ParametersLength(parsed.Inputs, parsed.Classes);
            if (payload != expected)
            {
                throw Invalid(full,
                    $"its parameters section has {payload:N0} bytes, but a model of {parsed.Inputs} inputs and {parsed.Classes} classes needs {expected:N0}");
            }

            Span<byte> prefix = stackalloc byte[ParametersPrefix];
            reader.Read(prefix, "the parameters' element type");
            if (prefix[0] != Float32 || prefix[1] != ClassMajor)
            {
                throw new ModelFileException(full,
                    $"'{full}' stores its parameters as element type {prefix[0]} in layout {prefix[1]}; this version of GenSoftmax reads element type " +
                    $"{Float32} (float32) in layout {ClassMajor} (class-major weights, then bias). Upgrade the GenSoftmax package to load it.", null);
            }

            if (prefix[2] != 0 || prefix[3] != 0)
            {
                throw Invalid(full, "the reserved bytes of its parameters section are not 0");
            }

            if (!load)
            {
                reader.Skip(payload - ParametersPrefix);
                return;
            }

            // Justified by the file: the section's length matched the shape and fits in the file.
            parsed.Weights = ReadFloats(reader, true, parsed.Inputs * parsed.Classes, "the weights");
            parsed.Bias = ReadFloats(reader, true, parsed.Classes, "the bias");
            CheckFinite(full, parsed.Weights, parsed.Inputs, "weight");
            CheckFinite(full, parsed.Bias, parsed.Classes, "bias");
        }

        /// <summary>A model with a NaN or infinite parameter is not saved: loading it would be refused.</summary>
        private static void CheckFinite(ISoftmaxModel model)
        {
            int i = FirstNonFinite(model.Weights);
            int b = FirstNonFinite(model.Bias);
            if (i >= 0 || b >= 0)
            {
                string where = i >= 0 ? $"Weights[{i / model.Inputs}, {i % model.Inputs}]" : $"Bias[{b}]";
                float value = i >= 0 ? model.Weights[i] : model.Bias[b];
                throw new ArgumentException(
                    $"The model's {where} is {Describe(value)}: a model with a NaN or " +
                    "infinite parameter predicts nothing useful and is not saved. Train it again from its last good checkpoint, " +
                    "with a smaller learning rate.", nameof(model));
            }
        }

        /// <summary>NaN, +Infinity or -Infinity, as the ONNX exporter spells them.</summary>
        private static string Describe(float value) => float.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";

        /// <summary>Settings read from a file pass the checks a caller's settings pass; a failure is the file's fault, so it says which file.</summary>
        private static void CheckInRange(string full, Action validate, string what)
        {
            try
            {
                validate();
            }
            catch (ArgumentException e)
            {
                throw Invalid(full, $"its {what} are out of range ({e.Message})");
            }
        }

        /// <summary>A section whose length depends on one flag (<paramref name="with"/> the optional <paramref name="part"/>) has exactly that length.</summary>
        private static void CheckLength(string full, long payload, long expected, string section, bool with, string part)
        {
            if (payload != expected)
            {
                throw Invalid(full, $"its {section} has {payload:N0} bytes, but {(with ? "with" : "without")} {part} it needs {expected:N0}");
            }
        }

        /// <summary>
        /// One array of a section: <paramref name="length"/> floats when <paramref name="present"/> (the section's flag says it
        /// holds them), else empty and nothing read. Only called once the section's length has matched its flags and shape.
        /// </summary>
        private static float[] ReadFloats(HashingReader reader, bool present, int length, string what)
        {
            float[] values = present ? new float[length] : [];
            reader.ReadFloats(values, what);
            return values;
        }

        private static bool AnyNonFinite(params ReadOnlySpan<float[]> arrays)
        {
            foreach (float[] values in arrays)
            {
                if (FirstNonFinite(values) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        private static int FirstNonFinite(ReadOnlySpan<float> values)
        {
            for (int i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>
        /// A NaN or infinite parameter is refused: GenSoftmax never saves one (training stops at divergence), so the file
        /// was made or changed by something else, and a model holding one predicts class 0 for everything.
        /// </summary>
        private static void CheckFinite(string full, float[] values, int perClass, string what)
        {
            int i = FirstNonFinite(values);
            if (i >= 0)
            {
                string where = what == "bias" ? $"Bias[{i}]" : $"Weights[{i / perClass}, {i % perClass}]";
                throw Invalid(full, $"its {where} is {Describe(values[i])}, but every parameter of a model must be finite");
            }
        }

        private static string[] ReadNames(HashingReader reader, string full, long payload, int classes)
        {
            long left = payload - 4;
            if (left < 0)
            {
                throw Invalid(full, $"its class names section has {payload} bytes, too few to hold their count");
            }

            uint count = reader.ReadUInt32("the number of class names");
            if (count != classes)
            {
                throw Invalid(full, $"it names {count} classes, but its model has {classes}");
            }

            var names = new string[classes];
            for (int k = 0; k < classes; k++)
            {
                if (left < 4)
                {
                    throw Invalid(full, $"its class names section ends before the name of class {k}");
                }

                uint bytes = reader.ReadUInt32("the length of a class name");
                left -= 4;
                if (bytes > left)
                {
                    throw Invalid(full, $"the name of class {k} declares {bytes:N0} bytes, but its section has {left:N0} left");
                }

                byte[] utf8 = new byte[bytes];
                reader.Read(utf8, $"the name of class {k}");
                left -= bytes;
                try
                {
                    names[k] = StrictUtf8.GetString(utf8);
                }
                catch (DecoderFallbackException)
                {
                    throw Invalid(full, $"the name of class {k} is not valid UTF-8");
                }
            }

            if (left != 0)
            {
                throw Invalid(full, $"its class names section has {left:N0} bytes after the last name");
            }

            return names;
        }

        private static TrainerOptions ReadOptions(HashingReader reader, string full, long payload)
        {
            if (payload != TrainerOptionsLength)
            {
                throw Invalid(full, $"its trainer options section has {payload:N0} bytes, but format version 1 defines {TrainerOptionsLength}");
            }

            Span<byte> o = stackalloc byte[TrainerOptionsLength];
            reader.Read(o, "the trainer options");
            var options = new TrainerOptions
            {
                BatchSize = BinaryPrimitives.ReadInt32LittleEndian(o),
                Epochs = BinaryPrimitives.ReadInt32LittleEndian(o.Slice(4)),
                Seed = BinaryPrimitives.ReadInt32LittleEndian(o.Slice(8)),
                InitStdDev = BinaryPrimitives.ReadSingleLittleEndian(o.Slice(12)),
                Threads = BinaryPrimitives.ReadInt32LittleEndian(o.Slice(16)),
                Optimizer = new SgdOptions
                {
                    LearningRate = BinaryPrimitives.ReadSingleLittleEndian(o.Slice(20)),
                    Momentum = BinaryPrimitives.ReadSingleLittleEndian(o.Slice(24)),
                    WeightDecay = BinaryPrimitives.ReadSingleLittleEndian(o.Slice(28)),
                },
            };
            CheckInRange(full, options.Validate, "trainer options");

            return options;
        }

        private static void ReadState(HashingReader reader, string full, long payload, Parsed parsed, bool load)
        {
            if (payload < TrainingStateFixedLength)
            {
                throw Invalid(full, $"its training state section has {payload:N0} bytes, fewer than the {TrainingStateFixedLength} of its fixed part");
            }

            Span<byte> s = stackalloc byte[TrainingStateFixedLength];
            reader.Read(s, "the training state");
            int seed = BinaryPrimitives.ReadInt32LittleEndian(s);
            int epochs = BinaryPrimitives.ReadInt32LittleEndian(s.Slice(4));
            int batches = BinaryPrimitives.ReadInt32LittleEndian(s.Slice(8));
            float learningRate = BinaryPrimitives.ReadSingleLittleEndian(s.Slice(12));
            double lossSum = BinaryPrimitives.ReadDoubleLittleEndian(s.Slice(16));
            long correct = BinaryPrimitives.ReadInt64LittleEndian(s.Slice(24));
            double seconds = BinaryPrimitives.ReadDoubleLittleEndian(s.Slice(32));
            uint velocityFlag = BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(40));
            if (epochs < 0 || batches < 0 || correct < 0)
            {
                throw Invalid(full, $"its training state has a negative position or count (epoch {epochs}, batch {batches}, {correct} correct)");
            }

            if (!(learningRate > 0f) || float.IsInfinity(learningRate))
            {
                throw Invalid(full, $"its training state's learning rate is {learningRate}, but must be positive and finite");
            }

            if (velocityFlag > 1)
            {
                throw Invalid(full, $"its training state's velocity flag is {velocityFlag}, but must be 0 (none) or 1");
            }

            bool velocity = velocityFlag == 1;
            CheckLength(full, payload, TrainingStateLength(parsed.Inputs, parsed.Classes, velocity), "training state section", velocity, "velocity");

            parsed.HasState = true;
            parsed.StateSeed = seed;
            parsed.StateHasVelocity = velocity;
            parsed.CompletedEpochs = epochs;
            parsed.BatchesDone = batches;
            if (!load)
            {
                reader.Skip(payload - TrainingStateFixedLength);
                return;
            }

            float[] w = ReadFloats(reader, velocity, parsed.Inputs * parsed.Classes, "the velocity of the weights");
            float[] b = ReadFloats(reader, velocity, parsed.Classes, "the velocity of the bias");
            parsed.State = new TrainingState(seed, epochs, batches, learningRate, w, b, lossSum, correct, seconds);
        }

        private static void CheckMagic(string full, ReadOnlySpan<byte> start, long length)
        {
            if (length == 0)
            {
                throw new ModelFileException(full,
                    $"'{full}' is empty (0 bytes), not a model file: it may be left from an interrupted copy. Copy or save the model again.", null);
            }

            int n = Math.Min(start.Length, Magic.Length);
            if (start.Slice(0, n).SequenceEqual(Magic.Slice(0, n)))
            {
                if (n < Magic.Length)
                {
                    throw Truncated(full, $"it has only {length} bytes, the start of a model file's header");
                }

                return;
            }

            var bytes = new StringBuilder();
            foreach (byte b in start.Slice(0, n))
            {
                bytes.Append(bytes.Length == 0 ? "" : " ").Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }

            string what = Recognise(start);
            throw new ModelFileException(full,
                $"'{full}' is not a GenSoftmax model file: it starts with {bytes}{what}, but a model file starts with 89 47 53 4D 0D 0A 1A 0A (\"\\x89GSM\\r\\n\\x1a\\n\").",
                null);
        }

        /// <summary>A few formats a model file is mistaken for, named from their first bytes.</summary>
        private static string Recognise(ReadOnlySpan<byte> start)
        {
            if (start.Length >= 4 && start[0] == 0x89 && start[1] == 'G' && start[2] == 'S' && start[3] == 'M')
            {
                return " (a model file whose line-ending bytes were changed, as a text-mode transfer does: copy it in binary mode)";
            }

            if (start.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']))
            {
                return " (a PNG image)";
            }

            if (start.Length >= 4 && start[0] == 0 && start[1] == 0 && start[2] == 0x08 && start[3] is 1 or 3)
            {
                return $" (an IDX {(start[3] == 1 ? "labels" : "images")} file, as MNIST's)";
            }

            if (start.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
            {
                return " (gzip-compressed data)";
            }

            if (start.StartsWith((ReadOnlySpan<byte>)[0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']))
            {
                return " (a NumPy .npy array)";
            }

            if (start.StartsWith((ReadOnlySpan<byte>)[(byte)'P', (byte)'K', 3, 4]))
            {
                return " (a ZIP archive)";
            }

            foreach (byte b in start)
            {
                if (b < 0x09 || b is > 0x0D and < 0x20 || b == 0x7F)
                {
                    return "";
                }
            }

            return " (text)";
        }

        private static ModelFileException Truncated(string full, string problem) => new(full,
            $"'{full}' is truncated: {problem}. It was probably cut short by an interrupted copy or download: copy or save it again.", null);

        private static ModelFileException Invalid(string full, string problem) => new(full,
            $"'{full}' is not a valid model file: {problem}. Save the model again, or restore the file from a copy.", null);

        private static ModelFileException Damaged(string full, ulong stored, ulong actual) => new(full,
            $"'{full}' is damaged: its content does not match its checksum (XxHash3 of the content is {actual:x16}, the file stores {stored:x16}), " +
            "so some bytes changed after it was written. Restore it from a copy or save the model again.", null);

        private static ModelFileException Changed(string full) => new(full,
            $"'{full}' changed while it was being read: load it again once nothing is writing it.", null);

        /// <summary>Reads the content of a model file, hashing every byte, never past the checksum.</summary>
        private sealed class HashingReader(Stream stream, string full, long end)
        {
            private readonly XxHash3 _hash = new();

            public long Position { get; private set; }

            public long Remaining => end - Position;

            public ulong Hash => _hash.GetCurrentHashAsUInt64();

            public void Read(Span<byte> buffer, string what)
            {
                if (buffer.Length > Remaining)
                {
                    throw Invalid(full, $"{what} at byte {Position} runs past the end of its content (byte {end}, where the checksum starts)");
                }

                try
                {
                    stream.ReadExactly(buffer);
                }
                catch (EndOfStreamException)
                {
                    throw Changed(full);
                }

                _hash.Append(buffer);
                Position += buffer.Length;
            }

            public uint ReadUInt32(string what)
            {
                Span<byte> value = stackalloc byte[4];
                Read(value, what);
                return BinaryPrimitives.ReadUInt32LittleEndian(value);
            }

            public void ReadFloats(Span<float> values, string what)
            {
                Read(MemoryMarshal.AsBytes(values), what);
                if (!BitConverter.IsLittleEndian)
                {
                    Span<uint> bits = MemoryMarshal.Cast<float, uint>(values);
                    BinaryPrimitives.ReverseEndianness(bits, bits);
                }
            }

            public void Skip(long count)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(count, 1 << 16));
                try
                {
                    while (count > 0)
                    {
                        int n = (int)Math.Min(count, buffer.Length);
                        Read(buffer.AsSpan(0, n), "the content");
                        count -= n;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }

        /// <summary>Writes the content of a model file, hashing every byte, then the checksum.</summary>
        private sealed class HashingWriter(Stream stream)
        {
            private readonly XxHash3 _hash = new();

            public long Position { get; private set; }

            public void Write(ReadOnlySpan<byte> bytes)
            {
                _hash.Append(bytes);
                stream.Write(bytes);
                Position += bytes.Length;
            }

            public void WriteUInt32(uint value)
            {
                Span<byte> bytes = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
                Write(bytes);
            }

            public void SectionHeader(uint tag, uint flags, long length)
            {
                Span<byte> bytes = stackalloc byte[SectionHeaderLength];
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, tag);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(4), flags);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.Slice(8), (ulong)length);
                Write(bytes);
            }

            public void WriteFloats(ReadOnlySpan<float> values)
            {
                if (BitConverter.IsLittleEndian)
                {
                    Write(MemoryMarshal.AsBytes(values));
                    return;
                }

                Span<uint> chunk = stackalloc uint[256];
                for (int i = 0; i < values.Length; i += chunk.Length)
                {
                    int n = Math.Min(chunk.Length, values.Length - i);
                    BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, uint>(values.Slice(i, n)), chunk.Slice(0, n));
                    Write(MemoryMarshal.AsBytes(chunk.Slice(0, n)));
                }
            }

            public void WriteChecksum()
            {
                Span<byte> sum = stackalloc byte[ChecksumLength];
                BinaryPrimitives.WriteUInt64LittleEndian(sum, _hash.GetCurrentHashAsUInt64());
                stream.Write(sum);
                Position += ChecksumLength;
            }
        }
    }
}
