extern alias Avx2Image;

using Image = Avx2Image::GenSoftmax.Dynamic;

namespace GenSoftmax.Dynamic
{
    /// <summary>The AVX2 run-time-shaped kernels of GenSoftmax.Avx2 (src/Avx2), precompiled in its image, as a kernel
    /// set.</summary>
    internal sealed class Avx2ImageKernels : RuntimeKernelSet
    {
        /// <summary>Whether the loaded GenSoftmax.Avx2 is its image's build.</summary>
        public static bool Precompiled => Image.KernelImage.Precompiled;

        public override void LogitsF32(
            in RuntimeShape shape, ref float w, ref float bias, ref float x, ref nuint offs, int count, ref float blk) =>
            Image.KernelImage.LogitsF32(Of(shape), ref w, ref bias, ref x, ref offs, count, ref blk);

        public override void LogitsU8(
            in RuntimeShape shape, ref float w, ref float bias, ref byte x, ref nuint offs, int count, ref float blk) =>
            Image.KernelImage.LogitsU8(Of(shape), ref w, ref bias, ref x, ref offs, count, ref blk);

        public override void GradientF32(
            in RuntimeShape shape, ref float x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
            Image.KernelImage.GradientF32(Of(shape), ref x, ref offs, ref next, count, ref g, ref dW, first);

        public override void GradientU8(
            in RuntimeShape shape, ref byte x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
            Image.KernelImage.GradientU8(Of(shape), ref x, ref offs, ref next, count, ref g, ref dW, first);

        public override void Softmax(in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale) =>
            Image.KernelImage.Softmax(Of(shape), ref blk, count, ref m, ref sums, scale);

        public override int LossRows(
            in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
            float gScale) =>
            Image.KernelImage.LossRows(Of(shape), ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);

        /// <summary>The kernel assembly's copy of the shape (the same source file, so the same fields).</summary>
        private static Image.RuntimeShape Of(in RuntimeShape s) =>
            new(s.Inputs, s.Classes, s.ClassStride, s.RowBlock, s.NarrowClassBlock, s.WideClassBlock);
    }
}
