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
    }
}
