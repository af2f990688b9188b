using System;
using System.Runtime.InteropServices;
using GenSoftmax.Internal;

namespace GenSoftmax.Kernels
{
    public sealed partial class SoftmaxEngine<TKernels>
    {
        /// <inheritdoc />
        void ICurvatureModel.HessianVector(
            in Batch batch, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> probabilities, bool refresh,
            ReadOnlySpan<float> vW, ReadOnlySpan<float> vb, Span<float> hW, Span<float> hb)
        {
            int q = _kernels.Classes, d = _kernels.Inputs;
            Guard.Length(weights.Length, nameof(weights), q, d);
            Guard.Length(bias.Length, nameof(bias), q);
            Guard.Length(vW.Length, nameof(vW), q, d);
            Guard.Length(vb.Length, nameof(vb), q);
            Guard.Length(hW.Length, nameof(hW), q, d);
            Guard.Length(hb.Length, nameof(hb), q);
            int n = BatchRows(batch, out int available);
            Guard.NotEmpty(n, batch.HasRows ? "rows" : batch.InputName);
            Guard.Length(probabilities.Length, nameof(probabilities), n, q);
            if (batch.HasWeights)
            {
                Guard.Length(batch.Weights.Length, "weights", available);
            }

            if (batch.IsPixels)
            {
                HessianVectorCore(batch.Pixels, batch, n, weights, bias, probabilities, refresh, vW, vb, hW, hb);
            }
            else
            {
                HessianVectorCore(batch.Features, batch, n, weights, bias, probabilities, refresh, vW, vb, hW, hb);
            }
        }

        // Hessian of the cross-entropy sum times a direction V, block by block of rows:
        //   Z = X Vᵀ + vb (the logits kernel with V as the weights);  P = softmax(X Wᵀ + b), stored on refresh
        //   R_i = w_i (P_i ∘ Z_i − P_i (P_i · Z_i));  Hv_W = Rᵀ X (the gradient kernel);  Hv_b = column sums of R.
        // On refresh a block's rows pass through the logits kernel twice while they are in cache, so one product is one
        // pass over the data either way.
        private void HessianVectorCore<T>(
            ReadOnlySpan<T> x, in Batch batch, int n, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> probabilities,
            bool refresh, ReadOnlySpan<float> vW, ReadOnlySpan<float> vb, Span<float> hW, Span<float> hb)
            where T : unmanaged
        {
            int q = _kernels.Classes;
            ReadOnlySpan<int> rows = batch.Rows;
            bool hasRows = batch.HasRows, weighted = batch.HasWeights;
            ReadOnlySpan<float> rowWeights = batch.Weights;
            Span<float> blk = stackalloc float[RowBlock * Stride];
            Span<nuint> offs = stackalloc nuint[RowBlock + KernelLayout.PrefetchRows];
            Span<nuint> next = stackalloc nuint[RowBlock];
            Span<float> m = stackalloc float[RowBlock];
            Span<float> sums = stackalloc float[RowBlock];
            // The kernels may read a bias a vector at a time: both biases padded with zeros to the stride.
            Span<float> b = stackalloc float[Stride];
            Span<float> c = stackalloc float[Stride];
            Span<double> hbAcc = stackalloc double[q];
            b.Clear();
            c.Clear();
            hbAcc.Clear();
            bias.CopyTo(b);
            vb.CopyTo(c);
            float gScale = typeof(T) == typeof(byte) ? PixelScale : 1f;
            for (int r0 = 0; r0 < n; r0 += RowBlock)
            {
                int count = Math.Min(RowBlock, n - r0);
                RowOffsets(rows, hasRows, r0, n, offs);
                if (refresh)
                {
                    _kernels.Logits(
                        _isa, ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(b), ref MemoryMarshal.GetReference(x),
                        ref MemoryMarshal.GetReference(offs), count, ref MemoryMarshal.GetReference(blk));
                    _kernels.Softmax(
                        _isa, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(m),
                        ref MemoryMarshal.GetReference(sums), 1f);
                    for (int i = 0; i < count; i++)
                    {
                        blk.Slice(i * Stride, q).CopyTo(probabilities.Slice((r0 + i) * q, q));
                    }
                }

                _kernels.Logits(
                    _isa, ref MemoryMarshal.GetReference(vW), ref MemoryMarshal.GetReference(c), ref MemoryMarshal.GetReference(x),
                    ref MemoryMarshal.GetReference(offs), count, ref MemoryMarshal.GetReference(blk));
                for (int i = 0; i < count; i++)
                {
                    ReadOnlySpan<float> p = probabilities.Slice((r0 + i) * q, q);
                    Span<float> z = blk.Slice(i * Stride, Stride);
                    float pz = 0;
                    for (int k = 0; k < q; k++)
                    {
                        pz += p[k] * z[k];
                    }

                    float w = weighted ? rowWeights[hasRows ? rows[r0 + i] : r0 + i] : 1f;
                    for (int k = 0; k < q; k++)
                    {
                        float r = w * p[k] * (z[k] - pz);
                        hbAcc[k] += r;
                        z[k] = r * gScale;
                    }

                    z.Slice(q).Clear(); // the pad lanes held -inf
                }

                RowOffsets(rows, hasRows, r0 + RowBlock, n, next);
                Gradient(x, offs, next, count, blk, hW, first: r0 == 0);
            }

            for (int k = 0; k < q; k++)
            {
                hb[k] = (float)hbAcc[k];
            }
        }
    }
}
