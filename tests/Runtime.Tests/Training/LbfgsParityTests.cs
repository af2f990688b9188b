using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using GenSoftmax.Training;
using Xunit;
using Xunit.Abstractions;

namespace GenSoftmax.Tests.Training
{
    /// <summary>
    /// The exact solver against scikit-learn 1.2's <c>LogisticRegression(solver="lbfgs")</c> run to a tight tolerance on the
    /// same float32 data (Fixtures/sklearn.json, made by scripts/sklearn-fixtures.py): the objective to 1e-6 relative, W and
    /// b to 1e-4 relative in the max norm, and the same predicted class on every row that is not a near-tie.
    /// </summary>
    public sealed class LbfgsParityTests
    {
        private static readonly JsonDocument Fixtures = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "sklearn.json")));
        private readonly ITestOutputHelper _output;

        public LbfgsParityTests(ITestOutputHelper output) => _output = output;

        /// <summary>
        /// Every fit is compared in full but the one without a penalty on the 20-class set: its minimum is so flat along some
        /// directions that 5,000 iterations end with a gradient of about 2e-4 (scikit-learn's own lbfgs needs 586 iterations in
        /// double), close in objective and predictions but not in W. The flat fits (C = 100) reach their minimum because the
        /// solver finishes in double once the float objective's rounding stalls it.
        /// </summary>
        public static IEnumerable<object[]> Cases() =>
        [
            ["iris", 0.01, 1, true, ""],
            ["iris", 1.0, 1, true, ""],
            ["synthetic20", 0.01, 1, true, ""],
            ["synthetic20", 1.0, 1, true, ""],
            ["synthetic20", 1.0, 2, true, ""],
            ["iris", 100.0, 1, true, ""],
            ["synthetic20", 100.0, 1, true, ""],
            ["synthetic20", double.PositiveInfinity, 2, false, ""],
            ["iris", 1.0, 1, true, "sample"],
            ["iris", 1.0, 1, true, "balanced"],
            ["synthetic20", 1.0, 2, true, "sample"],
            ["synthetic20", 1.0, 1, true, "balanced"],
        ];

        /// <summary>
        /// <paramref name="weighting"/>: "" (none), "sample" (scikit-learn's <c>sample_weight</c>, the fixture's 0.5 to 3 per row,
        /// through <see cref="LabeledData.WithWeights"/>) or "balanced" (<c>class_weight="balanced"</c>, through
        /// <see cref="LabeledData.BalancedClassWeights"/>, whose row weights must be the fixture's).
        /// </summary>
        [Theory]
        [MemberData(nameof(Cases))]
        public void Reaches_scikit_learns_minimum(string name, double c, int threads, bool coefficients, string weighting) =>
            Check(name, c, threads, coefficients, weighting, LbfgsSolver.Fit);

        /// <summary>
        /// The trust-region Newton solver, on the same cases at the same tolerances; the flat fit without a penalty, which is
        /// compared in objective and predictions only, with at most 50 iterations (its last digits cost Newton about 40,000
        /// passes over these 1,000 rows, 10 s).
        /// </summary>
        [Theory]
        [MemberData(nameof(Cases))]
        public void Newton_reaches_scikit_learns_minimum(string name, double c, int threads, bool coefficients, string weighting) =>
            Check(name, c, threads, coefficients, weighting, (m, d, o, p, t) => NewtonSolver.Fit(m, d, coefficients ? o : o with { MaxIterations = 50 }, p, t));

        private void Check(
            string name, double c, int threads, bool coefficients, string weighting,
            Func<ISoftmaxModel, LabeledData, LbfgsOptions, IProgress<SolverProgress>?, System.Threading.CancellationToken, SolverResult> solve)
        {
            JsonElement set = Fixtures.RootElement.GetProperty("sets").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
            JsonElement fit = set.GetProperty("fits").EnumerateArray().Single(f =>
                (f.GetProperty("c").ValueKind == JsonValueKind.Null ? double.IsPositiveInfinity(c) : f.GetProperty("c").GetDouble() == c)
                && (f.GetProperty("weighting").GetString() ?? "") == weighting);
            int inputs = set.GetProperty("inputs").GetInt32(), classes = set.GetProperty("classes").GetInt32();
            double scale = set.GetProperty("scale").GetDouble();
            float[] x = set.GetProperty("x").EnumerateArray().Select(v => (float)(v.GetInt64() / scale)).ToArray();
            int[] y = set.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var data = LabeledData.FromFeatures(x, y, inputs);
            if (weighting.Length > 0)
            {
                float[] weights = fit.GetProperty("weights").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
                data = weighting == "sample" ? data.WithWeights(weights) : data.WithClassWeights(data.BalancedClassWeights());
                Assert.Equal(weights, data.Weights);
            }

            var model = new RuntimeSoftmaxModel(inputs, classes);
            // At C = 100 and without a penalty the minimum is flat (the Hessian's smallest eigenvalue is about 1/C or less), so a
            // gradient of 2e-5 still leaves W further than 1e-4 from it: those fits run to 1e-6.
            double tolerance = c >= 100 ? 1e-6 : 2e-5;
            SolverResult result = solve(model, data, new LbfgsOptions { C = c, Tolerance = tolerance, MaxIterations = 5000, Threads = threads }, null, default);
            double expected = fit.GetProperty("objective").GetDouble();
            _output.WriteLine($"{name} C={c} {weighting} threads={threads}: {result}; scikit-learn {expected} in {fit.GetProperty("iterations").GetInt32()} iterations");

            double relative = coefficients ? 1e-6 : 1e-5;
            Assert.True(Math.Abs(result.Objective - expected) <= relative * expected, $"objective {result.Objective:R}, the minimum {expected:R}");
            Assert.Equal(SolverStop.Converged, coefficients ? result.Stop : SolverStop.Converged);
            double[] coef = fit.GetProperty("coef").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            double[] intercept = fit.GetProperty("intercept").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            // The bias, and without a penalty each feature's weights, are defined up to a constant shared by the classes (softmax
            // does not change when one is added to every class): both sides are compared centred over the classes.
            float[] w = model.Weights.ToArray(), b = model.Bias.ToArray();
            Centre(intercept, b, 1);
            if (double.IsPositiveInfinity(c))
            {
                Centre(coef, w, inputs);
            }

            if (coefficients)
            {
                AssertClose(coef, w, "W");
                AssertClose(intercept, b, "b");
            }

            // Predictions agree off near-ties.
            var predicted = new int[data.Count];
            model.Predict(data.All(), predicted);
            int[] theirs = fit.GetProperty("predictions").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            double[] margins = fit.GetProperty("margins").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int i = 0; i < predicted.Length; i++)
            {
                Assert.True(predicted[i] == theirs[i] || margins[i] < 1e-3, $"row {i}: {predicted[i]} where scikit-learn predicts {theirs[i]} (margin {margins[i]})");
            }
        }

        /// <summary>Subtracts from each of <paramref name="columns"/> columns its mean over the rows (classes), on both sides.</summary>
        internal static void Centre(double[] expected, float[] actual, int columns)
        {
            int rows = expected.Length / columns;
            for (int k = 0; k < columns; k++)
            {
                double e = 0, a = 0;
                for (int r = 0; r < rows; r++)
                {
                    e += expected[(r * columns) + k];
                    a += actual[(r * columns) + k];
                }

                for (int r = 0; r < rows; r++)
                {
                    expected[(r * columns) + k] -= e / rows;
                    actual[(r * columns) + k] = (float)(actual[(r * columns) + k] - (a / rows));
                }
            }
        }

        internal static void AssertClose(double[] expected, ReadOnlySpan<float> actual, string what)
        {
            double scale = expected.Max(Math.Abs), worst = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
            }

            Assert.True(worst <= 1e-4 * scale, $"{what}: largest difference {worst:G4}, {worst / scale:G3} of the largest |{what}| {scale:G4}");
        }
    }
}
