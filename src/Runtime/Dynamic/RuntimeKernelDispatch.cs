using System.Runtime.CompilerServices;

namespace GenSoftmax.Dynamic
{
    /// <summary>
    /// The run-time-shaped kernels by variant: the same four kernels as a generated model's (see
    /// <see cref="Kernels.ISoftmaxKernels"/> for the block layout), with the shape passed in instead of compiled in. The
    /// variant's row of the table (<see cref="KernelVariant.Of"/>) holds its kernels; a value that names no variant runs
    /// the fallback's, as the generated dispatch's default arm does.
    /// </summary>
    internal static class RuntimeKernelDispatch
    {
        public static void Logits<T>(
            KernelIsa isa, in RuntimeShape shape, ref float w, ref float bias, ref T x, ref nuint offs, int count, ref float blk)
            where T : unmanaged
        {
            RuntimeKernelSet kernels = KernelVariant.Of(isa).Kernels;
            if (typeof(T) == typeof(float))
            {
                kernels.LogitsF32(shape, ref w, ref bias, ref Unsafe.As<T, float>(ref x), ref offs, count, ref blk);
            }
            else
            {
                kernels.LogitsU8(shape, ref w, ref bias, ref Unsafe.As<T, byte>(ref x), ref offs, count, ref blk);
            }
        }

        public static void Gradient<T>(
            KernelIsa isa, in RuntimeShape shape, ref T x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first)
            where T : unmanaged
        {
            RuntimeKernelSet kernels = KernelVariant.Of(isa).Kernels;
            if (typeof(T) == typeof(float))
            {
                kernels.GradientF32(shape, ref Unsafe.As<T, float>(ref x), ref offs, ref next, count, ref g, ref dW, first);
            }
            else
            {
                kernels.GradientU8(shape, ref Unsafe.As<T, byte>(ref x), ref offs, ref next, count, ref g, ref dW, first);
            }
        }

        public static void Softmax(
            KernelIsa isa, in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale) =>
            KernelVariant.Of(isa).Kernels.Softmax(shape, ref blk, count, ref m, ref sums, scale);

        public static int LossRows(
            KernelIsa isa, in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db,
            float scale, float gScale) =>
            KernelVariant.Of(isa).Kernels.LossRows(shape, ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
    }
}
