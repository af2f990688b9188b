using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>Choosing C on a held-out split along a warm-started path (<see cref="LbfgsSolver.SearchC"/>).</summary>
    public sealed class CSearchTests
    {
        // Few rows and many noisy features: a weak penalty overfits, a strong one underfits, so the held-out loss has an inside minimum.
        private static LabeledData Noisy()
        {
            var random = new Random(11);
            int rows = 160, inputs = 30;
            float[] x = Enumerable.Range(0, rows * inputs).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            int[] y = Enumerable.Range(0, rows).Select(r => (x[r * inputs] + (0.8 * x[(r * inputs) + 1]) + (random.NextDouble() * 1.2) > 0.6 ? 2 : x[(r * inputs) + 2] > 0 ? 1 : 0)).ToArray();
            return LabeledData.FromFeatures(x, y, inputs);
        }

        [Fact]
        public void Finds_the_C_of_the_lowest_held_out_loss_and_refits_every_row_with_it()
        {
            LabeledData data = Noisy();
            var model = new RuntimeSoftmaxModel(data.Inputs, 3);
            var reported = new List<CSearchPoint>();
            var options = new CSearchOptions { Cs = [100, 0.01, 1, 0.1, 10, 1000], Solver = new LbfgsOptions { Tolerance = 1e-6, MaxIterations = 1000 } };
            CSearchResult result = LbfgsSolver.SearchC(model, data, options, new Progress(reported));

            Assert.Equal([0.01, 0.1, 1, 10, 100, 1000], result.Curve.Select(p => p.C));
            Assert.Equal(result.Curve, reported);
            CSearchPoint best = result.Curve.MinBy(p => p.HeldOutLoss)!;
            Assert.Equal(best.C, result.BestC);
            Assert.True(result.BestC > 0.01 && result.BestC < 1000, $"the held-out loss should be lowest inside the grid, was at C = {result.BestC}");
            Assert.Equal(SolverStop.Converged, result.Final.Stop);

            // The final fit is the minimum for that C on every row, wherever it started.
            var cold = new RuntimeSoftmaxModel(data.Inputs, 3);
            LbfgsSolver.Fit(cold, data, options.Solver with { C = result.BestC });
            float[] a = [.. model.Weights, .. model.Bias], b = [.. cold.Weights, .. cold.Bias];
            double scale = b.Max(Math.Abs);
            Assert.All(a.Zip(b), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-3 * scale, $"{p.First} vs {p.Second}"));
        }

        [Fact]
        public void The_search_is_deterministic_for_a_seed()
        {
            LabeledData data = Noisy();
            var options = new CSearchOptions { Cs = CSearchOptions.LogSpace(-2, 2, 5), Seed = 3 };
            CSearchResult first = LbfgsSolver.SearchC(new RuntimeSoftmaxModel(data.Inputs, 3), data, options);
            CSearchResult second = LbfgsSolver.SearchC(new RuntimeSoftmaxModel(data.Inputs, 3), data, options);
            Assert.Equal(first.Curve.Select(p => p.HeldOutLoss), second.Curve.Select(p => p.HeldOutLoss));
        }

        [Fact]
        public void Bad_settings_are_refused_naming_them()
        {
            LabeledData data = Noisy();
            var model = new RuntimeSoftmaxModel(data.Inputs, 3);
            Assert.Contains("C = -1", Assert.Throws<ArgumentOutOfRangeException>(() => LbfgsSolver.SearchC(model, data, new CSearchOptions { Cs = [1, -1] })).Message);
            Assert.Contains("at least one value", Assert.Throws<ArgumentException>(() => LbfgsSolver.SearchC(model, data, new CSearchOptions { Cs = [] })).Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => LbfgsSolver.SearchC(model, data, new CSearchOptions { HoldOutFraction = 1 }));
        }

        private sealed class Progress(List<CSearchPoint> into) : IProgress<CSearchPoint>
        {
            public void Report(CSearchPoint value) => into.Add(value);
        }
    }
}
