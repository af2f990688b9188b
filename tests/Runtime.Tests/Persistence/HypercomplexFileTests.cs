using System;
using System.IO;
using System.Linq;
using GenSoftmax.Tests.Hypercomplex;
using Xunit;
using static GenSoftmax.Tests.Persistence.TrainingOptionsFileTests;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>
    /// Hypercomplex models in model files: the factors A and S (PHMF) beside the materialised W, and the optimizer's
    /// settings, rate and velocity (PHMO), so a run saved and continued from the file is bit-identical.
    /// </summary>
    public sealed class HypercomplexFileTests : IDisposable
    {
        private const int Rows = 96;
        private const int BatchRows = 16;

        private static readonly float[] Features = TestModels.Uniform(new Random(3), Rows * 34, -1f, 1f);
        private static readonly int[] Labels = Enumerable.Range(0, Rows).Select(r => (r * 7) % 10).ToArray();

        private static readonly LabeledData Data = LabeledData.FromFeatures(Features, Labels, 34);

        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        /// <summary>Step <paramref name="step"/> of a run: batch (step mod 6) of the data, at a rate that halves every 6 steps.</summary>
        private static void Step(HypercomplexSgd sgd, int step)
        {
            sgd.LearningRate = 0.2f / (1 << (step / 6));
            int[] rows = Enumerable.Range((step % (Rows / BatchRows)) * BatchRows, BatchRows).ToArray();
            sgd.Step(Data.Rows(rows));
        }

        private static (Phm2x34x10 Model, HypercomplexSgd Sgd) Start(SgdOptions options)
        {
            var model = new Phm2x34x10();
            HypercomplexSgd.Initialize(model, seed: 11, stdDev: 0.1f);
            return (model, new HypercomplexSgd(model, options));
        }

        [Theory]
        [InlineData(0.9f, 1e-3f, 5)]
        [InlineData(0.9f, 0f, 12)]
        [InlineData(0f, 1e-3f, 7)]
        public void A_hypercomplex_run_saved_to_a_file_and_continued_from_it_is_bit_identical(float momentum, float weightDecay, int savedAt)
        {
            const int Steps = 18;
            var options = new SgdOptions { LearningRate = 0.2f, Momentum = momentum, WeightDecay = weightDecay };
            (Phm2x34x10 whole, HypercomplexSgd wholeSgd) = Start(options);
            for (int s = 0; s < Steps; s++)
            {
                Step(wholeSgd, s);
            }

            (Phm2x34x10 first, HypercomplexSgd sgd) = Start(options);
            for (int s = 0; s < savedAt; s++)
            {
                Step(sgd, s);
            }

            string path = _dir.File("phm.gsm");
            ModelFile.Save(path, sgd, classNames: null);

            var resumed = new Phm2x34x10();
            ModelFileContents saved = ModelFile.Load(path, resumed);
            Assert.Equal(first.FactorA.ToArray(), resumed.FactorA.ToArray());
            Assert.Equal(first.FactorS.ToArray(), resumed.FactorS.ToArray());
            Assert.Equal(first.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(first.Bias.ToArray(), resumed.Bias.ToArray());
            HypercomplexOptimizerState state = saved.HypercomplexOptimizer!;
            Assert.Equal(options, state.Options);
            Assert.Equal(sgd.LearningRate, state.LearningRate);
            Assert.Equal(sgd.VelocityA.ToArray(), state.VelocityA);
            Assert.Equal(sgd.VelocityS.ToArray(), state.VelocityS);
            Assert.Equal(sgd.VelocityBias.ToArray(), state.VelocityBias);
            Assert.Equal(2, ModelFile.ReadInfo(path).HypercomplexFactors);

            HypercomplexSgd next = state.CreateOptimizer(resumed);
            for (int s = savedAt; s < Steps; s++)
            {
                Step(next, s);
            }

            Assert.Equal(whole.FactorA.ToArray(), resumed.FactorA.ToArray());
            Assert.Equal(whole.FactorS.ToArray(), resumed.FactorS.ToArray());
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
        }

        [Fact]
        public void A_hypercomplex_file_loads_into_a_dense_model_of_its_shape_and_predicts_the_same()
        {
            (Phm2x34x10 model, HypercomplexSgd sgd) = Start(new SgdOptions { Momentum = 0.5f });
            Step(sgd, 0);
            string path = _dir.File("phm.gsm");
            ModelFile.Save(path, model);
            RuntimeSoftmaxModel dense = ModelFile.Load(path, out ModelFileContents contents);
            Assert.Null(contents.HypercomplexOptimizer);
            Assert.Equal(model.Weights.ToArray(), dense.Weights.ToArray());
            Assert.Equal(model.Bias.ToArray(), dense.Bias.ToArray());
            Assert.Equal(2, ModelFile.ReadInfo(path).HypercomplexFactors);

            ModelFile.Save(path, dense);
            Assert.Equal(0, ModelFile.ReadInfo(path).HypercomplexFactors);
        }

        [Fact]
        public void A_file_without_factors_or_with_another_n_is_refused_by_a_hypercomplex_model()
        {
            string path = _dir.File("dense.gsm");
            ModelFile.Save(path, new RuntimeSoftmaxModel(34, 10));
            var model = new Phm2x34x10();
            HypercomplexSgd.Initialize(model, 1);
            float[] a = model.FactorA.ToArray();
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, model));
            Assert.Contains("holds a dense model without hypercomplex factors", e.Message);
            Assert.Equal(a, model.FactorA.ToArray());

            var four = new Phm4x68x12();
            HypercomplexSgd.Initialize(four, 1);
            ModelFile.Save(path, four);
            var two = new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(68, 12), 2);
            e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, two));
            Assert.Contains("holds a hypercomplex model with n = 4 factors, but the model it is loaded into", e.Message);
        }

        [Fact]
        public void Save_refuses_weights_written_around_the_factors_and_an_optimizer_that_does_not_fit()
        {
            (Phm2x34x10 model, HypercomplexSgd sgd) = Start(new SgdOptions { Momentum = 0.9f });
            string path = _dir.File("phm.gsm");
            model.Weights[40] += 0.5f;
            Assert.Contains("Weights[1, 6]", Assert.Throws<ArgumentException>(() => ModelFile.Save(path, model)).Message);

            HypercomplexSgd.Initialize(model, 2);
            var state = HypercomplexOptimizerState.Of(sgd);
            Assert.Contains("the model saved is dense", Assert.Throws<ArgumentException>(() => ModelFile.Save(
                path, new RuntimeSoftmaxModel(34, 10), new ModelFileContents { HypercomplexOptimizer = state })).Message);
            Assert.Contains("with momentum the model needs 8 + 170 + 10", Assert.Throws<ArgumentException>(() => ModelFile.Save(
                path, model, new ModelFileContents { HypercomplexOptimizer = state with { VelocityS = new float[3] } })).Message);
            Assert.False(File.Exists(path));
        }

        [Theory]
        [InlineData("PHMF", 0, 3u, "does not fit its model of 34 inputs and 10 classes")]
        [InlineData("PHMF", 4, 1u, "reserved bytes of its hypercomplex factors section are not 0")]
        [InlineData("PHMF", 8, 0x7FC00000u, "hypercomplex factors hold a NaN")]
        [InlineData("PHMF", 8, 0x40A00000u, "not what its hypercomplex factors make")] // A[0] = 5
        [InlineData("PHMO", 0, 0u, "settings are out of range")]
        [InlineData("PHMO", 4, 0x3F800000u, "settings are out of range")] // momentum 1
        [InlineData("PHMO", 12, 0xBF800000u, "learning rate is -1")]
        [InlineData("PHMO", 16, 0u, "velocity flag is 0")]
        [InlineData("PHMO", 20, 1u, "reserved 1")]
        [InlineData("PHMO", 24, 0x7F800000u, "velocity holds a NaN or infinite value")]
        public void Every_hypercomplex_field_is_checked_on_load(string section, int offset, uint value, string expected)
        {
            (Phm2x34x10 model, HypercomplexSgd sgd) = Start(new SgdOptions { Momentum = 0.9f });
            Step(sgd, 0);
            string path = _dir.File("phm.gsm");
            ModelFile.Save(path, sgd, classNames: null);
            byte[] file = File.ReadAllBytes(path);
            BitConverter.GetBytes(value).CopyTo(file, Sections(file).Single(s => s.Tag == section).Payload + offset);
            File.WriteAllBytes(path, Reseal(file));

            var into = new Phm2x34x10();
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, into));
            Assert.Contains($"'{Path.GetFullPath(path)}' is not a valid model file", e.Message);
            Assert.Contains(expected, e.Message);
            Assert.All(into.Weights.ToArray(), w => Assert.Equal(0f, w));
        }

        [Fact]
        public void An_optimizer_without_its_factors_is_refused()
        {
            (_, HypercomplexSgd sgd) = Start(new SgdOptions());
            string path = _dir.File("phm.gsm");
            ModelFile.Save(path, sgd, classNames: null);
            File.WriteAllBytes(path, Without(File.ReadAllBytes(path), "PHMF"));
            Assert.Contains("hypercomplex optimizer ('PHMO') comes before, or without, the hypercomplex factors",
                Assert.Throws<ModelFileException>(() => ModelFile.Load(path, new RuntimeSoftmaxModel(34, 10))).Message);
        }
    }
}
