using System;
using System.Runtime.InteropServices;
using GenSoftmax.Internal;

namespace GenSoftmax.Kernels
{
    /// <summary>
    /// The loss and its gradient over a batch, block by block of rows: one driver for every model, over its
    /// <see cref="KernelTable"/>. Not generic over the kernel struct, as the kernels and the smaller drivers of
    /// <see cref="SoftmaxEngine{TKernels}"/> are, so the package's ReadyToRun image holds its code (its instantiations
    /// over byte and float): a fresh process's first step compiles the kernels only, where it compiled this 2.9-4.0 KB
    /// method per model before (bench/results/2026-12-06-cross-module). Its per-row work is scalar and its buffers a few
    /// KB, so the sizes it reads once per call cost nothing next to the kernels it calls once per block.
    /// </summary>
    internal static class BatchLoss
    {
        /// <summary>Pixels enter the kernels as 0..255; their 1/255 is folded into a gradient's rows.</summary>
        public const float PixelScale = 1f / 255f;

        // Mean cross-entropy from the logits, never from probabilities, and its gradient:
        //   m = max(o);  loss = sum_c t_c ((m - o_c) + log sum exp(o - m));  dL/do = (softmax(o) - t) / n
        //   dW = dL/do^T X,  db = column sums of dL/do.
        // Hard labels are t = onehot(y). Row blocks keep dL/do on the stack; dW accumulates block by block.
        /// <summary>
        /// The batch's mean loss, correct count and rows; with <paramref name="gradient"/>, dW and db too (dW is overwritten).
        /// <typeparamref name="T"/> is byte (pixels) or float (features); the caller checked dW's and db's lengths.
        /// </summary>
        public static BatchResult Run<T>(
            KernelTable kernels, KernelIsa isa, ref float w, ref float bias, ReadOnlySpan<T> x, in Batch batch, Span<float> dW,
            Span<float> db, bool gradient)
            where T : unmanaged
        {
            int q = kernels.Classes;
            int stride = kernels.Stride;
            int rowBlock = kernels.RowBlock;
            int n = kernels.BatchRows(batch, out int available);
            Guard.NotEmpty(n, batch.HasRows ? "rows" : batch.InputName);
            ReadOnlySpan<int> rows = batch.Rows;
            bool hasRows = batch.HasRows;
            bool soft = batch.HasTargets;
            ReadOnlySpan<int> labels = batch.Labels;
            ReadOnlySpan<float> targets = batch.Targets;
            if (soft)
            {
                Guard.Length(targets.Length, "targets", available, q);
            }
            else
            {
                Guard.HasLabels(labels.Length, available, batch.InputName);
                Guard.Labels(labels, rows, hasRows, n, q, "labels");
            }

            bool weighted = batch.HasWeights;
            ReadOnlySpan<float> weights = batch.Weights;
            if (weighted)
            {
                Guard.Length(weights.Length, "weights", available);
            }

            Span<float> blk = stackalloc float[rowBlock * stride];
            Span<nuint> offs = stackalloc nuint[rowBlock + KernelLayout.PrefetchRows];
            Span<nuint> next = stackalloc nuint[rowBlock];
            Span<int> ys = stackalloc int[rowBlock];
            Span<float> ws = stackalloc float[rowBlock];
            Span<float> m = stackalloc float[rowBlock];
            Span<float> pre = stackalloc float[rowBlock];
            Span<float> sums = stackalloc float[rowBlock]; // each row's sum of exponentials (logged in place where a row's log is taken)
            Span<float> dbAcc = stackalloc float[stride]; // db with the pad lanes, which stay 0
            dbAcc.Clear();
            float scale = 1f / n;
            // Pixels enter the kernels as 0..255; their 1/255 is folded into dL/do before the gradient pass.
            float gScale = typeof(T) == typeof(byte) ? PixelScale : 1f;
            double loss = 0;
            int correct = 0;
            for (int r0 = 0; r0 < n; r0 += rowBlock)
            {
                int count = Math.Min(rowBlock, n - r0);
                kernels.RowOffsets(rows, hasRows, r0, n, offs);
                kernels.Logits(isa, ref w, ref bias, x, offs, count, blk);
                if (weighted)
                {
                    RowWeights(weights, rows, hasRows, r0, ws.Slice(0, count));
                }

                if (soft)
                {
                    (double blockLoss, int blockCorrect) = SoftRows(
                        kernels, isa, blk, count, targets, rows, hasRows, r0, m, sums, dbAcc, scale, gScale, weighted ? ws : default);
                    loss += blockLoss;
                    correct += blockCorrect;
                }
                else
                {
                    for (int i = 0; i < count; i++)
                    {
                        ys[i] = labels[hasRows ? rows[r0 + i] : r0 + i];
                    }

                    if (weighted)
                    {
                        // Row by row, each with its weight in the scale of its gradient row and of its part of db.
                        for (int i = 0; i < count; i++)
                        {
                            correct += kernels.LossRows(
                                isa, ref blk[i * stride], 1, ref ys[i], ref pre[i], ref sums[i], ref MemoryMarshal.GetReference(dbAcc),
                                scale * ws[i], gScale);
                        }
                    }
                    else
                    {
                        correct += kernels.LossRows(
                            isa, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(ys),
                                ref MemoryMarshal.GetReference(pre),
                            ref MemoryMarshal.GetReference(sums), ref MemoryMarshal.GetReference(dbAcc), scale, gScale);
                    }

                    if (weighted)
                    {
                        Blas.Log(sums.Slice(0, count)); // the block's sums of exponentials, logged together
                        for (int i = 0; i < count; i++)
                        {
                            loss += ws[i] * ((double)pre[i] + sums[i]); // sums[i] is now its log
                        }
                    }
                    else
                    {
                        loss += BlockLoss(pre.Slice(0, count), sums.Slice(0, count));
                    }
                }

                if (gradient)
                {
                    // The next block's rows (clamped to the batch's last row), for the gradient pass to prefetch; after the
                    // last block, the first rows of the batch that follows, if the caller named them.
                    if (r0 + rowBlock < n || batch.Following.IsEmpty)
                    {
                        kernels.RowOffsets(rows, hasRows, r0 + rowBlock, n, next);
                    }
                    else
                    {
                        FollowingOffsets(batch.Following, available, kernels.Inputs, next);
                    }
                    kernels.Gradient(isa, x, offs, next, count, blk, dW, first: r0 == 0);
                }
            }

            if (gradient)
            {
                dbAcc.Slice(0, q).CopyTo(db);
            }

            return new BatchResult((float)(loss / n), correct, n) { LossSum = loss };
        }

        /// <summary>
        /// The loss of a block's rows, sum_i pre[i] + log sums[i], with one logarithm of the product of the sums: each sum of
        /// exponentials is at least 1 (the max's term) and at most the class count q, so the product of a block's (RowBlock
        /// rows of at most q each) is at most 256^32 over every shape, far inside double's range, and rounds in double where a
        /// log a row rounded in float. Scalar logs a row (logf) and the chain of additions were 2-3% of a byte epoch (784 x 10,
        /// bench/results/2026-12-06-block-log).
        /// </summary>
        private static double BlockLoss(ReadOnlySpan<float> pre, ReadOnlySpan<float> sums)
        {
            double p0 = 1, p1 = 1, s0 = 0, s1 = 0;
            int i = 0;
            for (; i + 1 < pre.Length; i += 2)
            {
                p0 *= sums[i];
                p1 *= sums[i + 1];
                s0 += pre[i];
                s1 += pre[i + 1];
            }

            if (i < pre.Length)
            {
                p0 *= sums[i];
                s0 += pre[i];
            }

            return s0 + s1 + Math.Log(p0 * p1);
        }

        /// <summary>
        /// Soft targets for one block: loss terms, correct count, and the scaled gradient rows in place.
        /// sum_c t_c (m - o_c) = m tsum - sum_c t_c o_c: the dot product is taken before softmax overwrites the
        /// logits, in double, where t_c o_c is exact.
        /// </summary>
        private static (double Loss, int Correct) SoftRows(
            KernelTable kernels, KernelIsa isa, Span<float> blk, int count, ReadOnlySpan<float> targets, ReadOnlySpan<int> rows,
            bool hasRows, int r0, Span<float> m, Span<float> logS, Span<float> dbAcc, float scale, float gScale,
            ReadOnlySpan<float> weights)
        {
            bool weighted = !weights.IsEmpty;
            int q = kernels.Classes;
            int stride = kernels.Stride;
            Span<double> dot = stackalloc double[kernels.RowBlock];
            Span<double> tsum = stackalloc double[kernels.RowBlock];
            int correct = 0;
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<float> o = blk.Slice(i * stride, q);
                ReadOnlySpan<float> t = targets.Slice((hasRows ? rows[r0 + i] : r0 + i) * q, q);
                double d = 0, ts = 0;
                for (int c = 0; c < q; c++)
                {
                    d += (double)t[c] * o[c];
                    ts += t[c];
                }

                dot[i] = d;
                tsum[i] = ts;
                correct += Blas.ArgMax(o) == Blas.ArgMax(t) ? 1 : 0;
            }

            // Weighted rows: softmax unscaled, then each row's (p - t) times its own scale.
            kernels.Softmax(
                isa, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(m), ref MemoryMarshal.GetReference(logS),
                weighted ? 1f : scale);
            Blas.Log(logS.Slice(0, count));
            double loss = 0;
            for (int i = 0; i < count; i++)
            {
                double rowLoss = (tsum[i] * m[i]) - dot[i] + (tsum[i] * logS[i]);
                loss += weighted ? weights[i] * rowLoss : rowLoss;
                Span<float> gi = blk.Slice(i * stride, q);
                ReadOnlySpan<float> t = targets.Slice((hasRows ? rows[r0 + i] : r0 + i) * q, q);
                float rowScale = weighted ? scale * weights[i] : scale;
                for (int c = 0; c < q; c++)
                {
                    gi[c] = weighted ? (gi[c] - t[c]) * rowScale : gi[c] - (t[c] * scale);
                    dbAcc[c] += gi[c];
                    gi[c] *= gScale;
                }
            }

            return (loss, correct);
        }

        /// <summary>The weights of the block's rows r0, r0 + 1, ..., each checked to be finite and at least 0.</summary>
        private static void RowWeights(ReadOnlySpan<float> weights, ReadOnlySpan<int> rows, bool hasRows, int r0, Span<float> ws)
        {
            for (int i = 0; i < ws.Length; i++)
            {
                int row = hasRows ? rows[r0 + i] : r0 + i;
                float w = weights[row];
                if (!(w >= 0f && float.IsFinite(w)))
                {
                    throw new ArgumentException(
                        $"weights[{row}] = {w}: a row's weight must be finite and at least 0 (0 leaves the row out).", "weights");
                }

                ws[i] = w;
            }
        }

        /// <summary>
        /// Offsets of the first rows of <paramref name="following"/> (the next batch's), as many as <paramref name="offs"/>
        /// holds, repeating its last row if it has fewer: only prefetched, so a row outside the data becomes row 0.
        /// </summary>
        private static void FollowingOffsets(ReadOnlySpan<int> following, int available, int inputs, Span<nuint> offs)
        {
            for (int i = 0; i < offs.Length; i++)
            {
                int r = following[Math.Min(i, following.Length - 1)];
                offs[i] = (uint)r < (uint)available ? (nuint)(uint)r * (nuint)inputs : 0;
            }
        }

        // Hessian of the cross-entropy sum times a direction V, block by block of rows:
        //   Z = X Vᵀ + vb (the logits kernel with V as the weights);  P = softmax(X Wᵀ + b), stored on refresh
        //   R_i = w_i (P_i ∘ Z_i − P_i (P_i · Z_i));  Hv_W = Rᵀ X (the gradient kernel);  Hv_b = column sums of R.
        // On refresh a block's rows pass through the logits kernel twice while they are in cache, so one product is one
        // pass over the data either way.
        /// <summary>
        /// The Hessian of the batch's summed cross-entropy at (<paramref name="weights"/>, <paramref name="bias"/>) times the
        /// direction (<paramref name="vW"/>, <paramref name="vb"/>), into <paramref name="hW"/> and <paramref name="hb"/>;
        /// the batch's probabilities are computed into <paramref name="probabilities"/> on <paramref name="refresh"/>, read
        /// from it otherwise. The caller checked every length.
        /// </summary>
        public static void HessianVector<T>(
            KernelTable kernels, KernelIsa isa, ReadOnlySpan<T> x, in Batch batch, int n, ReadOnlySpan<float> weights,
            ReadOnlySpan<float> bias, Span<float> probabilities, bool refresh, ReadOnlySpan<float> vW, ReadOnlySpan<float> vb,
            Span<float> hW, Span<float> hb)
            where T : unmanaged
        {
            int q = kernels.Classes;
            int stride = kernels.Stride;
            int rowBlock = kernels.RowBlock;
            ReadOnlySpan<int> rows = batch.Rows;
            bool hasRows = batch.HasRows, weighted = batch.HasWeights;
            ReadOnlySpan<float> rowWeights = batch.Weights;
            Span<float> blk = stackalloc float[rowBlock * stride];
            Span<nuint> offs = stackalloc nuint[rowBlock + KernelLayout.PrefetchRows];
            Span<nuint> next = stackalloc nuint[rowBlock];
            Span<float> m = stackalloc float[rowBlock];
            Span<float> sums = stackalloc float[rowBlock];
            // The kernels may read a bias a vector at a time: both biases padded with zeros to the stride.
            Span<float> b = stackalloc float[stride];
            Span<float> c = stackalloc float[stride];
            Span<double> hbAcc = stackalloc double[q];
            b.Clear();
            c.Clear();
            hbAcc.Clear();
            bias.CopyTo(b);
            vb.CopyTo(c);
            float gScale = typeof(T) == typeof(byte) ? PixelScale : 1f;
            for (int r0 = 0; r0 < n; r0 += rowBlock)
            {
                int count = Math.Min(rowBlock, n - r0);
                kernels.RowOffsets(rows, hasRows, r0, n, offs);
                if (refresh)
                {
                    kernels.Logits(isa, ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(b), x, offs, count, blk);
                    kernels.Softmax(
                        isa, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(m),
                        ref MemoryMarshal.GetReference(sums), 1f);
                    for (int i = 0; i < count; i++)
                    {
                        blk.Slice(i * stride, q).CopyTo(probabilities.Slice((r0 + i) * q, q));
                    }
                }

                kernels.Logits(isa, ref MemoryMarshal.GetReference(vW), ref MemoryMarshal.GetReference(c), x, offs, count, blk);
                for (int i = 0; i < count; i++)
                {
                    ReadOnlySpan<float> p = probabilities.Slice((r0 + i) * q, q);
                    Span<float> z = blk.Slice(i * stride, stride);
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

                kernels.RowOffsets(rows, hasRows, r0 + rowBlock, n, next);
                kernels.Gradient(isa, x, offs, next, count, blk, hW, first: r0 == 0);
            }

            for (int k = 0; k < q; k++)
            {
                hb[k] = (float)hbAcc[k];
            }
        }
    }
}
