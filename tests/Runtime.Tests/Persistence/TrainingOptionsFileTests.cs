using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using System.Text;
using System.Threading;
using GenSoftmax.Tests.Models;
using Xunit;
using SyncProgress = GenSoftmax.Tests.TrainerTests.SyncProgress;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>
    /// Model files carry every trainer option (TOPX) and early stopping's record (ESTA): each option round-trips, a run
    /// with a schedule, label smoothing, early stopping or squared error continues from a file bit-identically, old files
    /// (TOPT alone) still load, and every new field is checked on load.
    /// </summary>
    public sealed class TrainingOptionsFileTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        public static TheoryData<string, TrainerOptions> EveryOption() => new()
        {
            { "defaults", new TrainerOptions() },
            { "fast recipe", TrainerOptions.Fast },
            { "step decay", new TrainerOptions { Schedule = LearningRateSchedule.StepDecay(3, 0.5f, warmupEpochs: 2) } },
            { "cosine", new TrainerOptions { Schedule = LearningRateSchedule.Cosine(0.05f, warmupEpochs: 1) } },
            { "constant, odd step settings", new TrainerOptions { Schedule = new LearningRateSchedule { StepEpochs = 7, StepFactor = 0.25f, FinalFraction = 0.5f } } },
            { "warm-up only", new TrainerOptions { Schedule = new LearningRateSchedule { WarmupEpochs = 4 } } },
            { "squared error", new TrainerOptions { Loss = TrainingLoss.SquaredError } },
            { "label smoothing", new TrainerOptions { LabelSmoothing = 0.1f } },
            { "early stopping, defaults", new TrainerOptions { EarlyStopping = new EarlyStoppingOptions() } },
            {
                "early stopping, every setting", new TrainerOptions
                {
                    EarlyStopping = new EarlyStoppingOptions
                    {
                        HoldOutFraction = 0.3f, Patience = 7, MinImprovement = 0.125, Metric = EarlyStoppingMetric.HeldOutAccuracy, RestoreBestWeights = false,
                    },
                }
            },
            {
                "everything", new TrainerOptions
                {
                    BatchSize = 100, Epochs = 12, Seed = -3, InitStdDev = 0.02f, Threads = 2,
                    Optimizer = new SgdOptions { LearningRate = 0.3f, Momentum = 0.8f, WeightDecay = 1e-4f },
                    Schedule = LearningRateSchedule.Cosine(0.1f, 2), Loss = TrainingLoss.SquaredError, LabelSmoothing = 0.05f,
                    EarlyStopping = new EarlyStoppingOptions { HoldOutFraction = 0.2f, Patience = 2, MinImprovement = 0, Metric = EarlyStoppingMetric.HeldOutLoss },
                }
            },
        };

        [Theory]
        [MemberData(nameof(EveryOption))]
        public void Every_trainer_option_round_trips(string name, TrainerOptions options)
        {
            string path = _dir.File($"{name}.gsm");
            ModelFile.Save(path, new M3x3(), new ModelFileContents { TrainerOptions = options });
            ModelFileContents contents = ModelFile.Load(path, new M3x3());
            Assert.Equal(options, contents.TrainerOptions);
            Assert.Equal(options, ModelFile.ReadInfo(path).TrainerOptions);

            // Options whose extra settings are the defaults are written as format version 1's readers know them: TOPT alone.
            bool extended = options.Schedule != LearningRateSchedule.Constant || options.Loss != TrainingLoss.CrossEntropy
                || options.LabelSmoothing != 0f || options.EarlyStopping is not null;
            Assert.Equal(extended, Sections(File.ReadAllBytes(path)).Any(s => s.Tag == "TOPX"));
        }

        // ------------------------------------------------------------ resuming from a file

        private static readonly (LabeledData Train, LabeledData Validation) Data = (Noisy(51, 330), Noisy(52, 100));

        /// <summary>
        /// Rows whose class is the largest of their first 10 features, with 35% of the labels replaced at random: a
        /// linear model learns the signal, then the noise, and the held-out loss rises again, so early stopping stops.
        /// </summary>
        private static LabeledData Noisy(int seed, int rows)
        {
            var random = new Random(seed);
            float[] x = TestModels.Uniform(random, rows * 17, -1f, 1f);
            int[] y = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                int signal = 0;
                for (int c = 1; c < 10; c++)
                {
                    signal = x[(r * 17) + c] > x[(r * 17) + signal] ? c : signal;
                }

                y[r] = random.NextDouble() < 0.35 ? random.Next(10) : signal;
            }

            return LabeledData.FromFeatures(x, y, 17);
        }

        private static TrainerOptions Recipe(string recipe, int threads) => recipe switch
        {
            "cosine+warm-up+smoothing+early stopping" => new TrainerOptions
            {
                Epochs = 12, BatchSize = 32, Seed = 17, Threads = threads,
                Optimizer = new SgdOptions { LearningRate = 0.5f, Momentum = 0.9f, WeightDecay = 1e-3f },
                Schedule = LearningRateSchedule.Cosine(0.05f, warmupEpochs: 2),
                LabelSmoothing = 0.1f,
                EarlyStopping = new EarlyStoppingOptions { HoldOutFraction = 0.25f, Patience = 2, MinImprovement = 1e-4 },
            },
            "squared error+step decay" => new TrainerOptions
            {
                Epochs = 5, BatchSize = 32, Seed = 23, Threads = threads,
                Optimizer = new SgdOptions { LearningRate = 0.05f, Momentum = 0.5f },
                Schedule = LearningRateSchedule.StepDecay(2, 0.5f, warmupEpochs: 1),
                Loss = TrainingLoss.SquaredError,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(recipe)),
        };

        [Theory]
        [InlineData("cosine+warm-up+smoothing+early stopping", 1, 2, 5)]
        [InlineData("cosine+warm-up+smoothing+early stopping", 2, 3, 8)] // the last batch of epoch 3 (247 rows trained on): saved at the epoch's end
        [InlineData("cosine+warm-up+smoothing+early stopping", 2, 4, 3)]
        [InlineData("squared error+step decay", 1, 2, 4)]
        [InlineData("squared error+step decay", 2, 3, 11)] // the last batch of epoch 3 (330 rows)
        public void A_run_saved_to_a_file_mid_run_and_continued_from_it_is_bit_identical(string recipe, int threads, int epoch, int batch)
        {
            TrainerOptions options = Recipe(recipe, threads);
            var whole = new M17x10();
            var wholeTrainer = new Trainer(whole, options);
            wholeTrainer.Initialize();
            IReadOnlyList<EpochReport> wholeReports = wholeTrainer.Fit(Data.Train, Data.Validation);
            if (options.EarlyStopping is not null)
            {
                Assert.True(wholeTrainer.Outcome!.Reason == StopReason.EarlyStopped, wholeTrainer.Outcome.ToString());
                Assert.True(wholeTrainer.Outcome.LastEpoch > epoch, $"the run stops early before the save: {wholeTrainer.Outcome}");
                Assert.True(wholeTrainer.Outcome.BestEpoch < wholeTrainer.Outcome.LastEpoch, "the best epoch's weights are restored at the end");
            }

            // The first run: cancelled from its progress callback after `batch` of `epoch`, then saved to a file. (Not a
            // shorter run: the schedule's rates depend on the run's length.)
            var first = new M17x10();
            var trainer = new Trainer(first, options);
            trainer.Initialize();
            using var cancel = new CancellationTokenSource();
            var progress = new SyncProgress(p =>
            {
                if (p.EpochCompleted is null && p.Epoch == epoch && p.Batch == batch)
                {
                    cancel.Cancel();
                }
            });
            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(Data.Train, Data.Validation, progress, cancel.Token));

            List<EpochReport> before = [.. trainer.History];
            string path = _dir.File("run.gsm");
            ModelFile.Save(path, trainer, classNames: null);
            if (options.EarlyStopping is not null)
            {
                Assert.True(trainer.SaveState().EarlyStopping!.BestEpoch > 0, "the saved record holds best weights");
            }

            // The continued run: a new model and a new trainer, everything (options included) from the file.
            var resumed = new M17x10();
            ModelFileContents saved = ModelFile.Load(path, resumed);
            Assert.Equal(options, saved.TrainerOptions);
            var next = new Trainer(resumed, saved.TrainerOptions!);
            next.RestoreState(saved.TrainingState!);
            IReadOnlyList<EpochReport> after = next.Fit(Data.Train, Data.Validation);

            Assert.Equal(wholeReports.Select(r => r with { Seconds = 0 }), before.Concat(after).Select(r => r with { Seconds = 0 }));
            Assert.Equal(wholeTrainer.Outcome, next.Outcome);
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
        }

        [Fact]
        public void The_early_stopping_record_round_trips_whole()
        {
            TrainerOptions options = Recipe("cosine+warm-up+smoothing+early stopping", 1) with { Epochs = 3 };
            var trainer = new Trainer(new M17x10(), options);
            trainer.Initialize();
            trainer.Fit(Data.Train);
            TrainingState state = trainer.SaveState();
            string path = _dir.File("es.gsm");
            ModelFile.Save(path, trainer, classNames: null);

            TrainingState loaded = ModelFile.Load(path, new M17x10()).TrainingState!;
            EarlyStoppingState es = state.EarlyStopping!, back = loaded.EarlyStopping!;
            Assert.True(es.BestEpoch > 0);
            Assert.Equal((es.BestEpoch, es.BestValue, es.EpochsWithoutImprovement, es.Stopped), (back.BestEpoch, back.BestValue, back.EpochsWithoutImprovement, back.Stopped));
            Assert.Equal(es.BestWeights, back.BestWeights);
            Assert.Equal(es.BestBias, back.BestBias);

            // Before the first epoch: no best epoch, no weights, NaN.
            var fresh = new Trainer(new M17x10(), options);
            fresh.Initialize();
            ModelFile.Save(path, fresh, classNames: null);
            EarlyStoppingState none = ModelFile.Load(path, new M17x10()).TrainingState!.EarlyStopping!;
            Assert.Equal((0, 0, false, 0, 0), (none.BestEpoch, none.EpochsWithoutImprovement, none.Stopped, none.BestWeights.Length, none.BestBias.Length));
            Assert.True(double.IsNaN(none.BestValue));
        }

        // ------------------------------------------------------------ old files and the layout

        /// <summary>
        /// A file as format version 1 first wrote it, built byte by byte (TOPT of 32 bytes, TSTA, no TOPX or ESTA): it
        /// loads, with the options' newer settings at their defaults, and the run continues.
        /// </summary>
        [Fact]
        public void A_file_in_the_old_layout_loads_with_default_new_options()
        {
            var model = new M3x3();
            var w = new BinaryWriter(new MemoryStream());
            w.Write(new byte[] { 0x89, (byte)'G', (byte)'S', (byte)'M', 0x0D, 0x0A, 0x1A, 0x0A });
            w.Write((ushort)1); w.Write((ushort)0); w.Write(3); w.Write(3); w.Write(3u); w.Write(0UL);
            w.Write("PARM"u8); w.Write(1u); w.Write((ulong)(4 + (4 * 12)));
            w.Write((byte)1); w.Write((byte)1); w.Write((ushort)0);
            for (int i = 0; i < 12; i++) { w.Write(i / 8f - 0.5f); }
            w.Write("TOPT"u8); w.Write(0u); w.Write(32UL);
            w.Write(64); w.Write(6); w.Write(9); w.Write(0.02f); w.Write(2); w.Write(0.3f); w.Write(0.9f); w.Write(1e-4f);
            w.Write("TSTA"u8); w.Write(0u); w.Write((ulong)(44 + (4 * 12)));
            w.Write(9); w.Write(2); w.Write(1); w.Write(0.3f); w.Write(1.5); w.Write(7L); w.Write(0.25); w.Write(1u);
            for (int i = 0; i < 12; i++) { w.Write(i / 100f); }
            string path = _dir.File("old.gsm");
            File.WriteAllBytes(path, Seal(((MemoryStream)w.BaseStream).ToArray()));

            ModelFileContents contents = ModelFile.Load(path, model);
            var expected = new TrainerOptions
            {
                BatchSize = 64, Epochs = 6, Seed = 9, InitStdDev = 0.02f, Threads = 2,
                Optimizer = new SgdOptions { LearningRate = 0.3f, Momentum = 0.9f, WeightDecay = 1e-4f },
            };
            Assert.Equal(expected, contents.TrainerOptions);
            Assert.Equal(LearningRateSchedule.Constant, contents.TrainerOptions!.Schedule);
            Assert.Null(contents.TrainerOptions.EarlyStopping);
            Assert.Null(contents.TrainingState!.EarlyStopping);
            Assert.Equal(Enumerable.Range(0, 9).Select(i => i / 8f - 0.5f), model.Weights.ToArray());

            // It still continues a run: the trainer takes the state as saved.
            var trainer = new Trainer(model, contents.TrainerOptions);
            trainer.RestoreState(contents.TrainingState);
            Assert.Equal((2, 1), (trainer.SaveState().CompletedEpochs, trainer.SaveState().BatchesDone));
        }

        [Fact]
        public void The_new_sections_are_laid_out_byte_by_byte_as_the_README_documents()
        {
            // An independent writer of the documented layout of TOPX and ESTA.
            var options = new TrainerOptions
            {
                Seed = 5, Epochs = 4,
                Optimizer = new SgdOptions { LearningRate = 0.1f },
                Schedule = LearningRateSchedule.Cosine(0.25f, warmupEpochs: 1), Loss = TrainingLoss.SquaredError, LabelSmoothing = 0.125f,
                EarlyStopping = new EarlyStoppingOptions { HoldOutFraction = 0.5f, Patience = 6, MinImprovement = 0.75, Metric = EarlyStoppingMetric.HeldOutAccuracy, RestoreBestWeights = false },
            };
            var model = new M3x3();
            for (int i = 0; i < 9; i++) { model.Weights[i] = i; }
            var state = new TrainingState(5, 2, 0, 0.1f, [], [], 0, 0, 0)
            {
                EarlyStopping = new EarlyStoppingState(1, 0.5, 1, false, [.. Enumerable.Range(0, 9).Select(i => i / 4f)], [1f, 2f, 3f]),
            };
            string path = _dir.File("layout.gsm");
            ModelFile.Save(path, model, new ModelFileContents { TrainerOptions = options, TrainingState = state });

            var w = new BinaryWriter(new MemoryStream());
            w.Write(new byte[] { 0x89, (byte)'G', (byte)'S', (byte)'M', 0x0D, 0x0A, 0x1A, 0x0A });
            w.Write((ushort)1); w.Write((ushort)0); w.Write(3); w.Write(3); w.Write(5u); w.Write(0UL);
            w.Write("PARM"u8); w.Write(1u); w.Write((ulong)(4 + (4 * 12)));
            w.Write((byte)1); w.Write((byte)1); w.Write((ushort)0);
            for (int i = 0; i < 9; i++) { w.Write((float)i); }
            w.Write(0f); w.Write(0f); w.Write(0f);
            w.Write("TOPT"u8); w.Write(0u); w.Write(32UL);
            w.Write(256); w.Write(4); w.Write(5); w.Write(0.01f); w.Write(1); w.Write(0.1f); w.Write(0f); w.Write(0f);
            w.Write("TOPX"u8); w.Write(1u); w.Write(48UL);
            w.Write((byte)2); w.Write((byte)1); w.Write((byte)1); w.Write((byte)1); // cosine, squared error, early stopping, accuracy
            w.Write(5); w.Write(0.1f); w.Write(0.25f); w.Write(1);                   // step epochs, step factor, final fraction, warm-up
            w.Write(0.125f);                                                        // label smoothing
            w.Write(0.5f); w.Write(6); w.Write(0.75);                               // hold-out share, patience, minimum improvement
            w.Write((byte)0); w.Write(new byte[7]);                                 // restore best weights, reserved
            w.Write("TSTA"u8); w.Write(0u); w.Write(44UL);
            w.Write(5); w.Write(2); w.Write(0); w.Write(0.1f); w.Write(0.0); w.Write(0L); w.Write(0.0); w.Write(0u);
            w.Write("ESTA"u8); w.Write(1u); w.Write((ulong)(24 + (4 * 12)));
            w.Write(1); w.Write(1); w.Write(0.5); w.Write(0u); w.Write(1u);
            for (int i = 0; i < 9; i++) { w.Write(i / 4f); }
            w.Write(1f); w.Write(2f); w.Write(3f);
            byte[] expected = Seal(((MemoryStream)w.BaseStream).ToArray());
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(File.ReadAllBytes(path)));
        }

        // ------------------------------------------------------------ validation

        /// <summary>A file with every new section, small: 3x3, options with every setting, and a state with its record.</summary>
        private string FullFile()
        {
            var options = new TrainerOptions
            {
                Seed = 5, Epochs = 4,
                Schedule = LearningRateSchedule.StepDecay(2, 0.5f, 1), LabelSmoothing = 0.1f,
                EarlyStopping = new EarlyStoppingOptions { Patience = 2 },
            };
            var state = new TrainingState(5, 2, 1, 0.1f, [], [], 0.5, 3, 0.1)
            {
                EarlyStopping = new EarlyStoppingState(1, 0.5, 1, false, new float[9], new float[3]),
            };
            string path = _dir.File("full.gsm");
            ModelFile.Save(path, new M3x3(), new ModelFileContents { TrainerOptions = options, TrainingState = state });
            return path;
        }

        public static TheoryData<string, int, byte[], string> BadFields() => new()
        {
            // section, offset in its payload, bytes written there, what the message says
            { "TOPX", 0, [3], "schedule kind is 3" },
            { "TOPX", 1, [2], "its loss is 2" },
            { "TOPX", 2, [2], "early-stopping flag is 2" },
            { "TOPX", 3, [2], "metric (2)" },
            { "TOPX", 4, [0, 0, 0, 0], "StepEpochs" },
            { "TOPX", 8, BitConverter.GetBytes(1.5f), "StepFactor" },
            { "TOPX", 12, BitConverter.GetBytes(1f), "FinalFraction" },
            { "TOPX", 16, BitConverter.GetBytes(-1), "WarmupEpochs" },
            { "TOPX", 20, BitConverter.GetBytes(float.NaN), "LabelSmoothing" },
            { "TOPX", 24, BitConverter.GetBytes(1f), "HoldOutFraction" },
            { "TOPX", 28, BitConverter.GetBytes(0), "Patience" },
            { "TOPX", 32, BitConverter.GetBytes(double.PositiveInfinity), "MinImprovement" },
            { "TOPX", 40, [2], "restore flag (2)" },
            { "TOPX", 45, [1], "non-zero bytes where it must have zeros" },
            { "ESTA", 0, BitConverter.GetBytes(-1), "must be 1 exactly when it has a best epoch (it has -1)" },
            { "ESTA", 0, BitConverter.GetBytes(3), "past the run's 2 completed epochs" },
            { "ESTA", 4, BitConverter.GetBytes(-2), "is negative" },
            { "ESTA", 8, BitConverter.GetBytes(double.NaN), "best held-out value is NaN" },
            { "ESTA", 16, BitConverter.GetBytes(2u), "stopped flag is 2" },
            { "ESTA", 20, BitConverter.GetBytes(2u), "best-weights flag is 2" },
            { "ESTA", 24, BitConverter.GetBytes(float.PositiveInfinity), "best weights hold a NaN or infinite value" },
        };

        [Theory]
        [MemberData(nameof(BadFields))]
        public void Every_new_field_is_checked_on_load(string section, int offset, byte[] value, string expected)
        {
            string path = FullFile();
            byte[] file = File.ReadAllBytes(path);
            int at = Sections(file).Single(s => s.Tag == section).Payload + offset;
            value.CopyTo(file, at);
            File.WriteAllBytes(path, Reseal(file));

            var model = new M3x3();
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, model));
            Assert.Equal(Path.GetFullPath(path), e.Path);
            Assert.Contains($"'{Path.GetFullPath(path)}' is not a valid model file", e.Message);
            Assert.Contains(expected, e.Message);
            Assert.Equal(new float[9], model.Weights.ToArray());
        }

        [Fact]
        public void Sections_that_need_each_other_are_checked_together()
        {
            string path = FullFile();
            byte[] file = File.ReadAllBytes(path);

            // Without ESTA, options that stop early have a state without their record.
            File.WriteAllBytes(path, Without(file, "ESTA"));
            Assert.Contains("its trainer options stop early, but its training state has no early-stopping record", Assert.Throws<ModelFileException>(() => ModelFile.Load(path, new M3x3())).Message);

            // Without TSTA, ESTA has nothing to belong to.
            File.WriteAllBytes(path, Without(file, "TSTA"));
            Assert.Contains("early-stopping record ('ESTA') but not the training state", Assert.Throws<ModelFileException>(() => ModelFile.Load(path, new M3x3())).Message);

            // Without TOPT, TOPX extends nothing.
            File.WriteAllBytes(path, Without(file, "TOPT"));
            Assert.Contains("('TOPX') but not the trainer options they extend", Assert.Throws<ModelFileException>(() => ModelFile.Load(path, new M3x3())).Message);

            // The new sections are required: a reader that does not know them must refuse the file, not continue it wrongly.
            Assert.All(Sections(file).Where(s => s.Tag is "TOPX" or "ESTA"), s => Assert.Equal(1u, s.Flags));
        }

        [Fact]
        public void Save_refuses_an_early_stopping_record_that_does_not_fit()
        {
            var options = new TrainerOptions { Seed = 5, EarlyStopping = new EarlyStoppingOptions() };
            var state = new TrainingState(5, 2, 0, 0.1f, [], [], 0, 0, 0);
            string path = _dir.File("bad.gsm");
            void Save(TrainerOptions? o, TrainingState s) => ModelFile.Save(path, new M3x3(), new ModelFileContents { TrainerOptions = o, TrainingState = s });

            Assert.Contains("no early-stopping record", Assert.Throws<ArgumentException>(() => Save(options, state)).Message);
            Assert.Contains("do not stop early", Assert.Throws<ArgumentException>(() => Save(
                new TrainerOptions { Seed = 5 }, state with { EarlyStopping = new EarlyStoppingState(0, double.NaN, 0, false, [], []) })).Message);
            Assert.Contains("the model needs 9 + 3", Assert.Throws<ArgumentException>(() => Save(
                options, state with { EarlyStopping = new EarlyStoppingState(1, 0.5, 1, false, new float[4], new float[3]) })).Message);
            Assert.Contains("past the run's 2 completed epochs", Assert.Throws<ArgumentException>(() => Save(
                options, state with { EarlyStopping = new EarlyStoppingState(3, 0.5, 0, false, new float[9], new float[3]) })).Message);
            Assert.Contains("best value must be NaN", Assert.Throws<ArgumentException>(() => Save(
                options, state with { EarlyStopping = new EarlyStoppingState(0, 0.5, 0, false, [], []) })).Message);
            Assert.False(File.Exists(path));
        }

        // ------------------------------------------------------------ helpers

        internal sealed record Section(string Tag, uint Flags, int Header, int Payload, int Length);

        /// <summary>The sections of a model file, in order.</summary>
        internal static List<Section> Sections(byte[] file)
        {
            var sections = new List<Section>();
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(20));
            int at = 32;
            for (int i = 0; i < count; i++)
            {
                string tag = Encoding.ASCII.GetString(file, at, 4);
                uint flags = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 4));
                int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(at + 8));
                sections.Add(new Section(tag, flags, at, at + 16, length));
                at += 16 + length;
            }

            return sections;
        }

        /// <summary>The file without one section, with the count, length and checksum made to fit.</summary>
        internal static byte[] Without(byte[] file, string tag)
        {
            Section s = Sections(file).Single(x => x.Tag == tag);
            byte[] content = [.. file.AsSpan(0, s.Header), .. file.AsSpan(s.Payload + s.Length, file.Length - 8 - s.Payload - s.Length)];
            BinaryPrimitives.WriteUInt32LittleEndian(content.AsSpan(20), BinaryPrimitives.ReadUInt32LittleEndian(content.AsSpan(20)) - 1);
            return Seal(content);
        }

        /// <summary>Content with its length field set and a checksum appended.</summary>
        internal static byte[] Seal(byte[] content)
        {
            byte[] file = [.. content, .. new byte[8]];
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(24), (ulong)file.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(content.Length), XxHash3.HashToUInt64(file.AsSpan(0, content.Length)));
            return file;
        }

        /// <summary>A whole file with its checksum recomputed.</summary>
        internal static byte[] Reseal(byte[] file) => Seal(file[..^8]);
    }
}
