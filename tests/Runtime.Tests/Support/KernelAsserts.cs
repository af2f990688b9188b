using System;
using System.Linq;
using GenSoftmax.Reference;
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

        /// <summary>
        /// The true class's logit exceeds every other by about 200, so every other exp(o - m) underflows to 0 in
        /// float and the max row's term must be exactly 1: sum = 1, log 1 = 0, loss exactly 0, softmax exactly
        /// one-hot and the gradient exactly 0. An exp that returns 1.0000001 for 0 (as .NET's Vector512.Exp did)
        /// gives a loss of 1.19e-7 instead. Row r is one-hot at input r % Inputs, whose class gets weight 200;
        /// the model's weights are set here, on top of whatever it held.
        /// </summary>
        public static void AssertPerfectlyFittedRowsHaveZeroLoss(ISoftmaxModel model, string what)
        {
            int inputs = model.Inputs, q = model.Classes;
            const int n = 37; // more than one row block
            var random = new Random(41);
            TestModels.Uniform(random, q, -1f, 1f).CopyTo(model.B);
            int ClassOf(int k) => ((k * 7) + 3) % q;
            for (int k = 0; k < inputs; k++)
            {
                model.W[(ClassOf(k) * inputs) + k] = 200f;
            }

            var features = new float[n * inputs];
            var pixels = new byte[n * inputs];
            var labels = new int[n];
            var targets = new float[n * q];
            for (int r = 0; r < n; r++)
            {
                int k = r % inputs;
                features[(r * inputs) + k] = 1f;
                pixels[(r * inputs) + k] = 255;
                labels[r] = ClassOf(k);
                targets[(r * q) + labels[r]] = 1f;
            }

            int[] rows = Enumerable.Range(0, n).Reverse().ToArray();
            foreach (bool bytes in new[] { false, true })
            {
                string input = $"{what} {(bytes ? "byte" : "float")}";
                var dW = new float[model.Weights.Length];
                var db = new float[q];
                Array.Fill(dW, float.NaN);
                Array.Fill(db, float.NaN);

                BatchResult loss = model.Loss(Input(bytes).WithLabels(labels));
                Assert.True(loss.Loss == 0f, $"{input}: loss {loss.Loss:R}, expected exactly 0");
                Assert.Equal(n, loss.Correct);
                BatchResult withGradient = model.LossAndGradient(Input(bytes).WithLabels(labels).WithRows(rows), dW, db);
                Assert.True(withGradient.Loss == 0f, $"{input} rows: loss {withGradient.Loss:R}, expected exactly 0");
                Assert.Equal(n, withGradient.Correct);
                Assert.All(dW, v => Assert.Equal(0f, v));
                Assert.All(db, v => Assert.Equal(0f, v));

                BatchResult soft = model.LossAndGradient(Input(bytes).WithTargets(targets), dW, db);
                Assert.True(soft.Loss == 0f, $"{input} soft: loss {soft.Loss:R}, expected exactly 0");
                Assert.Equal(n, soft.Correct);
                Assert.All(dW, v => Assert.Equal(0f, v));
                Assert.All(db, v => Assert.Equal(0f, v));

                var probabilities = new float[n * q];
                model.Probabilities(Input(bytes), probabilities);
                Assert.Equal(targets, probabilities); // exactly one-hot
            }

            Batch Input(bool bytes) => bytes ? Batch.Of(pixels) : Batch.Of(features);
        }

        /// <summary>
        /// The model's gradient of 9 random rows against central differences of the reference's loss, at 24 coordinates
        /// (every fourth a bias). The loss is evaluated by the double reference, so differences of 1e-3 are not lost to
        /// float rounding; the step actually taken is (float)(w + h) - (float)(w - h). With <paramref name="favourLastClasses"/>,
        /// half the trials fall on the last classes, which the run-time-shaped kernels reach through a partial pass of four.
        /// </summary>
        public static void AssertGradientMatchesFiniteDifferences(ISoftmaxModel model, string what, bool favourLastClasses)
        {
            var random = new Random(7);
            TestModels.Randomize(model, random);
            const int n = 9;
            float[] x = TestModels.Uniform(random, n * model.Inputs, -1f, 1f);
            int[] labels = TestModels.Labels(random, n, model.Classes);
            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];
            model.LossAndGradient(Batch.Of(x).WithLabels(labels), dW, db);

            SoftmaxReference reference = TestModels.ReferenceOf(model);
            for (int trial = 0; trial < 24; trial++)
            {
                bool bias = trial % 4 == 0;
                float[] p = bias ? reference.Bias : reference.Weights;
                int i = !favourLastClasses || trial % 2 == 0
                    ? random.Next(p.Length)
                    : p.Length - 1 - random.Next(Math.Min(p.Length, 3 * (bias ? 1 : model.Inputs)));
                float original = p[i];
                float plus = original + 1e-3f, minus = original - 1e-3f;
                p[i] = plus;
                double lossPlus = reference.Loss(x, labels);
                p[i] = minus;
                double lossMinus = reference.Loss(x, labels);
                p[i] = original;
                double numeric = (lossPlus - lossMinus) / ((double)plus - minus);
                double analytic = bias ? db[i] : dW[i];
                Assert.True(
                    Math.Abs(numeric - analytic) <= 1e-4 + (1e-3 * Math.Abs(numeric)),
                    $"{what} d{(bias ? "b" : "W")}[{i}]: kernel {analytic}, finite difference {numeric}");
            }
        }

        /// <summary>
        /// Every logit equal (bias 2.5, x = 0): Predict says class 0, so of the labels 0, 1, last and 0 exactly two are
        /// right, for float and byte rows; the loss is log q.
        /// </summary>
        public static void AssertATieIsCorrectOnlyForItsFirstClass(ISoftmaxModel model)
        {
            model.B.Fill(2.5f);
            int q = model.Classes;
            // 20 rows, more than one vector's lanes: a kernel that treats rows in groups meets the tie in and out of one.
            const int Rows = 20;
            float[] x = new float[Rows * model.Inputs];
            int[] labels = Enumerable.Range(0, Rows).Select(i => (i % 4) switch { 1 => 1, 2 => q - 1, _ => 0 }).ToArray();
            int[] rows = Enumerable.Range(0, Rows).ToArray();
            var predictions = new int[Rows];
            model.Predict(x, predictions);
            Assert.Equal(new int[Rows], predictions);

            BatchResult result = model.LossAndGradient(Batch.Of(x).WithLabels(labels).WithRows(rows), new float[model.Weights.Length], new float[q]);
            Assert.Equal(Rows / 2, result.Correct);
            Assert.Equal(Math.Log(q), result.Loss, 5);
            BatchResult bytes = model.LossAndGradient(Batch.Of(new byte[x.Length]).WithLabels(labels).WithRows(rows), new float[model.Weights.Length], new float[q]);
            Assert.Equal(Rows / 2, bytes.Correct);
        }
    }
}
