using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Question 1: how fast does each contender train? One SGD step on a batch of 256, and one epoch over the
    /// 60,000 training images (235 batches, the last of 96) from the same starting weights. The scalar reference
    /// runs the batch only: its epoch takes seconds and tells nothing new. <see cref="EpochBytes"/> runs the generated
    /// kernels on the same images as bytes (47 MB instead of 188 MB per epoch), through the row-index overload the
    /// trainer uses.
    /// </summary>
    [MemoryDiagnoser]
    public class TrainStepBenchmarks
    {
        private readonly int[] _rows = CreateRows();
        private Contender _contender = null!;

        /// <summary>Which implementation runs.</summary>
        [ParamsSource(nameof(Contenders))]
        public string Contender { get; set; } = "";

        /// <summary>The contenders that run here.</summary>
        public static IEnumerable<string> Contenders => Bench.Contenders.Training();

        /// <summary>Loads the data and sets the initial weights.</summary>
        [GlobalSetup]
        public void Setup()
        {
            _contender = Bench.Contenders.Create(Contender);
            _contender.Load(BenchData.TrainX, BenchData.TrainY);
            _contender.SetParameters(BenchData.InitialWeights, new float[BenchData.Classes]);
        }

        /// <summary>Releases native resources.</summary>
        [GlobalCleanup]
        public void Cleanup() => _contender.Dispose();

        /// <summary>One SGD step on the first 256 rows.</summary>
        [Benchmark, Work(Flop.Batch, BenchData.BatchSize)]
        public float Batch256() => _contender.TrainStep(0, BenchData.BatchSize, BenchData.LearningRate);

        /// <summary>One epoch: 235 SGD steps over all 60,000 rows.</summary>
        [Benchmark, Work(Flop.Epoch, BenchData.TrainCount), SkipContenders(Bench.Contenders.Reference)]
        public float Epoch() => _contender.Epoch(BenchData.TrainCount, BenchData.BatchSize, BenchData.LearningRate);

        /// <summary>One epoch on byte pixels (scaled by 1/255 in the kernel); generated kernels only.</summary>
        [Benchmark, Work(Flop.Epoch, BenchData.TrainCount), OnlyContenders("Gen-")]
        public float EpochBytes()
        {
            var generated = (GeneratedContender)_contender;
            float loss = 0;
            for (int start = 0; start < BenchData.TrainCount; start += BenchData.BatchSize)
            {
                int count = Math.Min(BenchData.BatchSize, BenchData.TrainCount - start);
                loss = generated.TrainStepBytes(BenchData.TrainPixels, BenchData.TrainY, _rows.AsSpan(start, count), BenchData.LearningRate);
            }

            return loss;
        }

        private static int[] CreateRows()
        {
            int[] rows = new int[BenchData.TrainCount];
            for (int i = 0; i < rows.Length; i++)
            {
                rows[i] = i;
            }

            return rows;
        }
    }
}
