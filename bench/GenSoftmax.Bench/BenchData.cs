using System;
using System.IO;
using GenSoftmax.Data;
using GenSoftmax.Training;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// The data and parameters every contender sees: Fashion-MNIST when it is installed (else random pixels of the
    /// same shape), the training rows shuffled once so that consecutive batches mix the classes, and the weights
    /// after one epoch of the generated trainer, so predictions and probabilities are not all alike.
    /// </summary>
    internal static class BenchData
    {
        public const int Inputs = 784;
        public const int Classes = 10;
        public const int TrainCount = 60_000;
        public const int TestCount = 10_000;
        public const int BatchSize = 256;
        public const float LearningRate = 0.1f;
        public const int Seed = 42;

        private static readonly Lazy<Loaded> s_loaded = new(Load);

        /// <summary>Where the data came from, for reports.</summary>
        public static string Source => s_loaded.Value.Source;

        /// <summary>Training images scaled to 0..1 in a fixed shuffled order, [TrainCount, Inputs].</summary>
        public static float[] TrainX => s_loaded.Value.TrainX;

        /// <summary>The same training images as raw pixels 0..255, same order, [TrainCount, Inputs]: a quarter of the bytes.</summary>
        public static byte[] TrainPixels => s_loaded.Value.TrainPixels;

        /// <summary>Training labels in the same order, [TrainCount].</summary>
        public static int[] TrainY => s_loaded.Value.TrainY;

        /// <summary>Test images scaled to 0..1, [TestCount, Inputs].</summary>
        public static float[] TestX => s_loaded.Value.TestX;

        /// <summary>The test images as raw pixels 0..255, [TestCount, Inputs].</summary>
        public static byte[] TestPixels => s_loaded.Value.TestPixels;

        /// <summary>Test labels, [TestCount].</summary>
        public static int[] TestY => s_loaded.Value.TestY;

        /// <summary>Weights [Classes, Inputs] as <see cref="Trainer.Initialize(ISoftmaxModel, int, float)"/> draws them from <see cref="Seed"/>.</summary>
        public static float[] InitialWeights => s_loaded.Value.InitialWeights;

        /// <summary>Weights [Classes, Inputs] after one epoch (batch 256, learning rate 0.1) of the generated trainer.</summary>
        public static float[] TrainedWeights => s_loaded.Value.TrainedWeights;

        /// <summary>Bias [Classes] after that epoch.</summary>
        public static float[] TrainedBias => s_loaded.Value.TrainedBias;

        /// <summary>The first batch of the shuffled training set, [BatchSize, Inputs]: every per-batch benchmark and check uses it.</summary>
        public static ReadOnlySpan<float> BatchX => TrainX.AsSpan(0, BatchSize * Inputs);

        /// <summary>Labels of <see cref="BatchX"/>.</summary>
        public static ReadOnlySpan<int> BatchY => TrainY.AsSpan(0, BatchSize);

        private static Loaded Load()
        {
            byte[] trainPixels, testPixels;
            int[] trainLabels, testLabels;
            string source;
            try
            {
                (LabeledData train, LabeledData test) = FashionMnist.Load();
                (trainPixels, trainLabels, testPixels, testLabels) = (train.Pixels!, train.Labels, test.Pixels!, test.Labels);
                source = $"Fashion-MNIST ({FashionMnist.Locate()})";
            }
            catch (DatasetNotFoundException)
            {
                // Same shape, random content: speed does not depend on the pixel values.
                var random = new Random(Seed);
                trainPixels = new byte[TrainCount * Inputs];
                testPixels = new byte[TestCount * Inputs];
                random.NextBytes(trainPixels);
                random.NextBytes(testPixels);
                trainLabels = RandomLabels(random, TrainCount);
                testLabels = RandomLabels(random, TestCount);
                source = "random pixels (Fashion-MNIST not found; set " + FashionMnist.EnvironmentVariable + " or install dataset-fashion-mnist)";
            }

            if (trainLabels.Length != TrainCount || testLabels.Length != TestCount)
            {
                throw new InvalidDataException($"Expected {TrainCount} training and {TestCount} test images, found {trainLabels.Length} and {testLabels.Length}.");
            }

            // One fixed permutation of the training rows, copied out, so an epoch is 235 contiguous batches for every contender.
            int[] order = new int[TrainCount];
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            new Random(Seed).Shuffle(order);
            byte[] shuffledPixels = new byte[TrainCount * Inputs];
            float[] trainX = new float[TrainCount * Inputs];
            int[] trainY = new int[TrainCount];
            for (int i = 0; i < TrainCount; i++)
            {
                trainPixels.AsSpan(order[i] * Inputs, Inputs).CopyTo(shuffledPixels.AsSpan(i * Inputs, Inputs));
                Scale(shuffledPixels.AsSpan(i * Inputs, Inputs), trainX.AsSpan(i * Inputs, Inputs));
                trainY[i] = trainLabels[order[i]];
            }

            float[] testX = new float[TestCount * Inputs];
            Scale(testPixels, testX);

            var model = new FashionModel();
            var trainer = new Trainer(model, new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Epochs = 1,
                Seed = Seed,
                BatchSize = BatchSize,
                Optimizer = new SgdOptions { LearningRate = LearningRate },
            });
            trainer.Initialize();
            float[] initial = model.Weights.ToArray();
            trainer.Fit(LabeledData.FromFeatures(trainX, trainY, Inputs));
            return new Loaded(source, trainX, shuffledPixels, trainY, testX, testPixels, testLabels, initial, model.Weights.ToArray(), model.Bias.ToArray());
        }

        private static void Scale(ReadOnlySpan<byte> pixels, Span<float> destination)
        {
            for (int i = 0; i < pixels.Length; i++)
            {
                // What the kernels' byte path computes: pixel x (1/255f).
                destination[i] = pixels[i] * (1f / 255f);
            }
        }

        private static int[] RandomLabels(Random random, int count)
        {
            int[] labels = new int[count];
            for (int i = 0; i < count; i++)
            {
                labels[i] = random.Next(Classes);
            }

            return labels;
        }

        private sealed record Loaded(
            string Source, float[] TrainX, byte[] TrainPixels, int[] TrainY, float[] TestX, byte[] TestPixels, int[] TestY,
            float[] InitialWeights, float[] TrainedWeights, float[] TrainedBias);
    }
}
