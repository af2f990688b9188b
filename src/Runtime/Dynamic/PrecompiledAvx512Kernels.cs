extern alias Avx512Image;

using System;
using System.Linq;
using System.Runtime;
using System.Runtime.Intrinsics;
using Image = Avx512Image::GenSoftmax.Dynamic;

namespace GenSoftmax.Dynamic
{
    /// <summary>
    /// The AVX-512 row's run-time-shaped kernels: those of the kernel assembly (src/Avx512), whose ReadyToRun image holds
    /// them precompiled for AVX-512, as long as each one's first call compiled nothing; else this library's own copy,
    /// compiled fully optimised at its first call. A kernel the JIT compiles from that image (ReadyToRun code off, a runtime
    /// whose inlined code differs from the one the image was made for) would start at tier 0, many times slower.
    /// </summary>
    internal sealed class PrecompiledAvx512Kernels : RuntimeKernelSet
    {
        private readonly RuntimeKernelSet _compiled = new RuntimeKernelSet<Avx512Ops, Vector512<float>>();
        private readonly KernelCopy _logitsF32, _logitsU8, _gradientF32, _gradientU8, _softmax, _lossRows;

        /// <summary>The kernels of the AVX-512 row.</summary>
        public PrecompiledAvx512Kernels()
            : this(static () => JitInfo.GetCompiledMethodCount(currentThread: true), static () => Image.Avx512KernelImage.Precompiled)
        {
        }

        /// <summary>Kernels that learn what a first call compiled from <paramref name="compiledMethods"/> (tests).</summary>
        /// <param name="compiledMethods">Methods the calling thread has compiled so far.</param>
        /// <param name="precompiled">Whether the kernel assembly is its image's build (read at the first call, so that the
        /// assembly is loaded only where the AVX-512 kernels run).</param>
        internal PrecompiledAvx512Kernels(Func<long> compiledMethods, Func<bool> precompiled)
        {
            KernelCopy Copy() => new(compiledMethods, precompiled);
            (_logitsF32, _logitsU8, _gradientF32, _gradientU8, _softmax, _lossRows) = (Copy(), Copy(), Copy(), Copy(), Copy(), Copy());
        }

        /// <summary>How many of the six kernels run the image's copy (or have not been called yet).</summary>
        internal int KernelsFromImage =>
            new[] { _logitsF32, _logitsU8, _gradientF32, _gradientU8, _softmax, _lossRows }.Count(k => k.UsesImage);

        public override void LogitsF32(
            in RuntimeShape shape, ref float w, ref float bias, ref float x, ref nuint offs, int count, ref float blk)
        {
            if (!_logitsF32.UsesImage)
            {
                _compiled.LogitsF32(shape, ref w, ref bias, ref x, ref offs, count, ref blk);
                return;
            }

            long start = _logitsF32.Start();
            Image.Avx512KernelImage.LogitsF32(Of(shape), ref w, ref bias, ref x, ref offs, count, ref blk);
            _logitsF32.End(start);
        }

        public override void LogitsU8(
            in RuntimeShape shape, ref float w, ref float bias, ref byte x, ref nuint offs, int count, ref float blk)
        {
            if (!_logitsU8.UsesImage)
            {
                _compiled.LogitsU8(shape, ref w, ref bias, ref x, ref offs, count, ref blk);
                return;
            }

            long start = _logitsU8.Start();
            Image.Avx512KernelImage.LogitsU8(Of(shape), ref w, ref bias, ref x, ref offs, count, ref blk);
            _logitsU8.End(start);
        }

        public override void GradientF32(
            in RuntimeShape shape, ref float x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first)
        {
            if (!_gradientF32.UsesImage)
            {
                _compiled.GradientF32(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);
                return;
            }

            long start = _gradientF32.Start();
            Image.Avx512KernelImage.GradientF32(Of(shape), ref x, ref offs, ref next, count, ref g, ref dW, first);
            _gradientF32.End(start);
        }

        public override void GradientU8(
            in RuntimeShape shape, ref byte x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first)
        {
            if (!_gradientU8.UsesImage)
            {
                _compiled.GradientU8(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);
                return;
            }

            long start = _gradientU8.Start();
            Image.Avx512KernelImage.GradientU8(Of(shape), ref x, ref offs, ref next, count, ref g, ref dW, first);
            _gradientU8.End(start);
        }

        public override void Softmax(in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale)
        {
            if (!_softmax.UsesImage)
            {
                _compiled.Softmax(shape, ref blk, count, ref m, ref sums, scale);
                return;
            }

            long start = _softmax.Start();
            Image.Avx512KernelImage.Softmax(Of(shape), ref blk, count, ref m, ref sums, scale);
            _softmax.End(start);
        }

        public override int LossRows(
            in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
            float gScale)
        {
            if (!_lossRows.UsesImage)
            {
                return _compiled.LossRows(shape, ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
            }

            long start = _lossRows.Start();
            int hits = Image.Avx512KernelImage.LossRows(Of(shape), ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
            _lossRows.End(start);
            return hits;
        }

        /// <summary>The kernel assembly's copy of the shape (the same source file, so the same fields).</summary>
        private static Image.RuntimeShape Of(in RuntimeShape s) =>
            new(s.Inputs, s.Classes, s.ClassStride, s.RowBlock, s.NarrowClassBlock, s.WideClassBlock);

        /// <summary>
        /// Which copy of one kernel runs: the image's until its first call is seen to compile something on the calling thread
        /// (<see cref="JitInfo.GetCompiledMethodCount"/>), and then only if the kernel assembly is the image's build (an IL
        /// build's kernels are compiled fully optimised, as this library's). Two threads making a first call at once each
        /// measure their own call.
        /// </summary>
        private sealed class KernelCopy(Func<long> compiledMethods, Func<bool> precompiled)
        {
            private const int Unknown = 0, FromImage = 1, Compiled = 2;
            private volatile int _state;

            public bool UsesImage => _state != Compiled;

            /// <summary>The calling thread's count of compiled methods before a first call, or -1 once decided.</summary>
            public long Start() => _state == Unknown ? compiledMethods() : -1;

            public void End(long start)
            {
                if (start >= 0)
                {
                    _state = compiledMethods() != start && precompiled() ? Compiled : FromImage;
                }
            }
        }
    }
}
