using System;
using System.Linq;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>
    /// Row weights in the fused loss and gradient: a weighted batch's loss and gradient are the weighted sum of its rows'
    /// (each row computed alone, unweighted), for every model, variant, input type and target kind.
    /// </summary>
    public sealed class WeightTests
    {
        private static float[] Weights(int rows) => Enumerable.Range(0, rows).Select(i => (float)((i * 7 + 3) % 4) * 0.75f).ToArray();

        [SkippableTheory]
        [MemberData(nameof(TestModels.ModelsAndVariants), MemberType = typeof(TestModels))]
        public void A_weighted_batch_is_the_weighted_sum_of_its_rows(string name, KernelIsa isa)
        {
            foreach (bool pixels in new[] { false, true })
            {
                foreach (bool soft in new[] { false, true })
                {
                    Check(TestModels.Create(name, isa), pixels, soft);
                }
            }
        }

        [Theory]
        [InlineData(5, 3)]
        [InlineData(37, 11)]
        [InlineData(784, 10)]
        public void A_run_time_shaped_model_weighs_rows_alike(int inputs, int classes)
        {
            foreach (KernelIsa isa in TestModels.Variants.Where(IsaSelection.IsSupported))
            {
                Check(new RuntimeSoftmaxModel(inputs, classes) { Isa = isa }, pixels: false, soft: false);
                Check(new RuntimeSoftmaxModel(inputs, classes) { Isa = isa }, pixels: true, soft: true);
            }
        }

        private static void Check(ISoftmaxModel model, bool pixels, bool soft)
        {
            int d = model.Inputs, q = model.Classes, n = 23;
            var random = new Random(d * 31 + q);
            TestModels.Uniform(random, d * q, -0.5f, 0.5f).CopyTo(model.Parameters[0].Values);
            TestModels.Uniform(random, q, -0.5f, 0.5f).CopyTo(model.Parameters[1].Values);
            float[] x = TestModels.Uniform(random, n * d, -1f, 1f);
            byte[] px = Enumerable.Range(0, n * d).Select(_ => (byte)random.Next(256)).ToArray();
            int[] labels = Enumerable.Range(0, n).Select(_ => random.Next(q)).ToArray();
            float[] targets = new float[n * q];
            for (int i = 0; i < n; i++)
            {
                float[] t = TestModels.Uniform(random, q, 0f, 1f);
                float sum = t.Sum();
                for (int c = 0; c < q; c++)
                {
                    targets[(i * q) + c] = t[c] / sum;
                }
            }

            float[] w = Weights(n);
            int[] rows = Enumerable.Range(0, n).Reverse().ToArray(); // through a row list, as a shuffled minibatch is
            Batch Input() => pixels ? Batch.Of(px) : Batch.Of(x);
            Batch Labelled(Batch b) => soft ? b.WithTargets(targets) : b.WithLabels(labels);

            float[] dW = new float[d * q], db = new float[q];
            BatchResult weighted = model.LossAndGradient(Labelled(Input()).WithWeights(w).WithRows(rows), dW, db);

            double lossSum = 0;
            double[] eW = new double[d * q], eb = new double[q];
            float[] rW = new float[d * q], rb = new float[q];
            for (int i = 0; i < n; i++)
            {
                BatchResult one = model.LossAndGradient(Labelled(Input()).WithRows([i]), rW, rb);
                lossSum += w[i] * one.LossSum;
                for (int k = 0; k < rW.Length; k++)
                {
                    eW[k] += w[i] * (double)rW[k] / n;
                }

                for (int c = 0; c < q; c++)
                {
                    eb[c] += w[i] * (double)rb[c] / n;
                }
            }

            string what = $"{model} {(pixels ? "pixels" : "floats")} {(soft ? "soft" : "hard")}";
            Assert.True(Math.Abs(weighted.LossSum - lossSum) <= 1e-5 * Math.Max(1, Math.Abs(lossSum)), $"{what}: loss sum {weighted.LossSum} != {lossSum}");
            Assert.Equal(lossSum / n, weighted.Loss, 1e-4);
            AssertClose(eW, dW, what + " dW");
            AssertClose(eb, db, what + " db");
        }

        private static void AssertClose(double[] expected, float[] actual, string what)
        {
            double scale = Math.Max(1e-3, expected.Max(Math.Abs));
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"{what}[{i}]: {actual[i]} != {expected[i]} (scale {scale})");
            }
        }

        [Fact]
        public void A_weight_of_two_is_the_row_twice_and_zero_the_row_removed()
        {
            var model = new RuntimeSoftmaxModel(6, 4);
            var random = new Random(3);
            TestModels.Uniform(random, 24, -1f, 1f).CopyTo(model.Parameters[0].Values);
            float[] x = TestModels.Uniform(random, 3 * 6, -1f, 1f);
            int[] y = [0, 3, 1];
            float[] dW1 = new float[24], db1 = new float[4], dW2 = new float[24], db2 = new float[4];

            BatchResult twice = model.LossAndGradient(Batch.Of(x).WithLabels(y).WithWeights([2f, 1f, 0f]), dW1, db1);
            BatchResult repeated = model.LossAndGradient(Batch.Of(x).WithLabels(y).WithRows([0, 0, 1]), dW2, db2);
            Assert.Equal(repeated.LossSum, twice.LossSum, 1e-5);
            Assert.Equal(dW2, dW1, (a, b) => Math.Abs(a - b) <= 1e-6f);
            Assert.Equal(db2, db1, (a, b) => Math.Abs(a - b) <= 1e-6f);
        }

        [Theory]
        [InlineData(-1f)]
        [InlineData(float.NaN)]
        [InlineData(float.PositiveInfinity)]
        public void A_negative_or_non_finite_weight_is_refused_naming_its_row(float bad)
        {
            var model = new RuntimeSoftmaxModel(2, 2);
            var e = Assert.Throws<ArgumentException>(() =>
                model.Loss(Batch.Of([1f, 2f, 3f, 4f]).WithLabels([0, 1]).WithWeights([1f, bad])));
            Assert.Contains("weights[1]", e.Message);
            var data = LabeledData.FromFeatures([1f, 2f, 3f, 4f], [0, 1], 2);
            Assert.Contains("Weight 1 is", Assert.Throws<ArgumentException>(() => data.WithWeights([1f, bad])).Message);
        }

        [Fact]
        public void Weights_of_the_wrong_length_or_all_zero_are_refused()
        {
            var data = LabeledData.FromFeatures([1f, 2f, 3f, 4f], [0, 1], 2);
            Assert.Contains("3 weights for 2 rows", Assert.Throws<ArgumentException>(() => data.WithWeights([1f, 1f, 1f])).Message);
            Assert.Contains("Every weight is 0", Assert.Throws<ArgumentException>(() => data.WithWeights([0f, 0f])).Message);
            var model = new RuntimeSoftmaxModel(2, 2);
            Assert.Throws<ArgumentException>(() => model.Loss(data.All().WithWeights([1f])));
        }

        [Fact]
        public void Balanced_class_weights_give_every_class_the_same_total()
        {
            int[] y = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
            var data = LabeledData.FromFeatures(new float[y.Length], y, 1, ["a", "b", "c", "d"]);
            float[] weights = data.BalancedClassWeights();
            Assert.Equal([12f / (3 * 6), 12f / (3 * 2), 12f / (3 * 4), 1f], weights);
            LabeledData weighted = data.WithClassWeights(weights.AsSpan(0, 3));
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(4.0, Enumerable.Range(0, y.Length).Where(i => y[i] == c).Sum(i => (double)weighted.Weights![i]), 1e-5);
            }
        }

        [Fact]
        public void A_class_weight_for_a_class_without_rows_is_refused()
        {
            var data = LabeledData.FromFeatures(new float[3], [0, 0, 1], 1, ["cat", "dog", "eel"]);
            var e = Assert.Throws<ArgumentException>(() => data.WithClassWeights([1f, 2f, 5f]));
            Assert.Contains("2 ('eel') has a weight (5) but no rows", e.Message);
            Assert.Contains("has no weight", Assert.Throws<ArgumentException>(() => data.WithClassWeights([1f])).Message);
            Assert.Contains("at least 0", Assert.Throws<ArgumentException>(() => data.WithClassWeights([1f, -2f])).Message);
        }

        [Fact]
        public void A_held_out_split_keeps_each_rows_weight()
        {
            float[] x = Enumerable.Range(0, 40).Select(i => (float)i).ToArray();
            int[] y = Enumerable.Range(0, 40).Select(i => i % 2).ToArray();
            float[] w = Enumerable.Range(0, 40).Select(i => (float)(i + 1)).ToArray();
            (LabeledData train, LabeledData held) = HoldOut.Split(LabeledData.FromFeatures(x, y, 1).WithWeights(w), 0.25, 7);
            foreach (LabeledData part in new[] { train, held })
            {
                for (int i = 0; i < part.Count; i++)
                {
                    Assert.Equal(part.Features![i] + 1, part.Weights![i]);
                }
            }
        }

        [Fact]
        public void Class_weights_by_name_or_label_leave_unlisted_classes_at_1_and_refuse_unknown_ones()
        {
            var named = LabeledData.FromFeatures(new float[6], [0, 1, 2, 2, 1, 0], 1, ["cat", "dog", "owl"]);
            Assert.Equal([1f, 2f, 0.5f], named.ClassWeights(new System.Collections.Generic.Dictionary<string, float> { ["dog"] = 2, ["2"] = 0.5f }));
            var e = Assert.Throws<ArgumentException>(() => named.ClassWeights(new System.Collections.Generic.Dictionary<string, float> { ["emu"] = 2 }));
            Assert.Contains("Class 'emu' is not a class of this data: use its name (cat, dog, owl) or a label from 0 to 2", e.Message);
            Assert.Throws<ArgumentException>(() => named.ClassWeights(new System.Collections.Generic.Dictionary<string, float> { ["dog"] = 2, ["1"] = 3 }));
            var unnamed = LabeledData.FromFeatures(new float[3], [0, 1, 1], 1);
            Assert.Equal([3f, 1f], unnamed.ClassWeights(new System.Collections.Generic.Dictionary<string, float> { ["0"] = 3 }));
            Assert.Throws<ArgumentException>(() => unnamed.ClassWeights(new System.Collections.Generic.Dictionary<string, float> { ["2"] = 3 }));
        }
    }
}
