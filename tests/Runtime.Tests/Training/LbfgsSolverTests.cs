using System;
using System.Linq;
using System.Threading;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>The exact solver's contract: settings, errors, warm start, cancellation, reproducibility.</summary>
    public sealed class LbfgsSolverTests
    {
        internal static LabeledData Data(int rows = 300, int inputs = 7, int classes = 4, int seed = 5)
        {
            var random = new Random(seed);
            float[] x = Enumerable.Range(0, rows * inputs).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            int[] y = Enumerable.Range(0, rows).Select(r => ((x[r * inputs] > 0 ? 1 : 0) + (x[(r * inputs) + 1] > 0.3 ? 2 : 0) + random.Next(2)) % classes).ToArray();
            return LabeledData.FromFeatures(x, y, inputs);
        }

        [Theory]
        [InlineData(0.0)]
        [InlineData(-1.0)]
        [InlineData(double.NaN)]
        [InlineData(double.NegativeInfinity)]
        public void A_C_that_is_not_positive_is_refused_naming_it(double c)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => LbfgsSolver.Fit(new RuntimeSoftmaxModel(7, 4), Data(), new LbfgsOptions { C = c }));
            Assert.Contains($"C = {c}", e.Message);
        }

        [Fact]
        public void A_hypercomplex_model_is_refused_with_the_way_to_train_it()
        {
            var model = new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(8, 4), 2);
            var e = Assert.Throws<ArgumentException>(() => LbfgsSolver.Fit(model, Data(inputs: 8)));
            Assert.Contains("Trainer", e.Message);
        }

        [Fact]
        public void Data_of_another_shape_is_refused() =>
            Assert.Throws<ArgumentException>(() => LbfgsSolver.Fit(new RuntimeSoftmaxModel(6, 4), Data()));

        [Fact]
        public void It_converges_and_a_warm_start_at_the_minimum_needs_no_iteration()
        {
            var model = new RuntimeSoftmaxModel(7, 4);
            SolverResult first = LbfgsSolver.Fit(model, Data());
            Assert.Equal(SolverStop.Converged, first.Stop);
            Assert.True(first.GradientNorm <= 1e-4, first.ToString());
            Assert.True(first.Iterations > 0 && first.Evaluations >= first.Iterations, first.ToString());

            SolverResult again = LbfgsSolver.Fit(model, Data());
            Assert.Equal(SolverStop.Converged, again.Stop);
            Assert.Equal(0, again.Iterations);
            Assert.Equal(first.Objective, again.Objective, 9);
        }

        [Fact]
        public void The_iteration_limit_is_reported_and_the_model_keeps_the_last_iterate()
        {
            var model = new RuntimeSoftmaxModel(7, 4);
            SolverResult result = LbfgsSolver.Fit(model, Data(), new LbfgsOptions { MaxIterations = 2, Tolerance = 1e-9 });
            Assert.Equal(SolverStop.IterationLimit, result.Stop);
            Assert.Equal(2, result.Iterations);
            Assert.Equal(result.Objective, LbfgsSolver.Fit(model, Data(), new LbfgsOptions { MaxIterations = 1, Tolerance = 1e3 }).Objective, 9);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void A_thread_count_gives_bit_identical_fits(int threads)
        {
            float[] Fit()
            {
                var model = new RuntimeSoftmaxModel(7, 4);
                LbfgsSolver.Fit(model, Data(rows: 1000), new LbfgsOptions { Threads = threads, MaxIterations = 30 });
                return model.Weights.ToArray();
            }

            Assert.Equal(Fit(), Fit());
        }

        [Fact]
        public void Progress_is_reported_every_iteration_and_cancellation_stops_it()
        {
            var model = new RuntimeSoftmaxModel(7, 4);
            using var cancel = new CancellationTokenSource();
            int reports = 0;
            var progress = new SynchronousProgress(p =>
            {
                Assert.Equal(++reports, p.Iteration);
                if (p.Iteration == 3)
                {
                    cancel.Cancel();
                }
            });
            Assert.Throws<OperationCanceledException>(() => LbfgsSolver.Fit(model, Data(), new LbfgsOptions { Tolerance = 1e-9 }, progress, cancel.Token));
            Assert.Equal(3, reports);
            Assert.All(model.Weights.ToArray(), w => Assert.True(float.IsFinite(w)));
        }

        private sealed class SynchronousProgress(Action<SolverProgress> report) : IProgress<SolverProgress>
        {
            public void Report(SolverProgress value) => report(value);
        }

        private static float[] Fitted(LabeledData data, double c)
        {
            var model = new RuntimeSoftmaxModel(data.Inputs, 4);
            SolverResult result = LbfgsSolver.Fit(model, data, new LbfgsOptions { C = c, Tolerance = 1e-6, MaxIterations = 2000 });
            Assert.Equal(SolverStop.Converged, result.Stop);
            return [.. model.Weights, .. model.Bias];
        }

        private static void AssertSameFit(float[] expected, float[] actual)
        {
            double scale = expected.Max(Math.Abs);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"parameter {i}: {actual[i]} where {expected[i]}");
            }
        }

        [Fact]
        public void A_weight_of_two_fits_as_the_row_twice_and_a_weight_of_zero_as_the_row_removed()
        {
            LabeledData data = Data(rows: 120);
            float[] weights = Enumerable.Range(0, data.Count).Select(i => (float)(i % 3)).ToArray(); // 0, 1, 2, ...
            int[] rows = Enumerable.Range(0, data.Count).SelectMany(i => Enumerable.Repeat(i, i % 3)).ToArray();
            LabeledData expanded = LabeledData.FromFeatures(
                rows.SelectMany(i => data.Features!.AsSpan(i * data.Inputs, data.Inputs).ToArray()).ToArray(), rows.Select(i => data.Labels[i]).ToArray(), data.Inputs);
            AssertSameFit(Fitted(expanded, 1), Fitted(data.WithWeights(weights), 1));
        }

        [Fact]
        public void Scaling_every_weight_by_k_and_C_by_1_over_k_gives_the_same_fit()
        {
            LabeledData data = Data(rows: 150);
            float[] weights = Enumerable.Range(0, data.Count).Select(i => 0.5f + (i % 4)).ToArray();
            float[] scaled = weights.Select(w => w * 4f).ToArray();
            AssertSameFit(Fitted(data.WithWeights(weights), 2), Fitted(data.WithWeights(scaled), 0.5));
        }
    }
}
