using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Numerics.Tensors;
using System.Threading;
using System.Threading.Tasks;

namespace GenSoftmax.App
{
    /// <summary>
    /// <c>train --hypercomplex N</c>: trains a declared PHM model (<see cref="CompactFashionClassifier"/>) with
    /// <see cref="HypercomplexSgd"/>, and then the dense model with <see cref="Sgd"/> over the same batches, rates and
    /// threads in the same process, so the summary can put parameters, accuracy and epoch time side by side.
    /// </summary>
    /// <remarks>
    /// The dense <see cref="Trainer"/> would train the materialised W as a dense matrix, so both models run this loop:
    /// epoch e visits the rows in the identity shuffled e times by <c>new Random(seed * 7919 + 1)</c> (the trainer's
    /// order), each batch's learning rate comes from the options' schedule, and each batch is split into one contiguous
    /// slice per thread whose gradients (with respect to W) are combined in thread order, weighted by slice size, then
    /// handed to the optimizer's <c>Update(dW, db)</c> (which projects them onto A and S for the PHM model).
    /// </remarks>
    internal static class HypercomplexRun
    {
        /// <summary>The n with a declared model (784 x 10 admits only n = 2: n must divide both sizes).</summary>
        public static IReadOnlyList<int> Declared { get; } = new[] { 2 };

        /// <summary>
        /// The fast recipe's learning rate for the PHM model: at the recipe's 0.4 it diverges in the first epoch
        /// (measured on Fashion-MNIST, seed 42); 0.2 trains (0.1 and 0.05 reach about the same accuracy).
        /// </summary>
        public const float FastLearningRate = 0.2f;

        /// <summary>A new model for <paramref name="n"/>, or an error naming the declared ones.</summary>
        public static IHypercomplexModel Create(int n) => n switch
        {
            2 => new CompactFashionClassifier(),
            _ => throw new AppError(
                $"--hypercomplex {n.ToString(CultureInfo.InvariantCulture)} has no declared model: use {string.Join(" or ", Declared)} " +
                "(for 784 inputs and 10 classes n must divide both, so 2 is the only one; see the README's \"Hypercomplex layer\")."),
        };

        /// <summary>Trains <paramref name="model"/> from <paramref name="options"/>; <paramref name="update"/> applies (dW, db) at the given rate.</summary>
        /// <returns>The epochs' reports (<see cref="EpochReport.ValidationAccuracy"/> on <paramref name="perEpoch"/>).</returns>
        /// <exception cref="TrainingDivergedException">A batch's loss, or the weights after it, were not finite.</exception>
        public static List<EpochReport> Fit(
            ISoftmaxModel model, Action<float, float[], float[]> update, TrainerOptions options, LabeledData train, LabeledData? perEpoch,
            IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
        {
            int threads = Math.Max(1, Math.Min(options.Threads, options.BatchSize));
            int weights = model.Weights.Length, classes = model.Classes;
            var dW = new float[threads][];
            var db = new float[threads][];
            for (int t = 0; t < threads; t++)
            {
                dW[t] = new float[weights];
                db[t] = new float[classes];
            }

            var gW = new float[weights];
            var gb = new float[classes];
            var results = new BatchResult[threads];
            int[] order = Enumerable.Range(0, train.Count).ToArray();
            var shuffle = new Random(unchecked((options.Seed * 7919) + 1));
            int batchSize = options.BatchSize;
            int batches = (train.Count + batchSize - 1) / batchSize;
            var reports = new List<EpochReport>();
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                long start = Stopwatch.GetTimestamp();
                shuffle.Shuffle(order);
                double lossSum = 0;
                long correct = 0;
                float rate = options.Optimizer.LearningRate;
                for (int b = 0; b < batches; b++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    rate = options.Schedule.RateAt(options.Optimizer.LearningRate, epoch, b, batches, options.Epochs);
                    int first = b * batchSize;
                    int count = Math.Min(batchSize, train.Count - first);
                    int used = Math.Min(threads, count);
                    if (used == 1)
                    {
                        results[0] = model.LossAndGradient(train.Rows(order.AsSpan(first, count)), dW[0], db[0]);
                    }
                    else
                    {
                        Parallel.For(0, used, new ParallelOptions { MaxDegreeOfParallelism = used }, t =>
                        {
                            (int from, int length) = Slice(count, used, t);
                            results[t] = model.LossAndGradient(train.Rows(order.AsSpan(first + from, length)), dW[t], db[t]);
                        });
                    }

                    // Each slice's gradient is its mean: weight it by its share of the batch, in thread order.
                    Array.Clear(gW);
                    Array.Clear(gb);
                    BatchResult total = default;
                    double loss = 0;
                    for (int t = 0; t < used; t++)
                    {
                        float share = (float)results[t].Count / count;
                        TensorPrimitives.MultiplyAdd(dW[t], share, gW, gW);
                        TensorPrimitives.MultiplyAdd(db[t], share, gb, gb);
                        loss += (double)results[t].Loss * results[t].Count;
                        total = new BatchResult(0, total.Correct + results[t].Correct, total.Count + results[t].Count);
                    }

                    var r = new BatchResult((float)(loss / count), total.Correct, count);
                    if (!float.IsFinite(r.Loss))
                    {
                        throw new TrainingDivergedException(epoch, b + 1, batches, $"the batch's loss is {r.Loss.ToString(CultureInfo.InvariantCulture)}", rate);
                    }

                    update(rate, gW, gb);
                    if (!float.IsFinite(TensorPrimitives.MaxMagnitude(model.Weights)) || !float.IsFinite(TensorPrimitives.MaxMagnitude(model.Bias)))
                    {
                        throw new TrainingDivergedException(epoch, b + 1, batches, "the weights after its update are not all finite", rate);
                    }

                    lossSum += (double)r.Loss * r.Count;
                    correct += r.Correct;
                    progress?.Report(new TrainingProgress(epoch, b + 1, batches, r, Stopwatch.GetElapsedTime(start), null));
                }

                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                BatchResult v = perEpoch is null ? default : model.Loss(perEpoch.All());
                var report = new EpochReport(
                    epoch, lossSum / train.Count, (double)correct / train.Count,
                    perEpoch is null ? double.NaN : v.Loss, perEpoch is null ? double.NaN : (double)v.Correct / v.Count, seconds)
                {
                    LearningRate = rate,
                };
                reports.Add(report);
                progress?.Report(new TrainingProgress(epoch, batches, batches, default, TimeSpan.FromSeconds(seconds), report));
            }

            return reports;
        }

        private static (int From, int Length) Slice(int count, int threads, int t)
        {
            int from = (int)((long)count * t / threads);
            int to = (int)((long)count * (t + 1) / threads);
            return (from, to - from);
        }
    }
}
