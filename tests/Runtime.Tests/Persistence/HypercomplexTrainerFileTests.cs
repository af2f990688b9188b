using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using GenSoftmax.Persistence;
using GenSoftmax.Tests.Hypercomplex;
using GenSoftmax.Tests.Training;
using GenSoftmax.Training;
using Xunit;
using Xunit.Abstractions;
using SyncProgress = GenSoftmax.Tests.TrainerTests.SyncProgress;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>
    /// A hypercomplex model trained by the <see cref="Trainer"/>, saved with
    /// <see cref="ModelFile.Save(string, Trainer, IReadOnlyList{string}?)"/>:
    /// the velocity and early stopping's best of the factors and bias are the tensors <c>velocity.A</c>, <c>best.S</c>..., so the
    /// run continues from the file bit-identically.
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
            Solver = TrainingSolver.Sgd,
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
            Assert.True(
                wholeTrainer.Outcome.BestEpoch < wholeTrainer.Outcome.LastEpoch, "the best epoch's factors are restored at the end");

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
            Assert.Equal(["A", "S", "b"], live.Velocity.Select(v => v.Name));

            List<EpochReport> before = [.. trainer.History];
            string path = _dir.File("phm-run.safetensors");
            ModelFile.Save(path, trainer, classNames: null);

            // Everything the trainer's state holds comes back from the file.
            var resumed = new Phm2x34x10();
            ModelFileContents saved = ModelFile.Load(path, resumed);
            Assert.Equal(options, saved.TrainerOptions);
            TrainingState read = saved.TrainingState!;
            Assert.Equal(live.Velocity.Select(v => (v.Name, v.Values.ToArray())), read.Velocity.Select(v => (v.Name, v.Values.ToArray())));
            Assert.Equal(
                live.EarlyStopping.Best.Select(v => (v.Name, v.Values.ToArray())),
                read.EarlyStopping!.Best.Select(v => (v.Name, v.Values.ToArray())));
            Assert.Equal(
                (live.EarlyStopping.BestEpoch, live.EarlyStopping.BestValue, live.EarlyStopping.EpochsWithoutImprovement),
                (read.EarlyStopping.BestEpoch, read.EarlyStopping.BestValue, read.EarlyStopping.EpochsWithoutImprovement));
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
            string path = _dir.File("phm-run.safetensors");
            ModelFile.Save(path, trainer, ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"]);
            return path;
        }

        [Fact]
        public void The_hypercomplex_training_state_is_laid_out_as_the_documentation_says()
        {
            string path = SavedRun();
            var file = SafetensorsTestFile.Read(path);
            Assert.Equal(
                ["A", "S", "b", "W", "velocity.A", "velocity.S", "velocity.b", "best.A", "best.S", "best.b"],
                file.TensorNames);
            Assert.Equal(
                [[2, 2, 2], [2, 5, 17], [10], [10, 34], [2, 2, 2], [2, 5, 17], [10], [2, 2, 2], [2, 5, 17], [10]],
                file.TensorNames.Select(file.Shape));
            JsonNode state = file.MetadataJson("training_state");
            Assert.Equal(2, (int)state["completed_epochs"]!);
            Assert.True((int)state["early_stopping"]!["best_epoch"]! > 0);
            Assert.Equal("c9", (string)file.MetadataJson("class_names")[9]!);

            // Without momentum there is no velocity; the best factors stay.
            string plain = SavedRun(Options(1) with { Optimizer = new SgdOptions { LearningRate = 0.05f } });
            var plainFile = SafetensorsTestFile.Read(plain);
            Assert.Equal(["A", "S", "b", "W", "best.A", "best.S", "best.b"], plainFile.TensorNames);
            TrainingState read = ModelFile.Load(plain, new Phm2x34x10()).TrainingState!;
            Assert.Empty(read.Velocity);
            Assert.Equal(["A", "S", "b"], read.EarlyStopping!.Best.Select(t => t.Name));
        }

        public static TheoryData<string, string> BadStates() => new()
        {
            { "velocity.S NaN", "its tensor 'velocity.S' holds NaN at [0, 0, 3]" },
            { "no velocity.S", "it holds 2 of the 3 tensors velocity.NAME of this model's parameters" },
            { "no best.A", "it holds 2 of the 3 tensors best.NAME of this model's parameters" },
            { "best.W", "it holds best.NAME tensors of parameters this model does not have" },
            { "no best", "its best parameters do not match the model's (0 tensors where the model has 3" },
            { "no early-stopping record", "it holds best tensors but its training state has no early-stopping record" },
            { "no training_state", "it holds velocity or best tensors but no training_state" },
            { "n = 1", "does not fit its shape" },
            { "seed 7", "it is of a run with seed 7, but the trainer options have seed 6" },
        };

        [Theory]
        [MemberData(nameof(BadStates))]
        public void Every_hypercomplex_training_state_tensor_is_checked_on_load(string change, string expected)
        {
            string path = SavedRun();
            var file = SafetensorsTestFile.Read(path);
            switch (change)
            {
                case "velocity.S NaN": file.SetFloat("velocity.S", 3, float.NaN); break;
                case "no velocity.S": file.Remove("velocity.S"); break;
                case "no best.A": file.Remove("best.A"); break;
                case "best.W": file.Add("best.W", [10, 34], new float[340]); break;
                case "no best": file.Remove("best.A"); file.Remove("best.S"); file.Remove("best.b"); break;
                case "no early-stopping record": file.EditMetadataJson("training_state", o => o["early_stopping"] = null); break;
                case "no training_state": file.Metadata.Remove("training_state"); break;
                case "n = 1": file.Metadata["hypercomplex"] = "1"; break;
                case "seed 7": file.EditMetadataJson("training_state", o => o["seed"] = 7); break;
                default: throw new ArgumentOutOfRangeException(nameof(change));
            }

            file.Write(path);
            var into = new Phm2x34x10();
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, into));
            Assert.Equal(Path.GetFullPath(path), e.Path);
            Assert.True(e.Message.Contains($"'{Path.GetFullPath(path)}' is not a valid model file", StringComparison.Ordinal), e.Message);
            Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), e.Message);
            Assert.All(into.Weights.ToArray(), w => Assert.Equal(0f, w));
        }

        [Fact]
        public void Save_refuses_a_hypercomplex_state_that_does_not_fit_the_model()
        {
            var model = new Phm2x34x10();
            var trainer = new Trainer(model, Options(1) with { Epochs = 1 });
            trainer.Initialize();
            trainer.Fit(Train);
            TrainingState state = trainer.SaveState();
            string path = _dir.File("bad.safetensors");
            string Refused(TrainingState s, ISoftmaxModel? into = null) => Assert.Throws<ArgumentException>(() =>
                ModelFile.Save(path, into ?? model, new ModelFileContents { TrainerOptions = trainer.Options, TrainingState = s })).Message;
            NamedTensor[] dense = new Sgd(new RuntimeSoftmaxModel(34, 10), trainer.Options.Optimizer).Velocity.ToArray();

            Assert.Contains(
                "its velocity does not match the model's parameters (2 tensors where the model has 3",
                Refused(state with { Velocity = dense }));
            NamedTensor[] wrongA = [new NamedTensor("A", [3], decays: true, TensorInit.Normal), state.Velocity[1], state.Velocity[2]];
            Assert.Contains("tensor 0 is A [3] where the model has A [2, 2, 2]", Refused(state with { Velocity = wrongA }));
            Assert.Contains(
                "the trainer options have momentum, but the training state has no velocity", Refused(state with { Velocity = [] }));
            Assert.Contains("its best parameters do not match the model's (0 tensors where the model has 3",
                Refused(state with { EarlyStopping = state.EarlyStopping! with { Best = [] } }));
            Assert.Contains("(3 tensors where the model has 2 (W [10, 34], b [10]))", Refused(state, new RuntimeSoftmaxModel(34, 10)));
            Assert.False(File.Exists(path));
        }
    }
}
