using System;
using System.Linq;
using GenSoftmax.Reference;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>A two-class softmax model is logistic regression with w = w₁ - w₀ and b = b₁ - b₀, trained at twice the rate.</summary>
    public sealed class LogisticRegressionTests
    {
        [SkippableTheory]
        [InlineData(KernelIsa.Portable)]
        [InlineData(KernelIsa.Avx2)]
        [InlineData(KernelIsa.Avx512)]
        public void Two_class_softmax_matches_logistic_regression_step_by_step(KernelIsa isa)
        {
            ISoftmaxModel model = TestModels.Create("15x2", isa);
            var random = new Random(8);
            TestModels.Randomize(model, random);
            float[] x = TestModels.Uniform(random, 64 * 15, -1f, 1f);
            // Labels from a noisy linear rule, so the problem is neither trivial nor separable.
            float[] truth = TestModels.Uniform(random, 15, -1f, 1f);
            int[] labels = Enumerable.Range(0, 64)
                .Select(r => x.AsSpan(r * 15, 15).ToArray().Zip(truth, (a, b) => a * b).Sum() + (0.3f * random.NextSingle()) > 0.15f ? 1 : 0)
                .ToArray();
            Assert.InRange(labels.Sum(), 10, 54);

            var logistic = new LogisticReference(15);
            for (int k = 0; k < 15; k++)
            {
                logistic.Weights[k] = (double)model.Weights[15 + k] - model.Weights[k];
            }

            logistic.Bias = (double)model.Bias[1] - model.Bias[0];
            double[] sumBefore = Enumerable.Range(0, 15).Select(k => (double)model.Weights[15 + k] + model.Weights[k]).ToArray();
            const float Rate = 0.3f;
            var sgd = new Sgd(model, new SgdOptions { LearningRate = Rate });
            var probabilities = new float[64 * 2];
            for (int step = 0; step < 50; step++)
            {
                model.Probabilities(Batch.Of(x), probabilities);
                double[] p = logistic.Probabilities(x);
                for (int r = 0; r < 64; r++)
                {
                    Assert.Equal(p[r], probabilities[(r * 2) + 1], 1e-5);
                    Assert.Equal(1 - p[r], probabilities[r * 2], 1e-5);
                }

                BatchResult softmax = sgd.Step(Batch.Of(x).WithLabels(labels));
                double logLoss = logistic.Step(x, labels, 2.0 * Rate);
                Assert.Equal(logLoss, softmax.Loss, 1e-5);
                for (int k = 0; k < 15; k++)
                {
                    Assert.Equal(logistic.Weights[k], (double)model.Weights[15 + k] - model.Weights[k], 1e-5);
                }

                Assert.Equal(logistic.Bias, (double)model.Bias[1] - model.Bias[0], 1e-5);
            }

            // The over-parameterisation: the softmax gradient keeps w₁ + w₀ where it started, so only the difference learns.
            for (int k = 0; k < 15; k++)
            {
                Assert.Equal(sumBefore[k], (double)model.Weights[15 + k] + model.Weights[k], 1e-5);
            }

            Assert.True(logistic.Weights.Select(Math.Abs).Max() > 0.1, "the model learned something");
        }
    }
}
