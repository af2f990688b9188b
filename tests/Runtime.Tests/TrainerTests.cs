using System;
using System.Linq;
using GenSoftmax.Tests.Models;
using Xunit;

namespace GenSoftmax.Tests
{
    public sealed class TrainerTests
    {
        /// <summary>Ten Gaussian clusters in 17 dimensions, centres far apart: linearly separable with high probability.</summary>
        private static (TrainData Train, TrainData Test) Clusters(int seed)
        {
            var random = new Random(seed);
            float[][] centres = Enumerable.Range(0, 10).Select(_ => TestModels.Uniform(random, 17, -3f, 3f)).ToArray();
            TrainData Make(int count)
            {
                var x = new float[count * 17];
                var y = new int[count];
                for (int i = 0; i < count; i++)
                {
                    y[i] = random.Next(10);
                    for (int k = 0; k < 17; k++)
                    {
                        // Box-Muller noise with standard deviation 0.3.
                        double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                        x[(i * 17) + k] = centres[y[i]][k] + (float)(0.3 * g);
                    }
                }

                return TrainData.FromFeatures(x, y, 17);
            }

            return (Make(3000), Make(1000));
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void Learns_a_separable_problem(int threads)
        {
            (TrainData train, TrainData test) = Clusters(11);
            var model = new M17x10();
            var reports = Trainer.Train(model, train, test, new TrainerOptions { Epochs = 15, BatchSize = 32, LearningRate = 0.3f, Threads = threads });

            Assert.Equal(15, reports.Count);
            Assert.True(reports[^1].TrainLoss < reports[0].TrainLoss, "the training loss should fall");
            Assert.True(reports[^1].TestAccuracy >= 0.99, $"test accuracy {reports[^1].TestAccuracy}");
            Assert.True(Trainer.Accuracy(model, train) >= 0.99);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Same_seed_and_threads_give_bit_identical_weights(int threads)
        {
            (TrainData train, _) = Clusters(12);
            var options = new TrainerOptions { Epochs = 2, BatchSize = 50, Threads = threads, Seed = 5 };
            var a = new M17x10();
            var b = new M17x10();
            var ra = Trainer.Train(a, train, null, options);
            var rb = Trainer.Train(b, train, null, options);

            Assert.Equal(a.Weights.ToArray(), b.Weights.ToArray());
            Assert.Equal(a.Bias.ToArray(), b.Bias.ToArray());
            Assert.Equal(ra.Select(r => r.TrainLoss), rb.Select(r => r.TrainLoss));
            Assert.True(double.IsNaN(ra[0].TestAccuracy));
        }

        [Fact]
        public void Data_parallel_steps_follow_the_single_threaded_ones()
        {
            // Same batches, gradients combined in a different order: equal to float rounding, not bitwise.
            (TrainData train, _) = Clusters(13);
            var one = new M17x10();
            var two = new M17x10();
            Trainer.Train(one, train, null, new TrainerOptions { Epochs = 1, BatchSize = 64, Threads = 1 });
            Trainer.Train(two, train, null, new TrainerOptions { Epochs = 1, BatchSize = 64, Threads = 2 });
            float[] w1 = one.Weights.ToArray(), w2 = two.Weights.ToArray();
            for (int i = 0; i < w1.Length; i++)
            {
                Assert.True(Math.Abs(w1[i] - w2[i]) <= 1e-4f * (1 + Math.Abs(w1[i])), $"weight {i}: {w1[i]} vs {w2[i]}");
            }
        }

        [Fact]
        public void Threads_without_rows_are_left_out_of_the_update()
        {
            // Batches of one row on three threads: threads 1 and 2 get no rows, their stale gradients must not count,
            // and the one slice's share is 1, so every step is bitwise the single-threaded one.
            (TrainData train, _) = Clusters(15);
            var one = new M17x10();
            var three = new M17x10();
            var options = new TrainerOptions { Epochs = 1, BatchSize = 1, LearningRate = 0.05f };
            var r1 = Trainer.Train(one, train, null, options with { Threads = 1 });
            var r3 = Trainer.Train(three, train, null, options with { Threads = 3 });

            Assert.Equal(one.Weights.ToArray(), three.Weights.ToArray());
            Assert.Equal(one.Bias.ToArray(), three.Bias.ToArray());
            Assert.Equal(r1[0].TrainLoss, r3[0].TrainLoss);
        }

        [Fact]
        public void Initialisation_is_seeded_normal_with_zero_bias()
        {
            var model = new M784x10();
            model.Bias.Fill(1f);
            Trainer.Initialize(model, seed: 3, stdDev: 0.01f);
            float[] w = model.Weights.ToArray();
            double mean = w.Average(v => (double)v);
            double std = Math.Sqrt(w.Average(v => (v - mean) * (v - mean)));
            Assert.InRange(mean, -0.0005, 0.0005);
            Assert.InRange(std, 0.0095, 0.0105);
            Assert.All(model.Bias.ToArray(), b => Assert.Equal(0f, b));

            var again = new M784x10();
            Trainer.Initialize(again, seed: 3, stdDev: 0.01f);
            Assert.Equal(w, again.Weights.ToArray());
        }

        [Fact]
        public void Bad_options_and_data_get_clear_errors()
        {
            (TrainData train, _) = Clusters(14);
            var model = new M17x10();
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Train(model, train, null, new TrainerOptions { BatchSize = 0 }));
            Assert.Contains("batch size", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Train(model, train, null, new TrainerOptions { LearningRate = float.NaN }));
            Assert.Contains("learning rate", e.Message);

            var wrongShape = TrainData.FromFeatures(new float[16 * 3], new int[3], 16);
            var shape = Assert.Throws<ArgumentException>(() => Trainer.Train(model, wrongShape, null, new TrainerOptions()));
            Assert.Contains("16 inputs per row but the model takes 17", shape.Message);

            var badLabel = TrainData.FromFeatures(new float[17 * 2], new[] { 0, 10 }, 17);
            var label = Assert.Throws<ArgumentException>(() => Trainer.Train(model, badLabel, null, new TrainerOptions()));
            Assert.Contains("Label 10", label.Message);

            var mismatch = Assert.Throws<ArgumentException>(() => TrainData.FromFeatures(new float[17 * 2], new int[3], 17));
            Assert.Contains("3 labels", mismatch.Message);
        }

        [Fact]
        public void Kernels_reject_bad_arguments_before_touching_memory()
        {
            var model = new M17x10();
            float[] x = new float[17 * 4];
            var dW = new float[170];
            var db = new float[10];
            Assert.Contains("not a whole number of rows of 17", Assert.Throws<ArgumentException>(() => model.Forward(new float[18], new float[10])).Message);
            Assert.Contains("must have 40", Assert.Throws<ArgumentException>(() => model.Forward(x, new float[39])).Message);
            Assert.Contains("labels must be 0..9", Assert.Throws<ArgumentOutOfRangeException>(() => model.LossAndGradient(x, new[] { 0, 1, 12, 3 }, dW, db)).Message);
            Assert.Contains("is not a row of the data", Assert.Throws<ArgumentOutOfRangeException>(() => model.LossAndGradient(x, new[] { 0, 1, 2, 3 }, new[] { 4 }, dW, db)).Message);
            Assert.Contains("[10, 17]", Assert.Throws<ArgumentException>(() => model.LossAndGradient(x, new[] { 0, 1, 2, 3 }, new float[169], db)).Message);
            Assert.Contains("learning rate", Assert.Throws<ArgumentOutOfRangeException>(() => model.TrainStep(x, new[] { 0, 1, 2, 3 }, -1f)).Message);
            Assert.Throws<ArgumentException>(() => model.LossAndGradient(ReadOnlySpan<float>.Empty, ReadOnlySpan<int>.Empty, dW, db));
        }

        [Fact]
        public void Isa_selection_honours_a_lower_forced_variant_and_rejects_nonsense()
        {
            Assert.Equal(KernelIsa.Portable, IsaSelection.Choose("portable"));
            Assert.Equal(IsaSelection.Best, IsaSelection.Choose(null));
            Assert.True(IsaSelection.Choose("Avx512") <= IsaSelection.Best);
            var e = Assert.Throws<InvalidOperationException>(() => IsaSelection.Choose("sse9"));
            Assert.Contains("Portable, Avx2 or Avx512", e.Message);
            Assert.Contains(KernelIsa.Portable, IsaSelection.Supported);
        }
    }
}
