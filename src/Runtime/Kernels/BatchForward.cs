using System;
using System.Runtime.InteropServices;
using GenSoftmax.Internal;

namespace GenSoftmax.Kernels
{
    /// <summary>
    /// Logits, probabilities and predictions over a batch, block by block of rows: one driver for every model, over its
    /// <see cref="KernelTable"/>, so the package's ReadyToRun image holds it (as <see cref="BatchLoss"/>).
    /// </summary>
    internal static class BatchForward
    {
        /// <summary>The logits, or with <paramref name="probabilities"/> the softmax, of every row of the batch, [rows, Classes].</summary>
        public static void Forward<T>(
            KernelTable kernels, KernelIsa isa, ref float w, ref float bias, ReadOnlySpan<T> x, in Batch batch, Span<float> output,
            bool probabilities)
            where T : unmanaged
        {
            int stride = kernels.Stride;
            int rowBlock = kernels.RowBlock;
            int n = kernels.BatchRows(batch, out _);
            Guard.Length(output.Length, probabilities ? "probabilities" : "logits", n, kernels.Classes);
            ReadOnlySpan<int> rows = batch.Rows;
            bool hasRows = batch.HasRows;
            Span<float> blk = stackalloc float[rowBlock * stride];
            Span<nuint> offs = stackalloc nuint[rowBlock + KernelLayout.PrefetchRows];
            Span<float> m = stackalloc float[rowBlock];
            Span<float> sums = stackalloc float[rowBlock];
            for (int r0 = 0; r0 < n; r0 += rowBlock)
            {
                int count = Math.Min(rowBlock, n - r0);
                kernels.RowOffsets(rows, hasRows, r0, n, offs);
                kernels.Logits(isa, ref w, ref bias, x, offs, count, blk);
                if (probabilities)
                {
                    kernels.Softmax(isa, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(m),
                        ref MemoryMarshal.GetReference(sums), 1f);
                }

                for (int i = 0; i < count; i++)
                {
                    blk.Slice(i * stride, kernels.Classes).CopyTo(output.Slice((r0 + i) * kernels.Classes, kernels.Classes));
                }
            }
        }

        /// <summary>The most likely class of every row of the batch (the first of equal logits).</summary>
        public static void Predict<T>(
            KernelTable kernels, KernelIsa isa, ref float w, ref float bias, ReadOnlySpan<T> x, in Batch batch, Span<int> predictions)
            where T : unmanaged
        {
            int stride = kernels.Stride;
            int rowBlock = kernels.RowBlock;
            int n = kernels.BatchRows(batch, out _);
            Guard.Length(predictions.Length, nameof(predictions), n);
            ReadOnlySpan<int> rows = batch.Rows;
            bool hasRows = batch.HasRows;
            Span<float> blk = stackalloc float[rowBlock * stride];
            Span<nuint> offs = stackalloc nuint[rowBlock + KernelLayout.PrefetchRows];
            for (int r0 = 0; r0 < n; r0 += rowBlock)
            {
                int count = Math.Min(rowBlock, n - r0);
                kernels.RowOffsets(rows, hasRows, r0, n, offs);
                kernels.Logits(isa, ref w, ref bias, x, offs, count, blk);
                for (int i = 0; i < count; i++)
                {
                    predictions[r0 + i] = Blas.ArgMax(blk.Slice(i * stride, kernels.Classes));
                }
            }
        }
    }
}
