using System;
using System.Numerics.Tensors;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Question 0b: how fast can this machine stream the images from memory? Sums the training set (188 MB) and the test
    /// set (31.4 MB) as float features (<see cref="TensorPrimitives.Sum(ReadOnlySpan{float})"/>: one add per element read,
    /// far below the FMA peak) on one core and on every core, each core a contiguous part. An epoch from floats reads the
    /// training set at least once, in the logits pass (the gradient pass re-reads each batch from L2), so its read time is
    /// a floor of the float epoch beside the FMA floor; predicting the test set from floats reads the test set once, and
    /// compares with the test set's read time (which, repeated, an L3 of 32 MB partly holds, as it does for prediction).
    /// </summary>
    public class MemoryBandwidthBenchmarks
    {
        private const int TrainCount = BenchData.TrainCount * BenchData.Inputs;
        private const int TestCount = BenchData.TestCount * BenchData.Inputs;
        private const double TrainBytes = TrainCount * (double)sizeof(float);
        private const double TestBytes = TestCount * (double)sizeof(float);

        private float[] _train = null!;
        private float[] _test = null!;

        /// <summary>Fresh arrays (not <see cref="BenchData"/>'s, so no other benchmark's pages are warm).</summary>
        [GlobalSetup]
        public void Setup()
        {
            _train = GC.AllocateUninitializedArray<float>(TrainCount);
            BenchData.TrainX.AsSpan().CopyTo(_train);
            _test = GC.AllocateUninitializedArray<float>(TestCount);
            BenchData.TestX.AsSpan().CopyTo(_test);
        }

        /// <summary>The training set summed on one core.</summary>
        [Benchmark, Work(0, Bytes = TrainBytes)]
        public float ReadTrainFloats() => TensorPrimitives.Sum(_train);

        /// <summary>The training set in one contiguous part per core, summed in parallel.</summary>
        [Benchmark, Work(0, Bytes = TrainBytes)]
        public float ReadTrainFloatsAllCores() => SumOnAllCores(_train);

        /// <summary>The test set summed on one core.</summary>
        [Benchmark, Work(0, Bytes = TestBytes)]
        public float ReadTestFloats() => TensorPrimitives.Sum(_test);

        /// <summary>The test set in one contiguous part per core, summed in parallel.</summary>
        [Benchmark, Work(0, Bytes = TestBytes)]
        public float ReadTestFloatsAllCores() => SumOnAllCores(_test);

        private static float SumOnAllCores(float[] values)
        {
            int parts = Environment.ProcessorCount;
            var sums = new float[parts];
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
            {
                int start = (int)((long)values.Length * p / parts);
                int end = (int)((long)values.Length * (p + 1) / parts);
                sums[p] = TensorPrimitives.Sum(values.AsSpan(start, end - start));
            });
            return TensorPrimitives.Sum(sums);
        }
    }
}
