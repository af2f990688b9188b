using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using GenSoftmax.Training;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Question 3: what does the data-parallel trainer gain from more threads? One epoch of
    /// <see cref="Trainer.Fit"/> with <see cref="TrainerOptions.Threads"/> = 1 and 2 (each batch split in two,
    /// gradients combined in thread order), without validation. <see cref="Trainer.Fit"/> trains until
    /// <see cref="TrainerOptions.Epochs"/> are complete, so each call makes a new trainer for one epoch: like a call of
    /// the former <c>Trainer.Train</c>, it also initialises the weights, shuffles and starts its workers, the cost a
    /// user of the trainer pays. The images come as bytes (the demo's default: 47 MB an epoch) or as float features
    /// (188 MB).
    /// </summary>
    [MemoryDiagnoser]
    public class ThreadScalingBenchmarks
    {
        private readonly FashionModel _model = new();
        private LabeledData _train = null!;
        private TrainerOptions _options = null!;

        /// <summary>Trainer threads.</summary>
        [ParamsSource(nameof(ThreadCounts))]
        public int Threads { get; set; }

        /// <summary>How the training images are held: uint8 pixels or float32 features.</summary>
        [Params("uint8", "float32")]
        public string Input { get; set; } = "uint8";

        /// <summary>1, 2 and every core of this machine.</summary>
        public static IEnumerable<int> ThreadCounts => new[] { 1, 2, System.Environment.ProcessorCount }.Distinct().Order();

        /// <summary>Wraps the training set and fixes the options: one epoch, batch 256, SGD with learning rate 0.1.</summary>
        [GlobalSetup]
        public void Setup()
        {
            _train = Input == "uint8"
                ? LabeledData.FromPixels(BenchData.TrainPixels, BenchData.TrainY, BenchData.Inputs)
                : LabeledData.FromFeatures(BenchData.TrainX, BenchData.TrainY, BenchData.Inputs);
            _options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Epochs = 1,
                Threads = Threads,
                BatchSize = BenchData.BatchSize,
                Seed = BenchData.Seed,
                Optimizer = new SgdOptions { LearningRate = BenchData.LearningRate },
            };
        }

        /// <summary>One epoch of a fresh trainer from freshly initialised weights.</summary>
        [Benchmark, Work(Flop.Epoch, BenchData.TrainCount)]
        public double Epoch()
        {
            var trainer = new Trainer(_model, _options);
            trainer.Initialize();
            return trainer.Fit(_train)[0].TrainLoss;
        }
    }
}
