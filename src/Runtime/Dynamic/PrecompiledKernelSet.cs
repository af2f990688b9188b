using System;
using System.Linq;
using System.Runtime;

namespace GenSoftmax.Dynamic
{
    /// <summary>
    /// A variant's run-time-shaped kernels: those of its kernel assembly (src/KernelImages), whose ReadyToRun image holds
    /// them precompiled for the variant's instruction sets, as long as each one's first call compiled nothing; else this
    /// library's own copy, compiled fully optimised at its first call. A kernel the JIT compiles from that image (ReadyToRun
    /// code off, a runtime whose inlined code differs from the one the image was made for, a CPU that rejects the image)
    /// would start at tier 0, many times slower.
    /// </summary>
    internal sealed class PrecompiledKernelSet : RuntimeKernelSet
    {
        private readonly RuntimeKernelSet _image, _compiled;
        private readonly KernelCopy _logitsF32, _logitsU8, _gradientF32, _gradientU8, _softmax, _lossRows;

        /// <summary>The kernels of <paramref name="image"/> while their first calls compile nothing, else
        /// <paramref name="compiled"/>.</summary>
        /// <param name="image">The kernel assembly's kernels (<see cref="Avx512ImageKernels"/>,
        /// <see cref="Avx2ImageKernels"/>).</param>
        /// <param name="compiled">This library's copy of the same kernels.</param>
        /// <param name="precompiled">Whether the kernel assembly is its image's build (read at the first call, so that the
        /// assembly is loaded only where its kernels run).</param>
        /// <param name="compiledMethods">Methods the calling thread has compiled so far; by default
        /// <see cref="JitInfo.GetCompiledMethodCount"/> (tests pass their own).</param>
        public PrecompiledKernelSet(
            RuntimeKernelSet image, RuntimeKernelSet compiled, Func<bool> precompiled, Func<long>? compiledMethods = null)
        {
            (_image, _compiled) = (image, compiled);
            compiledMethods ??= static () => JitInfo.GetCompiledMethodCount(currentThread: true);
            KernelCopy Copy() => new(compiledMethods, precompiled);
            (_logitsF32, _logitsU8, _gradientF32, _gradientU8, _softmax, _lossRows) = (Copy(), Copy(), Copy(), Copy(), Copy(), Copy());
        }

        /// <summary>The kernel assembly's kernels.</summary>
        internal RuntimeKernelSet Image => _image;

        /// <summary>This library's copy.</summary>
        internal RuntimeKernelSet Compiled => _compiled;

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
            _image.LogitsF32(shape, ref w, ref bias, ref x, ref offs, count, ref blk);
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
            _image.LogitsU8(shape, ref w, ref bias, ref x, ref offs, count, ref blk);
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
            _image.GradientF32(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);
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
            _image.GradientU8(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);
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
            _image.Softmax(shape, ref blk, count, ref m, ref sums, scale);
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
            int hits = _image.LossRows(shape, ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
            _lossRows.End(start);
            return hits;
        }

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
