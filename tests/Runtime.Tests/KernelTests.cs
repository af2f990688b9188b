using System;
using System.Linq;
using GenSoftmax.Reference;
using Xunit;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests
{
    /// <summary>Each generated variant of each model shape against the scalar double-accumulating reference.</summary>
    public sealed class KernelTests
    {
        // 37 rows: more than one row block (32), and an odd last block, so the single-row path runs too.
        private const int Rows = 37;

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Forward_and_probabilities_match_reference(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(1);
            Randomize(model, random);
            float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
            SoftmaxReference reference = ReferenceOf(model);

            var logits = new float[Rows * model.Classes];
            model.Forward(x, logits);
            AssertClose(reference.Forward(x), logits, $"{name} {isa} logits");

            var probabilities = new float[Rows * model.Classes];
            model.Probabilities(x, probabilities);
            AssertClose(reference.Probabilities(x), probabilities, $"{name} {isa} probabilities");
            for (int r = 0; r < Rows; r++)
            {
                Assert.Equal(1.0, probabilities.AsSpan(r * model.Classes, model.Classes).ToArray().Sum(p => (double)p), 5);
            }
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Predict_is_argmax_of_reference_logits(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(2);
            Randomize(model, random);
            float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
            double[] logits = ReferenceOf(model).Forward(x);
            int[] expected = ReferenceOf(model).Predict(x);

            var predictions = new int[Rows];
            model.Predict(x, predictions);
            for (int r = 0; r < Rows; r++)
            {
                if (predictions[r] != expected[r])
                {
                    // Only a near-tie may go either way in float.
                    double gap = Math.Abs(logits[(r * model.Classes) + predictions[r]] - logits[(r * model.Classes) + expected[r]]);
                    Assert.True(gap < 1e-5, $"{name} {isa} row {r}: predicted {predictions[r]}, reference {expected[r]} (logit gap {gap})");
                }
            }
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Loss_and_gradient_match_reference(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(3);
            Randomize(model, random);
            float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
            int[] labels = Enumerable.Range(0, Rows).Select(_ => random.Next(model.Classes)).ToArray();
            SoftmaxReference reference = ReferenceOf(model);
            var dWExpected = new double[model.Weights.Length];
            var dbExpected = new double[model.Classes];
            double lossExpected = reference.LossAndGradient(x, labels, dWExpected, dbExpected);

            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];
            Array.Fill(dW, float.NaN); // overwritten, not accumulated
            float loss = model.LossAndGradient(x, labels, dW, db);
            AssertClose(lossExpected, loss, $"{name} {isa} loss");
            AssertClose(dWExpected, dW, $"{name} {isa} dW");
            AssertClose(dbExpected, db, $"{name} {isa} db");
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Soft_label_loss_and_gradient_match_reference(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(4);
            Randomize(model, random);
            float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
            float[] targets = Uniform(random, Rows * model.Classes, 0f, 1f);
            for (int r = 0; r < Rows; r++)
            {
                Span<float> t = targets.AsSpan(r * model.Classes, model.Classes);
                float sum = 0;
                foreach (float v in t)
                {
                    sum += v;
                }

                for (int c = 0; c < t.Length; c++)
                {
                    t[c] /= sum;
                }
            }

            SoftmaxReference reference = ReferenceOf(model);
            var dWExpected = new double[model.Weights.Length];
            var dbExpected = new double[model.Classes];
            double lossExpected = reference.LossAndGradient(x, (ReadOnlySpan<float>)targets, dWExpected, dbExpected);

            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];
            float loss = model.LossAndGradientSoft(x, targets, dW, db);
            AssertClose(lossExpected, loss, $"{name} {isa} soft loss");
            AssertClose(dWExpected, dW, $"{name} {isa} soft dW");
            AssertClose(dbExpected, db, $"{name} {isa} soft db");
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Row_indexed_byte_and_float_batches_match_reference_on_gathered_rows(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(5);
            Randomize(model, random);
            const int DataRows = 50;
            byte[] pixels = new byte[DataRows * model.Inputs];
            random.NextBytes(pixels);
            float[] features = pixels.Select(p => p / 255f).ToArray();
            int[] labels = Enumerable.Range(0, DataRows).Select(_ => random.Next(model.Classes)).ToArray();
            int[] rows = Enumerable.Range(0, Rows).Select(_ => random.Next(DataRows)).ToArray(); // repeats allowed

            float[] gathered = rows.SelectMany(r => features.AsSpan(r * model.Inputs, model.Inputs).ToArray()).ToArray();
            int[] gatheredLabels = rows.Select(r => labels[r]).ToArray();
            SoftmaxReference reference = ReferenceOf(model);
            var dWExpected = new double[model.Weights.Length];
            var dbExpected = new double[model.Classes];
            double lossExpected = reference.LossAndGradient(gathered, gatheredLabels, dWExpected, dbExpected);
            int correctExpected = reference.Predict(gathered).Zip(gatheredLabels).Count(p => p.First == p.Second);

            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];
            BatchResult f = model.LossAndGradient(features, labels, rows, dW, db);
            AssertClose(lossExpected, f.Loss, $"{name} {isa} float rows loss");
            AssertClose(dWExpected, dW, $"{name} {isa} float rows dW");
            AssertClose(dbExpected, db, $"{name} {isa} float rows db");
            Assert.Equal(Rows, f.Count);
            Assert.Equal(correctExpected, f.Correct);

            BatchResult b = model.LossAndGradient(pixels, labels, rows, dW, db);
            AssertClose(lossExpected, b.Loss, $"{name} {isa} byte rows loss");
            AssertClose(dWExpected, dW, $"{name} {isa} byte rows dW");
            AssertClose(dbExpected, db, $"{name} {isa} byte rows db");
            Assert.Equal(correctExpected, b.Correct);

            var predictions = new int[DataRows];
            model.Predict(pixels, predictions);
            Assert.Equal(reference.Predict(features).Count(p => true), predictions.Length);
            int[] expectedPredictions = reference.Predict(features);
            Assert.True(predictions.Zip(expectedPredictions).Count(p => p.First != p.Second) <= 1, $"{name} {isa} byte predictions differ");
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Train_step_updates_like_reference_sgd(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(6);
            Randomize(model, random);
            float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
            int[] labels = Enumerable.Range(0, Rows).Select(_ => random.Next(model.Classes)).ToArray();
            SoftmaxReference reference = ReferenceOf(model);

            double lossExpected = reference.TrainStep(x, labels, 0.5f);
            float loss = model.TrainStep(x, labels, 0.5f);
            AssertClose(lossExpected, loss, $"{name} {isa} train-step loss");
            AssertClose(reference.Weights.Select(v => (double)v).ToArray(), model.Weights, $"{name} {isa} weights after step");
            AssertClose(reference.Bias.Select(v => (double)v).ToArray(), model.Bias, $"{name} {isa} bias after step");
        }

        [SkippableTheory]
        [InlineData("17x10", KernelIsa.Portable)]
        [InlineData("17x10", KernelIsa.Avx2)]
        [InlineData("17x10", KernelIsa.Avx512)]
        [InlineData("3x33", KernelIsa.Avx512)]
        [InlineData("1000x3", KernelIsa.Avx2)]
        public void Gradient_matches_central_finite_differences(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(7);
            Randomize(model, random);
            const int n = 9;
            float[] x = Uniform(random, n * model.Inputs, -1f, 1f);
            int[] labels = Enumerable.Range(0, n).Select(_ => random.Next(model.Classes)).ToArray();
            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];
            model.LossAndGradient(x, labels, dW, db);

            // The loss is evaluated by the double reference, so differences of 1e-3 are not lost to float rounding;
            // the step actually taken is (float)(w + h) - (float)(w - h).
            SoftmaxReference reference = ReferenceOf(model);
            for (int trial = 0; trial < 24; trial++)
            {
                bool bias = trial % 4 == 0;
                float[] p = bias ? reference.Bias : reference.Weights;
                int i = random.Next(p.Length);
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
                    $"{name} {isa} d{(bias ? "b" : "W")}[{i}]: kernel {analytic}, finite difference {numeric}");
            }
        }
    }
}
