using System.Runtime.CompilerServices;
using GenSoftmax.Kernels;

namespace GenSoftmax.Dynamic
{
    /// <summary>
    /// The kernel contract over a shape chosen at run time: the struct <see cref="RuntimeSoftmaxModel"/>'s engine runs, so a
    /// run-time-shaped model shares every driver (argument checks, blocking, loss, gradient, soft targets, prediction) with
    /// the generated models and only its kernels differ.
    /// </summary>
    internal readonly struct RuntimeShapeKernels : ISoftmaxKernels
    {
        private readonly RuntimeShape _shape;

        public RuntimeShapeKernels(RuntimeShape shape) => _shape = shape;

        public int Inputs => _shape.Inputs;

        public int Classes => _shape.Classes;

        public int ClassStride => _shape.ClassStride;

        public int RowBlock => _shape.RowBlock;

        // The run-time kernels read the bias a whole vector at a time from the start of every pass.
        public int BiasLength => KernelLayout.BiasLength(_shape.Classes);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Logits<T>(KernelIsa isa, ref float weights, ref float bias, ref T x, ref nuint offs, int count, ref float block)
            where T : unmanaged =>
            RuntimeKernelDispatch.Logits(isa, _shape, ref weights, ref bias, ref x, ref offs, count, ref block);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Gradient<T>(KernelIsa isa, ref T x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first)
            where T : unmanaged =>
            RuntimeKernelDispatch.Gradient(isa, _shape, ref x, ref offs, ref next, count, ref g, ref dW, first);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Softmax(KernelIsa isa, ref float block, int count, ref float m, ref float sums, float scale) =>
            RuntimeKernelDispatch.Softmax(isa, _shape, ref block, count, ref m, ref sums, scale);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int LossRows(KernelIsa isa, ref float block, int count, ref int labels, ref float pre, ref float sums, ref float db,
            float scale, float gScale) =>
            RuntimeKernelDispatch.LossRows(isa, _shape, ref block, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
    }
}
