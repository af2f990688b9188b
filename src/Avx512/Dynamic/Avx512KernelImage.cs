using System.Runtime.Intrinsics;

namespace GenSoftmax.Dynamic
{
    /// <summary>
    /// The AVX-512 instantiation of <see cref="RuntimeKernels{TOps, TVec}"/>, one method per kernel and element type: the
    /// roots from which crossgen2 compiles every kernel (each class block) into this assembly's image.
    /// </summary>
    internal static class Avx512KernelImage
    {
        /// <summary>Whether this is the ReadyToRun image's build, whose kernels lack AggressiveOptimization: a kernel the
        /// JIT compiles from it starts at tier 0.</summary>
        public static bool Precompiled =>
#if AVX512_KERNEL_IMAGE
            true;
#else
            false;
#endif

        public static void LogitsF32(in RuntimeShape shape, ref float w, ref float bias, ref float x, ref nuint offs, int count, ref float blk) =>
            RuntimeKernels<Avx512Ops, Vector512<float>>.Logits(shape, ref w, ref bias, ref x, ref offs, count, ref blk);

        public static void LogitsU8(in RuntimeShape shape, ref float w, ref float bias, ref byte x, ref nuint offs, int count, ref float blk) =>
            RuntimeKernels<Avx512Ops, Vector512<float>>.Logits(shape, ref w, ref bias, ref x, ref offs, count, ref blk);

        public static void GradientF32(
            in RuntimeShape shape, ref float x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
            RuntimeKernels<Avx512Ops, Vector512<float>>.Gradient(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);

        public static void GradientU8(
            in RuntimeShape shape, ref byte x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
            RuntimeKernels<Avx512Ops, Vector512<float>>.Gradient(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);

        public static void Softmax(in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale) =>
            RuntimeKernels<Avx512Ops, Vector512<float>>.Softmax(shape, ref blk, count, ref m, ref sums, scale);

        public static int LossRows(
            in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
            float gScale) =>
            RuntimeKernels<Avx512Ops, Vector512<float>>.LossRows(shape, ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
    }
}
