using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GenSoftmax.Tests.Models;
using Xunit;

namespace GenSoftmax.Tests.Speed
{
    /// <summary>
    /// Prediction on several threads: the same classes as one thread, bit for bit, for every variant, shape, input
    /// kind and row list; one model shared by many threads at once; and clear errors for bad arguments.
    /// </summary>
    public sealed class ParallelPredictionTests
    {
        public static TheoryData<string, KernelIsa> ModelsAndVariants()
        {
            var data = new TheoryData<string, KernelIsa>();
            foreach (string model in new[] { "784x10", "17x10", "20x100", "3x33", "runtime 784x10", "runtime 15x2" })
            {
                foreach (KernelIsa isa in IsaSelection.Supported)
                {
                    data.Add(model, isa);
                }
            }

            return data;
        }

        private static ISoftmaxModel Create(string name, KernelIsa isa, int seed)
        {
            ISoftmaxModel model = name switch
            {
                "784x10" => new M784x10(),
                "17x10" => new M17x10(),
                "20x100" => new M20x100(),
                "3x33" => new M3x33(),
                "runtime 784x10" => new RuntimeSoftmaxModel(784, 10),
                "runtime 15x2" => new RuntimeSoftmaxModel(15, 2),
                _ => throw new ArgumentOutOfRangeException(nameof(name)),
            };
            model.Isa = isa;
            var random = new Random(seed);
            foreach (ref float w in model.W)
            {
                w = (float)(random.NextDouble() - 0.5) * (model.Inputs < 100 ? 2f : 0.2f);
            }

            foreach (ref float b in model.B)
            {
                b = (float)(random.NextDouble() - 0.5);
            }

            return model;
        }

        private static (float[] Features, byte[] Pixels) Data(int rows, int inputs, int seed)
        {
            var random = new Random(seed);
            var pixels = new byte[rows * inputs];
            random.NextBytes(pixels);
            return (pixels.Select(p => p / 255f).ToArray(), pixels);
        }

        [Theory]
        [MemberData(nameof(ModelsAndVariants))]
        public void Matches_one_thread_bit_for_bit(string name, KernelIsa isa)
        {
            ISoftmaxModel model = Create(name, isa, seed: 1);
            const int n = 4099; // not a multiple of any block, so every range but the last is full and the last is short
            (float[] features, byte[] pixels) = Data(n, model.Inputs, seed: 2);
            int[] rows = Enumerable.Range(0, n).Select(i => (int)((i * 7919L) % n)).ToArray(); // a permutation

            foreach (bool usePixels in new[] { false, true })
            {
                foreach (bool useRows in new[] { false, true })
                {
                    Batch Batch() => (usePixels ? GenSoftmax.Batch.Of(pixels) : GenSoftmax.Batch.Of(features)) is var b && useRows ? b.WithRows(rows) : b;
                    var expected = new int[n];
                    model.Predict(Batch(), expected);
                    Assert.True(expected.Distinct().Count() > 1, "the weights give one class for every row, so the comparison would prove little");
                    foreach (int threads in new[] { 2, 3, 8, -1 })
                    {
                        var actual = new int[n];
                        model.Predict(Batch(), actual, threads);
                        if (!expected.AsSpan().SequenceEqual(actual))
                        {
                            Assert.Fail($"{name} {isa} pixels={usePixels} rows={useRows} threads={threads}: " +
                                $"first difference at row {Enumerable.Range(0, n).First(i => expected[i] != actual[i])}");
                        }
                    }
                }
            }
        }

        [Fact]
        public void Shorthands_for_features_and_pixels_match_the_batch_form()
        {
            ISoftmaxModel model = Create("784x10", IsaSelection.Best, seed: 3);
            (float[] features, byte[] pixels) = Data(3000, 784, seed: 4);
            var expected = new int[3000];
            var fromFeatures = new int[3000];
            var fromPixels = new int[3000];
            model.Predict(Batch.Of(features), expected);
            model.Predict(features, fromFeatures, 2);
            model.Predict(pixels, fromPixels, 2);
            Assert.Equal(expected, fromFeatures);
            Assert.Equal(expected, fromPixels); // pixels / 255f are the features exactly, and the kernels scale bytes the same way
        }

        [Fact]
        public async Task A_model_shared_by_many_threads_at_once_gives_every_thread_its_own_right_answers()
        {
            ISoftmaxModel model = Create("784x10", IsaSelection.Best, seed: 5);
            const int threads = 8;
            const int n = 2048;
            var inputs = new byte[threads][];
            var expected = new int[threads][];
            for (int t = 0; t < threads; t++)
            {
                (_, inputs[t]) = Data(n, 784, seed: 100 + t);
                expected[t] = new int[n];
                model.Predict(Batch.Of(inputs[t]), expected[t]);
            }

            // Every thread waits at the barrier, then predicts its own data 20 times, alternately on its own and split
            // over two more threads, while the others do the same on theirs.
            using var start = new Barrier(threads);
            var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
            Task[] tasks = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
            {
                var actual = new int[n];
                start.SignalAndWait();
                for (int round = 0; round < 20; round++)
                {
                    Array.Clear(actual);
                    if (round % 2 == 0)
                    {
                        model.Predict(Batch.Of(inputs[t]), actual);
                    }
                    else
                    {
                        model.Predict(Batch.Of(inputs[t]), actual, 2);
                    }

                    if (!actual.AsSpan().SequenceEqual(expected[t]))
                    {
                        failures.Add($"thread {t}, round {round}");
                    }
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Empty(failures);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(-2)]
        public void A_thread_count_of_zero_or_below_minus_one_is_rejected(int threads)
        {
            ISoftmaxModel model = new M784x10();
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(new float[784 * 2], new int[2], threads));
            Assert.Equal("degreeOfParallelism", e.ParamName);
            Assert.Contains("-1 for every core", e.Message);
        }

        [Fact]
        public void Bad_lengths_and_rows_fail_on_the_callers_thread_with_the_models_messages()
        {
            ISoftmaxModel model = new M784x10();
            var features = new float[784 * 3000];

            var e = Assert.Throws<ArgumentException>(() => model.Predict(features, new int[2999], 2));
            Assert.Equal("predictions", e.ParamName);
            Assert.Contains("2999 elements but must have 3000", e.Message);

            e = Assert.Throws<ArgumentException>(() => model.Predict(new float[784 * 3000 + 1], new int[3000], 2));
            Assert.Contains("not a whole number of rows of 784", e.Message);

            int[] rows = Enumerable.Range(0, 3000).ToArray();
            rows[2500] = 3000;
            var range = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(Batch.Of(features).WithRows(rows), new int[3000], 2));
            Assert.Equal("rows", range.ParamName);
            Assert.Contains("rows[2500] = 3000 is not a row of the data", range.Message);
        }

        [Fact]
        public void Small_batches_and_empty_batches_work_on_one_thread()
        {
            ISoftmaxModel model = Create("17x10", IsaSelection.Best, seed: 6);
            (float[] features, _) = Data(1000, 17, seed: 7);
            var expected = new int[1000];
            var actual = new int[1000];
            model.Predict(Batch.Of(features), expected);
            model.Predict(features, actual, 4);
            Assert.Equal(expected, actual);
            model.Predict(ReadOnlySpan<float>.Empty, Span<int>.Empty, 4);
        }
    }
}
