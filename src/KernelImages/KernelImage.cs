#if AVX512_KERNELS
using Kernels = GenSoftmax.Dynamic.RuntimeKernels<GenSoftmax.Dynamic.Avx512Ops, System.Runtime.Intrinsics.Vector512<float>>;
#elif AVX2_KERNELS
using Kernels = GenSoftmax.Dynamic.RuntimeKernels<GenSoftmax.Dynamic.Avx2Ops, System.Runtime.Intrinsics.Vector256<float>>;
#endif

namespace GenSoftmax.Dynamic
{
    /// <summary>
    /// One variant's instantiation of <see cref="RuntimeKernels{TOps, TVec}"/>, one method per kernel and element type: the
    /// roots from which crossgen2 compiles every kernel (each class block) into this assembly's image.
    /// </summary>
    internal static class KernelImage
    {
        /// <summary>Whether this is the ReadyToRun image's build, whose kernels lack AggressiveOptimization: a kernel the
        /// JIT compiles from it starts at tier 0.</summary>
        public static bool Precompiled =>
#if KERNEL_IMAGE
            true;
#else
            false;
#endif

        public static void LogitsF32(
            in RuntimeShape shape, ref float w, ref float bias, ref float x, ref nuint offs, int count, ref float blk) =>
            Kernels.Logits(shape, ref w, ref bias, ref x, ref offs, count, ref blk);

        public static void LogitsU8(
            in RuntimeShape shape, ref float w, ref float bias, ref byte x, ref nuint offs, int count, ref float blk) =>
            Kernels.Logits(shape, ref w, ref bias, ref x, ref offs, count, ref blk);

        public static void GradientF32(
            in RuntimeShape shape, ref float x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
            Kernels.Gradient(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);

        public static void GradientU8(
            in RuntimeShape shape, ref byte x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
            Kernels.Gradient(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);

        public static void Softmax(in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale) =>
            Kernels.Softmax(shape, ref blk, count, ref m, ref sums, scale);

        public static int LossRows(
            in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
            float gScale) =>
            Kernels.LossRows(shape, ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
    }
}
