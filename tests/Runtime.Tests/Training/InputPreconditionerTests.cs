using System;
using System.Linq;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>L-BFGS's preconditioner: it solves with the matrix it describes, and it shortens the path, not the answer.</summary>
    public sealed class InputPreconditionerTests
    {
        /// <summary>Rows whose inputs share a low-dimensional signal (as embeddings do) at uneven scales: input k is scaled by
        /// 1 + k / 4, so both the correlations and the scales slow plain L-BFGS.</summary>
        private static LabeledData Correlated(int rows, int inputs, int classes, int seed, bool pixels = false)
        {
            var random = new Random(seed);
            double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            const int Signal = 3;
            double[,] mix = new double[Signal, inputs];
            for (int s = 0; s < Signal; s++)
            {
                for (int k = 0; k < inputs; k++)
                {
                    mix[s, k] = Normal();
                }
            }

            var x = new float[rows * inputs];
            var y = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                double[] z = [Normal(), Normal(), Normal()];
                for (int k = 0; k < inputs; k++)
                {
                    double v = (0.3 * Normal()) + (z[0] * mix[0, k]) + (z[1] * mix[1, k]) + (z[2] * mix[2, k]);
                    x[(r * inputs) + k] = (float)(v * (1 + (k / 4.0)));
                }

                y[r] = (int)((((z[0] > 0 ? 1 : 0) + (z[1] > 0.5 ? 2 : 0) + (Normal() > 1.2 ? 1 : 0)) % classes) + classes) % classes;
            }

            if (pixels)
            {
                float max = x.Max(v => Math.Abs(v));
                byte[] p = x.Select(v => (byte)Math.Round(127.5 + (127.5 * v / max))).ToArray();
                return LabeledData.FromPixels(p, y, inputs);
            }

            return LabeledData.FromFeatures(x, y, inputs);
        }

        /// <summary>M = X̃ᵀX̃ + ridge + (K/C) on W's inputs, written out in double from the rows (every row sampled here).</summary>
        private static double[,] Moments(LabeledData data, int classes, double c, float[]? weights)
        {
            int d = data.Inputs, m = d + 1;
            var a = new double[m, m];
            double[] row = new double[m];
            for (int r = 0; r < data.Count; r++)
            {
                for (int k = 0; k < d; k++)
                {
                    row[k] = data.IsPixels ? data.Pixels![(r * d) + k] / 255.0 : data.Features![(r * d) + k];
                }

                row[d] = 1;
                double w = weights?[r] ?? 1;
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < m; j++)
                    {
                        a[i, j] += w * row[i] * row[j];
                    }
                }
            }

            double trace = 0;
            for (int i = 0; i < m; i++)
            {
                trace += a[i, i];
            }

            for (int i = 0; i < m; i++)
            {
                a[i, i] += (1e-2 * trace / m) + (i < d && double.IsFinite(c) ? classes / c : 0);
            }

            return a;
        }

        [Theory]
        [InlineData(1.0, false, false, 1)]
        [InlineData(0.01, false, true, 2)]
        [InlineData(double.PositiveInfinity, true, false, 2)]
        [InlineData(1.0, true, true, 1)]
        public void Applying_it_solves_with_the_inputs_second_moments(double c, bool pixels, bool weighted, int threads)
        {
            const int Inputs = 37, Classes = 11;
            LabeledData data = Correlated(600, Inputs, Classes, seed: 3, pixels);
            float[]? weights = weighted ? Enumerable.Range(0, data.Count).Select(r => (float)(r % 5) / 2).ToArray() : null;
            if (weights is not null)
            {
                data = data.WithWeights(weights);
            }

            var model = new RuntimeSoftmaxModel(Inputs, Classes);
            using var workers = new GenSoftmax.Internal.SliceWorkers(threads, "test");
            InputPreconditioner? p = InputPreconditioner.Create(model, data, c, workers);
            Assert.NotNull(p);
            double[,] a = Moments(data, Classes, c, weights);
            var random = new Random(11);
            int size = (Inputs * Classes) + Classes;
            double[] v = Enumerable.Range(0, size).Select(_ => random.NextDouble() - 0.5).ToArray();
            double[] z = new double[size];
            p.Apply(v, z);

            // For each class: M (z's inputs, z's bias) must give back v's, to the rounding of M's float sums: the residual
            // against the sizes of M (its largest row sum) and z, a solve's backward error.
            double worst = 0, norm = 0, zMax = z.Max(Math.Abs);
            for (int i = 0; i <= Inputs; i++)
            {
                double rowSum = 0;
                for (int j = 0; j <= Inputs; j++)
                {
                    rowSum += Math.Abs(a[i, j]);
                }

                norm = Math.Max(norm, rowSum);
            }

            for (int cls = 0; cls < Classes; cls++)
            {
                double[] zc = [.. z.AsSpan(cls * Inputs, Inputs), z[(Inputs * Classes) + cls]];
                double[] vc = [.. v.AsSpan(cls * Inputs, Inputs), v[(Inputs * Classes) + cls]];
                for (int i = 0; i <= Inputs; i++)
                {
                    double mz = 0;
                    for (int j = 0; j <= Inputs; j++)
                    {
                        mz += a[i, j] * zc[j];
                    }

                    worst = Math.Max(worst, Math.Abs(mz - vc[i]));
                }
            }

            // The second moments are summed in float over blocks of up to 512 rows (rounding about 1e-7 relative per addition).
            double backward = worst / (norm * zMax);
            Assert.True(backward < 1e-6, $"|M z - v| reaches {worst}: {backward} of |M| |z|");

            double[] again = (double[])v.Clone();
            p.Apply(again, again); // in place, the same answer
            Assert.Equal(z, again);
        }

        [Theory]
        [InlineData(1.0, false)]
        [InlineData(100.0, false)]
        [InlineData(1.0, true)]
        public void Preconditioned_L_BFGS_reaches_plain_L_BFGS_minimum_in_far_fewer_passes(double c, bool pixels)
        {
            LabeledData data = Correlated(2000, 40, 5, seed: 8, pixels);
            var options = new LbfgsOptions { C = c, Tolerance = 1e-5, MaxIterations = 5000, Threads = 2 };
            var plainModel = new RuntimeSoftmaxModel(40, 5);
            var model = new RuntimeSoftmaxModel(40, 5);
            SolverResult plain = LbfgsSolver.Fit(plainModel, data, options with { Precondition = false });
            SolverResult preconditioned = LbfgsSolver.Fit(model, data, options);

            Assert.Equal(SolverStop.Converged, plain.Stop);
            Assert.Equal(SolverStop.Converged, preconditioned.Stop);
            Assert.Equal(plain.Objective, preconditioned.Objective, plain.Objective * 1e-8);
            double largest = plainModel.Weights.ToArray().Max(Math.Abs);
            for (int i = 0; i < model.Weights.Length; i++)
            {
                Assert.Equal(plainModel.Weights[i], model.Weights[i], largest * 1e-3);
            }

            Assert.True(preconditioned.Evaluations * 2 < plain.Evaluations,
                $"preconditioned: {preconditioned.Evaluations} passes, plain: {plain.Evaluations}");
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void Second_moments_measured_once_give_the_same_preconditioner_for_every_C(int threads)
        {
            LabeledData data = Correlated(900, 20, 6, seed: 6);
            var model = new RuntimeSoftmaxModel(20, 6);
            using var workers = new GenSoftmax.Internal.SliceWorkers(threads, "test");
            double[] moments = InputPreconditioner.Moments(model, data, workers);
            var random = new Random(3);
            double[] v = Enumerable.Range(0, (20 * 6) + 6).Select(_ => random.NextDouble() - 0.5).ToArray();
            foreach (double c in new[] { 0.01, 1.0, double.PositiveInfinity })
            {
                double[] own = new double[v.Length], shared = new double[v.Length];
                InputPreconditioner.Create(model, data, c, workers)!.Apply(v, own);
                InputPreconditioner.Create(model, data, c, workers, moments)!.Apply(v, shared);
                Assert.Equal(own, shared);
            }
        }

        [Fact]
        public void Inputs_whose_squares_overflow_a_float_leave_the_solver_without_it()
        {
            LabeledData small = Correlated(600, 12, 3, seed: 4);
            float[] huge = small.Features!.Select(v => v * 1e19f).ToArray();
            LabeledData data = LabeledData.FromFeatures(huge, small.Labels, 12);
            using var workers = new GenSoftmax.Internal.SliceWorkers(1, "test");
            Assert.Null(InputPreconditioner.Create(new RuntimeSoftmaxModel(12, 3), data, 1.0, workers));
            Assert.NotNull(InputPreconditioner.Create(new RuntimeSoftmaxModel(12, 3), small, 1.0, workers));
        }

        [Theory]
        [InlineData(100, 7, 3, true)] // Iris-sized
        [InlineData(60000, 784, 10, true)] // Fashion-MNIST
        [InlineData(100000, 768, 100, true)] // a linear probe
        [InlineData(50, 30, 3, false)] // fewer than twice as many rows as inputs
        [InlineData(50000, 3072, 10, false)] // factoring 3073 x 3073 would cost more than the passes it saves
        [InlineData(1000000, 2048, 100, true)]
        [InlineData(1000000, 4096, 100, false)] // its matrix alone would take 134 MB
        public void It_is_used_where_it_pays(int rows, int inputs, int classes, bool pays) =>
            Assert.Equal(pays, InputPreconditioner.Pays(rows, inputs, classes));
    }
}
