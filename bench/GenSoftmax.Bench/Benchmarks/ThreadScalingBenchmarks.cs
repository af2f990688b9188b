using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Question 3: what does the data-parallel trainer gain from more threads? One epoch of
    /// <see cref="Trainer.Train{TModel}"/> with <see cref="TrainerOptions.Threads"/> = 1 (the fused single-threaded
    /// step) and 2 (each batch split in two, gradients summed in thread order). Each call also initialises the
    /// weights, reshuffles and, with threads, starts its workers: the cost a user of the trainer pays. The images
    /// come as bytes (the demo's default: 47 MB an epoch) or as float features (188 MB).
    /// </summary>
    [MemoryDiagnoser]
    public class ThreadScalingBenchmarks
    {
        private readonly FashionModel _model = new();
        private TrainData _train = null!;

        /// <summary>Trainer threads.</summary>
        [ParamsSource(nameof(ThreadCounts))]
        public int Threads { get; set; }

        /// <summary>How the training images are held: uint8 pixels or float32 features.</summary>
        [Params("uint8", "float32")]
        public string Input { get; set; } = "uint8";

        /// <summary>1, 2 and every core of this machine.</summary>
        public static IEnumerable<int> ThreadCounts => new[] { 1, 2, System.Environment.ProcessorCount }.Distinct().Order();

        /// <summary>Wraps the training set.</summary>
        [GlobalSetup]
        public void Setup() => _train = Input == "uint8"
            ? TrainData.FromPixels(BenchData.TrainPixels, BenchData.TrainY, BenchData.Inputs)
            : TrainData.FromFeatures(BenchData.TrainX, BenchData.TrainY, BenchData.Inputs);

        /// <summary>One epoch of the trainer.</summary>
        [Benchmark, Work(Flop.Epoch, BenchData.TrainCount)]
        public double Epoch() => Trainer.Train(_model, _train, null, new TrainerOptions { Epochs = 1, Threads = Threads })[0].TrainLoss;
    }
}
