using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Persistence;
using GenSoftmax.Tests.Hypercomplex;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>
    /// Hypercomplex models in model files: the factors A and S and the bias b as the model's parameters, the W they make beside
    /// them (so any reader finds W and b), and one <see cref="Sgd"/>'s velocity of the factors, so a run saved and continued
    /// from the file is bit-identical.
    /// </summary>
    public sealed partial class HypercomplexFileTests : IDisposable
    {
        [SoftmaxModel(Inputs = 34, Classes = 10)]
        internal partial class Dense34x10;

        private const int Rows = 96;
        private const int BatchRows = 16;

        private static readonly float[] Features = TestModels.Uniform(new Random(3), Rows * 34, -1f, 1f);
        private static readonly int[] Labels = Enumerable.Range(0, Rows).Select(r => (r * 7) % 10).ToArray();

        private static readonly LabeledData Data = LabeledData.FromFeatures(Features, Labels, 34);

        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        /// <summary>Step <paramref name="step"/> of a run: batch (step mod 6) of the data, at a rate that halves every 6 steps.</summary>
        private static void Step(Sgd sgd, int step)
        {
            sgd.LearningRate = 0.2f / (1 << (step / 6));
            int[] rows = Enumerable.Range((step % (Rows / BatchRows)) * BatchRows, BatchRows).ToArray();
            sgd.Step(Data.Rows(rows));
        }

        private static (Phm2x34x10 Model, Sgd Sgd) Start(SgdOptions options)
        {
            var model = new Phm2x34x10();
            Trainer.Initialize(model, seed: 11, stdDev: 0.1f);
            return (model, new Sgd(model, options));
        }

        /// <summary>What a file holds of an optimizer: its settings in the options, its rate and velocity in the state.</summary>
        private static ModelFileContents Contents(Sgd sgd) => new()
        {
            TrainerOptions = new TrainerOptions { Solver = TrainingSolver.Sgd, Seed = 1, Optimizer = sgd.Options },
            TrainingState = new TrainingState(1, 0, 0, sgd.LearningRate, [.. sgd.Velocity.Select(v => v.Clone())], 0, 0, 0),
        };

        private static float[][] Values(ISoftmaxModel model) => [.. model.Parameters.Select(p => p.Values.ToArray())];

        [Theory]
        [InlineData(0.9f, 1e-3f, 5)]
        [InlineData(0.9f, 0f, 12)]
        [InlineData(0f, 1e-3f, 7)]
        public void A_hypercomplex_run_saved_to_a_file_and_continued_from_it_is_bit_identical(
            float momentum, float weightDecay, int savedAt)
        {
            const int Steps = 18;
            var options = new SgdOptions { LearningRate = 0.2f, Momentum = momentum, WeightDecay = weightDecay };
            (Phm2x34x10 whole, Sgd wholeSgd) = Start(options);
            for (int s = 0; s < Steps; s++)
            {
                Step(wholeSgd, s);
            }

            (Phm2x34x10 first, Sgd sgd) = Start(options);
            for (int s = 0; s < savedAt; s++)
            {
                Step(sgd, s);
            }

            string path = _dir.File("phm.safetensors");
            ModelFile.Save(path, first, Contents(sgd));

            var resumed = new Phm2x34x10();
            ModelFileContents saved = ModelFile.Load(path, resumed);
            Assert.Equal(Values(first), Values(resumed));
            Assert.Equal(first.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(options, saved.TrainerOptions!.Optimizer);
            TrainingState state = saved.TrainingState!;
            Assert.Equal(sgd.LearningRate, state.LearningRate);
            Assert.Equal(sgd.Velocity.Select(v => (v.Name, v.Values.ToArray())), state.Velocity.Select(v => (v.Name, v.Values.ToArray())));
            Assert.Equal(momentum == 0f ? [] : ["A", "S", "b"], state.Velocity.Select(v => v.Name));
            Assert.Equal(2, ModelFile.ReadInfo(path).HypercomplexFactors);

            var next = new Sgd(resumed, saved.TrainerOptions.Optimizer) { LearningRate = state.LearningRate };
            next.RestoreVelocity(state.Velocity);
            for (int s = savedAt; s < Steps; s++)
            {
                Step(next, s);
            }

            Assert.Equal(Values(whole), Values(resumed));
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
        }

        [Theory]
        [InlineData(0.9f, 1e-3f, 2, 3)]
        [InlineData(0.9f, 0f, 1, 6)] // the last batch of epoch 1: saved at the epoch's end
        [InlineData(0f, 1e-3f, 3, 1)]
        public void A_hypercomplex_trainer_saved_with_its_state_and_continued_from_the_file_is_bit_identical(
            float momentum, float weightDecay, int epoch, int batch)
        {
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Epochs = 4, BatchSize = BatchRows, Seed = 12, InitStdDev = 0.1f,
                Optimizer = new SgdOptions { LearningRate = 0.2f, Momentum = momentum, WeightDecay = weightDecay },
                Schedule = LearningRateSchedule.StepDecay(2, 0.5f),
            };
            var whole = new Phm2x34x10();
            var wholeTrainer = new Trainer(whole, options);
            wholeTrainer.Initialize();
            wholeTrainer.Fit(Data);

            var first = new Phm2x34x10();
            var trainer = new Trainer(first, options);
            trainer.Initialize();
            using var cancel = new System.Threading.CancellationTokenSource();
            var progress = new TrainerTests.SyncProgress(p =>
            {
                if (p.EpochCompleted is null && p.Epoch == epoch && p.Batch == batch)
                {
                    cancel.Cancel();
                }
            });
            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(Data, validation: null, progress, cancel.Token));
            string path = _dir.File("phm-trainer.safetensors");
            string[] names = [.. Enumerable.Range(0, 10).Select(c => $"digit {c}")];
            ModelFile.Save(path, trainer, names);
            string[] velocity = momentum == 0f ? [] : ["velocity.A", "velocity.S", "velocity.b"];
            Assert.Equal(["A", "S", "b", "W", .. velocity], SafetensorsTestFile.Read(path).TensorNames);

            var resumed = new Phm2x34x10();
            ModelFileContents saved = ModelFile.Load(path, resumed);
            Assert.Equal(names, saved.ClassNames);
            var next = new Trainer(resumed, saved.TrainerOptions!);
            next.RestoreState(saved.TrainingState!);
            IReadOnlyList<EpochReport> after = next.Fit(Data);

            Assert.Equal(
                wholeTrainer.History.Select(r => r with { Seconds = 0 }),
                trainer.History.Concat(after).Select(r => r with { Seconds = 0 }));
            Assert.Equal(Values(whole), Values(resumed));
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
        }

        [Fact]
        public void The_factors_and_the_W_they_make_are_laid_out_as_the_documentation_says()
        {
            (Phm2x34x10 model, Sgd sgd) = Start(new SgdOptions { Momentum = 0.9f });
            Step(sgd, 0);
            string path = _dir.File("phm.safetensors");
            ModelFile.Save(path, model, Contents(sgd));

            var file = SafetensorsTestFile.Read(path);
            Assert.Equal(["A", "S", "b", "W", "velocity.A", "velocity.S", "velocity.b"], file.TensorNames);
            Assert.Equal([[2, 2, 2], [2, 5, 17], [10], [10, 34], [2, 2, 2], [2, 5, 17], [10]], file.TensorNames.Select(file.Shape));
            Assert.Equal("2", (string)file.Metadata["hypercomplex"]!);
            Assert.Equal(model.FactorA.ToArray(), file.Floats("A"));
            Assert.Equal(model.FactorS.ToArray(), file.Floats("S"));
            Assert.Equal(model.Weights.ToArray(), file.Floats("W"));
            Assert.Equal(model.Bias.ToArray(), file.Floats("b"));
            Assert.Equal(sgd.Velocity[1].Values.ToArray(), file.Floats("velocity.S"));
        }

        [Fact]
        public void A_hypercomplex_file_loads_into_a_dense_model_of_its_shape_and_predicts_the_same()
        {
            (Phm2x34x10 model, Sgd sgd) = Start(new SgdOptions { Momentum = 0.5f });
            Step(sgd, 0);
            string path = _dir.File("phm.safetensors");
            ModelFile.Save(path, model, Contents(sgd));
            RuntimeSoftmaxModel dense = ModelFile.Load(path, out ModelFileContents contents);
            Assert.Null(contents.TrainingState); // the state is the factors', not W's
            Assert.Equal(model.Weights.ToArray(), dense.Weights.ToArray());
            Assert.Equal(model.Bias.ToArray(), dense.Bias.ToArray());
            int[] expected = new int[Rows], actual = new int[Rows];
            model.Predict(Batch.Of(Features), expected);
            dense.Predict(Batch.Of(Features), actual);
            Assert.Equal(expected, actual);
            Assert.Equal(2, ModelFile.ReadInfo(path).HypercomplexFactors);

            // A generated dense model of the shape loads it too.
            var generated = new Dense34x10();
            ModelFile.Load(path, generated);
            Assert.Equal(model.Weights.ToArray(), generated.Weights.ToArray());

            ModelFile.Save(path, dense);
            Assert.Equal(0, ModelFile.ReadInfo(path).HypercomplexFactors);
        }

        [Fact]
        public void A_file_without_factors_or_with_another_n_is_refused_by_a_hypercomplex_model()
        {
            string path = _dir.File("dense.safetensors");
            ModelFile.Save(path, new RuntimeSoftmaxModel(34, 10));
            var model = new Phm2x34x10();
            Trainer.Initialize(model, 1);
            float[][] before = Values(model);
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, model));
            Assert.Contains("holds a dense model, but the model it is loaded into is hypercomplex (n = 2)", e.Message);
            Assert.Equal(before, Values(model));

            var four = new Phm4x68x12();
            Trainer.Initialize(four, 1);
            ModelFile.Save(path, four);
            var two = new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(68, 12), 2);
            e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, two));
            Assert.Contains("holds a hypercomplex model with n = 4, but the model it is loaded into has n = 2", e.Message);
        }

        [Fact]
        public void Save_refuses_an_optimizer_state_that_does_not_fit()
        {
            (Phm2x34x10 model, Sgd sgd) = Start(new SgdOptions { Momentum = 0.9f });
            string path = _dir.File("phm.safetensors");
            ModelFileContents contents = Contents(sgd);
            string Refused(IReadOnlyList<NamedTensor> velocity) => Assert.Throws<ArgumentException>(() => ModelFile.Save(
                path, model, contents with { TrainingState = contents.TrainingState! with { Velocity = velocity } })).Message;
            Assert.Contains(
                "its velocity does not match the model's parameters (2 tensors where the model has 3 (A [2, 2, 2], S [2, 5, 17], b [10]))",
                Refused(new Sgd(new RuntimeSoftmaxModel(34, 10), sgd.Options).Velocity));
            Assert.Contains(
                "tensor 1 is S [3] where the model has S [2, 5, 17]",
                Refused([sgd.Velocity[0], new NamedTensor("S", [3], decays: true, TensorInit.Normal), sgd.Velocity[2]]));
            Assert.Contains("its velocity does not match the model's parameters (3 tensors where the model has 2 (W [10, 34], b [10]))",
                Assert.Throws<ArgumentException>(() => ModelFile.Save(path, new RuntimeSoftmaxModel(34, 10), contents)).Message);
            Assert.False(File.Exists(path));
        }

        public static TheoryData<string, string> BadFactors() => new()
        {
            { "A of shape [8]", "its tensor 'A' has shape [8], but a 34 x 10 model's is [2, 2, 2]" },
            { "A NaN", "its tensor 'A' holds NaN at [0, 0, 0]" },
            { "A[0] = 5", "not what its factors make" },
            { "W[1, 6] changed", "its W[1, 6] is" },
            { "n = 3", "its hypercomplex n = 3 does not fit its shape" },
            { "n = 0", "it holds a tensor 'A' that a dense model file does not have" },
            { "no A", "it holds no tensor 'A' of shape [2, 2, 2], which this model needs" },
            { "no W", "it holds a hypercomplex model's factors but not the W they make" },
            { "velocity.A infinite", "its tensor 'velocity.A' holds +Infinity at [1, 0, 1]" },
            { "velocity.W", "it holds velocity.NAME tensors of parameters this model does not have" },
            { "learning rate -1", "its learning rate is -1" },
            { "momentum 1", "Momentum" },
        };

        [Theory]
        [MemberData(nameof(BadFactors))]
        public void Every_hypercomplex_tensor_and_setting_is_checked_on_load(string change, string expected)
        {
            (Phm2x34x10 model, Sgd sgd) = Start(new SgdOptions { Momentum = 0.9f });
            Step(sgd, 0);
            string path = _dir.File("phm.safetensors");
            ModelFile.Save(path, model, Contents(sgd));
            var file = SafetensorsTestFile.Read(path);
            switch (change)
            {
                case "A of shape [8]": file.Header["A"]!["shape"] = new JsonArray(8); break;
                case "A NaN": file.SetFloat("A", 0, float.NaN); break;
                case "A[0] = 5": file.SetFloat("A", 0, 5f); break;
                case "W[1, 6] changed": file.SetFloat("W", 40, file.Floats("W")[40] + 0.5f); break;
                case "n = 3": file.Metadata["hypercomplex"] = "3"; break;
                case "n = 0": file.Metadata["hypercomplex"] = "0"; break;
                case "no A": file.Remove("A"); break;
                case "no W": file.Remove("W"); break;
                case "velocity.A infinite": file.SetFloat("velocity.A", 5, float.PositiveInfinity); break;
                case "velocity.W": file.Add("velocity.W", [10, 34], new float[340]); break;
                case "learning rate -1": file.EditMetadataJson("training_state", o => o["learning_rate"] = -1); break;
                case "momentum 1": file.EditMetadataJson("trainer_options", o => o["momentum"] = 1); break;
                default: throw new ArgumentOutOfRangeException(nameof(change));
            }

            file.Write(path);
            var into = new Phm2x34x10();
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, into));
            Assert.True(e.Message.Contains($"'{Path.GetFullPath(path)}' is not a valid model file", StringComparison.Ordinal), e.Message);
            Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), e.Message);
            Assert.All(into.Weights.ToArray(), w => Assert.Equal(0f, w));
        }
    }
}
