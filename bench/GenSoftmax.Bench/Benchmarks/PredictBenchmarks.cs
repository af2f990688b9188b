using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Question 2: how many images per second does each contender classify? The 10,000 test images with the
    /// weights after one epoch, as floats in 0..1 (and, for the generated kernels, as bytes 0..255), predictions into
    /// a caller-owned int[10,000].
    /// </summary>
    [MemoryDiagnoser]
    public class PredictBenchmarks
    {
        private readonly int[] _predictions = new int[BenchData.TestCount];
        private Contender _contender = null!;

        /// <summary>Which implementation runs.</summary>
        [ParamsSource(nameof(Contenders))]
        public string Contender { get; set; } = "";

        /// <summary>The contenders that run here.</summary>
        public static IEnumerable<string> Contenders => Bench.Contenders.Prediction();

        /// <summary>Loads the test set and the trained weights.</summary>
        [GlobalSetup]
        public void Setup()
        {
            _contender = Bench.Contenders.Create(Contender);
            _contender.Load(BenchData.TestX, BenchData.TestY);
            _contender.SetParameters(BenchData.TrainedWeights, BenchData.TrainedBias);
        }

        /// <summary>Releases native resources.</summary>
        [GlobalCleanup]
        public void Cleanup() => _contender.Dispose();

        /// <summary>Argmax class of each of the 10,000 test images.</summary>
        [Benchmark, Work(Flop.Predict, BenchData.TestCount)]
        public int Predict10k()
        {
            _contender.Predict(_predictions);
            return _predictions[^1];
        }

        /// <summary>The floats on every core (ParallelPrediction, Environment.ProcessorCount threads); generated kernels only.</summary>
        [Benchmark, Work(Flop.Predict, BenchData.TestCount), OnlyContenders("Gen-")]
        public int Predict10kAllCores()
        {
            ((GeneratedContender)_contender).Predict(_predictions, Environment.ProcessorCount);
            return _predictions[^1];
        }

        /// <summary>The bytes on every core (ParallelPrediction, Environment.ProcessorCount threads); generated kernels only.</summary>
        [Benchmark, Work(Flop.Predict, BenchData.TestCount), OnlyContenders("Gen-")]
        public int Predict10kBytesAllCores()
        {
            ((GeneratedContender)_contender).PredictBytes(BenchData.TestPixels, _predictions, Environment.ProcessorCount);
            return _predictions[^1];
        }

        /// <summary>The same images as bytes (scaled by 1/255 in the kernel); generated kernels only.</summary>
        [Benchmark, Work(Flop.Predict, BenchData.TestCount), OnlyContenders("Gen-")]
        public int Predict10kBytes()
        {
            ((GeneratedContender)_contender).PredictBytes(BenchData.TestPixels, _predictions);
            return _predictions[^1];
        }
    }
}
