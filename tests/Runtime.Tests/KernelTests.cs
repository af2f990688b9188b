using System;
using System.Linq;
using GenSoftmax.Reference;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.KernelAsserts;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests
{
    /// <summary>Each generated variant of each model shape against the scalar double-accumulating reference.</summary>
    public sealed class KernelTests
    {
        // 37 rows: more than one row block (32), and an odd last block, so the single-row path runs too.
        private const int Rows = 37;

        // Rows of the data a row list picks from (with repeats).
        private const int DataRows = 50;

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
            AssertRowsSumToOne(probabilities, model.Classes);
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Byte_pixel_forward_and_probabilities_match_reference_on_pixels_over_255(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(11);
            Randomize(model, random);
            (byte[] pixels, float[] features) = Pixels(random, Rows * model.Inputs);
            pixels[0] = 255; // both ends of the scale
            features[0] = 1f;
            pixels[1 % pixels.Length] = 0;
            features[1 % features.Length] = 0f;
            SoftmaxReference reference = ReferenceOf(model);

            var logits = new float[Rows * model.Classes];
            model.Forward(pixels, logits);
            AssertClose(reference.Forward(features), logits, $"{name} {isa} byte logits");

            var probabilities = new float[Rows * model.Classes];
            model.Probabilities(pixels, probabilities);
            AssertClose(reference.Probabilities(features), probabilities, $"{name} {isa} byte probabilities");
            AssertRowsSumToOne(probabilities, model.Classes);

            // The same rows through a row list, from bytes: each output row is the gathered row's.
            int[] rows = Enumerable.Range(0, 7).Select(i => (i * 11) % Rows).Reverse().ToArray();
            float[] gathered = Gather(features, model.Inputs, rows);
            var rowLogits = new float[rows.Length * model.Classes];
            model.Forward(Batch.Of(pixels).WithRows(rows), rowLogits);
            AssertClose(reference.Forward(gathered), rowLogits, $"{name} {isa} byte row-list logits");
            var rowProbabilities = new float[rows.Length * model.Classes];
            model.Probabilities(Batch.Of(pixels).WithRows(rows), rowProbabilities);
            AssertClose(reference.Probabilities(gathered), rowProbabilities, $"{name} {isa} byte row-list probabilities");
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
            AssertPredictions(expected, logits, model.Classes, predictions, $"{name} {isa}");
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Loss_and_gradient_match_reference(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(3);
            Randomize(model, random);
            float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
            int[] labels = Labels(random, Rows, model.Classes);
            SoftmaxReference reference = ReferenceOf(model);
            var dWExpected = new double[model.Weights.Length];
            var dbExpected = new double[model.Classes];
            double lossExpected = reference.LossAndGradient(x, labels, dWExpected, dbExpected);
            AssertGradientMatches(model, Batch.Of(x).WithLabels(labels), lossExpected, dWExpected, dbExpected, $"{name} {isa}");
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Soft_label_loss_and_gradient_match_reference(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(4);
            Randomize(model, random);
            float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
            float[] targets = Targets(random, Rows, model.Classes);

            SoftmaxReference reference = ReferenceOf(model);
            var dWExpected = new double[model.Weights.Length];
            var dbExpected = new double[model.Classes];
            double lossExpected = reference.LossAndGradient(x, (ReadOnlySpan<float>)targets, dWExpected, dbExpected);
            AssertGradientMatches(model, Batch.Of(x).WithTargets(targets), lossExpected, dWExpected, dbExpected, $"{name} {isa} soft");
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Loss_equals_LossAndGradient_bit_for_bit_and_matches_reference(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(12);
            Randomize(model, random);
            (byte[] pixels, float[] features) = Pixels(random, DataRows * model.Inputs);
            int[] labels = Labels(random, DataRows, model.Classes);
            float[] targets = Targets(random, DataRows, model.Classes);
            int[] rows = Enumerable.Range(0, Rows).Select(_ => random.Next(DataRows)).ToArray();
            SoftmaxReference reference = ReferenceOf(model);
            int[] referencePredictions = reference.Predict(features);
            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];

            // Hard labels, every row, floats and bytes.
            double hardExpected = reference.Loss(features, labels);
            int hardCorrect = referencePredictions.Zip(labels).Count(p => p.First == p.Second);
            foreach (bool bytes in new[] { false, true })
            {
                string what = $"{name} {isa} {(bytes ? "byte" : "float")}";
                BatchResult loss = model.Loss(Input(bytes).WithLabels(labels));
                BatchResult withGradient = model.LossAndGradient(Input(bytes).WithLabels(labels), dW, db);
                Assert.Equal(withGradient, loss); // Loss, Correct and Count, bit for bit
                Assert.Equal(BitConverter.SingleToInt32Bits(withGradient.Loss), BitConverter.SingleToInt32Bits(loss.Loss));
                AssertClose(hardExpected, loss.Loss, $"{what} loss");
                Assert.Equal(DataRows, loss.Count);
                Assert.Equal(hardCorrect, loss.Correct);
            }

            // Soft targets, every row and a row list, floats and bytes.
            double softExpected = reference.Loss(features, (ReadOnlySpan<float>)targets);
            float[] gathered = Gather(features, model.Inputs, rows);
            double softRowsExpected = reference.Loss(gathered, (ReadOnlySpan<float>)Gather(targets, model.Classes, rows));
            foreach (bool bytes in new[] { false, true })
            {
                string what = $"{name} {isa} {(bytes ? "byte" : "float")} soft";
                BatchResult loss = model.Loss(Input(bytes).WithTargets(targets));
                BatchResult withGradient = model.LossAndGradient(Input(bytes).WithTargets(targets), dW, db);
                Assert.Equal(withGradient, loss);
                AssertClose(softExpected, loss.Loss, $"{what} loss");
                Assert.Equal(DataRows, loss.Count);

                loss = model.Loss(Input(bytes).WithTargets(targets).WithRows(rows));
                withGradient = model.LossAndGradient(Input(bytes).WithTargets(targets).WithRows(rows), dW, db);
                Assert.Equal(withGradient, loss);
                AssertClose(softRowsExpected, loss.Loss, $"{what} row-list loss");
                Assert.Equal(Rows, loss.Count);
            }

            Batch Input(bool bytes) => bytes ? Batch.Of(pixels) : Batch.Of(features);
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Row_indexed_byte_and_float_batches_match_reference_on_gathered_rows(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(5);
            Randomize(model, random);
            (byte[] pixels, float[] features) = Pixels(random, DataRows * model.Inputs);
            int[] labels = Labels(random, DataRows, model.Classes);
            int[] rows = Enumerable.Range(0, Rows).Select(_ => random.Next(DataRows)).ToArray(); // repeats allowed

            float[] gathered = Gather(features, model.Inputs, rows);
            int[] gatheredLabels = rows.Select(r => labels[r]).ToArray();
            SoftmaxReference reference = ReferenceOf(model);
            var dWExpected = new double[model.Weights.Length];
            var dbExpected = new double[model.Classes];
            double lossExpected = reference.LossAndGradient(gathered, gatheredLabels, dWExpected, dbExpected);
            int correctExpected = reference.Predict(gathered).Zip(gatheredLabels).Count(p => p.First == p.Second);

            BatchResult f = AssertGradientMatches(
                model, Batch.Of(features).WithLabels(labels).WithRows(rows), lossExpected, dWExpected, dbExpected, $"{name} {isa} float rows");
            Assert.Equal(correctExpected, f.Correct);
            BatchResult b = AssertGradientMatches(
                model, Batch.Of(pixels).WithLabels(labels).WithRows(rows), lossExpected, dWExpected, dbExpected, $"{name} {isa} byte rows");
            Assert.Equal(correctExpected, b.Correct);

            // Byte predictions of every row are the reference's argmax on pixels / 255 (only a near-tie may differ).
            double[] logits = reference.Forward(features);
            int[] expectedPredictions = reference.Predict(features);
            var predictions = new int[DataRows];
            model.Predict(pixels, predictions);
            AssertPredictions(expectedPredictions, logits, model.Classes, predictions, $"{name} {isa} byte");
            Assert.True(predictions.Zip(expectedPredictions).Count(p => p.First != p.Second) <= 1, $"{name} {isa} byte predictions differ");

            // A row list predicts exactly what the same rows predict in a whole-data call, in the list's order.
            var rowPredictions = new int[Rows];
            model.Predict(Batch.Of(pixels).WithRows(rows), rowPredictions);
            Assert.Equal(rows.Select(r => predictions[r]).ToArray(), rowPredictions);
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Soft_targets_with_a_row_list_match_reference_on_gathered_rows(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(13);
            Randomize(model, random);
            (byte[] pixels, float[] features) = Pixels(random, DataRows * model.Inputs);
            float[] targets = Targets(random, DataRows, model.Classes); // indexed by data row, like labels
            int[] rows = Enumerable.Range(0, Rows).Select(_ => random.Next(DataRows)).ToArray();

            float[] gathered = Gather(features, model.Inputs, rows);
            float[] gatheredTargets = Gather(targets, model.Classes, rows);
            SoftmaxReference reference = ReferenceOf(model);
            var dWExpected = new double[model.Weights.Length];
            var dbExpected = new double[model.Classes];
            double lossExpected = reference.LossAndGradient(gathered, (ReadOnlySpan<float>)gatheredTargets, dWExpected, dbExpected);
            int[] predicted = reference.Predict(gathered);
            int correctExpected = Enumerable.Range(0, Rows).Count(i => predicted[i] == ArgMax(gatheredTargets.AsSpan(i * model.Classes, model.Classes)));

            foreach (bool bytes in new[] { false, true })
            {
                string what = $"{name} {isa} {(bytes ? "byte" : "float")} soft rows";
                Batch batch = (bytes ? Batch.Of(pixels) : Batch.Of(features)).WithTargets(targets).WithRows(rows);
                BatchResult result = AssertGradientMatches(model, batch, lossExpected, dWExpected, dbExpected, what);
                Assert.Equal(correctExpected, result.Correct);
            }
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Train_step_updates_like_reference_sgd(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(6);
            Randomize(model, random);
            float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
            int[] labels = Labels(random, Rows, model.Classes);
            SoftmaxReference reference = ReferenceOf(model);

            double lossExpected = reference.TrainStep(x, labels, 0.5f);
            BatchResult result = new Sgd(model, new SgdOptions { LearningRate = 0.5f }).Step(Batch.Of(x).WithLabels(labels));
            AssertClose(lossExpected, result.Loss, $"{name} {isa} train-step loss");
            AssertClose(reference.Weights.Select(v => (double)v).ToArray(), model.Weights, $"{name} {isa} weights after step");
            AssertClose(reference.Bias.Select(v => (double)v).ToArray(), model.Bias, $"{name} {isa} bias after step");
        }

        [SkippableTheory]
        [InlineData("17x10", KernelIsa.Portable)]
        [InlineData("17x10", KernelIsa.Avx2)]
        [InlineData("17x10", KernelIsa.Avx512)]
        [InlineData("3x33", KernelIsa.Avx512)]
        [InlineData("1000x3", KernelIsa.Avx2)]
        [InlineData("20x100", KernelIsa.Portable)]
        public void Gradient_matches_central_finite_differences(string name, KernelIsa isa)
        {
            AssertGradientMatchesFiniteDifferences(Create(name, isa), $"{name} {isa}", favourLastClasses: false);
        }

        /// <summary>
        /// The kernel's loss and gradient of <paramref name="batch"/> (<see cref="Rows"/> rows) against the reference's, written
        /// into NaN-filled buffers so they must be overwritten, not accumulated. Returns the result for further checks.
        /// </summary>
        private static BatchResult AssertGradientMatches(
            ISoftmaxModel model, Batch batch, double lossExpected, double[] dWExpected, double[] dbExpected, string what)
        {
            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];
            Array.Fill(dW, float.NaN);
            Array.Fill(db, float.NaN);
            BatchResult result = model.LossAndGradient(batch, dW, db);
            AssertClose(lossExpected, result.Loss, $"{what} loss");
            AssertClose(dWExpected, dW, $"{what} dW");
            AssertClose(dbExpected, db, $"{what} db");
            Assert.Equal(Rows, result.Count);
            return result;
        }
    }
}
