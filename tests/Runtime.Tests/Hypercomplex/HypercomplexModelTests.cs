using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Persistence;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests.Hypercomplex
{
    /// <summary>
    /// Hypercomplex models (generated, and one over a run-time-shaped model) against <see cref="PhmOracle"/>: W, the
    /// forward pass, and the gradients of the loss with respect to A, S and b, which the oracle's own gradient is
    /// checked against by finite differences.
    /// </summary>
    public sealed class HypercomplexModelTests
    {
        /// <summary>Float kernels against the double oracle: within 1e-4 of the largest magnitude compared.</summary>
        private const double Relative = 1e-4;

        internal static readonly IReadOnlyDictionary<string, Func<IHypercomplexModel>> Models = new Dictionary<string, Func<IHypercomplexModel>>
        {
            ["784x10 n=2"] = () => new FashionPhm2(),
            ["34x10 n=2"] = () => new Phm2x34x10(),
            ["51x9 n=3"] = () => new Phm3x51x9(),
            ["68x12 n=4"] = () => new Phm4x68x12(),
            ["run-time 36x6 n=3"] = () => new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(36, 6), 3),
        };

        public static TheoryData<string> Names() => new(Models.Keys);

        public static TheoryData<string, KernelIsa> NamesAndVariants()
        {
            var data = new TheoryData<string, KernelIsa>();
            foreach (string name in Models.Keys)
            {
                foreach (KernelIsa isa in Variants)
                {
                    data.Add(name, isa);
                }
            }

            return data;
        }

        internal static IHypercomplexModel Create(string name, KernelIsa isa)
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            IHypercomplexModel model = Models[name]();
            model.Isa = isa;
            return model;
        }

        /// <summary>Random factors and bias: A ~ U(±1/√n), S ~ U(±3/√d), so the logits stay within a few units.</summary>
        internal static PhmOracle Randomize(IHypercomplexModel model, Random random)
        {
            HypercomplexLayout layout = model.Layout;
            float a = 1f / MathF.Sqrt(layout.N), s = 3f / MathF.Sqrt(model.Inputs);
            float[] fa = Uniform(random, layout.FactorALength, -a, a);
            float[] fs = Uniform(random, layout.FactorSLength, -s, s);
            float[] bias = Uniform(random, model.Classes, -1f, 1f);
            model.SetFactors(fa, fs);
            bias.CopyTo(model.B);
            return new PhmOracle(layout.N, model.Inputs, model.Classes, fa, fs, bias);
        }

        internal static void AssertNear(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, string what, double relative = Relative)
        {
            Assert.Equal(expected.Length, actual.Length);
            double magnitude = 0;
            foreach (double e in expected)
            {
                magnitude = Math.Max(magnitude, Math.Abs(e));
            }

            Assert.True(magnitude > 0, $"{what}: the expected values are all zero, so the comparison would prove nothing");
            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(expected[i] - actual[i]);
                Assert.True(error <= relative * magnitude, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {error:E2}, allowed {relative * magnitude:E2})");
            }
        }

        private static double[] Flatten(double[,] w) => w.Cast<double>().ToArray();

        [Theory]
        [MemberData(nameof(Names))]
        public void Weights_are_the_sum_of_the_Kronecker_products(string name)
        {
            IHypercomplexModel model = Models[name]();
            PhmOracle oracle = Randomize(model, new Random(1));
            AssertNear(Flatten(oracle.Weights()), model.Weights, "W");
        }

        [Fact]
        public void A_small_product_written_out_by_hand()
        {
            // d = 6, q = 4, n = 2: A_1 = [[1, 2], [3, 4]], S_1 = [[1, 0, -1], [2, 2, 2]], A_2 = [[0, 1], [1, 0]], S_2 = 10 everywhere.
            var layout = new HypercomplexLayout(2, inputs: 6, classes: 4);
            float[] a = { 1, 2, 3, 4, 0, 1, 1, 0 };
            float[] s = { 1, 0, -1, 2, 2, 2, 10, 10, 10, 10, 10, 10 };
            var w = new float[24];
            layout.Materialize(a, s, w);
            float[] expected =
            {
                1, 0, -1, 12, 10, 8,
                2, 2, 2, 14, 14, 14,
                13, 10, 7, 4, 0, -4,
                16, 16, 16, 8, 8, 8,
            };
            Assert.Equal(expected, w);
        }

        [SkippableTheory]
        [MemberData(nameof(NamesAndVariants))]
        public void Forward_probabilities_and_predictions_run_the_dense_kernels_on_W(string name, KernelIsa isa)
        {
            IHypercomplexModel model = Create(name, isa);
            var random = new Random(2);
            PhmOracle oracle = Randomize(model, random);
            const int rows = 37;
            float[] x = Uniform(random, rows * model.Inputs, -1f, 1f);

            double[] expected = oracle.Forward(x);
            var logits = new float[rows * model.Classes];
            model.Forward(Batch.Of(x), logits);
            AssertNear(expected, logits, "logits");

            var probabilities = new float[rows * model.Classes];
            model.Probabilities(Batch.Of(x), probabilities);
            Assert.All(Enumerable.Range(0, rows), r => Assert.Equal(1f, probabilities.AsSpan(r * model.Classes, model.Classes).ToArray().Sum(), 4));

            var predictions = new int[rows];
            model.Predict(Batch.Of(x), predictions);
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<double> o = expected.AsSpan(r * model.Classes, model.Classes);
                Assert.Equal(o.IndexOf(o.ToArray().Max()), predictions[r]);
            }
        }

        [SkippableTheory]
        [MemberData(nameof(NamesAndVariants))]
        public void Factor_gradients_match_the_chain_rule_in_double(string name, KernelIsa isa)
        {
            IHypercomplexModel model = Create(name, isa);
            var random = new Random(3);
            PhmOracle oracle = Randomize(model, random);
            const int rows = 45; // a full block of rows and a partial one in every variant
            float[] x = Uniform(random, rows * model.Inputs, -1f, 1f);
            int[] labels = Labels(random, rows, model.Classes);

            BatchResult result = AssertFactorGradientMatches(model, oracle, x, labels, Batch.Of(x).WithLabels(labels));
            Assert.Equal(rows, result.Count);
        }

        [SkippableTheory]
        [MemberData(nameof(NamesAndVariants))]
        public void Factor_gradients_of_pixel_rows_picked_by_a_row_list(string name, KernelIsa isa)
        {
            IHypercomplexModel model = Create(name, isa);
            var random = new Random(4);
            PhmOracle oracle = Randomize(model, random);
            const int available = 40;
            (byte[] pixels, float[] features) = Pixels(random, available * model.Inputs);
            int[] labels = Labels(random, available, model.Classes);
            int[] rows = { 39, 0, 7, 7, 12, 3, 25, 31, 1, 38, 20, 19, 5, 33, 14, 8, 2, 27, 36, 11 };

            AssertFactorGradientMatches(
                model, oracle, Gather(features, model.Inputs, rows), Gather(labels, 1, rows), Batch.Of(pixels).WithLabels(labels).WithRows(rows));
        }

        [Theory]
        [MemberData(nameof(Names))]
        public void The_oracles_gradients_match_central_differences(string name)
        {
            // The oracle's chain rule is itself checked: every coordinate of A, every 7th of S, every bias.
            IHypercomplexModel model = Models[name]();
            var random = new Random(5);
            PhmOracle oracle = Randomize(model, random);
            const int rows = 9;
            float[] x = Uniform(random, rows * model.Inputs, -1f, 1f);
            int[] labels = Labels(random, rows, model.Classes);
            var dA = new double[oracle.A.Length];
            var dS = new double[oracle.S.Length];
            var db = new double[oracle.Bias.Length];
            oracle.LossAndGradient(x, labels, dA, dS, db);

            CheckCentral(oracle, x, labels, oracle.A, dA, step: 1);
            CheckCentral(oracle, x, labels, oracle.S, dS, step: 7);
            CheckCentral(oracle, x, labels, oracle.Bias, db, step: 1);
        }

        /// <summary>
        /// The model's loss and factor gradients of <paramref name="batch"/> against the oracle's, in double, on the rows the
        /// batch holds (<paramref name="x"/>, <paramref name="labels"/>). Returns the model's result for further checks.
        /// </summary>
        private static BatchResult AssertFactorGradientMatches(IHypercomplexModel model, PhmOracle oracle, float[] x, int[] labels, Batch batch)
        {
            HypercomplexLayout layout = model.Layout;
            var dA = new double[layout.FactorALength];
            var dS = new double[layout.FactorSLength];
            var db = new double[model.Classes];
            double loss = oracle.LossAndGradient(x, labels, dA, dS, db);

            var fdA = new float[dA.Length];
            var fdS = new float[dS.Length];
            var fdb = new float[db.Length];
            BatchResult result = model.LossAndFactorGradient(batch, fdA, fdS, fdb);
            Assert.Equal(loss, result.Loss, 4);
            AssertNear(dA, fdA, "dA");
            AssertNear(dS, fdS, "dS");
            AssertNear(db, fdb, "db");
            return result;
        }

        private static void CheckCentral(PhmOracle oracle, float[] x, int[] labels, float[] parameters, double[] gradient, int step)
        {
            // Parameters are floats, so h is a power of two: p ± h is exact and the difference is that of the loss alone.
            const float h = 1f / 512;
            for (int k = 0; k < parameters.Length; k += step)
            {
                float saved = parameters[k];
                parameters[k] = saved + h;
                double plus = oracle.LossAndGradient(x, labels, null, null, null);
                parameters[k] = saved - h;
                double minus = oracle.LossAndGradient(x, labels, null, null, null);
                parameters[k] = saved;
                double numeric = (plus - minus) / (2 * h);

                // Central differences err by h²/6 times the third derivative: well under 1e-5 here.
                Assert.True(Math.Abs(numeric - gradient[k]) <= 1e-5 + (1e-4 * Math.Abs(gradient[k])), $"[{k}]: chain rule {gradient[k]:R}, differences {numeric:R}");
            }
        }

        [Fact]
        public void The_float_models_gradient_matches_differences_of_its_own_loss()
        {
            // End to end in float on the model itself, so with a step large enough for float losses (error ~1e-7 / h).
            IHypercomplexModel model = new Phm2x34x10();
            model.Isa = KernelIsa.Portable;
            var random = new Random(6);
            PhmOracle oracle = Randomize(model, random);
            const int rows = 64;
            float[] x = Uniform(random, rows * model.Inputs, -1f, 1f);
            int[] labels = Labels(random, rows, model.Classes);
            var dA = new float[oracle.A.Length];
            var dS = new float[oracle.S.Length];
            var db = new float[model.Classes];
            model.LossAndFactorGradient(Batch.Of(x).WithLabels(labels), dA, dS, db);

            const float h = 1f / 64;
            float[] a = oracle.A.ToArray(), s = oracle.S.ToArray();
            for (int k = 0; k < a.Length; k++)
            {
                Assert.InRange(Difference(model, x, labels, a, s, a, k, h), dA[k] - 2e-3, dA[k] + 2e-3);
            }

            for (int k = 0; k < s.Length; k += 5)
            {
                Assert.InRange(Difference(model, x, labels, a, s, s, k, h), dS[k] - 2e-3, dS[k] + 2e-3);
            }
        }

        private static double Difference(IHypercomplexModel model, float[] x, int[] labels, float[] a, float[] s, float[] which, int k, float h)
        {
            float saved = which[k];
            which[k] = saved + h;
            model.SetFactors(a, s);
            double plus = model.Loss(Batch.Of(x).WithLabels(labels)).Loss;
            which[k] = saved - h;
            model.SetFactors(a, s);
            double minus = model.Loss(Batch.Of(x).WithLabels(labels)).Loss;
            which[k] = saved;
            model.SetFactors(a, s);
            return (plus - minus) / (2 * h);
        }

        [Theory]
        [MemberData(nameof(Names))]
        public void Projection_is_the_adjoint_of_materialisation(string name)
        {
            // W is linear in A for fixed S and in S for fixed A, and Project is the transpose of each map:
            // <dW, W(A', S)> = <dA, A'> and <dW, W(A, S')> = <dS, S'> for any dW, A', S'.
            HypercomplexLayout layout = Models[name]().Layout;
            var random = new Random(7);
            float[] a = Uniform(random, layout.FactorALength, -1f, 1f);
            float[] s = Uniform(random, layout.FactorSLength, -1f, 1f);
            float[] a2 = Uniform(random, layout.FactorALength, -1f, 1f);
            float[] s2 = Uniform(random, layout.FactorSLength, -1f, 1f);
            float[] dW = Uniform(random, layout.Inputs * layout.Classes, -1f, 1f);
            var dA = new float[a.Length];
            var dS = new float[s.Length];
            layout.Project(a, s, dW, dA, dS);

            var w = new float[dW.Length];
            layout.Materialize(a2, s, w);
            Assert.Equal(Dot(dW, w), Dot(dA, a2), 1e-5 * Math.Max(1, Math.Abs(Dot(dW, w))));
            layout.Materialize(a, s2, w);
            Assert.Equal(Dot(dW, w), Dot(dS, s2), 1e-5 * Math.Max(1, Math.Abs(Dot(dW, w))));
        }

        private static double Dot(float[] x, float[] y) => x.Zip(y, (p, q) => (double)p * q).Sum();

        [Theory]
        [MemberData(nameof(Names))]
        public void The_loss_gradient_for_W_projected_is_the_factor_gradient(string name)
        {
            IHypercomplexModel model = Models[name]();
            var random = new Random(8);
            Randomize(model, random);
            float[] x = Uniform(random, 20 * model.Inputs, -1f, 1f);
            int[] labels = Labels(random, 20, model.Classes);
            HypercomplexLayout layout = model.Layout;
            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];
            var dA = new float[layout.FactorALength];
            var dS = new float[layout.FactorSLength];
            model.LossAndGradient(Batch.Of(x).WithLabels(labels), dW, db);
            layout.Project(model.FactorA, model.FactorS, dW, dA, dS);

            var dA2 = new float[dA.Length];
            var dS2 = new float[dS.Length];
            var db2 = new float[db.Length];
            model.LossAndFactorGradient(Batch.Of(x).WithLabels(labels), dA2, dS2, db2);
            Assert.Equal(dA, dA2);
            Assert.Equal(dS, dS2);
            Assert.Equal(db, db2);
        }

        [Fact]
        public void Zero_factors_are_a_saddle_so_a_fresh_model_needs_initialising()
        {
            IHypercomplexModel model = new FashionPhm2();
            Assert.All(model.Weights.ToArray(), w => Assert.Equal(0f, w));
            var random = new Random(9);
            float[] x = Uniform(random, 8 * model.Inputs, 0f, 1f);
            int[] labels = Labels(random, 8, model.Classes);
            var dA = new float[model.Layout.FactorALength];
            var dS = new float[model.Layout.FactorSLength];
            var db = new float[model.Classes];
            model.LossAndFactorGradient(Batch.Of(x).WithLabels(labels), dA, dS, db);
            Assert.All(dA, g => Assert.Equal(0f, g));
            Assert.All(dS, g => Assert.Equal(0f, g));
            Assert.Contains(db, g => g != 0f);

            Trainer.Initialize(model, seed: 1);
            model.LossAndFactorGradient(Batch.Of(x).WithLabels(labels), dA, dS, db);
            Assert.Contains(dA, g => g != 0f);
            Assert.Contains(dS, g => g != 0f);
        }

        [Fact]
        public void Setting_the_factors_rebuilds_W_and_wrong_lengths_are_refused()
        {
            IHypercomplexModel model = new Phm3x51x9();
            PhmOracle first = Randomize(model, new Random(10));
            float[] before = model.Weights.ToArray();
            PhmOracle second = Randomize(model, new Random(11));
            Assert.NotEqual(before, model.Weights.ToArray());
            AssertNear(Flatten(second.Weights()), model.Weights, "W after the second SetFactors");
            Assert.Equal(second.A, model.FactorA.ToArray());
            Assert.Equal(second.S, model.FactorS.ToArray());
            Assert.NotEqual(first.A, second.A);

            var e = Assert.Throws<ArgumentException>(() => model.SetFactors(new float[26], new float[second.S.Length]));
            Assert.Equal("A has 26 elements but must have 27 ([27]). (Parameter 'A')", e.Message);
            e = Assert.Throws<ArgumentException>(() => model.SetFactors(second.A, new float[3]));
            Assert.StartsWith("S has 3 elements but must have 153 ", e.Message);
            Assert.Equal(second.A, model.FactorA.ToArray()); // a refused call changes nothing
            Assert.Throws<ArgumentException>(() => model.LossAndFactorGradient(Batch.Of(new float[51]).WithLabels(new[] { 0 }), new float[1], new float[153], new float[9]));
        }

        [Fact]
        public void A_saved_hypercomplex_model_loads_as_the_dense_model_of_its_W()
        {
            IHypercomplexModel model = new FashionPhm2();
            Trainer.Initialize(model, seed: 3, stdDev: 0.05f);
            var random = new Random(12);
            Uniform(random, model.Classes, -1f, 1f).CopyTo(model.B);
            string directory = System.IO.Directory.CreateTempSubdirectory("gensoftmax-phm-").FullName;
            try
            {
                string path = System.IO.Path.Combine(directory, "phm.gsm");
                ModelFile.Save(path, model);
                var dense = new FashionDense();
                ModelFile.Load(path, dense);
                Assert.Equal(model.Weights.ToArray(), dense.Weights.ToArray());
                Assert.Equal(model.Bias.ToArray(), dense.Bias.ToArray());

                float[] x = Uniform(random, 30 * model.Inputs, 0f, 1f);
                var p1 = new int[30];
                var p2 = new int[30];
                model.Predict(Batch.Of(x), p1);
                dense.Predict(Batch.Of(x), p2);
                Assert.Equal(p1, p2);
            }
            finally
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
        }
    }
}
