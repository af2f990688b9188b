using System;
using System.Linq;
using System.Threading;
using GenSoftmax.Kernels;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>The trust-region Newton solver: its Hessian-vector product, and the contract it shares with L-BFGS.</summary>
    public sealed class NewtonSolverTests
    {
        private static LabeledData Data(int rows = 300, int inputs = 7, int classes = 4) => LbfgsSolverTests.Data(rows, inputs, classes);

        /// <summary>The same rows as bytes 0..255 (features mapped from [-1, 1]).</summary>
        private static LabeledData Pixels(LabeledData data) =>
            LabeledData.FromPixels(data.Features!.Select(v => (byte)Math.Round((v + 1) * 127.5)).ToArray(), data.Labels, data.Inputs);

        /// <summary>
        /// The engine's product against central differences of the kernels' gradient sum: H v ≈ (g(θ + εv) − g(θ − εv)) / 2ε,
        /// for float features and pixels, with and without row weights, a whole batch and a row list.
        /// </summary>
        [Theory]
        [InlineData(false, false)]
        [InlineData(false, true)]
        [InlineData(true, false)]
        [InlineData(true, true)]
        public void The_Hessian_vector_product_matches_finite_differences_of_the_gradient(bool pixels, bool weighted)
        {
            const int Inputs = 7, Classes = 4, Rows = 200;
            LabeledData data = Data(Rows, Inputs, Classes);
            if (pixels)
            {
                data = Pixels(data);
            }

            if (weighted)
            {
                data = data.WithWeights(Enumerable.Range(0, Rows).Select(i => 0.25f + (i % 5)).ToArray());
            }

            var random = new Random(3);
            float[] w = Enumerable.Range(0, Inputs * Classes).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            float[] b = Enumerable.Range(0, Classes).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            float[] vW = Enumerable.Range(0, Inputs * Classes).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            float[] vb = Enumerable.Range(0, Classes).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            int[] rows = Enumerable.Range(0, Rows).Where(i => i % 3 != 1).ToArray();

            var model = new RuntimeSoftmaxModel(Inputs, Classes);
            var probabilities = new float[rows.Length * Classes];
            var hW = new float[Inputs * Classes];
            var hb = new float[Classes];
            ((ICurvatureModel)model).HessianVector(data.Rows(rows), w, b, probabilities, true, vW, vb, hW, hb);

            // Gradient sums in double by finite differences at θ ± εv (ε small against the parameters, large against float rounding).
            const double Epsilon = 1e-2;
            double[] Gradient(double sign)
            {
                w.Select((x, i) => (float)(x + (sign * Epsilon * vW[i]))).ToArray().CopyTo(model.Weights);
                b.Select((x, i) => (float)(x + (sign * Epsilon * vb[i]))).ToArray().CopyTo(model.Bias);
                var dW = new float[Inputs * Classes];
                var db = new float[Classes];
                model.LossAndGradient(data.Rows(rows), dW, db);
                return [.. dW.Select(g => (double)g * rows.Length), .. db.Select(g => (double)g * rows.Length)];
            }

            double[] plus = Gradient(1), minus = Gradient(-1);
            double[] expected = plus.Zip(minus, (p, m) => (p - m) / (2 * Epsilon)).ToArray();
            float[] actual = [.. hW, .. hb];
            double scale = expected.Max(Math.Abs);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-3 * scale, $"element {i}: {actual[i]} where {expected[i]} (largest {scale})");
            }

            // Stored probabilities are reused: the same product without refreshing them is the same.
            var again = new float[Inputs * Classes];
            ((ICurvatureModel)model).HessianVector(data.Rows(rows), new float[w.Length], new float[Classes], probabilities, false, vW, vb, again, hb);
            Assert.Equal(hW, again);
        }

        [Fact]
        public void It_converges_to_the_minimum_L_BFGS_finds_and_a_warm_start_there_needs_no_iteration()
        {
            var lbfgs = new RuntimeSoftmaxModel(7, 4);
            SolverResult reference = LbfgsSolver.Fit(lbfgs, Data(), new LbfgsOptions { Tolerance = 1e-6, MaxIterations = 1000 });
            var model = new RuntimeSoftmaxModel(7, 4);
            SolverResult first = NewtonSolver.Fit(model, Data(), new LbfgsOptions { Tolerance = 1e-6 });
            Assert.Equal(SolverStop.Converged, first.Stop);
            Assert.True(first.HessianProducts > 0 && first.Passes == first.Evaluations + first.HessianProducts, first.ToString());
            Assert.Equal(reference.Objective, first.Objective, 6);
            Assert.True(first.Iterations < reference.Iterations, $"{first} against L-BFGS {reference}");

            // From the float parameters the solve left, at the default tolerance (the float objective's own gradient differs
            // from the double one by more than 1e-6).
            SolverResult again = NewtonSolver.Fit(model, Data());
            Assert.Equal(SolverStop.Converged, again.Stop);
            Assert.Equal(0, again.Iterations);
        }

        [Fact]
        public void A_generated_model_is_fitted_with_its_products_on_its_own_kernels()
        {
            LabeledData data = Data(inputs: 16, classes: 3);
            var generated = new Models.M16x3();
            // The engine behind the generated class, reached through its gate, is what the solver takes the products from.
            System.Type engine = generated.Gate.Curvature!.GetType();
            Assert.Equal(typeof(GenSoftmax.Kernels.SoftmaxEngine<>), engine.GetGenericTypeDefinition());
            Assert.Equal(typeof(Models.M16x3), engine.GetGenericArguments()[0].DeclaringType); // the kernels generated for it
            var runtime = new RuntimeSoftmaxModel(16, 3);
            SolverResult a = NewtonSolver.Fit(generated, data, new LbfgsOptions { Tolerance = 1e-6 });
            SolverResult b = NewtonSolver.Fit(runtime, data, new LbfgsOptions { Tolerance = 1e-6 });
            Assert.Equal(SolverStop.Converged, a.Stop);
            Assert.Equal(b.Objective, a.Objective, 6);
        }

        [Fact]
        public void The_iteration_limit_is_reported_and_errors_are_L_BFGS_s()
        {
            SolverResult result = NewtonSolver.Fit(new RuntimeSoftmaxModel(7, 4), Data(), new LbfgsOptions { MaxIterations = 1, Tolerance = 1e-12 });
            Assert.Equal(SolverStop.IterationLimit, result.Stop);
            Assert.Equal(1, result.Iterations);
            Assert.Throws<ArgumentOutOfRangeException>(() => NewtonSolver.Fit(new RuntimeSoftmaxModel(7, 4), Data(), new LbfgsOptions { C = 0 }));
            Assert.Throws<ArgumentException>(() => NewtonSolver.Fit(new RuntimeSoftmaxModel(6, 4), Data()));
            Assert.Throws<ArgumentException>(() => NewtonSolver.Fit(new GenSoftmax.Hypercomplex.HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(8, 4), 2), Data(inputs: 8)));
        }

        [Theory]
        [InlineData(1, false)]
        [InlineData(2, false)]
        [InlineData(3, true)]
        public void A_thread_count_gives_bit_identical_fits(int threads, bool pixels)
        {
            LabeledData data = pixels ? Pixels(Data(rows: 1500)) : Data(rows: 1500);
            (float[], SolverResult) Fit()
            {
                var model = new RuntimeSoftmaxModel(7, 4);
                SolverResult result = NewtonSolver.Fit(model, data, new LbfgsOptions { Threads = threads, C = 100, Tolerance = 1e-8, MaxIterations = 8 });
                return ([.. model.Weights, .. model.Bias], result with { Seconds = 0 });
            }

            (float[] first, SolverResult a) = Fit();
            (float[] second, SolverResult b) = Fit();
            Assert.Equal(first, second);
            Assert.Equal(a, b);
        }

        [Fact]
        public void Progress_is_reported_every_iteration_and_cancellation_stops_it()
        {
            var model = new RuntimeSoftmaxModel(7, 4);
            using var cancel = new CancellationTokenSource();
            int reports = 0, products = 0;
            var progress = new SynchronousProgress(p =>
            {
                Assert.Equal(++reports, p.Iteration);
                Assert.True(p.HessianProducts > products, $"{p}");
                products = p.HessianProducts;
                if (p.Iteration == 2)
                {
                    cancel.Cancel();
                }
            });
            Assert.Throws<OperationCanceledException>(() => NewtonSolver.Fit(model, Data(), new LbfgsOptions { C = 1e4, Tolerance = 1e-9 }, progress, cancel.Token));
            Assert.Equal(2, reports);
            Assert.All(model.Weights.ToArray(), w => Assert.True(float.IsFinite(w)));
        }

        private sealed class SynchronousProgress(Action<SolverProgress> report) : IProgress<SolverProgress>
        {
            public void Report(SolverProgress value) => report(value);
        }
    }
}
