using System;
using System.Linq;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests
{
    /// <summary>What a batch means at the edges: an empty row list, and a loss asked of a batch without labels.</summary>
    public sealed class BatchTests
    {
        private const int DataRows = 37;

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void An_empty_row_list_is_an_empty_batch_for_forward_predict_and_probabilities(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(31);
            Randomize(model, random);
            (byte[] pixels, float[] features) = Pixels(random, DataRows * model.Inputs);
            int[] none = Array.Empty<int>();

            // Nothing to do, nothing written, nothing thrown: the outputs are [0, Classes] and [0].
            model.Forward(Batch.Of(features).WithRows(none), Span<float>.Empty);
            model.Forward(Batch.Of(pixels).WithRows(none), Span<float>.Empty);
            model.Probabilities(Batch.Of(features).WithRows(none), Span<float>.Empty);
            model.Probabilities(Batch.Of(pixels).WithRows(none), Span<float>.Empty);
            model.Predict(Batch.Of(features).WithRows(none), Span<int>.Empty);
            model.Predict(Batch.Of(pixels).WithRows(none), Span<int>.Empty);

            // An output sized for every row is the wrong size for an empty batch: it is not "all rows".
            var e = Assert.Throws<ArgumentException>(() => model.Predict(Batch.Of(features).WithRows(none), new int[DataRows]));
            Assert.Contains("must have 0", e.Message);
            e = Assert.Throws<ArgumentException>(() => model.Forward(Batch.Of(pixels).WithRows(none), new float[DataRows * model.Classes]));
            Assert.Contains("must have 0", e.Message);
        }

        /// <summary>A model with random parameters, random data and labels, and a list of 70 random rows (several blocks).</summary>
        private static (ISoftmaxModel Model, byte[] Pixels, float[] Features, int[] Labels, int[] Rows) RandomBlocks(
            string name, KernelIsa isa, int seed)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(seed);
            Randomize(model, random);
            (byte[] pixels, float[] features) = Pixels(random, DataRows * model.Inputs);
            int[] labels = Labels(random, DataRows, model.Classes);
            int[] rows = Enumerable.Range(0, 70).Select(_ => random.Next(DataRows)).ToArray();
            return (model, pixels, features, labels, rows);
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void A_rows_loss_terms_are_the_same_in_a_block_as_alone(string name, KernelIsa isa)
        {
            // The loss kernels take a block of rows per call; a kernel may treat a group of them together and the rest one by
            // one. Whether a row is correct must not depend on where in a block it falls, and its loss only through the
            // block's one logarithm of the product of its rows' sums of exponentials (each in [1, classes]), which rounds
            // in double: the batch's loss sum equals its rows' own sums to a few units in the last place of a double, far
            // below the float rounding of a row's loss (a row's term off by one float ulp of its log would show).
            (ISoftmaxModel model, byte[] pixels, float[] features, int[] labels, int[] rows) = RandomBlocks(name, isa, 34);
            foreach (bool bytes in new[] { false, true })
            {
                Batch input = (bytes ? Batch.Of(pixels) : Batch.Of(features)).WithLabels(labels);
                BatchResult all = model.Loss(input.WithRows(rows));
                double sum = 0;
                int correct = 0;
                foreach (int row in rows)
                {
                    BatchResult one = model.Loss(input.WithRows(new[] { row }));
                    sum += one.LossSum;
                    correct += one.Correct;
                }

                Assert.Equal(correct, all.Correct);
                Assert.True(
                    Math.Abs(all.LossSum - sum) <= 1e-13 * Math.Max(1, Math.Abs(sum)),
                    $"{(bytes ? "pixels" : "features")}: block {all.LossSum:R}, rows alone {sum:R}");
            }
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void The_next_batch_rows_the_trainer_names_change_no_result(string name, KernelIsa isa)
        {
            // The trainer names the next batch's rows (Batch.Following) so the gradient pass fetches them ahead: a hint
            // that must not change the loss, the count or a bit of the gradient, and must not fail for rows outside the data.
            (ISoftmaxModel model, byte[] pixels, float[] features, int[] labels, int[] rows) = RandomBlocks(name, isa, 33);
            int[][] followings = { new[] { 3, 1, 4 }, new[] { DataRows + 5, -1 }, Enumerable.Range(0, DataRows).Reverse().ToArray() };
            foreach (bool bytes in new[] { false, true })
            {
                Batch batch = (bytes ? Batch.Of(pixels) : Batch.Of(features)).WithLabels(labels).WithRows(rows);
                var dW = new float[model.Weights.Length];
                var db = new float[model.Classes];
                BatchResult expected = model.LossAndGradient(batch, dW, db);
                foreach (int[] following in followings)
                {
                    var dW2 = new float[dW.Length];
                    var db2 = new float[db.Length];
                    BatchResult result = model.LossAndGradient(batch.WithFollowing(following), dW2, db2);
                    Assert.Equal(expected.Loss, result.Loss);
                    Assert.Equal(expected.Correct, result.Correct);
                    Assert.Equal(dW, dW2);
                    Assert.Equal(db, db2);
                }
            }
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void An_empty_row_list_never_trains_or_scores_on_every_row(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            var random = new Random(32);
            Randomize(model, random);
            (byte[] pixels, float[] features) = Pixels(random, DataRows * model.Inputs);
            int[] labels = Labels(random, DataRows, model.Classes);
            float[] targets = Targets(random, DataRows, model.Classes);
            int[] none = Array.Empty<int>();
            float[] weights = model.Weights.ToArray();
            float[] bias = model.Bias.ToArray();
            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];
            Array.Fill(dW, 7f);
            Array.Fill(db, -7f);

            foreach (bool bytes in new[] { false, true })
            {
                AssertRowsIsEmpty(() => model.Loss(Input(bytes).WithLabels(labels).WithRows(none)));
                AssertRowsIsEmpty(() => model.Loss(Input(bytes).WithTargets(targets).WithRows(none)));
                AssertRowsIsEmpty(() => model.LossAndGradient(Input(bytes).WithLabels(labels).WithRows(none), dW, db));
                AssertRowsIsEmpty(() => model.LossAndGradient(Input(bytes).WithTargets(targets).WithRows(none), dW, db));
            }

            // The gradient buffers are untouched: no gradient of the whole data was written there.
            Assert.All(dW, v => Assert.Equal(7f, v));
            Assert.All(db, v => Assert.Equal(-7f, v));

            // An optimizer step on an empty batch throws before updating; so does a data set's empty Rows().
            var sgd = new Sgd(model, new SgdOptions { LearningRate = 0.5f });
            AssertRowsIsEmpty(() => sgd.Step(Batch.Of(features).WithLabels(labels).WithRows(none)));
            LabeledData data = LabeledData.FromPixels(pixels, labels, model.Inputs);
            AssertRowsIsEmpty(() => sgd.Step(data.Rows(none)));
            AssertRowsIsEmpty(() => model.Loss(data.Rows(none)));
            Assert.Equal(weights, model.Weights.ToArray());
            Assert.Equal(bias, model.Bias.ToArray());

            // The same data with one row does train: the empty case is not being hidden by a no-op optimizer.
            BatchResult one = sgd.Step(data.Rows(new[] { 3 }));
            Assert.Equal(1, one.Count);
            Assert.NotEqual(bias, model.Bias.ToArray());

            Batch Input(bool bytes) => bytes ? Batch.Of(pixels) : Batch.Of(features);
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void A_loss_of_a_batch_without_labels_or_targets_says_to_use_WithLabels(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            float[] features = new float[3 * model.Inputs];
            byte[] pixels = new byte[3 * model.Inputs];
            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];

            AssertNoLabels(() => model.Loss(Batch.Of(features)));
            AssertNoLabels(() => model.Loss(Batch.Of(pixels)));
            AssertNoLabels(() => model.Loss(Batch.Of(features).WithRows(new[] { 2, 0 })));
            AssertNoLabels(() => model.LossAndGradient(Batch.Of(features), dW, db));
            AssertNoLabels(() => model.LossAndGradient(Batch.Of(pixels).WithRows(new[] { 1 }), dW, db));
        }

        [SkippableTheory]
        [MemberData(nameof(ModelsAndVariants), MemberType = typeof(TestModels))]
        public void Bad_rows_labels_and_shapes_are_reported(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa);
            int q = model.Classes;
            float[] features = new float[4 * model.Inputs];
            int[] labels = { 0, 1, q - 1, 0 };
            var dW = new float[model.Weights.Length];
            var db = new float[q];

            var rows = Assert.Throws<ArgumentOutOfRangeException>(() => model.Loss(Batch.Of(features).WithLabels(labels).WithRows(new[] { 1, 4 })));
            Assert.Contains("rows[1] = 4 is not a row of the data", rows.Message);
            rows = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(Batch.Of(features).WithRows(new[] { -1 }), new int[1]));
            Assert.Contains("rows[0] = -1 is not a row of the data", rows.Message);

            int[] badLabels = { 0, q, 0, 0 };
            var label = Assert.Throws<ArgumentOutOfRangeException>(() => model.LossAndGradient(Batch.Of(features).WithLabels(badLabels), dW, db));
            Assert.Contains($"labels[1] = {q} is not a class: labels must be 0..{q - 1}", label.Message);
            // A bad label outside the row list is never read.
            BatchResult ok = model.Loss(Batch.Of(features).WithLabels(badLabels).WithRows(new[] { 0, 2 }));
            Assert.Equal(2, ok.Count);

            ArgumentException shape;
            if (model.Inputs > 1) // with one input, every length is a whole number of rows
            {
                shape = Assert.Throws<ArgumentException>(() => model.Forward(new float[(4 * model.Inputs) + 1], new float[4 * q]));
                Assert.Contains($"not a whole number of rows of {model.Inputs}", shape.Message);
                shape = Assert.Throws<ArgumentException>(() => model.Loss(Batch.Of(new byte[(4 * model.Inputs) - 1]).WithLabels(labels)));
                Assert.Contains($"not a whole number of rows of {model.Inputs}", shape.Message);
            }

            shape = Assert.Throws<ArgumentException>(() => model.Forward(features, new float[(4 * q) - 1]));
            Assert.Contains($"must have {4 * q} ([4, {q}])", shape.Message);
            shape = Assert.Throws<ArgumentException>(() => model.LossAndGradient(Batch.Of(features).WithLabels(labels), dW, new float[q + 1]));
            Assert.Contains($"must have {q} ([{q}])", shape.Message);
            shape = Assert.Throws<ArgumentException>(() => model.Loss(Batch.Of(features).WithTargets(new float[3 * q])));
            Assert.Contains($"must have {4 * q} ([4, {q}])", shape.Message);
        }

        [Fact]
        public void A_batch_refers_to_its_inputs_without_copying()
        {
            float[] features = { 1, 2, 3, 4 };
            int[] labels = { 1, 0 };
            int[] rows = { 1, 1, 0 };
            float[] targets = { 0.5f, 0.5f, 1, 0 };
            Batch batch = Batch.Of(features).WithLabels(labels).WithRows(rows);

            Assert.False(batch.IsPixels);
            Assert.True(batch.HasRows);
            Assert.False(batch.HasTargets);
            Assert.True(batch.Features == features.AsSpan());
            Assert.True(batch.Labels == labels.AsSpan());
            Assert.True(batch.Rows == rows.AsSpan());

            Batch soft = batch.WithTargets(targets);
            Assert.True(soft.HasTargets);
            Assert.True(soft.Labels.IsEmpty);
            Assert.True(soft.Targets == targets.AsSpan());
            Assert.True(soft.Rows == rows.AsSpan()); // the row list survives

            byte[] pixels = { 1, 2 };
            Batch bytes = Batch.Of(pixels);
            Assert.True(bytes.IsPixels);
            Assert.False(bytes.HasRows);
            Assert.True(bytes.Pixels == pixels.AsSpan());
            Assert.True(Batch.Of(pixels).WithRows(Array.Empty<int>()).HasRows); // empty list, still a list
        }

        private static void AssertRowsIsEmpty(Func<object> action)
        {
            var e = Assert.Throws<ArgumentException>(action);
            Assert.Contains("rows is empty", e.Message);
            Assert.Equal("rows", e.ParamName);
        }

        private static void AssertNoLabels(Func<object> action)
        {
            var e = Assert.Throws<ArgumentException>(action);
            Assert.Contains("WithLabels", e.Message);
            Assert.Contains("no labels or targets", e.Message);
        }

        [Fact]
        public void One_row_predicts_its_class_directly()
        {
            var model = new RuntimeSoftmaxModel(3, 4);
            model.Bias[2] = 5f;
            Assert.Equal(2, model.Predict(new float[] { 0.1f, 0.2f, 0.3f }));
            Assert.Equal(2, model.Predict(new byte[] { 1, 2, 3 }));
            model.Weights[(1 * 3) + 0] = 100f;
            Assert.Equal(1, model.Predict(new float[] { 1f, 0f, 0f }));
            Assert.Contains("One row has 3 values", Assert.Throws<ArgumentException>(() => model.Predict(new float[6])).Message);
        }
    }
}
