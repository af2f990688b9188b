using System;
using System.Linq;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests
{
    /// <summary>
    /// A variant is chosen only through <see cref="ISoftmaxModel.Isa"/>: every supported one is reproducible run to
    /// run, bit for bit, and an unsupported one is refused rather than silently replaced.
    /// </summary>
    public sealed class VariantTests
    {
        public static TheoryData<string, KernelIsa> Shapes()
        {
            var data = new TheoryData<string, KernelIsa>();
            foreach (string name in new[] { "17x10", "3x33", "784x33", "20x100" }) // class rows in 1, 3 registers, or looped
            {
                foreach (KernelIsa isa in TestModels.Variants)
                {
                    data.Add(name, isa);
                }
            }

            return data;
        }

        [SkippableTheory]
        [MemberData(nameof(Shapes))]
        public void A_variant_selected_through_Isa_is_identical_run_to_run(string name, KernelIsa isa)
        {
            Run first = Execute(name, isa);
            Run second = Execute(name, isa);

            Assert.Equal(isa, first.Isa);
            Assert.Equal(Bits(first.Logits), Bits(second.Logits));
            Assert.Equal(Bits(first.ByteProbabilities), Bits(second.ByteProbabilities));
            Assert.Equal(first.Predictions, second.Predictions);
            Assert.Equal(first.Results, second.Results);
            Assert.Equal(Bits(first.Losses), Bits(second.Losses));
            Assert.Equal(Bits(first.DW), Bits(second.DW));
            Assert.Equal(Bits(first.Db), Bits(second.Db));
            Assert.Equal(Bits(first.Weights), Bits(second.Weights));
            Assert.Equal(Bits(first.Bias), Bits(second.Bias));

            // The runs did real work: a non-trivial gradient and a moved model.
            Assert.Contains(first.DW, v => v != 0f);
            Assert.All(first.Losses, l => Assert.True(float.IsFinite(l) && l > 0f, $"loss {l}"));
        }

        [Fact]
        public void An_unsupported_variant_is_refused_and_the_model_keeps_its_variant()
        {
            KernelIsa[] unsupported = TestModels.Variants.Where(isa => !IsaSelection.IsSupported(isa)).ToArray();
            if (unsupported.Length == 0)
            {
                // Nothing to refuse on this CPU: every variant must then be listed as runnable.
                Assert.Equal(new[] { KernelIsa.Avx512, KernelIsa.Avx2, KernelIsa.Portable }, IsaSelection.Supported);
                return;
            }

            foreach (KernelIsa isa in unsupported)
            {
                ISoftmaxModel model = All["17x10"]();
                model.Isa = KernelIsa.Portable;
                var e = Assert.Throws<PlatformNotSupportedException>(() => { model.Isa = isa; });
                Assert.Contains(isa.ToString(), e.Message);
                Assert.Equal(KernelIsa.Portable, model.Isa);
                Assert.DoesNotContain(isa, IsaSelection.Supported);
                Assert.Throws<PlatformNotSupportedException>(() => IsaSelection.EnsureSupported(isa));
            }
        }

        [Fact]
        public void Every_supported_variant_can_be_selected()
        {
            ISoftmaxModel model = All["3x3"]();
            Assert.Equal(IsaSelection.Default, model.Isa);
            foreach (KernelIsa isa in IsaSelection.Supported)
            {
                model.Isa = isa;
                Assert.Equal(isa, model.Isa);
            }
        }

        private sealed record Run(
            KernelIsa Isa, float[] Logits, float[] ByteProbabilities, int[] Predictions, BatchResult[] Results, float[] Losses,
            float[] DW, float[] Db, float[] Weights, float[] Bias);

        /// <summary>A fresh model with fixed parameters and data, through every operation, ending with three SGD steps.</summary>
        private static Run Execute(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(21);
            Randomize(model, random);
            const int dataRows = 70; // row lists of 65: two full row blocks and a single row
            (byte[] pixels, float[] features) = Pixels(random, dataRows * model.Inputs);
            int[] labels = Labels(random, dataRows, model.Classes);
            float[] targets = Targets(random, dataRows, model.Classes);
            int[] rows = Enumerable.Range(0, 65).Select(_ => random.Next(dataRows)).ToArray();

            var logits = new float[dataRows * model.Classes];
            model.Forward(features, logits);
            var probabilities = new float[rows.Length * model.Classes];
            model.Probabilities(Batch.Of(pixels).WithRows(rows), probabilities);
            var predictions = new int[dataRows];
            model.Predict(pixels, predictions);

            var dW = new float[2 * model.Weights.Length];
            var db = new float[2 * model.Classes];
            BatchResult hard = model.LossAndGradient(
                Batch.Of(pixels).WithLabels(labels).WithRows(rows), dW.AsSpan(0, model.Weights.Length), db.AsSpan(0, model.Classes));
            BatchResult soft = model.LossAndGradient(
                Batch.Of(features).WithTargets(targets), dW.AsSpan(model.Weights.Length), db.AsSpan(model.Classes));
            BatchResult loss = model.Loss(Batch.Of(features).WithLabels(labels));

            var sgd = new Sgd(model, new SgdOptions { LearningRate = 0.3f, Momentum = 0.9f, WeightDecay = 1e-3f });
            BatchResult[] steps = Enumerable.Range(0, 3).Select(i => sgd.Step(Batch.Of(pixels).WithLabels(labels).WithRows(rows))).ToArray();

            BatchResult[] results = new[] { hard, soft, loss }.Concat(steps).ToArray();
            return new Run(
                model.Isa, logits, probabilities, predictions, results, results.Select(r => r.Loss).ToArray(),
                dW, db, model.Weights.ToArray(), model.Bias.ToArray());
        }

        private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
    }
}
