using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GenSoftmax.Dynamic;
using GenSoftmax.Reference;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.KernelAsserts;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests
{
    /// <summary>
    /// <see cref="RuntimeSoftmaxModel"/>, every variant, on the awkward shapes of the generated models (and a few that
    /// only a run-time shape can have, such as the largest class count) against the scalar double reference, and
    /// against the generated model of the same shape and variant.
    /// </summary>
    public sealed class RuntimeShapedTests
    {
        // 37 rows: more than one row block (32 for up to 16 classes), and an odd last block.
        private const int Rows = 37;

        // Rows of the data a row list picks from (with repeats).
        private const int DataRows = 50;

        /// <summary>Shapes no test model declares: the most classes (8-row blocks, 256 class passes), and odd sizes past one vector.</summary>
        public static readonly string[] RuntimeOnlyShapes = { "2x1024", "33x7", "129x65" };

        /// <summary>Every shape, generated and run-time only, with every variant.</summary>
        public static IEnumerable<object[]> ShapesAndVariants() =>
            from name in All.Keys.Concat(RuntimeOnlyShapes) from isa in Variants select new object[] { name, isa };

        /// <summary>The shapes that have a generated model, with every variant.</summary>
        public static IEnumerable<object[]> GeneratedShapesAndVariants() => ModelsAndVariants();

        /// <summary>A run-time-shaped model for "inputs x classes", set to <paramref name="isa"/> (skipped when the CPU lacks it).</summary>
        internal static RuntimeSoftmaxModel CreateRuntime(string name, KernelIsa isa)
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            string[] parts = name.Split('x');
            var model = new RuntimeSoftmaxModel(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
            model.Isa = isa;
            return model;
        }

        [SkippableTheory]
        [MemberData(nameof(ShapesAndVariants))]
        public void Forward_probabilities_and_predict_match_reference_for_floats_bytes_and_row_lists(string name, KernelIsa isa)
        {
            RuntimeSoftmaxModel model = CreateRuntime(name, isa);
            Assert.Equal(name, $"{model.Inputs}x{model.Classes}");
            var random = new Random(1);
            Randomize(model, random);
            float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
            (byte[] pixels, float[] pixelFeatures) = Pixels(random, Rows * model.Inputs);
            SoftmaxReference reference = ReferenceOf(model);
            int q = model.Classes;

            var logits = new float[Rows * q];
            model.Forward(x, logits);
            AssertClose(reference.Forward(x), logits, $"{name} {isa} logits");
            var probabilities = new float[Rows * q];
            model.Probabilities(x, probabilities);
            AssertClose(reference.Probabilities(x), probabilities, $"{name} {isa} probabilities");
            AssertRowsSumToOne(probabilities, q);
            var predictions = new int[Rows];
            model.Predict(x, predictions);
            AssertPredictions(reference.Predict(x), reference.Forward(x), q, predictions, $"{name} {isa}");

            model.Forward(pixels, logits);
            AssertClose(reference.Forward(pixelFeatures), logits, $"{name} {isa} byte logits");
            model.Probabilities(pixels, probabilities);
            AssertClose(reference.Probabilities(pixelFeatures), probabilities, $"{name} {isa} byte probabilities");
            var bytePredictions = new int[Rows];
            model.Predict(pixels, bytePredictions);
            AssertPredictions(reference.Predict(pixelFeatures), reference.Forward(pixelFeatures), q, bytePredictions, $"{name} {isa} byte");

            // A row list (reversed, with repeats): each output row is the gathered row's, from floats and bytes.
            int[] rows = Enumerable.Range(0, 9).Select(i => (i * 11) % Rows).Append(0).Reverse().ToArray();
            foreach (bool bytes in new[] { false, true })
            {
                string what = $"{name} {isa} {(bytes ? "byte" : "float")} row-list";
                float[] gathered = Gather(bytes ? pixelFeatures : x, model.Inputs, rows);
                Batch batch = (bytes ? Batch.Of(pixels) : Batch.Of(x)).WithRows(rows);
                var rowLogits = new float[rows.Length * q];
                model.Forward(batch, rowLogits);
                AssertClose(reference.Forward(gathered), rowLogits, $"{what} logits");
                var rowProbabilities = new float[rows.Length * q];
                model.Probabilities(batch, rowProbabilities);
                AssertClose(reference.Probabilities(gathered), rowProbabilities, $"{what} probabilities");
                var rowPredictions = new int[rows.Length];
                model.Predict(batch, rowPredictions);
                Assert.Equal(rows.Select(r => (bytes ? bytePredictions : predictions)[r]).ToArray(), rowPredictions); // exactly the whole-data call's
            }
        }

        [SkippableTheory]
        [MemberData(nameof(ShapesAndVariants))]
        public void Loss_and_gradient_match_reference_for_labels_targets_bytes_and_row_lists(string name, KernelIsa isa)
        {
            RuntimeSoftmaxModel model = CreateRuntime(name, isa);
            var random = new Random(3);
            Randomize(model, random);
            int q = model.Classes;
            (byte[] pixels, float[] features) = Pixels(random, DataRows * model.Inputs);
            int[] labels = Labels(random, DataRows, q);
            float[] targets = Targets(random, DataRows, q);
            int[] rows = Enumerable.Range(0, Rows).Select(_ => random.Next(DataRows)).ToArray(); // repeats allowed
            SoftmaxReference reference = ReferenceOf(model);

            foreach (bool bytes in new[] { false, true })
            {
                foreach (bool soft in new[] { false, true })
                {
                    foreach (bool withRows in new[] { false, true })
                    {
                        string what = $"{name} {isa} {(bytes ? "byte" : "float")} {(soft ? "soft" : "hard")}{(withRows ? " row-list" : "")}";
                        int[] picked = withRows ? rows : Enumerable.Range(0, DataRows).ToArray();
                        float[] gathered = Gather(features, model.Inputs, picked);
                        var dWExpected = new double[model.Weights.Length];
                        var dbExpected = new double[q];
                        double lossExpected;
                        int correctExpected;
                        int[] predicted = reference.Predict(gathered);
                        if (soft)
                        {
                            float[] t = Gather(targets, q, picked);
                            lossExpected = reference.LossAndGradient(gathered, (ReadOnlySpan<float>)t, dWExpected, dbExpected);
                            correctExpected = Enumerable.Range(0, picked.Length).Count(i => predicted[i] == ArgMax(t.AsSpan(i * q, q)));
                        }
                        else
                        {
                            int[] y = picked.Select(r => labels[r]).ToArray();
                            lossExpected = reference.LossAndGradient(gathered, y, dWExpected, dbExpected);
                            correctExpected = predicted.Zip(y).Count(p => p.First == p.Second);
                        }

                        Batch batch = bytes ? Batch.Of(pixels) : Batch.Of(features);
                        batch = soft ? batch.WithTargets(targets) : batch.WithLabels(labels);
                        batch = withRows ? batch.WithRows(rows) : batch;
                        var dW = new float[model.Weights.Length];
                        var db = new float[q];
                        Array.Fill(dW, float.NaN); // overwritten, not accumulated
                        Array.Fill(db, float.NaN);
                        BatchResult result = model.LossAndGradient(batch, dW, db);
                        AssertClose(lossExpected, result.Loss, $"{what} loss");
                        AssertClose(dWExpected, dW, $"{what} dW");
                        AssertClose(dbExpected, db, $"{what} db");
                        Assert.Equal(picked.Length, result.Count);
                        Assert.Equal(correctExpected, result.Correct);

                        // Loss is LossAndGradient without the gradient: the same figures, bit for bit.
                        BatchResult loss = model.Loss(batch);
                        Assert.Equal(result, loss);
                        Assert.Equal(BitConverter.SingleToInt32Bits(result.Loss), BitConverter.SingleToInt32Bits(loss.Loss));
                    }
                }
            }
        }

        [SkippableTheory]
        [MemberData(nameof(GeneratedShapesAndVariants))]
        public void Agrees_with_the_generated_model_of_the_same_shape_and_variant(string name, KernelIsa isa)
        {
            ISoftmaxModel generated = Create(name, isa);
            RuntimeSoftmaxModel model = CreateRuntime(name, isa);
            var random = new Random(5);
            Randomize(generated, random);
            generated.Weights.CopyTo(model.Weights);
            generated.Bias.CopyTo(model.Bias);
            int q = model.Classes;
            (byte[] pixels, float[] features) = Pixels(random, DataRows * model.Inputs);
            int[] labels = Labels(random, DataRows, q);
            float[] targets = Targets(random, DataRows, q);
            int[] rows = Enumerable.Range(0, Rows).Select(_ => random.Next(DataRows)).ToArray();

            foreach (bool bytes in new[] { false, true })
            {
                string what = $"{name} {isa} {(bytes ? "byte" : "float")}";
                Batch input = bytes ? Batch.Of(pixels) : Batch.Of(features);
                var expectedLogits = new float[DataRows * q];
                var logits = new float[DataRows * q];
                generated.Forward(input, expectedLogits);
                model.Forward(input, logits);
                AssertCloseTo(expectedLogits, logits, $"{what} logits");
                var expectedProbabilities = new float[Rows * q];
                var probabilities = new float[Rows * q];
                generated.Probabilities(input.WithRows(rows), expectedProbabilities);
                model.Probabilities(input.WithRows(rows), probabilities);
                AssertCloseTo(expectedProbabilities, probabilities, $"{what} row-list probabilities");
                var expectedPredictions = new int[DataRows];
                var predictions = new int[DataRows];
                generated.Predict(input, expectedPredictions);
                model.Predict(input, predictions);
                Assert.Equal(expectedPredictions, predictions);

                foreach (bool soft in new[] { false, true })
                {
                    Batch batch = (soft ? input.WithTargets(targets) : input.WithLabels(labels)).WithRows(rows);
                    var dWExpected = new float[model.Weights.Length];
                    var dbExpected = new float[q];
                    var dW = new float[model.Weights.Length];
                    var db = new float[q];
                    BatchResult expected = generated.LossAndGradient(batch, dWExpected, dbExpected);
                    BatchResult actual = model.LossAndGradient(batch, dW, db);
                    AssertClose(expected.Loss, actual.Loss, $"{what} {(soft ? "soft" : "hard")} loss");
                    Assert.Equal(expected.Correct, actual.Correct);
                    Assert.Equal(expected.Count, actual.Count);
                    AssertCloseTo(dWExpected, dW, $"{what} {(soft ? "soft" : "hard")} dW");
                    AssertCloseTo(dbExpected, db, $"{what} {(soft ? "soft" : "hard")} db");
                }
            }

            // Three SGD steps with momentum and weight decay keep the two models together.
            var options = new SgdOptions { LearningRate = 0.3f, Momentum = 0.9f, WeightDecay = 1e-3f };
            var sgdGenerated = new Sgd(generated, options);
            var sgd = new Sgd(model, options);
            for (int step = 0; step < 3; step++)
            {
                BatchResult expected = sgdGenerated.Step(Batch.Of(pixels).WithLabels(labels).WithRows(rows));
                BatchResult actual = sgd.Step(Batch.Of(pixels).WithLabels(labels).WithRows(rows));
                AssertClose(expected.Loss, actual.Loss, $"{name} {isa} step {step} loss");
            }

            AssertCloseTo(generated.Weights.ToArray(), model.Weights.ToArray(), $"{name} {isa} weights after 3 steps");
            AssertCloseTo(generated.Bias.ToArray(), model.Bias.ToArray(), $"{name} {isa} bias after 3 steps");
        }

        [SkippableTheory]
        [MemberData(nameof(ShapesAndVariants))]
        public void Sgd_steps_with_momentum_and_decay_match_the_reference(string name, KernelIsa isa)
        {
            RuntimeSoftmaxModel model = CreateRuntime(name, isa);
            var random = new Random(6);
            Randomize(model, random);
            var options = new SgdOptions { LearningRate = 0.2f, Momentum = 0.9f, WeightDecay = 1e-3f };
            var sgd = new Sgd(model, options);
            var reference = new ReferenceSgd(ReferenceOf(model), options);
            for (int step = 0; step < 3; step++)
            {
                float[] x = Uniform(random, Rows * model.Inputs, -1f, 1f);
                int[] labels = Labels(random, Rows, model.Classes);
                double expectedLoss = reference.Step(x, labels);
                BatchResult result = sgd.Step(Batch.Of(x).WithLabels(labels));
                AssertClose(expectedLoss, result.Loss, $"{name} {isa} step {step} loss");
                AssertClose(reference.Model.Weights.Select(v => (double)v).ToArray(), model.Weights, $"{name} {isa} step {step} weights");
                AssertClose(reference.Model.Bias.Select(v => (double)v).ToArray(), model.Bias, $"{name} {isa} step {step} bias");
            }
        }

        [SkippableTheory]
        [InlineData("17x10", KernelIsa.Portable)]
        [InlineData("17x10", KernelIsa.Avx2)]
        [InlineData("17x10", KernelIsa.Avx512)]
        [InlineData("3x33", KernelIsa.Avx2)]
        [InlineData("1000x3", KernelIsa.Avx2)]
        [InlineData("129x65", KernelIsa.Portable)]
        [InlineData("2x1024", KernelIsa.Avx2)]
        public void Gradient_matches_central_finite_differences(string name, KernelIsa isa)
        {
            AssertGradientMatchesFiniteDifferences(CreateRuntime(name, isa), $"{name} {isa}", favourLastClasses: true);
        }

        [SkippableTheory]
        [MemberData(nameof(VariantData))]
        public void Logits_of_plus_and_minus_1e4_give_a_finite_exact_loss_and_gradient(KernelIsa isa)
        {
            // Weights 0, so the logits are the bias: +1e4, -1e4, 0 for every row; 13 pad lanes must not leak into the sums.
            RuntimeSoftmaxModel model = CreateRuntime("3x3", isa);
            model.Bias[0] = 1e4f;
            model.Bias[1] = -1e4f;
            model.Bias[2] = 0f;
            float[] x = { 0.5f, -2f, 3f, 1f, 1f, 1f, 0f, 0f, 0f };
            int[] labels = { 0, 1, 2 };
            double expectedLoss = (0 + 2e4 + 1e4) / 3;
            var dW = new float[model.Weights.Length];
            var db = new float[3];
            float loss = model.LossAndGradient(Batch.Of(x).WithLabels(labels), dW, db).Loss;

            Assert.True(float.IsFinite(loss));
            Assert.Equal(expectedLoss, loss, 6);
            Assert.Equal(1.0 - (1.0 / 3), db[0], 6);
            Assert.Equal(-1.0 / 3, db[1], 6);
            Assert.Equal(-1.0 / 3, db[2], 6);
            Assert.All(dW, v => Assert.True(float.IsFinite(v)));
            var probabilities = new float[9];
            model.Probabilities(x, probabilities);
            Assert.Equal(new float[] { 1, 0, 0, 1, 0, 0, 1, 0, 0 }, probabilities);

            // The same through the largest class count, whose rows are 1024 lanes long, with -1e4 everywhere but one class.
            RuntimeSoftmaxModel wide = CreateRuntime("2x1024", isa);
            wide.Bias.Fill(-1e4f);
            wide.Bias[1000] = 1e4f;
            float[] xs = new float[2 * 2];
            BatchResult r = wide.LossAndGradient(Batch.Of(xs).WithLabels(new[] { 1000, 3 }), new float[wide.Weights.Length], new float[1024]);
            Assert.Equal(1e4, r.Loss, 0); // (0 + 2e4) / 2
            Assert.Equal(1, r.Correct);
        }

        [SkippableTheory]
        [MemberData(nameof(VariantData))]
        public void Identical_logits_give_log_q_and_uniform_probabilities(KernelIsa isa)
        {
            foreach (string name in new[] { "17x17", "2x1024", "33x7" })
            {
                RuntimeSoftmaxModel model = CreateRuntime(name, isa);
                int q = model.Classes;
                model.Bias.Fill(-3e4f);
                float[] x = new float[2 * model.Inputs];
                int[] labels = { 4, q - 1 };
                var dW = new float[model.Weights.Length];
                var db = new float[q];
                float loss = model.LossAndGradient(Batch.Of(x).WithLabels(labels), dW, db).Loss;
                Assert.Equal(Math.Log(q), loss, 5);
                for (int c = 0; c < q; c++)
                {
                    double expected = (1.0 / q) - ((c == 4 ? 0.5 : 0) + (c == q - 1 ? 0.5 : 0));
                    Assert.Equal(expected, db[c], 6);
                }

                Assert.All(dW, v => Assert.Equal(0f, v)); // x = 0
                var probabilities = new float[2 * q];
                model.Probabilities(x, probabilities);
                Assert.All(probabilities, p => Assert.Equal(1.0 / q, p, 6));
            }
        }

        [SkippableTheory]
        [MemberData(nameof(ShapesAndVariants))]
        public void A_tie_counts_as_correct_only_for_its_first_class_as_Predict_says(string name, KernelIsa isa)
        {
            RuntimeSoftmaxModel model = CreateRuntime(name, isa);
            AssertATieIsCorrectOnlyForItsFirstClass(model);

            // A tie between the last two classes, the only ones that differ from the rest: the earlier one wins.
            int q = model.Classes;
            float[] x = new float[4 * model.Inputs];
            var predictions = new int[4];
            model.Bias[q - 2] = 3f;
            model.Bias[q - 1] = 3f;
            model.Predict(x, predictions);
            Assert.Equal(new[] { q - 2, q - 2, q - 2, q - 2 }, predictions);
            BatchResult result = model.Loss(Batch.Of(x).WithLabels(new[] { q - 1, q - 2, q - 1, q - 1 }));
            Assert.Equal(1, result.Correct);
        }

        [SkippableTheory]
        [MemberData(nameof(ShapesAndVariants))]
        public void Perfectly_fitted_rows_have_a_loss_of_exactly_zero(string name, KernelIsa isa)
        {
            AssertPerfectlyFittedRowsHaveZeroLoss(CreateRuntime(name, isa), $"{name} {isa}");
        }

        [SkippableTheory]
        [MemberData(nameof(ShapesAndVariants))]
        public void An_empty_row_list_is_an_empty_batch_and_has_no_loss(string name, KernelIsa isa)
        {
            RuntimeSoftmaxModel model = CreateRuntime(name, isa);
            var random = new Random(31);
            Randomize(model, random);
            (byte[] pixels, float[] features) = Pixels(random, 5 * model.Inputs);
            int[] labels = Labels(random, 5, model.Classes);
            int[] none = Array.Empty<int>();
            model.Forward(Batch.Of(features).WithRows(none), Span<float>.Empty);
            model.Probabilities(Batch.Of(pixels).WithRows(none), Span<float>.Empty);
            model.Predict(Batch.Of(pixels).WithRows(none), Span<int>.Empty);
            Assert.Contains("must have 0", Assert.Throws<ArgumentException>(() => model.Predict(Batch.Of(features).WithRows(none), new int[5])).Message);

            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];
            Array.Fill(dW, 7f);
            var e = Assert.Throws<ArgumentException>(() => model.LossAndGradient(Batch.Of(pixels).WithLabels(labels).WithRows(none), dW, db));
            Assert.Equal("rows is empty: a loss needs at least one row. (Parameter 'rows')", e.Message);
            Assert.Throws<ArgumentException>(() => model.Loss(Batch.Of(features).WithLabels(labels).WithRows(none)));
            Assert.All(dW, v => Assert.Equal(7f, v));
        }

        [SkippableTheory]
        [MemberData(nameof(VariantData))]
        public void Bad_arguments_get_the_generated_models_exceptions_and_messages(KernelIsa isa)
        {
            // The same bad calls on both models of each shape: the same exception type, message and parameter name.
            foreach (string name in new[] { "17x10", "1x2", "20x100" })
            {
                ISoftmaxModel generated = Create(name, isa);
                RuntimeSoftmaxModel model = CreateRuntime(name, isa);
                int d = model.Inputs, q = model.Classes;
                float[] x = new float[4 * d];
                byte[] pixels = new byte[4 * d];
                int[] labels = { 0, 1, q - 1, 0 };
                var calls = new List<(string What, Action<ISoftmaxModel> Call)>
                {
                    ("short logits", m => m.Forward(x, new float[(4 * q) - 1])),
                    ("long probabilities", m => m.Probabilities(Batch.Of(pixels), new float[(4 * q) + 1])),
                    ("long predictions", m => m.Predict(x, new int[5])),
                    ("row past the data", m => m.Predict(Batch.Of(x).WithRows(new[] { 0, 4 }), new int[2])),
                    ("negative row", m => m.Loss(Batch.Of(x).WithLabels(labels).WithRows(new[] { -1 }))),
                    ("label past the classes", m => m.Loss(Batch.Of(x).WithLabels(new[] { 0, q, 0, 0 }))),
                    ("negative label", m => m.LossAndGradient(Batch.Of(pixels).WithLabels(new[] { 0, 0, -3, 0 }), new float[q * d], new float[q])),
                    ("no labels", m => m.Loss(Batch.Of(x))),
                    ("too few labels", m => m.Loss(Batch.Of(x).WithLabels(new[] { 0, 1, 0 }))),
                    ("short targets", m => m.Loss(Batch.Of(x).WithTargets(new float[(4 * q) - 1]))),
                    ("short dW", m => m.LossAndGradient(Batch.Of(x).WithLabels(labels), new float[(q * d) - 1], new float[q])),
                    ("long db", m => m.LossAndGradient(Batch.Of(x).WithLabels(labels), new float[q * d], new float[q + 1])),
                    ("empty rows", m => m.Loss(Batch.Of(x).WithLabels(labels).WithRows(ReadOnlySpan<int>.Empty))),
                    ("empty features", m => m.Loss(Batch.Of(ReadOnlySpan<float>.Empty).WithLabels(ReadOnlySpan<int>.Empty))),
                };
                if (d > 1) // with one input, every length is a whole number of rows
                {
                    calls.Add(("ragged features", m => m.Forward(new float[(4 * d) + 1], new float[5 * q])));
                    calls.Add(("ragged pixels", m => m.Loss(Batch.Of(new byte[(4 * d) + 1]).WithLabels(labels))));
                }

                foreach ((string what, Action<ISoftmaxModel> call) in calls)
                {
                    Exception? expected = Record.Exception(() => call(generated));
                    Exception? actual = Record.Exception(() => call(model));
                    Assert.True(expected is not null, $"{name} {what}: the generated model accepted the call");
                    Assert.NotNull(actual);
                    Assert.Equal(expected!.GetType(), actual!.GetType());
                    Assert.Equal(expected.Message, actual.Message);
                    Assert.Equal((expected as ArgumentException)?.ParamName, (actual as ArgumentException)?.ParamName);
                }
            }
        }

        [Fact]
        public void Shapes_outside_the_generators_limits_are_refused_with_the_limit_in_the_message()
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RuntimeSoftmaxModel(0, 10));
            Assert.Equal("inputs", e.ParamName);
            Assert.Contains("inputs = 0 is not a supported number of input features: use 1 to 1,048,576", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new RuntimeSoftmaxModel(ModelLimits.MaxInputs + 1, 2));
            Assert.Contains("inputs = 1048577", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new RuntimeSoftmaxModel(784, 1));
            Assert.Equal("classes", e.ParamName);
            Assert.Contains("classes = 1 is not a supported number of classes: use 2 to 1,024", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new RuntimeSoftmaxModel(784, 1025));
            Assert.Contains("classes = 1025", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new RuntimeSoftmaxModel(-5, -5));
            Assert.Equal("inputs", e.ParamName);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new RuntimeSoftmaxModel(ModelLimits.MaxInputs, 512));
            Assert.Contains("512 classes x 1,048,576 inputs = 536,870,912 weights, more than the limit of 268,435,456 (2^28)", e.Message);

            // The extremes themselves are fine and compute.
            var widest = new RuntimeSoftmaxModel(ModelLimits.MaxInputs, 2);
            Assert.Equal(2 * ModelLimits.MaxInputs, widest.Weights.Length);
            widest.Weights[ModelLimits.MaxInputs - 1] = 1f; // class 0, last input
            var x = new float[ModelLimits.MaxInputs];
            x[^1] = 3f;
            var logits = new float[2];
            widest.Forward(x, logits);
            Assert.Equal(new[] { 3f, 0f }, logits);
            const int inputsAtTheLimit = (int)(ModelLimits.MaxParameters / 1024); // 2^28 weights exactly would be 1 GiB: only the check is run
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new RuntimeSoftmaxModel(inputsAtTheLimit + 1, 1024));
            Assert.Contains("1,024 classes x 262,145 inputs = 268,436,480 weights", e.Message);
            var smallest = new RuntimeSoftmaxModel(1, 2);
            Assert.Equal(2, smallest.Weights.Length);
            Assert.Equal(2, smallest.Bias.Length);
        }

        [Theory]
        [InlineData(2, 2, 2)]
        [InlineData(3, 3, 3)]
        [InlineData(7, 4, 4)] // two passes of 4, the second starting at class 3
        [InlineData(10, 5, 10)] // as the generated 784 x 10 kernels: 2 x 5 with AVX2, 1 x 10 with AVX-512
        [InlineData(16, 4, 8)]
        [InlineData(17, 5, 10)]
        [InlineData(33, 5, 5)]
        [InlineData(100, 5, 10)]
        [InlineData(1024, 4, 8)]
        public void Class_blocks_cost_least_and_never_exceed_the_registers_or_the_classes(int classes, int narrow, int wide)
        {
            RuntimeShape shape = RuntimeShape.Of(784, classes);
            Assert.Equal(narrow, shape.ClassBlock(8));
            Assert.Equal(narrow, shape.ClassBlock(4));
            Assert.Equal(wide, shape.ClassBlock(16));

            // Rows of W a whole number of pages apart share one L1 set: at most 6 of them a pass (the narrow choice), with any registers.
            Assert.Equal(narrow, RuntimeShape.Of(3072, classes).ClassBlock(16));
            Assert.Equal(narrow, RuntimeShape.Of(1024, classes).ClassBlock(16));
            for (int q = ModelLimits.MinClasses; q <= 200; q++)
            {
                foreach (int largest in new[] { 5, 10 })
                {
                    int block = RuntimeShape.ClassBlockFor(q, largest);
                    Assert.True(block <= Math.Min(q, largest), $"{q} classes, at most {largest}: block {block}");
                    Assert.Contains(block, RuntimeShape.ClassBlocks.ToArray());
                }
            }
        }

        [SkippableTheory]
        [MemberData(nameof(VariantData))]
        public void The_background_warm_up_calls_every_kernel_and_the_engine_for_any_shape(KernelIsa isa)
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            foreach ((int inputs, int classes) in new[] { (784, 10), (3072, 100), (1, 2), (33, 7), (4096, 512) })
            {
                // 4096 x 512 is past the scratch limit: its gradient kernel and its engine (loss and predictions, whose
                // throwaway engine would copy its 2 M weights) are left to their first calls.
                var kernels = new RuntimeShapeKernels(RuntimeShape.Of(inputs, classes));
                Kernels.KernelWarmup<RuntimeShapeKernels>.Compile(kernels, isa);
                Kernels.KernelWarmup<RuntimeShapeKernels>.CompileForward(kernels, isa);
                Kernels.KernelWarmup<RuntimeShapeKernels>.CompileBackward(kernels, isa);
                int prediction = Kernels.KernelWarmup<RuntimeShapeKernels>.CompilePredictions(kernels, isa);
                float loss = Kernels.KernelWarmup<RuntimeShapeKernels>.CompileEngine(kernels, isa);
                if ((long)inputs * classes > Kernels.KernelWarmup<RuntimeShapeKernels>.MaxScratchWeights)
                {
                    Assert.True(float.IsNaN(loss));
                    Assert.Equal(-1, prediction);
                }
                else
                {
                    Assert.Equal(MathF.Log(classes), loss, 5); // every logit 0: the throwaway engine really ran a batch
                    Assert.Equal(0, prediction); // every logit 0: the first class
                }
            }

            // A generated model's kernel struct is private to it: reached by reflection (an exception surfaces wrapped).
            Type generated = typeof(Models.M17x10).GetNestedType("GenSoftmaxKernels", System.Reflection.BindingFlags.NonPublic)!;
            typeof(Kernels.KernelWarmup<>).MakeGenericType(generated)
                .GetMethod("Compile", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)!
                .Invoke(null, [Activator.CreateInstance(generated), isa]);
        }

        [Fact]
        public void The_background_warm_up_runs_the_trainers_loops_on_its_own_arrays()
        {
            // Halves made ones by the optimizer's multiply-add, then two slices at a quarter each summed: 0.5.
            Assert.Equal(0.5f, TrainingWarmup.Compile());
        }

        public static TheoryData<KernelIsa> VariantData() => new(Variants);

        /// <summary>Float results of two implementations within the kernel tolerance of each other.</summary>
        private static void AssertCloseTo(float[] expected, float[] actual, string what) =>
            AssertClose(expected.Select(v => (double)v).ToArray(), actual, what);

        [Fact]
        public void Generated_run_time_shaped_and_hypercomplex_models_describe_themselves_alike()
        {
            var generated = new Models.M17x10 { Isa = KernelIsa.Portable };
            var runtime = new RuntimeSoftmaxModel(17, 10) { Isa = KernelIsa.Portable };
            Assert.Equal("M17x10(17 inputs x 10 classes, Portable)", generated.ToString());
            Assert.Equal("RuntimeSoftmaxModel(17 inputs x 10 classes, Portable)", runtime.ToString());
            Assert.Equal($"FashionPhm2(784 inputs x 10 classes, {IsaSelection.Best}, n = 2)", new Hypercomplex.FashionPhm2().ToString());
            Assert.Equal(
                $"HypercomplexSoftmaxModel(784 inputs x 10 classes, {IsaSelection.Best}, n = 2)",
                new GenSoftmax.Hypercomplex.HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(784, 10), 2).ToString());
        }
    }
}
