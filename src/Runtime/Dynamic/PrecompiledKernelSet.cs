using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Threading;

namespace GenSoftmax.Dynamic
{
    /// <summary>
    /// A variant's run-time-shaped kernels: those of its kernel assembly (src/KernelImages), whose ReadyToRun image holds
    /// them precompiled for the variant's instruction sets, for a fresh process's first calls; this library's own copy,
    /// compiled fully optimised, for the rest. Per kernel and class block:
    /// <list type="bullet">
    /// <item>The first call runs the image's copy. If that call compiled something on the calling thread
    /// (<see cref="JitInfo.GetCompiledMethodCount"/>) and the kernel assembly is the image's build, the image's code was
    /// rejected (ReadyToRun code off, a runtime whose inlined code differs from the one the image was made for, a CPU that
    /// rejects the image) and the JIT compiled it for tier 0: every later call runs this library's copy.</item>
    /// <item>Otherwise the image's copy runs until this library's copy, compiled on a thread-pool thread from
    /// <see cref="Handover"/> after the first call, is ready. The image's code is 1-3% slower, and the runtime would
    /// recompile it once it is hot, with TieredPGO's instrumentation first: epochs several times slower until the final
    /// recompile (bench/results/2026-12-06-kernel-images).</item>
    /// </list>
    /// An IL build of the kernel assembly (other platforms) keeps its kernels: they are compiled fully optimised too.
    /// </summary>
    internal sealed class PrecompiledKernelSet : RuntimeKernelSet
    {
        /// <summary>How long after a kernel's first call this library's copy starts compiling: past a first Fashion-MNIST
        /// epoch on one CPU, and well before the runtime counts calls to recompile hot precompiled code (100 ms after the
        /// process last compiled a method at tier 0).</summary>
        public static readonly TimeSpan Handover = TimeSpan.FromMilliseconds(20);

        private enum Kernel
        {
            LogitsF32,
            LogitsU8,
            GradientF32,
            GradientU8,
            Softmax,
            LossRows,
        }

        /// <summary>A kernel's decisions by class block: the block's size is its slot (the row kernels use slot 0).</summary>
        private static readonly int Slots = RuntimeShape.ClassBlocks[^1] + 1;

        private readonly RuntimeKernelSet _image, _compiled;
        private readonly int _lanes;
        private readonly Func<bool> _precompiled;
        private readonly Func<long> _compiledMethods;
        private readonly long _handoverTicks;

        // Made at a kernel's first call for a class block, so that creating the variant table (every process) costs nothing.
        private readonly KernelCopy?[] _copies;

        /// <summary>The kernels of <paramref name="image"/> for a process's first calls, else <paramref name="compiled"/>.</summary>
        /// <param name="image">The kernel assembly's kernels (<see cref="Avx512ImageKernels"/>,
        /// <see cref="Avx2ImageKernels"/>).</param>
        /// <param name="compiled">This library's copy of the same kernels.</param>
        /// <param name="lanes">Floats per vector of the variant (which class block a shape's kernels take).</param>
        /// <param name="precompiled">Whether the kernel assembly is its image's build (read at the first call, so that the
        /// assembly is loaded only where its kernels run).</param>
        /// <param name="compiledMethods">Methods the calling thread has compiled so far; by default
        /// <see cref="JitInfo.GetCompiledMethodCount"/> (tests pass their own).</param>
        /// <param name="handover">When this library's copy starts compiling after a first call; by default
        /// <see cref="Handover"/>, <see cref="Timeout.InfiniteTimeSpan"/> for never (tests); never under native AOT.</param>
        public PrecompiledKernelSet(
            RuntimeKernelSet image, RuntimeKernelSet compiled, int lanes, Func<bool> precompiled,
            Func<long>? compiledMethods = null, TimeSpan? handover = null)
        {
            (_image, _compiled, _lanes, _precompiled) = (image, compiled, lanes, precompiled);
            _compiledMethods = compiledMethods ?? (static () => JitInfo.GetCompiledMethodCount(currentThread: true));
            // Native AOT compiled both copies ahead alike: nothing to hand over.
            TimeSpan after = RuntimeFeature.IsDynamicCodeCompiled ? handover ?? Handover : Timeout.InfiniteTimeSpan;
            _handoverTicks = after == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)(after.TotalSeconds * Stopwatch.Frequency);
            _copies = new KernelCopy?[((int)Kernel.LossRows + 1) * Slots];
        }

        /// <summary>The kernel assembly's kernels.</summary>
        internal RuntimeKernelSet Image => _image;

        /// <summary>This library's copy.</summary>
        internal RuntimeKernelSet Compiled => _compiled;

        /// <summary>Kernels (per class block) that have been called and run the image's copy.</summary>
        internal int KernelsFromImage => _copies.Count(k => k?.State == KernelCopy.FromImage);

        /// <summary>Kernels (per class block) that run this library's copy.</summary>
        internal int KernelsCompiled => _copies.Count(k => k?.State == KernelCopy.Compiled);

        public override void LogitsF32(
            in RuntimeShape shape, ref float w, ref float bias, ref float x, ref nuint offs, int count, ref float blk)
        {
            KernelCopy copy = CopyOf(Kernel.LogitsF32, shape);
            if (!copy.UsesImage)
            {
                _compiled.LogitsF32(shape, ref w, ref bias, ref x, ref offs, count, ref blk);
                return;
            }

            long start = copy.Start();
            _image.LogitsF32(shape, ref w, ref bias, ref x, ref offs, count, ref blk);
            copy.End(start, shape);
        }

        public override void LogitsU8(
            in RuntimeShape shape, ref float w, ref float bias, ref byte x, ref nuint offs, int count, ref float blk)
        {
            KernelCopy copy = CopyOf(Kernel.LogitsU8, shape);
            if (!copy.UsesImage)
            {
                _compiled.LogitsU8(shape, ref w, ref bias, ref x, ref offs, count, ref blk);
                return;
            }

            long start = copy.Start();
            _image.LogitsU8(shape, ref w, ref bias, ref x, ref offs, count, ref blk);
            copy.End(start, shape);
        }

        public override void GradientF32(
            in RuntimeShape shape, ref float x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first)
        {
            KernelCopy copy = CopyOf(Kernel.GradientF32, shape);
            if (!copy.UsesImage)
            {
                _compiled.GradientF32(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);
                return;
            }

            long start = copy.Start();
            _image.GradientF32(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);
            copy.End(start, shape);
        }

        public override void GradientU8(
            in RuntimeShape shape, ref byte x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first)
        {
            KernelCopy copy = CopyOf(Kernel.GradientU8, shape);
            if (!copy.UsesImage)
            {
                _compiled.GradientU8(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);
                return;
            }

            long start = copy.Start();
            _image.GradientU8(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);
            copy.End(start, shape);
        }

        public override void Softmax(in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale)
        {
            KernelCopy copy = CopyOf(Kernel.Softmax, shape);
            if (!copy.UsesImage)
            {
                _compiled.Softmax(shape, ref blk, count, ref m, ref sums, scale);
                return;
            }

            long start = copy.Start();
            _image.Softmax(shape, ref blk, count, ref m, ref sums, scale);
            copy.End(start, shape);
        }

        public override int LossRows(
            in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
            float gScale)
        {
            KernelCopy copy = CopyOf(Kernel.LossRows, shape);
            if (!copy.UsesImage)
            {
                return _compiled.LossRows(shape, ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
            }

            long start = copy.Start();
            int hits = _image.LossRows(shape, ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
            copy.End(start, shape);
            return hits;
        }

        /// <summary>The copy decision of <paramref name="kernel"/> for the class block <paramref name="shape"/>'s kernels take
        /// (one compiled method each; the row kernels have one for every shape).</summary>
        private KernelCopy CopyOf(Kernel kernel, in RuntimeShape shape)
        {
            int slot = ((int)kernel * Slots) + (kernel is Kernel.Softmax or Kernel.LossRows ? 0 : shape.ClassBlock(_lanes));
            KernelCopy? copy = Volatile.Read(ref _copies[slot]);
            if (copy is null)
            {
                Interlocked.CompareExchange(ref _copies[slot], new KernelCopy(this, kernel), null);
                copy = _copies[slot]!;
            }

            return copy;
        }

        /// <summary>Runs <paramref name="kernel"/> of <paramref name="kernels"/> once on two zero rows of
        /// <paramref name="shape"/>, so that the JIT compiles it; the results are dropped.</summary>
        private static void RunOnZeroRows(RuntimeKernelSet kernels, Kernel kernel, RuntimeShape shape)
        {
            const int Rows = 2;
            float[] w = new float[shape.Classes * shape.Inputs], bias = new float[KernelLayout.BiasLength(shape.Classes)];
            float[] block = new float[Rows * shape.ClassStride], m = new float[Rows], sums = new float[Rows];
            float[] floats = new float[Rows * shape.Inputs];
            byte[] bytes = new byte[Rows * shape.Inputs];
            nuint[] offs = new nuint[Rows + KernelLayout.PrefetchRows];
            offs[1] = (nuint)shape.Inputs;
            int[] labels = new int[Rows];
            switch (kernel)
            {
                case Kernel.LogitsF32:
                    kernels.LogitsF32(shape, ref w[0], ref bias[0], ref floats[0], ref offs[0], Rows, ref block[0]);
                    break;
                case Kernel.LogitsU8:
                    kernels.LogitsU8(shape, ref w[0], ref bias[0], ref bytes[0], ref offs[0], Rows, ref block[0]);
                    break;
                case Kernel.GradientF32:
                    kernels.GradientF32(shape, ref floats[0], ref offs[0], ref offs[0], Rows, ref block[0], ref w[0], first: true);
                    break;
                case Kernel.GradientU8:
                    kernels.GradientU8(shape, ref bytes[0], ref offs[0], ref offs[0], Rows, ref block[0], ref w[0], first: true);
                    break;
                case Kernel.Softmax:
                    kernels.Softmax(shape, ref block[0], Rows, ref m[0], ref sums[0], 1f);
                    break;
                default:
                    kernels.LossRows(shape, ref block[0], Rows, ref labels[0], ref m[0], ref sums[0], ref bias[0], 0.5f, 1f);
                    break;
            }
        }

        /// <summary>
        /// Which copy of one kernel (for one class block) runs; see <see cref="PrecompiledKernelSet"/>. Two threads making a
        /// first call at once each measure their own call.
        /// </summary>
        private sealed class KernelCopy(PrecompiledKernelSet set, Kernel kernel)
        {
            public const int Unknown = 0, FromImage = 1, Compiled = 2;
            private volatile int _state;
            private long _handoverAt = long.MaxValue;
            private int _handoverStarted;

            public int State => _state;

            public bool UsesImage => _state != Compiled;

            /// <summary>The calling thread's count of compiled methods before a first call, or -1 once decided.</summary>
            public long Start() => _state == Unknown ? set._compiledMethods() : -1;

            /// <summary>After a call of the image's copy: decides after the first, hands over when it is time.</summary>
            public void End(long start, in RuntimeShape shape)
            {
                if (start >= 0)
                {
                    bool precompiled = set._precompiled();
                    bool rejected = precompiled && set._compiledMethods() != start;
                    if (precompiled && !rejected && set._handoverTicks != long.MaxValue)
                    {
                        Volatile.Write(ref _handoverAt, Stopwatch.GetTimestamp() + set._handoverTicks);
                    }

                    _state = rejected ? Compiled : FromImage;
                }
                else if (Volatile.Read(ref _handoverAt) is long at && at != long.MaxValue && Stopwatch.GetTimestamp() >= at &&
                         Interlocked.Exchange(ref _handoverStarted, 1) == 0)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static state => state.Self.HandOver(state.Shape), (Self: this, Shape: shape), false);
                }
            }

            private void HandOver(RuntimeShape shape)
            {
                try
                {
                    RunOnZeroRows(set._compiled, kernel, shape);
                    _state = Compiled;
                }
                catch (Exception e)
                {
                    // The image's copy keeps running: a thread-pool thread's failure would end the process.
                    PerformanceWarnings.HandoverFailed(e);
                }
            }
        }
    }
}
