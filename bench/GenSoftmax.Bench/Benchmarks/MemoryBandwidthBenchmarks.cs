using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
    /// The trainer reads its rows in a fresh shuffled order every epoch: the <c>Shuffled</c> rows read the training set's
    /// rows (as floats and as pixels) in one shuffled order, each row fetched four
    /// rows ahead as the kernels fetch theirs: the floor a shuffled epoch's logits pass reads against.
    /// </summary>
    public class MemoryBandwidthBenchmarks
    {
        private const int TrainCount = BenchData.TrainCount * BenchData.Inputs;
        private const int TestCount = BenchData.TestCount * BenchData.Inputs;
        private const double TrainBytes = TrainCount * (double)sizeof(float);
        private const double TestBytes = TestCount * (double)sizeof(float);

        private const int AheadRows = 4;

        private float[] _train = null!;
        private float[] _test = null!;
        private byte[] _pixels = null!;
        private int[] _order = null!;

        /// <summary>Fresh arrays (not <see cref="BenchData"/>'s, so no other benchmark's pages are warm).</summary>
        [GlobalSetup]
        public void Setup()
        {
            _train = GC.AllocateUninitializedArray<float>(TrainCount);
            BenchData.TrainX.AsSpan().CopyTo(_train);
            _test = GC.AllocateUninitializedArray<float>(TestCount);
            BenchData.TestX.AsSpan().CopyTo(_test);
            _pixels = BenchData.TrainPixels.AsSpan().ToArray();
            _order = new int[BenchData.TrainCount + AheadRows]; // the last rows fetch row 0 ahead, which costs nothing
            for (int i = 0; i < BenchData.TrainCount; i++)
            {
                _order[i] = i;
            }

            new Random(42).Shuffle(_order.AsSpan(0, BenchData.TrainCount));
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

        /// <summary>The training set's float rows in a shuffled order, one core.</summary>
        [Benchmark, Work(0, Bytes = TrainBytes)]
        public float ReadTrainFloatsShuffled() => SumRows(_train, _order, 0, BenchData.TrainCount);

        /// <summary>The same rows and order, the first half of the order on one core and the second on the other.</summary>
        [Benchmark, Work(0, Bytes = TrainBytes)]
        public float ReadTrainFloatsShuffledAllCores()
        {
            int parts = Environment.ProcessorCount;
            var sums = new float[parts];
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
            {
                int start = (int)((long)BenchData.TrainCount * p / parts);
                int end = (int)((long)BenchData.TrainCount * (p + 1) / parts);
                sums[p] = SumRows(_train, _order, start, end);
            });
            return TensorPrimitives.Sum(sums);
        }

        /// <summary>The training set's byte rows (47 MB) in the same shuffled order, one core.</summary>
        [Benchmark, Work(0, Bytes = TrainBytes / sizeof(float))]
        public float ReadTrainBytesShuffled() => SumRows(_pixels, _order, 0, BenchData.TrainCount);

        /// <summary>
        /// The rows <paramref name="order"/>[start..end) of <paramref name="rows"/> read, every byte (64 bytes a load pair and
        /// two adds, in four chains), each row's lines prefetched <see cref="AheadRows"/> rows ahead. The sum is the reads'
        /// only use.
        /// </summary>
        private static unsafe float SumRows<T>(T[] rows, int[] order, int start, int end)
            where T : unmanaged
        {
            int rowBytes = BenchData.Inputs * sizeof(T);
            ref byte data = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetArrayDataReference(rows));
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int i = start; i < end; i++)
            {
                ref byte ahead = ref Unsafe.Add(ref data, (nint)order[i + AheadRows] * rowBytes);
                ref byte row = ref Unsafe.Add(ref data, (nint)order[i] * rowBytes);
                int k = 0;
                for (; k + 256 <= rowBytes; k += 256)
                {
                    // The lines ahead fetched as this row's are read (all of a row's at once made the reads slower).
                    Prefetch(ref Unsafe.Add(ref ahead, k));
                    Prefetch(ref Unsafe.Add(ref ahead, k + 64));
                    Prefetch(ref Unsafe.Add(ref ahead, k + 128));
                    Prefetch(ref Unsafe.Add(ref ahead, k + 192));
                    s0 += Line(ref Unsafe.Add(ref row, k));
                    s1 += Line(ref Unsafe.Add(ref row, k + 64));
                    s2 += Line(ref Unsafe.Add(ref row, k + 128));
                    s3 += Line(ref Unsafe.Add(ref row, k + 192));
                }

                for (; k < rowBytes; k += 64)
                {
                    // The row's last 64 bytes at most (overlapping what was read) end at its end.
                    Prefetch(ref Unsafe.Add(ref ahead, k));
                    s0 += Line(ref Unsafe.Add(ref row, Math.Min(k, rowBytes - 64)));
                }

                Prefetch(ref Unsafe.Add(ref ahead, rowBytes - 1)); // the row's last line, wherever it starts in a line
            }

            return Vector256.Sum((s0 + s1) + (s2 + s3));
        }

        /// <summary>64 bytes as two vectors, added.</summary>
        private static Vector256<float> Line(ref byte at) =>
            Vector256.LoadUnsafe(ref Unsafe.As<byte, float>(ref at)) + Vector256.LoadUnsafe(ref Unsafe.As<byte, float>(ref Unsafe.Add(ref at, 32)));

        private static unsafe void Prefetch(ref byte location)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref location));
            }
        }

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
