using System;
using System.Numerics.Tensors;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Question 0b: how fast can this machine stream the training set from memory? Sums the 188 MB of the training
    /// images as float features (<see cref="TensorPrimitives.Sum(ReadOnlySpan{float})"/>: one add per element read, far below
    /// the FMA peak) on one core and on every core, each core a contiguous part. An epoch from floats reads these bytes
    /// at least once, in the logits pass (the gradient pass re-reads each batch from L2), so their read time is a floor
    /// of the float epoch next to the FMA floor; the prediction benchmarks from floats compare with it the same way.
    /// </summary>
    public class MemoryBandwidthBenchmarks
    {
        private const int Count = BenchData.TrainCount * BenchData.Inputs;
        private const double Bytes = Count * (double)sizeof(float);

        private float[] _features = null!;

        /// <summary>A fresh 188 MB array (not <see cref="BenchData"/>'s, so no other benchmark's pages are warm).</summary>
        [GlobalSetup]
        public void Setup()
        {
            _features = GC.AllocateUninitializedArray<float>(Count);
            BenchData.TrainX.AsSpan().CopyTo(_features);
        }

        /// <summary>The whole array summed on one core.</summary>
        [Benchmark, Work(0, Bytes = Bytes)]
        public float ReadFloats() => TensorPrimitives.Sum(_features);

        /// <summary>The array in one contiguous part per core, summed in parallel.</summary>
        [Benchmark, Work(0, Bytes = Bytes)]
        public float ReadFloatsAllCores()
        {
            int parts = Environment.ProcessorCount;
            var sums = new float[parts];
            float[] features = _features;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
            {
                int start = (int)((long)Count * p / parts);
                int end = (int)((long)Count * (p + 1) / parts);
                sums[p] = TensorPrimitives.Sum(features.AsSpan(start, end - start));
            });
            return TensorPrimitives.Sum(sums);
        }
    }
}
