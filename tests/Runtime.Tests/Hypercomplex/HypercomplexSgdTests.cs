using System;
using System.Linq;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests.Hypercomplex
{
    /// <summary>
    /// The hypercomplex optimizer against the same formulas in double (plain, momentum, weight decay), its other entry
    /// points against <see cref="Sgd.Step"/>, its seeded initialisation, and the layout's checks.
    /// </summary>
    public sealed class HypercomplexSgdTests
    {
        [Fact]
        public void A_plain_step_moves_every_parameter_against_its_gradient()
        {
            IHypercomplexModel model = new Phm3x51x9();
            var random = new Random(20);
            PhmOracle oracle = HypercomplexModelTests.Randomize(model, random);
            float[] x = Uniform(random, 30 * model.Inputs, -1f, 1f);
            int[] labels = Labels(random, 30, model.Classes);
            var dA = new double[oracle.A.Length];
            var dS = new double[oracle.S.Length];
            var db = new double[oracle.Bias.Length];
            oracle.LossAndGradient(x, labels, dA, dS, db);

            const float eta = 0.5f;
            new Sgd(model, new SgdOptions { LearningRate = eta }).Step(Batch.Of(x).WithLabels(labels));

            HypercomplexModelTests.AssertNear(oracle.A.Select((p, i) => p - (eta * dA[i])).ToArray(), model.FactorA, "A");
            HypercomplexModelTests.AssertNear(oracle.S.Select((p, i) => p - (eta * dS[i])).ToArray(), model.FactorS, "S");
            HypercomplexModelTests.AssertNear(oracle.Bias.Select((p, i) => p - (eta * db[i])).ToArray(), model.Bias, "b");

            // W was rebuilt from the new factors.
            var w = new float[model.Weights.Length];
            model.Layout.Materialize(model.FactorA, model.FactorS, w);
            Assert.Equal(w, model.Weights.ToArray());
        }

        [Fact]
        public void Momentum_and_weight_decay_follow_the_dense_optimizers_formulas()
        {
            // g' = g + λ p on A and S (not b); v = μ v + g'; p -= η v, three steps, in double on the oracle.
            const float eta = 0.2f, mu = 0.9f, lambda = 0.01f;
            IHypercomplexModel model = new Phm2x34x10();
            var random = new Random(21);
            PhmOracle oracle = HypercomplexModelTests.Randomize(model, random);
            var sgd = new Sgd(model, new SgdOptions { LearningRate = eta, Momentum = mu, WeightDecay = lambda });
            double[] a = oracle.A.Select(v => (double)v).ToArray(), s = oracle.S.Select(v => (double)v).ToArray(), b = oracle.Bias.Select(v => (double)v).ToArray();
            var va = new double[a.Length];
            var vs = new double[s.Length];
            var vb = new double[b.Length];
            for (int step = 0; step < 3; step++)
            {
                float[] x = Uniform(random, 25 * model.Inputs, -1f, 1f);
                int[] labels = Labels(random, 25, model.Classes);
                var current = new PhmOracle(2, model.Inputs, model.Classes, ToFloat(a), ToFloat(s), ToFloat(b));
                var dA = new double[a.Length];
                var dS = new double[s.Length];
                var db = new double[b.Length];
                current.LossAndGradient(x, labels, dA, dS, db);
                Descend(a, dA, va, eta, mu, lambda);
                Descend(s, dS, vs, eta, mu, lambda);
                Descend(b, db, vb, eta, mu, 0);
                sgd.Step(Batch.Of(x).WithLabels(labels));
            }

            HypercomplexModelTests.AssertNear(a, model.FactorA, "A");
            HypercomplexModelTests.AssertNear(s, model.FactorS, "S");
            HypercomplexModelTests.AssertNear(b, model.Bias, "b");
            HypercomplexModelTests.AssertNear(va, sgd.VelocityOf("A"), "velocity of A");
            HypercomplexModelTests.AssertNear(vs, sgd.VelocityOf("S"), "velocity of S");
            HypercomplexModelTests.AssertNear(vb, sgd.VelocityOf("b"), "velocity of b");
        }

        private static float[] ToFloat(double[] values) => values.Select(v => (float)v).ToArray();

        private static void Descend(double[] p, double[] g, double[] v, double eta, double mu, double lambda)
        {
            for (int i = 0; i < p.Length; i++)
            {
                v[i] = (mu * v[i]) + g[i] + (lambda * p[i]);
                p[i] -= eta * v[i];
            }
        }

        [Fact]
        public void Update_from_a_dense_gradient_and_Update_with_the_factor_gradient_equal_Step()
        {
            var options = new SgdOptions { LearningRate = 0.3f, Momentum = 0.5f, WeightDecay = 1e-3f };
            var models = new IHypercomplexModel[] { new Phm4x68x12(), new Phm4x68x12(), new Phm4x68x12() };
            var optimizers = models.Select(m => new Sgd(m, options)).ToArray();
            foreach (IHypercomplexModel m in models)
            {
                HypercomplexModelTests.Randomize(m, new Random(22));
            }

            var random = new Random(23);
            for (int step = 0; step < 2; step++)
            {
                float[] x = Uniform(random, 16 * 68, -1f, 1f);
                int[] labels = Labels(random, 16, 12);
                Batch batch = Batch.Of(x).WithLabels(labels);
                optimizers[0].Step(batch);

                var dW = new float[12 * 68];
                var db = new float[12];
                models[1].LossAndGradient(batch, dW, db);
                optimizers[1].Update(dW, db);

                var dA = new float[64];
                var dS = new float[3 * 17 * 4];
                models[2].LossAndFactorGradient(batch, dA, dS, db);
                NamedTensor[] gradient = models[2].Parameters.Select(p => new NamedTensor(p.Name, p.Shape.ToArray(), p.Decays, p.Init)).ToArray();
                dA.CopyTo(gradient[0].Values);
                dS.CopyTo(gradient[1].Values);
                db.CopyTo(gradient[2].Values);
                optimizers[2].Update(gradient);
            }

            for (int i = 1; i < 3; i++)
            {
                Assert.Equal(models[0].FactorA.ToArray(), models[i].FactorA.ToArray());
                Assert.Equal(models[0].FactorS.ToArray(), models[i].FactorS.ToArray());
                Assert.Equal(models[0].Bias.ToArray(), models[i].Bias.ToArray());
                Assert.Equal(models[0].Weights.ToArray(), models[i].Weights.ToArray());
            }

            Assert.Throws<ArgumentException>(() => optimizers[1].Update(new float[10], new float[12]));
            Assert.Throws<ArgumentException>(() => optimizers[2].Update([new NamedTensor("A", [64], decays: true, TensorInit.Normal)]));
        }

        [Fact]
        public void Reset_clears_the_velocity_and_restores_the_learning_rate()
        {
            IHypercomplexModel model = new Phm2x34x10();
            Trainer.Initialize(model, seed: 1);
            var sgd = new Sgd(model, new SgdOptions { LearningRate = 0.1f, Momentum = 0.9f });
            var random = new Random(24);
            sgd.Step(Batch.Of(Uniform(random, 8 * 34, 0f, 1f)).WithLabels(Labels(random, 8, 10)));
            sgd.LearningRate = 0.05f;
            Assert.Contains(sgd.VelocityOf("S").ToArray(), v => v != 0f);
            sgd.Reset();
            Assert.All(sgd.VelocityOf("A").ToArray(), v => Assert.Equal(0f, v));
            Assert.All(sgd.VelocityOf("S").ToArray(), v => Assert.Equal(0f, v));
            Assert.All(sgd.VelocityOf("b").ToArray(), v => Assert.Equal(0f, v));
            Assert.Equal(0.1f, sgd.LearningRate);
            Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = 0f);
            Assert.Empty(new Sgd(model).Velocity); // no momentum, no velocity
        }

        [Fact]
        public void A_run_continued_from_its_saved_velocity_equals_one_that_never_stopped()
        {
            var options = new SgdOptions { LearningRate = 0.05f, Momentum = 0.9f };
            var random = new Random(25);
            float[][] xs = Enumerable.Range(0, 4).Select(_ => Uniform(random, 12 * 34, 0f, 1f)).ToArray();
            int[][] ys = Enumerable.Range(0, 4).Select(_ => Labels(random, 12, 10)).ToArray();

            IHypercomplexModel whole = new Phm2x34x10();
            Trainer.Initialize(whole, seed: 2);
            var wholeSgd = new Sgd(whole, options);
            for (int i = 0; i < 4; i++)
            {
                wholeSgd.Step(Batch.Of(xs[i]).WithLabels(ys[i]));
            }

            IHypercomplexModel first = new Phm2x34x10();
            Trainer.Initialize(first, seed: 2);
            var firstSgd = new Sgd(first, options);
            firstSgd.Step(Batch.Of(xs[0]).WithLabels(ys[0]));
            firstSgd.Step(Batch.Of(xs[1]).WithLabels(ys[1]));

            IHypercomplexModel resumed = new Phm2x34x10();
            resumed.SetFactors(first.FactorA, first.FactorS);
            first.Bias.CopyTo(resumed.B);
            var resumedSgd = new Sgd(resumed, options);
            resumedSgd.RestoreVelocity(firstSgd.Velocity);
            resumedSgd.Step(Batch.Of(xs[2]).WithLabels(ys[2]));
            resumedSgd.Step(Batch.Of(xs[3]).WithLabels(ys[3]));

            Assert.Equal(whole.FactorA.ToArray(), resumed.FactorA.ToArray());
            Assert.Equal(whole.FactorS.ToArray(), resumed.FactorS.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());

            Assert.Throws<InvalidOperationException>(() => new Sgd(resumed).RestoreVelocity(firstSgd.Velocity));
            Assert.Throws<InvalidOperationException>(() => resumedSgd.RestoreVelocity([]));
            Assert.Throws<ArgumentException>(() => resumedSgd.RestoreVelocity([firstSgd.Velocity[1], firstSgd.Velocity[0], firstSgd.Velocity[2]]));
        }

        [Fact]
        public void Initialisation_is_seeded_and_gives_W_the_dense_initial_spread()
        {
            IHypercomplexModel first = new FashionPhm2(), again = new FashionPhm2(), other = new FashionPhm2();
            Trainer.Initialize(first, seed: 7, stdDev: 0.01f);
            Trainer.Initialize(again, seed: 7, stdDev: 0.01f);
            Trainer.Initialize(other, seed: 8, stdDev: 0.01f);
            Assert.Equal(first.FactorA.ToArray(), again.FactorA.ToArray());
            Assert.Equal(first.FactorS.ToArray(), again.FactorS.ToArray());
            Assert.NotEqual(first.FactorS.ToArray(), other.FactorS.ToArray());
            Assert.All(first.Bias.ToArray(), b => Assert.Equal(0f, b));

            // Each W entry is a sum of n = 2 products a s with Var(a) = 1/2 and Var(s) = 0.01², so its spread is about
            // 0.01 (over 7840 entries, and 8 draws of A, the sample spread lands well within ±40%).
            double std = Math.Sqrt(first.Weights.ToArray().Select(w => (double)w * w).Average());
            Assert.InRange(std, 0.006, 0.014);
            double sStd = Math.Sqrt(first.FactorS.ToArray().Select(v => (double)v * v).Average());
            Assert.InRange(sStd, 0.0095, 0.0105);

            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Initialize(first, seed: 1, stdDev: 0f));
            Assert.Contains("zero factors cannot be trained", e.Message);
        }

        [Theory]
        [InlineData(1, 784, 10, "at least 2 factors")]
        [InlineData(0, 784, 10, "at least 2 factors")]
        [InlineData(-2, 784, 10, "at least 2 factors")]
        [InlineData(3, 784, 10, "n = 3 must divide both Inputs = 784 and Classes = 10: use n = 2.")]
        [InlineData(5, 784, 10, "n = 5 must divide both Inputs = 784 and Classes = 10: use n = 2.")]
        [InlineData(5, 1008, 48, "n = 5 must divide both Inputs = 1008 and Classes = 48: use one of 2, 3, 4, 6, 8, 12, 16, 24.")]
        [InlineData(2, 4, 4, "n = 2 gives 16 factor weights (n³ + dq/n), not fewer than the 16 of the dense layer: no count of factors does both for this shape, so use the dense model.")]
        public void A_layout_that_cannot_be_built_says_why(int n, int inputs, int classes, string message)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new HypercomplexLayout(n, inputs, classes));
            Assert.Contains(message, e.Message);
            Assert.Equal("n", e.ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(inputs, classes), n));
        }

        [Fact]
        public void The_layout_counts_the_parameters()
        {
            var layout = new HypercomplexLayout(2, 784, 10);
            Assert.Equal((5, 392), (layout.BlockRows, layout.BlockColumns));
            Assert.Equal(8, layout.FactorALength);
            Assert.Equal(3920, layout.FactorSLength);
            Assert.Equal(3938, layout.ParameterCount);
            Assert.Equal(7850, layout.DenseParameterCount);
            Assert.Equal("n = 2: W = Σ A_i ⊗ S_i, A [2, 2, 2], S [2, 5, 392]; 3938 parameters instead of 7850", layout.ToString());

            var four = new HypercomplexLayout(4, 68, 12);
            Assert.Equal(64 + (3 * 17 * 4) + 12, four.ParameterCount);
        }
    }
}
