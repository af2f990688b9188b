using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace GenSoftmax
{
    /// <summary>Settings of minibatch SGD. The defaults are the textbook recipe: batch 256, learning rate 0.1, 10 epochs.</summary>
    public sealed record TrainerOptions
    {
        /// <summary>Rows per minibatch.</summary>
        public int BatchSize { get; init; } = 256;

        /// <summary>SGD learning rate.</summary>
        public float LearningRate { get; init; } = 0.1f;

        /// <summary>Passes over the training data.</summary>
        public int Epochs { get; init; } = 10;

        /// <summary>Seed of the weight initialisation and of every epoch's shuffle.</summary>
        public int Seed { get; init; } = 42;

        /// <summary>Standard deviation of the initial weights, drawn from N(0, std); the bias starts at 0.</summary>
        public float InitStdDev { get; init; } = 0.01f;

        /// <summary>
        /// Threads that share each minibatch (data parallelism): thread t takes the t-th slice of the batch, and
        /// the slices' gradients are summed in thread order, so a seed and thread count give bit-identical results.
        /// 1 uses the fused single-threaded train step. Defaults to 1.
        /// </summary>
        public int Threads { get; init; } = 1;

        internal void Validate()
        {
            if (BatchSize < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be at least 1, such as 256.");
            }

            if (Epochs < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Train for at least one epoch.");
            }

            if (!(LearningRate > 0f) || float.IsInfinity(LearningRate))
            {
                throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be a positive finite number, such as 0.1.");
            }

            if (Threads < 1 || Threads > 256)
            {
                throw new ArgumentOutOfRangeException(nameof(Threads), Threads, $"Threads must be between 1 and 256 (this machine has {Environment.ProcessorCount} cores).");
            }

            if (!(InitStdDev >= 0f) || float.IsInfinity(InitStdDev))
            {
                throw new ArgumentOutOfRangeException(nameof(InitStdDev), InitStdDev, "The initial standard deviation must be a finite number >= 0, such as 0.01.");
            }
        }
    }

    /// <summary>One epoch of training as the trainer reports it.</summary>
    /// <param name="Epoch">1-based epoch number.</param>
    /// <param name="TrainLoss">Mean cross-entropy over the epoch's batches, each measured before its update.</param>
    /// <param name="TrainAccuracy">Share of training rows classified right by the model as it was when their batch came.</param>
    /// <param name="TestAccuracy">Accuracy on the test data after the epoch, or NaN without test data.</param>
    /// <param name="Seconds">Wall time of the epoch's training steps (shuffle included, evaluation excluded).</param>
    public sealed record EpochReport(int Epoch, double TrainLoss, double TrainAccuracy, double TestAccuracy, double Seconds);

    /// <summary>Minibatch SGD for any generated model.</summary>
    public static class Trainer
    {
        /// <summary>Sets the weights to N(0, <paramref name="stdDev"/>) draws from <paramref name="seed"/> and the bias to 0.</summary>
        public static void Initialize(ISoftmaxModel model, int seed, float stdDev = 0.01f)
        {
            ArgumentNullException.ThrowIfNull(model);
            var random = new Random(seed);
            Span<float> w = model.Weights;
            for (int i = 0; i < w.Length; i++)
            {
                // Box-Muller; 1 - u keeps the log argument in (0, 1].
                double u1 = 1.0 - random.NextDouble();
                double u2 = random.NextDouble();
                w[i] = (float)(stdDev * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
            }

            model.Bias.Clear();
        }

        /// <summary>
        /// Initialises <paramref name="model"/> from the seed and trains it with minibatch SGD, reshuffling every epoch.
        /// Generic over the model type so each batch costs one call into the generated kernels.
        /// </summary>
        public static IReadOnlyList<EpochReport> Train<TModel>(
            TModel model, TrainData train, TrainData? test, TrainerOptions options, Action<EpochReport>? onEpoch = null)
            where TModel : class, ISoftmaxModel
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(train);
            ArgumentNullException.ThrowIfNull(options);
            options.Validate();
            CheckShape(model, train, nameof(train));
            if (test is not null)
            {
                CheckShape(model, test, nameof(test));
            }

            Initialize(model, options.Seed, options.InitStdDev);
            var shuffle = new Random(unchecked(options.Seed * 7919 + 1));
            int[] order = new int[train.Count];
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            int[]? predictions = test is null ? null : new int[test.Count];
            using DataParallelStep? parallel = options.Threads > 1 ? new DataParallelStep(model, train, options.Threads) : null;
            var reports = new List<EpochReport>(options.Epochs);
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                long start = Stopwatch.GetTimestamp();
                shuffle.Shuffle(order);
                double lossSum = 0;
                long correct = 0;
                for (int b = 0; b < order.Length; b += options.BatchSize)
                {
                    ReadOnlySpan<int> rows = order.AsSpan(b, Math.Min(options.BatchSize, order.Length - b));
                    BatchResult r = parallel is not null
                        ? parallel.Step(rows, options.LearningRate)
                        : train.Features is not null
                            ? model.TrainStep(train.Features, train.Labels, rows, options.LearningRate)
                            : model.TrainStep(train.Pixels!, train.Labels, rows, options.LearningRate);
                    lossSum += (double)r.Loss * r.Count;
                    correct += r.Correct;
                }

                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                double testAccuracy = test is null ? double.NaN : Accuracy(model, test, predictions!);
                var report = new EpochReport(epoch, lossSum / train.Count, (double)correct / train.Count, testAccuracy, seconds);
                reports.Add(report);
                onEpoch?.Invoke(report);
            }

            return reports;
        }

        /// <summary>Share of rows of <paramref name="data"/> whose predicted class is the label.</summary>
        public static double Accuracy<TModel>(TModel model, TrainData data)
            where TModel : class, ISoftmaxModel
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(data);
            CheckShape(model, data, nameof(data));
            return Accuracy(model, data, new int[data.Count]);
        }

        private static double Accuracy<TModel>(TModel model, TrainData data, int[] predictions)
            where TModel : class, ISoftmaxModel
        {
            if (data.Features is not null)
            {
                model.Predict(data.Features, predictions);
            }
            else
            {
                model.Predict(data.Pixels!, predictions);
            }

            int right = 0;
            for (int i = 0; i < predictions.Length; i++)
            {
                right += predictions[i] == data.Labels[i] ? 1 : 0;
            }

            return (double)right / data.Count;
        }

        private static void CheckShape(ISoftmaxModel model, TrainData data, string name)
        {
            if (data.Inputs != model.Inputs)
            {
                throw new ArgumentException(
                    $"The {name} data has {data.Inputs} inputs per row but the model takes {model.Inputs}: " +
                    $"declare the model with [SoftmaxModel(Inputs = {data.Inputs}, ...)] or reshape the data.", name);
            }

            if (data.Count == 0)
            {
                throw new ArgumentException($"The {name} data is empty.", name);
            }

            for (int i = 0; i < data.Labels.Length; i++)
            {
                if ((uint)data.Labels[i] >= (uint)model.Classes)
                {
                    throw new ArgumentException(
                        $"Label {data.Labels[i]} of {name} row {i} is not a class of the model, which has {model.Classes} (0..{model.Classes - 1}).", name);
                }
            }
        }
    }
}
