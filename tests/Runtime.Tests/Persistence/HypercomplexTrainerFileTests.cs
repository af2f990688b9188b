using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using GenSoftmax.Tests.Hypercomplex;
using GenSoftmax.Tests.Training;
using Xunit;
using Xunit.Abstractions;
using static GenSoftmax.Tests.Persistence.TrainingOptionsFileTests;
using SyncProgress = GenSoftmax.Tests.TrainerTests.SyncProgress;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>
    /// A hypercomplex model trained by the <see cref="Trainer"/>, saved with <see cref="ModelFile.Save(string, Trainer, IReadOnlyList{string}?)"/>:
    /// the factors' velocity and early stopping's best factors go in PHMT, so the run continues from the file bit-identically.
    /// </summary>
    public sealed class HypercomplexTrainerFileTests : IDisposable
    {
        private readonly TempDirectory _dir = new();
        private readonly ITestOutputHelper _output;

        public HypercomplexTrainerFileTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        private static readonly LabeledData Train = HypercomplexTrainerTests.Data(5, rows: 400, noise: 0.3f);

        private static readonly LabeledData Validation = HypercomplexTrainerTests.Data(6, rows: 100, noise: 0.3f);

        /// <summary>Momentum, weight decay, a cosine schedule with warm-up, early stopping that restores the best factors.</summary>
        private static TrainerOptions Options(int threads) => new()
        {
            BatchSize = 16, Epochs = 40, Seed = 6, Threads = threads, InitStdDev = 0.05f,
            Optimizer = new SgdOptions { LearningRate = 0.05f, Momentum = 0.9f, WeightDecay = 1e-4f },
            Schedule = LearningRateSchedule.Cosine(0.05f, warmupEpochs: 1),
            EarlyStopping = new EarlyStoppingOptions { HoldOutFraction = 0.25f, Patience = 3 },
        };

        [Theory]
        [InlineData(1, 3, 7)]
        [InlineData(2, 3, 2)]
        [InlineData(2, 2, 19)] // the last batch of epoch 2 (300 rows trained on, 19 batches): saved at the epoch's end
        public void A_hypercomplex_run_saved_to_a_file_mid_run_and_continued_from_it_is_bit_identical(int threads, int epoch, int batch)
        {
            TrainerOptions options = Options(threads);
            var whole = new Phm2x34x10();
            var wholeTrainer = new Trainer(whole, options);
            wholeTrainer.Initialize();
            IReadOnlyList<EpochReport> wholeReports = wholeTrainer.Fit(Train, Validation);
            _output.WriteLine(wholeTrainer.Outcome!.ToString());
            Assert.Equal(StopReason.EarlyStopped, wholeTrainer.Outcome!.Reason);
            Assert.True(wholeTrainer.Outcome.LastEpoch > epoch, $"the run stops before it is saved: {wholeTrainer.Outcome}");
            Assert.True(wholeTrainer.Outcome.BestEpoch < wholeTrainer.Outcome.LastEpoch, "the best epoch's factors are restored at the end");

            var first = new Phm2x34x10();
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
            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(Train, Validation, progress, cancel.Token));
            TrainingState live = trainer.SaveState();
            Assert.True(live.EarlyStopping!.BestEpoch > 0, "the saved record holds best factors");
            Assert.NotEmpty(live.VelocityFactorA);
            Assert.Empty(live.VelocityWeights);

            List<EpochReport> before = [.. trainer.History];
            string path = _dir.File("phm-run.gsm");
            ModelFile.Save(path, trainer, classNames: null);

            // Everything the trainer's state holds comes back from the file.
            var resumed = new Phm2x34x10();
            ModelFileContents saved = ModelFile.Load(path, resumed);
            Assert.Equal(options, saved.TrainerOptions);
            TrainingState read = saved.TrainingState!;
            Assert.Equal(live.VelocityFactorA, read.VelocityFactorA);
            Assert.Equal(live.VelocityFactorS, read.VelocityFactorS);
            Assert.Equal(live.VelocityBias, read.VelocityBias);
            Assert.Empty(read.VelocityWeights);
            Assert.Equal(live.EarlyStopping.BestFactorA, read.EarlyStopping!.BestFactorA);
            Assert.Equal(live.EarlyStopping.BestFactorS, read.EarlyStopping.BestFactorS);
            Assert.Equal(live.EarlyStopping.BestWeights, read.EarlyStopping.BestWeights);
            Assert.Equal(first.FactorA.ToArray(), resumed.FactorA.ToArray());
            Assert.Equal(first.FactorS.ToArray(), resumed.FactorS.ToArray());

            // The continued run: a new model and trainer, everything from the file.
            var next = new Trainer(resumed, saved.TrainerOptions!);
            next.RestoreState(read);
            IReadOnlyList<EpochReport> after = next.Fit(Train, Validation);

            Assert.Equal(wholeReports.Select(r => r with { Seconds = 0 }), before.Concat(after).Select(r => r with { Seconds = 0 }));
            Assert.Equal(wholeTrainer.Outcome, next.Outcome);
            Assert.Equal(whole.FactorA.ToArray(), resumed.FactorA.ToArray());
            Assert.Equal(whole.FactorS.ToArray(), resumed.FactorS.ToArray());
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
        }

        /// <summary>A file of a PHM run saved by the trainer, one epoch in (so early stopping has a best epoch).</summary>
        private string SavedRun(TrainerOptions? options = null)
        {
            var model = new Phm2x34x10();
            var trainer = new Trainer(model, (options ?? Options(1)) with { Epochs = 2 });
            trainer.Initialize();
            trainer.Fit(Train);
            string path = _dir.File("phm-run.gsm");
            ModelFile.Save(path, trainer, classNames: null);
            return path;
        }

        [Fact]
        public void The_hypercomplex_training_state_is_required_and_laid_out_as_the_README_documents()
        {
            string path = SavedRun();
            byte[] file = File.ReadAllBytes(path);
            Section phmt = Sections(file).Single(s => s.Tag == "PHMT");
            Assert.Equal(1u, phmt.Flags);
            var layout = new Phm2x34x10().Layout;
            Assert.Equal(2u, BitConverter.ToUInt32(file, phmt.Payload));
            Assert.Equal(3u, BitConverter.ToUInt32(file, phmt.Payload + 4)); // velocity and best factors
            Assert.Equal(8 + (4 * ((2 * (layout.FactorALength + layout.FactorSLength)) + 10)), phmt.Length);
            Section tsta = Sections(file).Single(s => s.Tag == "TSTA");
            Assert.Equal(0u, BitConverter.ToUInt32(file, tsta.Payload + 40)); // TSTA has no velocity: the factors' is in PHMT
            Assert.Equal(44, tsta.Length);

            // Without momentum, PHMT holds no velocity; the best factors stay.
            string plain = SavedRun(Options(1) with { Optimizer = new SgdOptions { LearningRate = 0.05f } });
            byte[] plainFile = File.ReadAllBytes(plain);
            Section plainPhmt = Sections(plainFile).Single(s => s.Tag == "PHMT");
            Assert.Equal(2u, BitConverter.ToUInt32(plainFile, plainPhmt.Payload + 4));
            Assert.Empty(ModelFile.Load(plain, new Phm2x34x10()).TrainingState!.VelocityFactorA);
        }

        [Theory]
        [InlineData(0, 3u, "is of n = 3, but its factors ('PHMF') have n = 2")]
        [InlineData(4, 4u, "flags are 4")]
        [InlineData(4, 2u, "without velocity and with best factors it needs")]
        [InlineData(4, 1u, "with velocity and without best factors it needs")]
        [InlineData(8, 0x7FC00000u, "velocity holds a NaN or infinite value")]
        public void Every_hypercomplex_training_state_field_is_checked_on_load(int offset, uint value, string expected)
        {
            string path = SavedRun();
            byte[] file = File.ReadAllBytes(path);
            BitConverter.GetBytes(value).CopyTo(file, Sections(file).Single(s => s.Tag == "PHMT").Payload + offset);
            File.WriteAllBytes(path, Reseal(file));

            var into = new Phm2x34x10();
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, into));
            Assert.Equal(Path.GetFullPath(path), e.Path);
            Assert.Contains($"'{Path.GetFullPath(path)}' is not a valid model file", e.Message);
            Assert.Contains(expected, e.Message);
            Assert.All(into.Weights.ToArray(), w => Assert.Equal(0f, w));
        }

        [Fact]
        public void The_best_factors_of_PHMT_and_the_best_epoch_of_ESTA_are_checked_together()
        {
            string path = SavedRun();
            byte[] file = File.ReadAllBytes(path);
            Assert.Contains("not the hypercomplex training state ('PHMT') that goes with it",
                LoadError(path, Without(file, "PHMT")));
            Assert.Contains("('PHMT') but not the training state it extends ('TSTA')",
                LoadError(path, Without(Without(file, "ESTA"), "TSTA")));
            Assert.Contains("comes before, or without, the hypercomplex factors ('PHMF')", LoadError(path, Without(file, "PHMF")));
        }

        private static string LoadError(string path, byte[] file)
        {
            File.WriteAllBytes(path, file);
            return Assert.Throws<ModelFileException>(() => ModelFile.Load(path, new Phm2x34x10())).Message;
        }

        [Fact]
        public void Save_refuses_a_hypercomplex_state_that_does_not_fit_the_model()
        {
            var model = new Phm2x34x10();
            var trainer = new Trainer(model, Options(1) with { Epochs = 1 });
            trainer.Initialize();
            trainer.Fit(Train);
            TrainingState state = trainer.SaveState();
            string path = _dir.File("bad.gsm");
            string Refused(TrainingState s, ISoftmaxModel? into = null) => Assert.Throws<ArgumentException>(() =>
                ModelFile.Save(path, into ?? model, new ModelFileContents { TrainerOptions = trainer.Options, TrainingState = s })).Message;

            Assert.Contains("needs no weight velocity", Refused(state with { VelocityWeights = new float[340] }));
            Assert.Contains("factor entries", Refused(state with { VelocityFactorA = new float[3] }));
            Assert.Contains("The trainer options have momentum, but the training state has no velocity",
                Refused(state with { VelocityFactorA = [], VelocityFactorS = [], VelocityBias = [] }));
            Assert.Contains("its best factors have 0 + 0 entries",
                Refused(state with { EarlyStopping = state.EarlyStopping! with { BestFactorA = [], BestFactorS = [] } }));
            Assert.Contains("the model saved is dense", Refused(state, new RuntimeSoftmaxModel(34, 10)));
            Assert.False(File.Exists(path));
        }
    }
}
