using System;
using System.Linq;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>Assertions the generated and the run-time-shaped kernel tests share.</summary>
    internal static class KernelAsserts
    {
        /// <summary>Each prediction is the reference's argmax, except where the reference logits nearly tie.</summary>
        public static void AssertPredictions(int[] expected, double[] logits, int classes, int[] predictions, string what)
        {
            Assert.Equal(expected.Length, predictions.Length);
            for (int r = 0; r < expected.Length; r++)
            {
                Assert.InRange(predictions[r], 0, classes - 1);
                if (predictions[r] != expected[r])
                {
                    // Only a near-tie may go either way in float.
                    double gap = Math.Abs(logits[(r * classes) + predictions[r]] - logits[(r * classes) + expected[r]]);
                    Assert.True(gap < 1e-5, $"{what} row {r}: predicted {predictions[r]}, reference {expected[r]} (logit gap {gap})");
                }
            }
        }

        public static void AssertRowsSumToOne(float[] probabilities, int classes)
        {
            for (int r = 0; r < probabilities.Length / classes; r++)
            {
                Assert.Equal(1.0, probabilities.AsSpan(r * classes, classes).ToArray().Sum(p => (double)p), 5);
            }
        }

        public static int ArgMax(ReadOnlySpan<float> values)
        {
            int best = 0;
            for (int i = 1; i < values.Length; i++)
            {
                if (values[i] > values[best])
                {
                    best = i;
                }
            }

            return best;
        }

        /// <summary>
        /// The true class's logit exceeds every other by about 200, so every other exp(o - m) underflows to 0 in
        /// float and the max row's term must be exactly 1: sum = 1, log 1 = 0, loss exactly 0, softmax exactly
        /// one-hot and the gradient exactly 0. An exp that returns 1.0000001 for 0 (as .NET's Vector512.Exp did)
        /// gives a loss of 1.19e-7 instead. Row r is one-hot at input r % Inputs, whose class gets weight 200;
        /// the model's weights are set here, on top of whatever it held.
        /// </summary>
        public static void AssertPerfectlyFittedRowsHaveZeroLoss(ISoftmaxModel model, string what)
        {
            int inputs = model.Inputs, q = model.Classes;
            const int n = 37; // more than one row block
            var random = new Random(41);
            TestModels.Uniform(random, q, -1f, 1f).CopyTo(model.Bias);
            int ClassOf(int k) => ((k * 7) + 3) % q;
            for (int k = 0; k < inputs; k++)
            {
                model.Weights[(ClassOf(k) * inputs) + k] = 200f;
            }

            var features = new float[n * inputs];
            var pixels = new byte[n * inputs];
            var labels = new int[n];
            var targets = new float[n * q];
            for (int r = 0; r < n; r++)
            {
                int k = r % inputs;
                features[(r * inputs) + k] = 1f;
                pixels[(r * inputs) + k] = 255;
                labels[r] = ClassOf(k);
                targets[(r * q) + labels[r]] = 1f;
            }

            int[] rows = Enumerable.Range(0, n).Reverse().ToArray();
            foreach (bool bytes in new[] { false, true })
            {
                string input = $"{what} {(bytes ? "byte" : "float")}";
                var dW = new float[model.Weights.Length];
                var db = new float[q];
                Array.Fill(dW, float.NaN);
                Array.Fill(db, float.NaN);

                BatchResult loss = model.Loss(Input(bytes).WithLabels(labels));
                Assert.True(loss.Loss == 0f, $"{input}: loss {loss.Loss:R}, expected exactly 0");
                Assert.Equal(n, loss.Correct);
                BatchResult withGradient = model.LossAndGradient(Input(bytes).WithLabels(labels).WithRows(rows), dW, db);
                Assert.True(withGradient.Loss == 0f, $"{input} rows: loss {withGradient.Loss:R}, expected exactly 0");
                Assert.Equal(n, withGradient.Correct);
                Assert.All(dW, v => Assert.Equal(0f, v));
                Assert.All(db, v => Assert.Equal(0f, v));

                BatchResult soft = model.LossAndGradient(Input(bytes).WithTargets(targets), dW, db);
                Assert.True(soft.Loss == 0f, $"{input} soft: loss {soft.Loss:R}, expected exactly 0");
                Assert.Equal(n, soft.Correct);
                Assert.All(dW, v => Assert.Equal(0f, v));
                Assert.All(db, v => Assert.Equal(0f, v));

                var probabilities = new float[n * q];
                model.Probabilities(Input(bytes), probabilities);
                Assert.Equal(targets, probabilities); // exactly one-hot
            }

            Batch Input(bool bytes) => bytes ? Batch.Of(pixels) : Batch.Of(features);
        }
    }
}
