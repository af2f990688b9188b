using System;
using System.Diagnostics;
using System.Linq;
using GenSoftmax.Data;
using GenSoftmax.Training;
using Xunit;
using Xunit.Abstractions;

namespace GenSoftmax.Tests.Hypercomplex
{
    /// <summary>
    /// The hypercomplex layer on Fashion-MNIST (784 inputs, 10 classes, n = 2) beside the dense model, both with the
    /// textbook recipe (batch 256, SGD at 0.1, 10 epochs, seed 42, one thread), or with momentum, over the same batches: parameter count,
    /// test accuracy and epoch time go to the test output. Only the accuracy is asserted; times are reported, never checked.
    /// </summary>
    public sealed class HypercomplexFashionMnistTests
    {
        private const int Epochs = 10;
        private const int BatchSize = 256;
        private const int Seed = 42;

        private readonly ITestOutputHelper _output;

        public HypercomplexFashionMnistTests(ITestOutputHelper output) => _output = output;

        [Theory]
        [InlineData(0.1f, 0f)]   // the textbook recipe
        [InlineData(0.02f, 0.9f)] // with momentum
        public void Two_factors_train_on_Fashion_MNIST_with_half_the_parameters(float learningRate, float momentum)
        {
            // CI installs the data (apt-get install dataset-fashion-mnist); without it this test fails, saying so.
            (LabeledData train, LabeledData test) = FashionMnist.Load();

            var dense = new FashionDense();
            Trainer.Initialize(dense, Seed);
            var options = new SgdOptions { LearningRate = learningRate, Momentum = momentum };
            var denseSgd = new Sgd(dense, options);
            var phm = new FashionPhm2();
            Trainer.Initialize(phm, Seed);
            var phmSgd = new Sgd(phm, options);

            // Epochs alternate between the models, so a busy spell on the machine slows both rather than one.
            var denseRun = new Run(train);
            var phmRun = new Run(train);
            for (int e = 0; e < Epochs; e++)
            {
                denseRun.Epoch((in Batch b) => denseSgd.Step(b));
                phmRun.Epoch((in Batch b) => phmSgd.Step(b));
            }

            double denseAccuracy = Trainer.Accuracy(dense, test);
            double phmAccuracy = Trainer.Accuracy(phm, test);
            _output.WriteLine($"Fashion-MNIST (bytes), {Epochs} epochs, batch {BatchSize}, SGD {learningRate} momentum {momentum}, seed {Seed}, 1 thread, {IsaSelection.Default} kernels:");
            _output.WriteLine($"  dense     {dense.Weights.Length + dense.Classes,5} parameters, test accuracy {denseAccuracy:F4}, epoch {denseRun.Timing}");
            _output.WriteLine($"  PHM n=2   {phm.Layout.ParameterCount,5} parameters, test accuracy {phmAccuracy:F4}, epoch {phmRun.Timing}");
            _output.WriteLine($"  training loss by epoch, dense: {string.Join(", ", denseRun.Losses.Select(l => l.ToString("F4")))}");
            _output.WriteLine($"  training loss by epoch, PHM:   {string.Join(", ", phmRun.Losses.Select(l => l.ToString("F4")))}");

            Assert.Equal(7850, dense.Weights.Length + dense.Classes);
            Assert.Equal(2 * 2 * 2 + (5 * 392 * 2) + 10, phm.Layout.ParameterCount);
            Assert.True(phmAccuracy >= 0.80, $"PHM n = 2 reached {phmAccuracy:F4}, below 0.80 (dense: {denseAccuracy:F4})");
            Assert.True(denseAccuracy >= 0.80, $"dense reached {denseAccuracy:F4}");
            Assert.True(phmRun.Losses[^1] < phmRun.Losses[0], "the PHM training loss did not fall");
        }

        internal delegate BatchResult StepFunction(in Batch batch);

        /// <summary>
        /// The trainer's epoch loop: epoch e visits the rows in the identity shuffled e times by
        /// new Random(seed * 7919 + 1), as <see cref="Trainer"/> does, so every model sees the same batches.
        /// </summary>
        internal sealed class Run
        {
            private readonly LabeledData _train;
            private readonly int[] _order;
            private readonly Random _shuffle = new(unchecked((Seed * 7919) + 1));

            public Run(LabeledData train)
            {
                _train = train;
                _order = Enumerable.Range(0, train.Count).ToArray();
            }

            public System.Collections.Generic.List<double> Seconds { get; } = new();

            public System.Collections.Generic.List<double> Losses { get; } = new();

            public string Timing => $"fastest {Seconds.Min() * 1000:F0} ms, median {Median(Seconds.ToArray()) * 1000:F0} ms";

            public void Epoch(StepFunction step)
            {
                long start = Stopwatch.GetTimestamp();
                _shuffle.Shuffle(_order);
                double sum = 0;
                for (int first = 0; first < _train.Count; first += BatchSize)
                {
                    BatchResult r = step(_train.Rows(_order.AsSpan(first, Math.Min(BatchSize, _train.Count - first))));
                    sum += (double)r.Loss * r.Count;
                }

                Seconds.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                Losses.Add(sum / _train.Count);
            }
        }

        private static double Median(double[] values)
        {
            double[] sorted = values.OrderBy(v => v).ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }
}
