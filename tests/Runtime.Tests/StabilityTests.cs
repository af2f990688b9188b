using System;
using System.Linq;
using GenSoftmax.Reference;
using Xunit;
using static GenSoftmax.Tests.KernelAsserts;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests
{
    /// <summary>LogSumExp keeps huge and equal logits finite and exact, in every variant.</summary>
    public sealed class StabilityTests
    {
        public static TheoryData<KernelIsa> Variants() => new TheoryData<KernelIsa>(TestModels.Variants);

        [SkippableTheory]
        [MemberData(nameof(Variants))]
        public void Huge_logits_give_finite_exact_loss_and_gradient(KernelIsa isa)
        {
            // Weights 0, so the logits are the bias: +1e4, -1e4, 0 for every row, in a model whose padded
            // lanes (3 of 16) must not leak into the sums.
            ISoftmaxModel model = Create("3x3", isa);
            model.B[0] = 1e4f;
            model.B[1] = -1e4f;
            model.B[2] = 0f;
            float[] x = { 0.5f, -2f, 3f, 1f, 1f, 1f, 0f, 0f, 0f };
            int[] labels = { 0, 1, 2 };

            double[] logits = { 1e4, -1e4, 0 };
            double lse = SoftmaxReference.LogSumExp(logits);
            double expectedLoss = ((lse - 1e4) + (lse + 1e4) + lse) / 3; // = (0 + 2e4 + 1e4) / 3
            var dW = new float[model.Weights.Length];
            var db = new float[3];
            float loss = model.LossAndGradient(Batch.Of(x).WithLabels(labels), dW, db).Loss;

            Assert.True(float.IsFinite(loss));
            Assert.Equal(expectedLoss, loss, 6);
            // softmax is (1, 0, 0) to float precision: db = mean(p - y) = ((1-1) + 1 + 1, -1/3, -1/3) / ... exactly:
            Assert.Equal((1.0 - (1.0 / 3)), db[0], 6);
            Assert.Equal(-1.0 / 3, db[1], 6);
            Assert.Equal(-1.0 / 3, db[2], 6);
            Assert.All(dW, v => Assert.True(float.IsFinite(v)));

            var probabilities = new float[9];
            model.Probabilities(x, probabilities);
            Assert.Equal(new float[] { 1, 0, 0, 1, 0, 0, 1, 0, 0 }, probabilities);
        }

        [SkippableTheory]
        [MemberData(nameof(Variants))]
        public void Identical_logits_give_log_q_and_uniform_probabilities(KernelIsa isa)
        {
            ISoftmaxModel model = Create("17x17", isa);
            model.B.Fill(-3e4f);
            float[] x = new float[2 * 17];
            int[] labels = { 4, 16 };
            var dW = new float[model.Weights.Length];
            var db = new float[17];
            float loss = model.LossAndGradient(Batch.Of(x).WithLabels(labels), dW, db).Loss;

            Assert.Equal(Math.Log(17), loss, 5);
            for (int c = 0; c < 17; c++)
            {
                double expected = (1.0 / 17) - ((c == 4 ? 0.5 : 0) + (c == 16 ? 0.5 : 0));
                Assert.Equal(expected, db[c], 6);
            }

            Assert.All(dW, v => Assert.Equal(0f, v)); // x = 0
        }

        public static TheoryData<string, KernelIsa> TieShapes()
        {
            var data = new TheoryData<string, KernelIsa>();
            foreach (string name in new[] { "3x3", "17x17", "784x10", "20x100" }) // rows in 1, 2 or 4 registers, or looped
            {
                foreach (KernelIsa isa in TestModels.Variants)
                {
                    data.Add(name, isa);
                }
            }

            return data;
        }

        [SkippableTheory]
        [MemberData(nameof(TieShapes))]
        public void A_tie_counts_as_correct_only_for_its_first_class_as_Predict_says(string name, KernelIsa isa)
        {
            AssertATieIsCorrectOnlyForItsFirstClass(Create(name, isa));
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Perfectly_fitted_rows_have_a_loss_of_exactly_zero(string name, KernelIsa isa)
        {
            AssertPerfectlyFittedRowsHaveZeroLoss(Create(name, isa), $"{name} {isa}");
        }
    }
}
