
namespace GenSoftmax.Dynamic
{
    /// <summary>
    /// One variant's run-time-shaped kernels, as a column of the variant table (<see cref="KernelVariant.Kernels"/>):
    /// <see cref="RuntimeKernelDispatch"/> calls the row's set, so a variant added to the table is reachable without another
    /// switch. One virtual call per block of rows, and one per element type (no generic virtual methods).
    /// </summary>
    internal abstract class RuntimeKernelSet
    {
        public abstract void LogitsF32(
            in RuntimeShape shape, ref float w, ref float bias, ref float x, ref nuint offs, int count, ref float blk);

        public abstract void LogitsU8(
            in RuntimeShape shape, ref float w, ref float bias, ref byte x, ref nuint offs, int count, ref float blk);

        public abstract void GradientF32(
            in RuntimeShape shape, ref float x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first);

        public abstract void GradientU8(
            in RuntimeShape shape, ref byte x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first);

        public abstract void Softmax(in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale);

        public abstract int LossRows(
            in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
            float gScale);
    }

    /// <summary>The kernels of <see cref="RuntimeKernels{TOps, TVec}"/> for one vector width, as a kernel set.</summary>
    /// <typeparam name="TOps">The variant's vector operations.</typeparam>
    /// <typeparam name="TVec">Its vector of floats.</typeparam>
    internal sealed class RuntimeKernelSet<TOps, TVec> : RuntimeKernelSet
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        public override void LogitsF32(
            in RuntimeShape shape, ref float w, ref float bias, ref float x, ref nuint offs, int count, ref float blk) =>
            RuntimeKernels<TOps, TVec>.Logits(shape, ref w, ref bias, ref x, ref offs, count, ref blk);

        public override void LogitsU8(
            in RuntimeShape shape, ref float w, ref float bias, ref byte x, ref nuint offs, int count, ref float blk) =>
            RuntimeKernels<TOps, TVec>.Logits(shape, ref w, ref bias, ref x, ref offs, count, ref blk);

        public override void GradientF32(
            in RuntimeShape shape, ref float x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
            RuntimeKernels<TOps, TVec>.Gradient(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);

        public override void GradientU8(
            in RuntimeShape shape, ref byte x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
            RuntimeKernels<TOps, TVec>.Gradient(shape, ref x, ref offs, ref next, count, ref g, ref dW, first);

        public override void Softmax(in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale) =>
            RuntimeKernels<TOps, TVec>.Softmax(shape, ref blk, count, ref m, ref sums, scale);

        public override int LossRows(
            in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
            float gScale) =>
            RuntimeKernels<TOps, TVec>.LossRows(shape, ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
    }
}
