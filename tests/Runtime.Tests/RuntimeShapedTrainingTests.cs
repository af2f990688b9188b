using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.RuntimeShapedTests;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests
{
    /// <summary>
    /// <see cref="RuntimeSoftmaxModel"/> as a model the rest of the library uses: its variant setting, reproducibility,
    /// no allocation per call, and training with <see cref="Trainer"/> to the accuracy of the generated model.
    /// </summary>
    public sealed class RuntimeShapedTrainingTests
    {
        public static TheoryData<string, KernelIsa> ReproducibleShapes()
        {
            var data = new TheoryData<string, KernelIsa>();
            foreach (string name in new[] { "17x10", "3x33", "20x100", "2x1024" })
            {
                foreach (KernelIsa isa in Variants)
                {
                    data.Add(name, isa);
                }
            }

            return data;
        }

        [Fact]
        public void A_new_model_starts_at_the_default_variant_and_takes_every_supported_one()
        {
            var model = new RuntimeSoftmaxModel(5, 3);
            Assert.Equal(IsaSelection.Default, model.Isa);
            Assert.Equal(new M3x3().Isa, model.Isa);
            foreach (KernelIsa isa in IsaSelection.Supported)
            {
                model.Isa = isa;
                Assert.Equal(isa, model.Isa);
            }
        }

        [Fact]
        public void An_unsupported_variant_is_refused_and_the_model_keeps_its_variant()
        {
            KernelIsa[] unsupported = Variants.Where(isa => !IsaSelection.IsSupported(isa)).ToArray();
            var model = new RuntimeSoftmaxModel(17, 10) { Isa = KernelIsa.Portable };
            foreach (KernelIsa isa in unsupported)
            {
                var e = Assert.Throws<PlatformNotSupportedException>(() => { model.Isa = isa; });
                Assert.Contains(isa.ToString(), e.Message);
                Assert.Equal(KernelIsa.Portable, model.Isa);
            }

            var bad = Assert.Throws<PlatformNotSupportedException>(() => { model.Isa = (KernelIsa)7; });
            Assert.Contains("7", bad.Message);
            Assert.Equal(KernelIsa.Portable, model.Isa);
        }

        [SkippableTheory]
        [MemberData(nameof(ReproducibleShapes))]
        public void A_variant_is_identical_run_to_run_and_differs_only_by_rounding_from_the_others(string name, KernelIsa isa)
        {
            float[] first = Execute(name, isa);
            float[] second = Execute(name, isa);
            int[] a = first.Select(BitConverter.SingleToInt32Bits).ToArray(), b = second.Select(BitConverter.SingleToInt32Bits).ToArray();
            int differs = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], -1);
            Assert.True(a.Length == b.Length && differs < 0, $"{name} {isa}: run 2 differs from run 1 at figure {differs}");
            Assert.Contains(first, v => v != 0f);

            float[] portable = Execute(name, KernelIsa.Portable);
            AssertClose(portable.Select(v => (double)v).ToArray(), first, $"{name} {isa} against Portable");
        }

        [SkippableTheory]
        [MemberData(nameof(VariantData), MemberType = typeof(RuntimeShapedTests))]
        public void No_operation_allocates(KernelIsa isa)
        {
            foreach (string name in new[] { "784x10", "3x3", "2x1024" })
            {
                RuntimeSoftmaxModel model = CreateRuntime(name, isa);
                var random = new Random(9);
                Randomize(model, random);
                const int n = 70;
                (byte[] pixels, float[] features) = Pixels(random, n * model.Inputs);
                int[] labels = Labels(random, n, model.Classes);
                float[] targets = Targets(random, n, model.Classes);
                int[] rows = Enumerable.Range(0, 40).Select(_ => random.Next(n)).ToArray();
                var logits = new float[n * model.Classes];
                var predictions = new int[n];
                var dW = new float[model.Weights.Length];
                var db = new float[model.Classes];
                var sgd = new Sgd(model, new SgdOptions { LearningRate = 0.1f, Momentum = 0.9f });

                void All()
                {
                    model.Forward(features, logits);
                    model.Probabilities(Batch.Of(pixels), logits);
                    model.Predict(Batch.Of(pixels), predictions);
                    model.Predict(Batch.Of(features).WithRows(rows), predictions.AsSpan(0, rows.Length));
                    model.Loss(Batch.Of(features).WithTargets(targets));
                    model.LossAndGradient(Batch.Of(pixels).WithLabels(labels).WithRows(rows), dW, db);
                    model.LossAndGradient(Batch.Of(features).WithTargets(targets).WithRows(rows), dW, db);
                    sgd.Step(Batch.Of(pixels).WithLabels(labels).WithRows(rows));
                }

                All(); // JIT, tiering and the optimizer's lazily allocated buffers
                All();

                // The runtime's own work can allocate on this thread now and then (a CI run saw 2,976 bytes in one window,
                // once in three runs, as tiered compilation promoted methods); an operation's allocation would be in every
                // window, so the least of three.
                long least = long.MaxValue;
                for (int window = 0; window < 3; window++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 5; i++)
                    {
                        All();
                    }

                    least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
                }

                Assert.Equal(0, least);
            }
        }

        [SkippableTheory]
        [InlineData(KernelIsa.Portable, 1)]
        [InlineData(KernelIsa.Avx2, 1)]
        [InlineData(KernelIsa.Avx2, 2)]
        [InlineData(KernelIsa.Avx512, 1)]
        [InlineData(KernelIsa.Avx512, 2)]
        public void Trains_with_Trainer_to_the_accuracy_of_the_generated_model(KernelIsa isa, int threads)
        {
            (LabeledData train, LabeledData test) = TrainerTests.Clusters(11, 1200, 600);
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 6, BatchSize = 32, Optimizer = new SgdOptions { LearningRate = 0.3f, Momentum = 0.5f }, Threads = threads };
            RuntimeSoftmaxModel model = CreateRuntime("17x10", isa);
            var generated = new M17x10 { Isa = isa };
            IReadOnlyList<EpochReport> reports = Fit(model, options, train, test);
            IReadOnlyList<EpochReport> generatedReports = Fit(generated, options, train, test);

            Assert.Equal(6, reports.Count);
            Assert.True(reports[^1].TrainLoss < reports[0].TrainLoss, "the training loss should fall");
            double accuracy = Trainer.Accuracy(model, test);
            double generatedAccuracy = Trainer.Accuracy(generated, test);
            Assert.True(generatedAccuracy >= 0.99, $"generated accuracy {generatedAccuracy}");
            Assert.True(Math.Abs(accuracy - generatedAccuracy) <= 0.002, $"run-time-shaped accuracy {accuracy}, generated {generatedAccuracy}");

            // Same seed, same shuffle, same steps: the two models differ only by float rounding along the way.
            for (int e = 0; e < reports.Count; e++)
            {
                Assert.True(
                    Math.Abs(reports[e].TrainLoss - generatedReports[e].TrainLoss) <= 1e-3 * Math.Max(1, generatedReports[e].TrainLoss),
                    $"epoch {e + 1}: train loss {reports[e].TrainLoss}, generated {generatedReports[e].TrainLoss}");
            }

            AssertClose(generated.Weights.ToArray().Select(v => (double)v).ToArray(), model.Weights, $"{isa} x{threads} weights after training");
        }

        [SkippableTheory]
        [MemberData(nameof(VariantData), MemberType = typeof(RuntimeShapedTests))]
        public void Trains_on_byte_images_like_the_generated_784x10_model(KernelIsa isa)
        {
            // Ten random 28 x 28 prototypes; each image is its class's prototype with a quarter of its pixels redrawn.
            var random = new Random(17);
            byte[][] prototypes = Enumerable.Range(0, 10).Select(_ => { var p = new byte[784]; random.NextBytes(p); return p; }).ToArray();
            (byte[] Pixels, int[] Labels) Make(int count)
            {
                var pixels = new byte[count * 784];
                var labels = new int[count];
                for (int i = 0; i < count; i++)
                {
                    labels[i] = random.Next(10);
                    prototypes[labels[i]].CopyTo(pixels, i * 784);
                    for (int k = 0; k < 196; k++)
                    {
                        pixels[(i * 784) + random.Next(784)] = (byte)random.Next(256);
                    }
                }

                return (pixels, labels);
            }

            (byte[] trainPixels, int[] trainLabels) = Make(2000);
            (byte[] testPixels, int[] testLabels) = Make(500);
            LabeledData train = LabeledData.FromImages(trainPixels, trainLabels, 28, 28);
            LabeledData test = LabeledData.FromImages(testPixels, testLabels, 28, 28);
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 2, BatchSize = 64, Optimizer = new SgdOptions { LearningRate = 0.05f } };

            RuntimeSoftmaxModel model = CreateRuntime("784x10", isa);
            var generated = new M784x10 { Isa = isa };
            Fit(model, options, train, test);
            Fit(generated, options, train, test);

            double accuracy = Trainer.Accuracy(model, test);
            double generatedAccuracy = Trainer.Accuracy(generated, test);
            Assert.True(generatedAccuracy >= 0.95, $"generated accuracy {generatedAccuracy}");
            Assert.True(Math.Abs(accuracy - generatedAccuracy) <= 0.004, $"run-time-shaped accuracy {accuracy}, generated {generatedAccuracy}");
            AssertClose(generated.Weights.ToArray().Select(v => (double)v).ToArray(), model.Weights, $"{isa} weights after training");
        }

        [Fact]
        public void A_training_run_resumes_bit_identically_from_saved_state()
        {
            (LabeledData train, _) = TrainerTests.Clusters(12, 600);
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 3, BatchSize = 40, Seed = 9, Optimizer = new SgdOptions { LearningRate = 0.1f, Momentum = 0.9f } };
            var uninterrupted = new RuntimeSoftmaxModel(17, 10);
            Fit(uninterrupted, options, train, null);

            var first = new RuntimeSoftmaxModel(17, 10);
            var trainer = new Trainer(first, options with { Epochs = 1 });
            trainer.Initialize();
            trainer.Fit(train);
            TrainingState state = trainer.SaveState();

            var resumed = new RuntimeSoftmaxModel(17, 10);
            first.Weights.CopyTo(resumed.Weights);
            first.Bias.CopyTo(resumed.Bias);
            var next = new Trainer(resumed, options);
            next.RestoreState(state);
            next.Fit(train);

            Assert.Equal(uninterrupted.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(uninterrupted.Bias.ToArray(), resumed.Bias.ToArray());
        }

        private static IReadOnlyList<EpochReport> Fit(ISoftmaxModel model, TrainerOptions options, LabeledData train, LabeledData? test)
        {
            var trainer = new Trainer(model, options);
            trainer.Initialize();
            return trainer.Fit(train, test);
        }

        /// <summary>A fresh model through every operation and three SGD steps; every figure it produced, in order.</summary>
        private static float[] Execute(string name, KernelIsa isa)
        {
            RuntimeSoftmaxModel model = CreateRuntime(name, isa);
            var random = new Random(21);
            Randomize(model, random);
            const int dataRows = 70;
            (byte[] pixels, float[] features) = Pixels(random, dataRows * model.Inputs);
            int[] labels = Labels(random, dataRows, model.Classes);
            float[] targets = Targets(random, dataRows, model.Classes);
            int[] rows = Enumerable.Range(0, 65).Select(_ => random.Next(dataRows)).ToArray();
            var results = new List<float>();

            var logits = new float[dataRows * model.Classes];
            model.Forward(features, logits);
            results.AddRange(logits);
            var probabilities = new float[rows.Length * model.Classes];
            model.Probabilities(Batch.Of(pixels).WithRows(rows), probabilities);
            results.AddRange(probabilities);
            var dW = new float[model.Weights.Length];
            var db = new float[model.Classes];
            BatchResult hard = model.LossAndGradient(Batch.Of(pixels).WithLabels(labels).WithRows(rows), dW, db);
            results.Add(hard.Loss);
            results.AddRange(dW);
            results.AddRange(db);
            BatchResult soft = model.LossAndGradient(Batch.Of(features).WithTargets(targets), dW, db);
            results.Add(soft.Loss);
            results.AddRange(dW);
            results.AddRange(db);
            var sgd = new Sgd(model, new SgdOptions { LearningRate = 0.3f, Momentum = 0.9f, WeightDecay = 1e-3f });
            for (int i = 0; i < 3; i++)
            {
                results.Add(sgd.Step(Batch.Of(pixels).WithLabels(labels).WithRows(rows)).Loss);
            }

            results.AddRange(model.Weights.ToArray());
            results.AddRange(model.Bias.ToArray());
            return results.ToArray();
        }
    }
}
