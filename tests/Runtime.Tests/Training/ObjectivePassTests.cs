using System;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>The exact solvers' pass over the data: in float through the kernels, and in double (precise mode).</summary>
    public sealed class ObjectivePassTests
    {
        /// <summary>
        /// The precise pass (8-row blocks) against the objective and gradient written out in double, row by row: 37 inputs
        /// (not a whole number of vectors), 5 classes, 203 rows (slices that end in a partial block), weights with zeros,
        /// features and pixels, one thread and three; and the float pass within its own rounding of it.
        /// </summary>
        [Theory]
        [InlineData(false, 1)]
        [InlineData(false, 3)]
        [InlineData(true, 1)]
        [InlineData(true, 3)]
        public void PrecisePass_IsTheObjectiveInDouble_AndTheFloatPassIsWithinItsRounding(bool pixels, int threads)
        {
            const int Rows = 203, D = 37, Q = 5;
            const double C = 0.7;
            var random = new Random(11);
            int[] labels = new int[Rows];
            float[] weights = new float[Rows];
            float[] features = new float[Rows * D];
            byte[] bytes = new byte[Rows * D];
            for (int r = 0; r < Rows; r++)
            {
                labels[r] = random.Next(Q);
                weights[r] = r % 7 == 3 ? 0f : (float)(0.25 + (2 * random.NextDouble()));
                for (int k = 0; k < D; k++)
                {
                    bytes[(r * D) + k] = (byte)random.Next(256);
                    features[(r * D) + k] = (float)((random.NextDouble() * 4) - 2);
                }
            }

            LabeledData data = (pixels ? LabeledData.FromPixels(bytes, labels, D) : LabeledData.FromFeatures(features, labels, D))
                .WithWeights(weights);
            var model = new RuntimeSoftmaxModel(D, Q);
            double[] x = new double[(D * Q) + Q];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (random.NextDouble() - 0.5) * 0.6;
            }

            (double expected, double[] expectedGradient) = Reference(data, x, D, Q, C);
            using var pass = new ObjectivePass(model, data, C, threads);
            double[] g = new double[x.Length];
            double floatF = pass.Evaluate((double[])x.Clone(), g);
            Assert.Equal(expected, floatF, Math.Abs(expected) * 1e-5);
            for (int i = 0; i < g.Length; i++)
            {
                Assert.True(Math.Abs(g[i] - expectedGradient[i]) <= 1e-4 * (1 + Math.Abs(expectedGradient[i])), $"float gradient [{i}]");
            }

            pass.UsePrecise();
            double f = pass.Evaluate(x, g);
            Assert.Equal(expected, f, Math.Abs(expected) * 1e-12);
            for (int i = 0; i < g.Length; i++)
            {
                Assert.True(Math.Abs(g[i] - expectedGradient[i]) <= 1e-11 * (1 + Math.Abs(expectedGradient[i])), $"gradient [{i}]");
            }

            // Deterministic: the same pass again gives the same bits.
            double[] again = new double[g.Length];
            Assert.Equal(f, pass.Evaluate(x, again));
            Assert.Equal(g, again);
        }

        /// <summary>The objective sum_i w_i CE_i + ||W||^2 / (2C) and its gradient, one row at a time in double.</summary>
        private static (double F, double[] Gradient) Reference(LabeledData data, double[] x, int d, int q, double c)
        {
            double f = 0;
            double[] g = new double[x.Length];
            double[] o = new double[q];
            for (int r = 0; r < data.Count; r++)
            {
                double weight = data.Weights![r];
                double max = double.NegativeInfinity;
                for (int k = 0; k < q; k++)
                {
                    double dot = x[(d * q) + k];
                    for (int j = 0; j < d; j++)
                    {
                        dot += x[(k * d) + j] * Input(data, r, j, d);
                    }

                    o[k] = dot;
                    max = Math.Max(max, dot);
                }

                double s = 0;
                for (int k = 0; k < q; k++)
                {
                    s += Math.Exp(o[k] - max);
                }

                double lse = max + Math.Log(s);
                int y = data.Labels[r];
                f += weight * (lse - o[y]);
                for (int k = 0; k < q; k++)
                {
                    double gk = weight * (Math.Exp(o[k] - lse) - (k == y ? 1 : 0));
                    for (int j = 0; j < d; j++)
                    {
                        g[(k * d) + j] += gk * Input(data, r, j, d);
                    }

                    g[(d * q) + k] += gk;
                }
            }

            for (int i = 0; i < d * q; i++)
            {
                f += x[i] * x[i] / (2 * c);
                g[i] += x[i] / c;
            }

            return (f, g);
        }

        private static double Input(LabeledData data, int r, int j, int d) =>
            data.IsPixels ? data.Pixels![(r * d) + j] / 255.0 : data.Features![(r * d) + j];
    }
}
