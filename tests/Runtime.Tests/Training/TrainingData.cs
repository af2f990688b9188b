using System;
using System.Linq;
using GenSoftmax.Reference;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>Helpers shared by the training-option tests: the trainer's row order, replayed for the reference.</summary>
    internal static class TrainingData
    {
        /// <summary>The rows of each epoch as <see cref="Trainer"/> orders them: the identity shuffled once more every epoch.</summary>
        public static int[][] EpochOrders(int seed, int count, int epochs)
        {
            int[] order = Enumerable.Range(0, count).ToArray();
            var shuffle = new Random(unchecked((seed * 7919) + 1));
            var orders = new int[epochs][];
            for (int e = 0; e < epochs; e++)
            {
                shuffle.Shuffle(order);
                orders[e] = order.ToArray();
            }

            return orders;
        }

        /// <summary>The rows of batch <paramref name="b"/> of an epoch's order.</summary>
        public static int[] BatchRows(int[] order, int batchSize, int b) => order.Skip(b * batchSize).Take(batchSize).ToArray();

        /// <summary>Every parameter of <paramref name="model"/> is finite.</summary>
        public static void AssertFinite(ISoftmaxModel model)
        {
            Assert.All(model.Weights.ToArray(), w => Assert.True(float.IsFinite(w), $"weight {w}"));
            Assert.All(model.Bias.ToArray(), b => Assert.True(float.IsFinite(b), $"bias {b}"));
        }

        /// <summary>One-hot rows [labels.Length, classes] mixed with the uniform distribution: (1 - ε) onehot + ε / q, in float.</summary>
        public static float[] Smoothed(int[] labels, int classes, float epsilon)
        {
            var t = new float[labels.Length * classes];
            for (int r = 0; r < labels.Length; r++)
            {
                for (int c = 0; c < classes; c++)
                {
                    t[(r * classes) + c] = ((c == labels[r] ? 1f : 0f) * (1f - epsilon)) + (epsilon / classes);
                }
            }

            return t;
        }

        /// <summary>Runs plain SGD on the reference over the trainer's batches for <paramref name="epochs"/> epochs, with targets.</summary>
        public static void ReferenceEpochs(
            SoftmaxReference reference, float[] x, float[] targets, int seed, int batchSize, int epochs, float learningRate)
        {
            int d = reference.Inputs, q = reference.Classes, n = x.Length / d;
            var sgd = new ReferenceSgd(reference, new SgdOptions { LearningRate = learningRate });
            foreach (int[] order in EpochOrders(seed, n, epochs))
            {
                for (int b = 0; b * batchSize < n; b++)
                {
                    int[] rows = BatchRows(order, batchSize, b);
                    sgd.Step(TestModels.Gather(x, d, rows), TestModels.Gather(targets, q, rows));
                }
            }
        }
    }
}
