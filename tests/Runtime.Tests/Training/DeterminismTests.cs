using System;
using System.Linq;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>
    /// The same seed, kernel variant and thread count give bit-identical weights; other thread counts and variants sum in
    /// another order, so they differ by rounding only (the README's training section gives measured sizes on Fashion-MNIST).
    /// </summary>
    public sealed class DeterminismTests
    {
        private static float[] Run(KernelIsa isa, int threads, bool pixels)
        {
            var random = new Random(12);
            (byte[] p, float[] f) = TestModels.Pixels(random, 2000 * 784);
            int[] labels = TestModels.Labels(random, 2000, 10);
            // Labels that depend on the pixels, so there is something to learn.
            for (int r = 0; r < 2000; r++)
            {
                labels[r] = (p[r * 784] + p[(r * 784) + 1]) % 10;
            }

            LabeledData data = pixels ? LabeledData.FromPixels(p, labels, 784) : LabeledData.FromFeatures(f, labels, 784);
            ISoftmaxModel model = TestModels.Create("784x10", isa);
            var trainer = new Trainer(model, TrainerOptions.Fast with { Epochs = 3, Threads = threads });
            trainer.Initialize();
            trainer.Fit(data);
            return model.Weights.ToArray().Concat(model.Bias.ToArray()).ToArray();
        }

        [SkippableTheory]
        [InlineData(KernelIsa.Portable, 1, true)]
        [InlineData(KernelIsa.Avx2, 2, true)]
        [InlineData(KernelIsa.Avx2, 3, false)]
        [InlineData(KernelIsa.Avx512, 2, true)]
        public void Same_seed_variant_and_threads_give_bit_identical_weights(KernelIsa isa, int threads, bool pixels)
        {
            float[] first = Run(isa, threads, pixels);
            float[] second = Run(isa, threads, pixels);
            Assert.Equal(first, second);
        }

        [SkippableFact]
        public void Other_thread_counts_and_variants_differ_by_rounding_only()
        {
            float[] reference = Run(KernelIsa.Avx2, 1, true);
            foreach ((KernelIsa isa, int threads) in new[] { (KernelIsa.Avx2, 2), (KernelIsa.Portable, 1), (KernelIsa.Portable, 2) })
            {
                float[] other = Run(isa, threads, true);
                double scale = reference.Max(Math.Abs);
                double worst = reference.Zip(other, (a, b) => Math.Abs(a - b)).Max();
                Assert.True(worst < 1e-3 * scale, $"{isa} x {threads}: max |dW| {worst:G3} against max |W| {scale:G3}");
            }
        }

        [Theory]
        [InlineData(0, 0)]
        [InlineData(1, 1)]
        [InlineData(2, 2)]
        [InlineData(3, 1000)]
        [InlineData(4, 60000)]
        public void The_trainers_shuffle_draws_the_same_order_as_Random_Shuffle(int seed, int count)
        {
            int[] expected = Enumerable.Range(0, count).ToArray();
            int[] actual = Enumerable.Range(0, count).ToArray();
            var a = new Random(seed);
            var b = new Random(seed);
            for (int e = 0; e < 3; e++)
            {
                a.Shuffle(expected);
                Trainer.Shuffle(b, actual);
                Assert.Equal(expected, actual);
            }

            Assert.Equal(a.Next(), b.Next()); // the same number of draws
        }
    }
}
