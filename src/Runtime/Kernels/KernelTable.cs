using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GenSoftmax.Internal;

namespace GenSoftmax.Kernels
{
    /// <summary>
    /// A model's kernels behind virtual calls, one per block of rows, for the drivers that are written once for every
    /// kernel struct instead of compiled per struct (<see cref="BatchLoss"/>): code over the library's own types only,
    /// which the package's ReadyToRun image holds, so a fresh process compiles only the kernels and these forwarders.
    /// </summary>
    /// <param name="inputs">Input features per row.</param>
    /// <param name="classes">Classes.</param>
    /// <param name="stride">Floats per row of a block of logits.</param>
    /// <param name="rowBlock">Rows per block of logits.</param>
    internal abstract class KernelTable(int inputs, int classes, int stride, int rowBlock)
    {
        /// <summary>Input features per row.</summary>
        public int Inputs { get; } = inputs;

        /// <summary>Classes.</summary>
        public int Classes { get; } = classes;

        /// <summary>Floats per row of a block of logits (<see cref="ISoftmaxKernels.ClassStride"/>).</summary>
        public int Stride { get; } = stride;

        /// <summary>Rows per block of logits.</summary>
        public int RowBlock { get; } = rowBlock;

        /// <summary><see cref="ISoftmaxKernels.Logits{T}"/> over pixels.</summary>
        public abstract void Logits(
            KernelIsa isa, ref float weights, ref float bias, ref byte x, ref nuint offs, int count, ref float block);

        /// <summary><see cref="ISoftmaxKernels.Logits{T}"/> over features.</summary>
        public abstract void Logits(
            KernelIsa isa, ref float weights, ref float bias, ref float x, ref nuint offs, int count, ref float block);

        /// <summary><see cref="ISoftmaxKernels.Gradient{T}"/> over pixels.</summary>
        public abstract void Gradient(
            KernelIsa isa, ref byte x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first);

        /// <summary><see cref="ISoftmaxKernels.Gradient{T}"/> over features.</summary>
        public abstract void Gradient(
            KernelIsa isa, ref float x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first);

        /// <summary><see cref="ISoftmaxKernels.Softmax"/>.</summary>
        public abstract void Softmax(KernelIsa isa, ref float block, int count, ref float m, ref float sums, float scale);

        /// <summary><see cref="ISoftmaxKernels.LossRows"/>.</summary>
        public abstract int LossRows(
            KernelIsa isa, ref float block, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
            float gScale);

        /// <summary>The logits of a block from pixels or features (<typeparamref name="T"/> is byte or float).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Logits<T>(
            KernelIsa isa, ref float weights, ref float bias, ReadOnlySpan<T> x, ReadOnlySpan<nuint> offs, int count, Span<float> block)
            where T : unmanaged
        {
            if (typeof(T) == typeof(byte))
            {
                Logits(
                    isa, ref weights, ref bias, ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(x)),
                    ref MemoryMarshal.GetReference(offs), count, ref MemoryMarshal.GetReference(block));
            }
            else
            {
                Logits(
                    isa, ref weights, ref bias, ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(x)),
                    ref MemoryMarshal.GetReference(offs), count, ref MemoryMarshal.GetReference(block));
            }
        }

        /// <summary>The weight gradient of a block from pixels or features (<typeparamref name="T"/> is byte or float).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Gradient<T>(
            KernelIsa isa, ReadOnlySpan<T> x, ReadOnlySpan<nuint> offs, ReadOnlySpan<nuint> next, int count, Span<float> g, Span<float> dW,
            bool first)
            where T : unmanaged
        {
            ref nuint o = ref MemoryMarshal.GetReference(offs);
            ref nuint nx = ref MemoryMarshal.GetReference(next);
            if (typeof(T) == typeof(byte))
            {
                Gradient(
                    isa, ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(x)), ref o, ref nx, count, ref MemoryMarshal.GetReference(g),
                    ref MemoryMarshal.GetReference(dW), first);
            }
            else
            {
                Gradient(
                    isa, ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(x)), ref o, ref nx, count,
                    ref MemoryMarshal.GetReference(g), ref MemoryMarshal.GetReference(dW), first);
            }
        }

        /// <summary>Checks the batch's inputs and row list against <see cref="Inputs"/>; returns the rows of the batch.</summary>
        public int BatchRows(in Batch batch, out int available)
        {
            available = Guard.Rows(batch.InputLength, Inputs, batch.InputName);
            if (!batch.HasRows)
            {
                return available;
            }

            Guard.RowIndices(batch.Rows, available, "rows");
            return batch.Rows.Length;
        }

        /// <summary>
        /// Offsets of rows r0, r0 + 1, ... of the batch, as many as <paramref name="offs"/> holds, clamped to the batch's
        /// last row: a block's rows followed by PrefetchRows more for the logits kernel's prefetch, or the next block's
        /// rows for the gradient kernel's.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void RowOffsets(ReadOnlySpan<int> rows, bool hasRows, int r0, int n, Span<nuint> offs)
        {
            nuint inputs = (nuint)Inputs;
            for (int i = 0; i < offs.Length; i++)
            {
                int r = Math.Min(r0 + i, n - 1);
                offs[i] = (nuint)(uint)(hasRows ? rows[r] : r) * inputs;
            }
        }
    }

    /// <summary>The kernels of <typeparamref name="TKernels"/> as a <see cref="KernelTable"/>.</summary>
    /// <typeparam name="TKernels">The model's kernel struct.</typeparam>
    /// <param name="kernels">Its kernels.</param>
    internal sealed class KernelTable<TKernels>(TKernels kernels)
        : KernelTable(kernels.Inputs, kernels.Classes, kernels.ClassStride, kernels.RowBlock)
        where TKernels : struct, ISoftmaxKernels
    {
        public override void Logits(
            KernelIsa isa, ref float weights, ref float bias, ref byte x, ref nuint offs, int count, ref float block) =>
            kernels.Logits(isa, ref weights, ref bias, ref x, ref offs, count, ref block);

        public override void Logits(
            KernelIsa isa, ref float weights, ref float bias, ref float x, ref nuint offs, int count, ref float block) =>
            kernels.Logits(isa, ref weights, ref bias, ref x, ref offs, count, ref block);

        public override void Gradient(
            KernelIsa isa, ref byte x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
            kernels.Gradient(isa, ref x, ref offs, ref next, count, ref g, ref dW, first);

        public override void Gradient(
            KernelIsa isa, ref float x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
            kernels.Gradient(isa, ref x, ref offs, ref next, count, ref g, ref dW, first);

        public override void Softmax(KernelIsa isa, ref float block, int count, ref float m, ref float sums, float scale) =>
            kernels.Softmax(isa, ref block, count, ref m, ref sums, scale);

        public override int LossRows(
            KernelIsa isa, ref float block, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
            float gScale) =>
            kernels.LossRows(isa, ref block, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
    }
}
