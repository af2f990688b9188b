using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Reference;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests
{
    /// <summary><see cref="Sgd"/> against <see cref="ReferenceSgd"/>, the double-precision oracle, on every supported variant.</summary>
    public sealed class OptimizerTests
    {
        private const int Rows = 37;
        private const int Steps = 5;

        public static readonly IReadOnlyDictionary<string, SgdOptions> Settings = new Dictionary<string, SgdOptions>
        {
            ["plain"] = new SgdOptions { LearningRate = 0.5f },
            ["momentum"] = new SgdOptions { LearningRate = 0.2f, Momentum = 0.9f },
            ["decay"] = new SgdOptions { LearningRate = 0.5f, WeightDecay = 1e-3f },
            ["both"] = new SgdOptions { LearningRate = 0.2f, Momentum = 0.9f, WeightDecay = 1e-3f },
        };

        public static IEnumerable<object[]> Cases() =>
            from name in new[] { "17x10", "3x33", "784x10" }
            from isa in Variants
            from setting in Settings.Keys
            select new object[] { name, isa, setting };

        [SkippableTheory]
        [MemberData(nameof(Cases))]
        public void Steps_match_the_reference(string name, KernelIsa isa, string setting)
        {
            var random = new Random(31);
            (ISoftmaxModel model, Sgd sgd, ReferenceSgd reference) = Start(name, isa, setting, random);

            for (int step = 0; step < Steps; step++)
            {
                // A new batch each step, so the velocity mixes different gradients.
                float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
                int[] labels = Enumerable.Range(0, Rows).Select(_ => random.Next(model.Classes)).ToArray();
                double expectedLoss = reference.Step(x, labels);
                BatchResult result = sgd.Step(Batch.Of(x).WithLabels(labels));

                AssertStepMatches(reference, model, expectedLoss, result, $"{name} {isa} {setting} step {step}");
                Assert.Equal(Rows, result.Count);
                if (Settings[setting].Momentum != 0f)
                {
                    AssertClose(reference.VelocityWeights, sgd.VelocityOfW, $"{name} {isa} {setting} step {step} velocity of W");
                    AssertClose(reference.VelocityBias, sgd.VelocityOfB, $"{name} {isa} {setting} step {step} velocity of b");
                }
                else
                {
                    Assert.True(sgd.VelocityOfW.Length == 0 && sgd.Velocity.Count == 0, "plain SGD keeps no velocity");
                }
            }
        }

        [SkippableTheory]
        [MemberData(nameof(Cases))]
        public void Steps_on_a_row_list_of_pixels_match_the_reference(string name, KernelIsa isa, string setting)
        {
            var random = new Random(32);
            (ISoftmaxModel model, Sgd sgd, ReferenceSgd reference) = Start(name, isa, setting, random);
            byte[] pixels = new byte[50 * model.Inputs];
            random.NextBytes(pixels);
            int[] labels = Enumerable.Range(0, 50).Select(_ => random.Next(model.Classes)).ToArray();
            LabeledData data = LabeledData.FromPixels(pixels, labels, model.Inputs);
            float[] features = data.ToFloats();

            for (int step = 0; step < Steps; step++)
            {
                int[] rows = Enumerable.Range(0, Rows).Select(_ => random.Next(data.Count)).ToArray();
                float[] x = rows.SelectMany(r => features.AsSpan(r * model.Inputs, model.Inputs).ToArray()).ToArray();
                double expectedLoss = reference.Step(x, rows.Select(r => labels[r]).ToArray());
                BatchResult result = sgd.Step(data.Rows(rows));

                AssertStepMatches(reference, model, expectedLoss, result, $"{name} {isa} {setting} step {step}");
            }
        }

        [SkippableTheory]
        [MemberData(nameof(Cases))]
        public void Steps_with_soft_targets_match_the_reference(string name, KernelIsa isa, string setting)
        {
            var random = new Random(33);
            (ISoftmaxModel model, Sgd sgd, ReferenceSgd reference) = Start(name, isa, setting, random);

            for (int step = 0; step < Steps; step++)
            {
                float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
                float[] targets = Uniform(random, Rows * model.Classes, 0f, 1f);
                for (int r = 0; r < Rows; r++)
                {
                    Span<float> t = targets.AsSpan(r * model.Classes, model.Classes);
                    float sum = 0;
                    foreach (float v in t)
                    {
                        sum += v;
                    }

                    for (int c = 0; c < t.Length; c++)
                    {
                        t[c] /= sum;
                    }
                }

                double expectedLoss = reference.Step(x, targets);
                BatchResult result = sgd.Step(Batch.Of(x).WithTargets(targets));

                AssertStepMatches(reference, model, expectedLoss, result, $"{name} {isa} {setting} step {step}");
            }
        }

        [Theory]
        [InlineData(0f)]
        [InlineData(0.9f)]
        public void Weight_decay_shrinks_the_weights_and_leaves_the_bias(float momentum)
        {
            // A zero gradient: only the decay moves anything. The weights shrink, the bias stays bit for bit.
            var model = new M17x10();
            Randomize(model, new Random(34));
            float[] weights = model.Weights.ToArray();
            float[] bias = model.Bias.ToArray();
            var options = new SgdOptions { LearningRate = 0.5f, Momentum = momentum, WeightDecay = 0.1f };
            var sgd = new Sgd(model, options);
            var reference = new ReferenceSgd(ReferenceOf(model), options);
            for (int step = 0; step < 3; step++)
            {
                sgd.Update(new float[model.Weights.Length], new float[model.Classes]);
                reference.Update(new double[model.Weights.Length], new double[model.Classes]);
            }

            Assert.Equal(bias, model.Bias.ToArray());
            Assert.Equal(bias, reference.Model.Bias);
            AssertClose(ToDouble(reference.Model.Weights), model.Weights, "decayed weights");
            if (momentum == 0f)
            {
                // Without momentum each step is the factor 1 - η λ = 0.95.
                AssertClose(weights.Select(w => w * Math.Pow(0.95, 3)).ToArray(), model.Weights, "weights after three decay steps");
            }
            else
            {
                // With momentum the velocity compounds: v1 = λ w0, v2 = μ v1 + λ w1, ... so the shrinking is faster.
                for (int i = 0; i < weights.Length; i++)
                {
                    Assert.True(Math.Abs(model.Weights[i]) < Math.Abs(weights[i]) * Math.Pow(0.95, 3), $"weight {i}: {weights[i]} -> {model.Weights[i]}");
                }
            }
        }

        [Fact]
        public void Weight_decay_does_not_touch_the_bias_under_a_real_gradient()
        {
            // The same batches with and without decay: the bias follows the same gradient... until the weights differ,
            // so compare one step, from the same start.
            var plain = new M17x10();
            var decayed = new M17x10();
            Randomize(plain, new Random(35));
            plain.Weights.CopyTo(decayed.W);
            plain.Bias.CopyTo(decayed.B);
            var random = new Random(36);
            float[] x = Uniform(random, Rows * 17, -1f, 1f);
            int[] labels = Enumerable.Range(0, Rows).Select(_ => random.Next(10)).ToArray();

            new Sgd(plain, new SgdOptions { LearningRate = 0.5f }).Step(Batch.Of(x).WithLabels(labels));
            new Sgd(decayed, new SgdOptions { LearningRate = 0.5f, WeightDecay = 0.5f }).Step(Batch.Of(x).WithLabels(labels));

            Assert.Equal(plain.Bias.ToArray(), decayed.Bias.ToArray());
            Assert.NotEqual(plain.Weights.ToArray(), decayed.Weights.ToArray());
        }

        [Theory]
        [InlineData(0f, 0f)]
        [InlineData(0.9f, 0f)]
        [InlineData(0f, 1e-3f)]
        [InlineData(0.9f, 1e-3f)]
        public void Update_with_a_gradient_equals_Step(float momentum, float weightDecay)
        {
            var options = new SgdOptions { LearningRate = 0.3f, Momentum = momentum, WeightDecay = weightDecay };
            var stepped = new M17x10();
            Randomize(stepped, new Random(37));
            var updated = new M17x10();
            stepped.Weights.CopyTo(updated.W);
            stepped.Bias.CopyTo(updated.B);
            var a = new Sgd(stepped, options);
            var b = new Sgd(updated, options);
            var random = new Random(38);
            var dW = new float[170];
            var db = new float[10];
            for (int step = 0; step < 4; step++)
            {
                float[] x = Uniform(random, Rows * 17, -1f, 1f);
                int[] labels = Enumerable.Range(0, Rows).Select(_ => random.Next(10)).ToArray();
                BatchResult ra = a.Step(Batch.Of(x).WithLabels(labels));
                BatchResult rb = updated.LossAndGradient(Batch.Of(x).WithLabels(labels), dW, db);
                float[] dWCopy = dW.ToArray();
                b.Update(dW, db);

                Assert.Equal(ra, rb);
                Assert.Equal(stepped.Weights.ToArray(), updated.Weights.ToArray());
                Assert.Equal(stepped.Bias.ToArray(), updated.Bias.ToArray());
                Assert.Equal(a.VelocityOfW.ToArray(), b.VelocityOfW.ToArray());
                Assert.Equal(dWCopy, dW); // the caller's gradient is read, not used as scratch
            }
        }

        [Fact]
        public void Velocity_can_be_saved_restored_and_reset()
        {
            var options = new SgdOptions { LearningRate = 0.3f, Momentum = 0.9f };
            var model = new M17x10();
            Randomize(model, new Random(39));
            var sgd = new Sgd(model, options);
            var random = new Random(40);
            float[] x = Uniform(random, Rows * 17, -1f, 1f);
            int[] labels = Enumerable.Range(0, Rows).Select(_ => random.Next(10)).ToArray();
            sgd.Step(Batch.Of(x).WithLabels(labels));
            Assert.Contains(sgd.VelocityOfW.ToArray(), v => v != 0f);

            // A second optimizer with the saved velocity continues bit for bit.
            var copy = new M17x10();
            model.Weights.CopyTo(copy.W);
            model.Bias.CopyTo(copy.B);
            var restored = new Sgd(copy, options);
            restored.RestoreVelocity(sgd.Velocity);
            sgd.Step(Batch.Of(x).WithLabels(labels));
            restored.Step(Batch.Of(x).WithLabels(labels));
            Assert.Equal(model.Weights.ToArray(), copy.Weights.ToArray());
            Assert.Equal(model.Bias.ToArray(), copy.Bias.ToArray());

            sgd.LearningRate = 0.01f;
            sgd.Reset();
            Assert.All(sgd.VelocityOfW.ToArray(), v => Assert.Equal(0f, v));
            Assert.All(sgd.VelocityOfB.ToArray(), v => Assert.Equal(0f, v));
            Assert.Equal(0.3f, sgd.LearningRate);

            Assert.Contains("[10, 17]", Assert.Throws<ArgumentException>(() => restored.RestoreVelocity(
                [new NamedTensor("W", [169], decays: true, TensorInit.Normal), new NamedTensor("b", [10], decays: false, TensorInit.Zeros)])).Message);
            var plain = new Sgd(copy, new SgdOptions());
            plain.RestoreVelocity([]); // nothing to restore, nothing wrong
            Assert.Contains(
                "has no momentum",
                Assert.Throws<InvalidOperationException>(() => plain.RestoreVelocity(sgd.Velocity)).Message);
        }

        [Fact]
        public void A_changed_learning_rate_is_used_by_the_next_step()
        {
            var model = new M17x10();
            Randomize(model, new Random(41));
            var sgd = new Sgd(model, new SgdOptions { LearningRate = 0.5f });
            var reference = new ReferenceSgd(ReferenceOf(model), new SgdOptions { LearningRate = 0.5f });
            var random = new Random(42);
            foreach (float rate in new[] { 0.5f, 0.05f, 1f })
            {
                sgd.LearningRate = rate;
                reference.LearningRate = rate;
                float[] x = Uniform(random, Rows * 17, -1f, 1f);
                int[] labels = Enumerable.Range(0, Rows).Select(_ => random.Next(10)).ToArray();
                sgd.Step(Batch.Of(x).WithLabels(labels));
                reference.Step(x, labels);
                AssertClose(ToDouble(reference.Model.Weights), model.Weights, $"weights after a step at {rate}");
            }
        }

        [Fact]
        public void Bad_settings_get_clear_errors()
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptions { Momentum = 1f }.Validate());
            Assert.Equal("Momentum", e.ParamName);
            Assert.Contains("Momentum must be at least 0 and below 1, such as 0.9", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptions { Momentum = -0.1f }.Validate());
            Assert.Equal("Momentum", e.ParamName);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptions { Momentum = float.NaN }.Validate());
            Assert.Equal("Momentum", e.ParamName);

            e = Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptions { WeightDecay = -1e-4f }.Validate());
            Assert.Equal("WeightDecay", e.ParamName);
            Assert.Contains("Weight decay must be a finite number >= 0, such as 1e-4", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptions { WeightDecay = float.PositiveInfinity }.Validate());
            Assert.Equal("WeightDecay", e.ParamName);

            foreach (float rate in new[] { float.NaN, 0f, -0.1f, float.PositiveInfinity })
            {
                e = Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptions { LearningRate = rate }.Validate());
                Assert.Equal("LearningRate", e.ParamName);
                Assert.Contains("The learning rate must be a positive finite number, such as 0.1", e.Message);
            }

            new SgdOptions().Validate();
            new SgdOptions { Momentum = 0.99f, WeightDecay = 0f }.Validate();

            // The optimizer and its oracle check the settings too.
            var model = new M17x10();
            Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(model, new SgdOptions { Momentum = 1f }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceSgd(ReferenceOf(model), new SgdOptions { Momentum = 1f }));
            Assert.Throws<ArgumentNullException>(() => new Sgd(null!));
        }

        private static double[] ToDouble(ReadOnlySpan<float> values)
        {
            var result = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                result[i] = values[i];
            }

            return result;
        }

        /// <summary>A model of the shape and variant with random parameters (drawn from <paramref name="random"/>), an Sgd on it, and the reference optimizer on a copy.</summary>
        private static (ISoftmaxModel Model, Sgd Sgd, ReferenceSgd Reference) Start(string name, KernelIsa isa, string setting, Random random)
        {
            ISoftmaxModel model = Create(name, isa);
            Randomize(model, random);
            SgdOptions options = Settings[setting];
            return (model, new Sgd(model, options), new ReferenceSgd(ReferenceOf(model), options));
        }

        /// <summary>After a step: the kernel's loss, weights and bias against the reference optimizer's.</summary>
        private static void AssertStepMatches(ReferenceSgd reference, ISoftmaxModel model, double expectedLoss, BatchResult result, string what)
        {
            AssertClose(expectedLoss, result.Loss, $"{what} loss");
            AssertClose(ToDouble(reference.Model.Weights), model.Weights, $"{what} weights");
            AssertClose(ToDouble(reference.Model.Bias), model.Bias, $"{what} bias");
        }
    }
}
