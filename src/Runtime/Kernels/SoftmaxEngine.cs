using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GenSoftmax.Internal;

namespace GenSoftmax.Kernels
{
    /// <summary>
    /// A softmax-regression model whose kernels come from <typeparamref name="TKernels"/>: the parameters, the ISA
    /// setting, the argument checks and the drivers that walk a batch in blocks of rows, written once for every
    /// model. The JIT compiles them per kernel struct, so every size is a constant in the code that runs.
    /// </summary>
    /// <remarks>For generated code: each <c>[SoftmaxModel]</c> class holds one and forwards <see cref="ISoftmaxModel"/> to it.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public sealed partial class SoftmaxEngine<TKernels> : ISoftmaxModel, ICurvatureModel
        where TKernels : struct, ISoftmaxKernels
    {
        // Literals in the generated struct, so after the JIT specialises the engine every buffer below has a constant
        // size and every loop bound is known (a computed size here kept the stack buffers dynamic: bench/README.md); the
        // run-time struct's fields, read once per call.
        private int Stride => _kernels.ClassStride;

        private int RowBlock => _kernels.RowBlock;

        private const float PixelScale = 1f / 255f;

        private readonly TKernels _kernels;
        private readonly AlignedFloats _weights; // W on a 64-byte boundary, where the kernels' vector loads fall on whole lines
        private readonly float[] _bias; // BiasLength floats: kernels may read the bias a vector at a time; the pad stays 0
        private readonly ParameterGate _gate;
        private readonly NamedTensor[] _parameters;
        private KernelIsa _isa = IsaSelection.Default;

        /// <summary>A model with zero parameters over a kernel struct without state (a generated one).</summary>
        public SoftmaxEngine()
            : this(default)
        {
        }

        /// <summary>
        /// A model with zero parameters over <paramref name="kernels"/>. The first model of a Debug-built assembly warns that
        /// its kernels are unoptimised.
        /// </summary>
        public SoftmaxEngine(TKernels kernels)
        {
            _kernels = kernels;
            _gate = new ParameterGate { Curvature = this };
            _weights = AlignedFloats.Allocate(kernels.Inputs * kernels.Classes);
            _bias = new float[kernels.BiasLength];
            _parameters = ParameterSet.Dense(_weights, _bias, kernels.Inputs, kernels.Classes);
            PerformanceWarnings.CheckModel(typeof(TKernels));
            KernelWarmup<TKernels>.Start(kernels, _isa);
        }

        /// <inheritdoc />
        public int Inputs => _kernels.Inputs;

        /// <inheritdoc />
        public int Classes => _kernels.Classes;

        /// <summary>The weights W, [Classes, Inputs], class-major, writable (the parameter <c>W</c>).</summary>
        public Span<float> Weights => _weights.Span;

        /// <summary>The bias b, [Classes], writable (the parameter <c>b</c>).</summary>
        public Span<float> Bias => _bias.AsSpan(0, _kernels.Classes);

        /// <inheritdoc />
        ReadOnlySpan<float> ISoftmaxModel.Weights => _weights.Span;

        /// <inheritdoc />
        ReadOnlySpan<float> ISoftmaxModel.Bias => _bias.AsSpan(0, _kernels.Classes);

        /// <inheritdoc />
        public IReadOnlyList<NamedTensor> Parameters => _parameters;

        /// <inheritdoc />
        public KernelIsa Isa
        {
            get => _isa;
            set
            {
                IsaSelection.EnsureSupported(value);
                _isa = value;
            }
        }

        /// <inheritdoc />
        public ParameterGate Gate => _gate;

        /// <inheritdoc />
        public void Forward(in Batch batch, Span<float> logits) => Forward(batch, logits, probabilities: false);

        /// <inheritdoc />
        public void Probabilities(in Batch batch, Span<float> probabilities) => Forward(batch, probabilities, probabilities: true);

        /// <inheritdoc />
        public void Predict(in Batch batch, Span<int> predictions)
        {
            using ParameterGate.ReadScope read = _gate.EnterRead();
            if (batch.IsPixels)
            {
                PredictCore(batch.Pixels, batch, predictions);
            }
            else
            {
                PredictCore(batch.Features, batch, predictions);
            }
        }

        private void Forward(in Batch batch, Span<float> output, bool probabilities)
        {
            using ParameterGate.ReadScope read = _gate.EnterRead();
            if (batch.IsPixels)
            {
                ForwardCore(batch.Pixels, batch, output, probabilities);
            }
            else
            {
                ForwardCore(batch.Features, batch, output, probabilities);
            }
        }

        /// <inheritdoc />
        public BatchResult Loss(in Batch batch)
        {
            using ParameterGate.ReadScope read = _gate.EnterRead();
            return batch.IsPixels
                ? LossCore(batch.Pixels, batch, default, default, gradient: false)
                : LossCore(batch.Features, batch, default, default, gradient: false);
        }

        /// <inheritdoc />
        public BatchResult LossAndGradient(in Batch batch, Span<float> dW, Span<float> db)
        {
            Guard.Length(dW.Length, nameof(dW), _kernels.Classes, _kernels.Inputs);
            Guard.Length(db.Length, nameof(db), _kernels.Classes);
            using ParameterGate.ReadScope read = _gate.EnterRead();
            return batch.IsPixels
                ? LossCore(batch.Pixels, batch, dW, db, gradient: true)
                : LossCore(batch.Features, batch, dW, db, gradient: true);
        }

        /// <summary>Checks the inputs and the row list; returns the rows of the batch.</summary>
        private int BatchRows(in Batch batch, out int available)
        {
            available = Guard.Rows(batch.InputLength, _kernels.Inputs, batch.InputName);
            if (!batch.HasRows)
            {
                return available;
            }

            Guard.RowIndices(batch.Rows, available, "rows");
            return batch.Rows.Length;
        }

        private void ForwardCore<T>(ReadOnlySpan<T> x, in Batch batch, Span<float> output, bool probabilities)
            where T : unmanaged
        {
            int n = BatchRows(batch, out _);
            Guard.Length(output.Length, probabilities ? "probabilities" : "logits", n, _kernels.Classes);
            ReadOnlySpan<int> rows = batch.Rows;
            bool hasRows = batch.HasRows;
            Span<float> blk = stackalloc float[RowBlock * Stride];
            Span<nuint> offs = stackalloc nuint[RowBlock + KernelLayout.PrefetchRows];
            Span<float> m = stackalloc float[RowBlock];
            Span<float> sums = stackalloc float[RowBlock];
            for (int r0 = 0; r0 < n; r0 += RowBlock)
            {
                int count = Math.Min(RowBlock, n - r0);
                RowOffsets(rows, hasRows, r0, n, offs);
                Logits(x, offs, count, blk);
                if (probabilities)
                {
                    _kernels.Softmax(_isa, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(m),
                        ref MemoryMarshal.GetReference(sums), 1f);
                }

                for (int i = 0; i < count; i++)
                {
                    blk.Slice(i * Stride, _kernels.Classes).CopyTo(output.Slice((r0 + i) * _kernels.Classes, _kernels.Classes));
                }
            }
        }

        private void PredictCore<T>(ReadOnlySpan<T> x, in Batch batch, Span<int> predictions)
            where T : unmanaged
        {
            int n = BatchRows(batch, out _);
            Guard.Length(predictions.Length, nameof(predictions), n);
            ReadOnlySpan<int> rows = batch.Rows;
            bool hasRows = batch.HasRows;
            Span<float> blk = stackalloc float[RowBlock * Stride];
            Span<nuint> offs = stackalloc nuint[RowBlock + KernelLayout.PrefetchRows];
            for (int r0 = 0; r0 < n; r0 += RowBlock)
            {
                int count = Math.Min(RowBlock, n - r0);
                RowOffsets(rows, hasRows, r0, n, offs);
                Logits(x, offs, count, blk);
                for (int i = 0; i < count; i++)
                {
                    predictions[r0 + i] = Blas.ArgMax(blk.Slice(i * Stride, _kernels.Classes));
                }
            }
        }

        // Mean cross-entropy from the logits, never from probabilities, and its gradient:
        //   m = max(o);  loss = sum_c t_c ((m - o_c) + log sum exp(o - m));  dL/do = (softmax(o) - t) / n
        //   dW = dL/do^T X,  db = column sums of dL/do.
        // Hard labels are t = onehot(y). Row blocks keep dL/do on the stack; dW accumulates block by block.
        private BatchResult LossCore<T>(ReadOnlySpan<T> x, in Batch batch, Span<float> dW, Span<float> db, bool gradient)
            where T : unmanaged
        {
            int q = _kernels.Classes;
            int n = BatchRows(batch, out int available);
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

            Span<float> blk = stackalloc float[RowBlock * Stride];
            Span<nuint> offs = stackalloc nuint[RowBlock + KernelLayout.PrefetchRows];
            Span<nuint> next = stackalloc nuint[RowBlock];
            Span<int> ys = stackalloc int[RowBlock];
            Span<float> ws = stackalloc float[RowBlock];
            Span<float> m = stackalloc float[RowBlock];
            Span<float> pre = stackalloc float[RowBlock];
            Span<float> logS = stackalloc float[RowBlock];
            Span<float> dbAcc = stackalloc float[Stride]; // db with the pad lanes, which stay 0
            dbAcc.Clear();
            float scale = 1f / n;
            // Pixels enter the kernels as 0..255; their 1/255 is folded into dL/do before the gradient pass.
            float gScale = typeof(T) == typeof(byte) ? PixelScale : 1f;
            double loss = 0;
            int correct = 0;
            for (int r0 = 0; r0 < n; r0 += RowBlock)
            {
                int count = Math.Min(RowBlock, n - r0);
                RowOffsets(rows, hasRows, r0, n, offs);
                Logits(x, offs, count, blk);
                if (weighted)
                {
                    RowWeights(weights, rows, hasRows, r0, ws.Slice(0, count));
                }

                if (soft)
                {
                    (double blockLoss, int blockCorrect) = SoftRows(
                        blk, count, targets, rows, hasRows, r0, m, logS, dbAcc, scale, gScale, weighted ? ws : default);
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
                            correct += _kernels.LossRows(
                                _isa, ref blk[i * Stride], 1, ref ys[i], ref pre[i], ref logS[i], ref MemoryMarshal.GetReference(dbAcc),
                                scale * ws[i], gScale);
                        }
                    }
                    else
                    {
                        correct += _kernels.LossRows(
                            _isa, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(ys),
                                ref MemoryMarshal.GetReference(pre),
                            ref MemoryMarshal.GetReference(logS), ref MemoryMarshal.GetReference(dbAcc), scale, gScale);
                    }

                    Blas.Log(logS.Slice(0, count)); // the block's sums of exponentials, logged together
                    for (int i = 0; i < count; i++)
                    {
                        double rowLoss = (double)pre[i] + logS[i];
                        loss += weighted ? ws[i] * rowLoss : rowLoss;
                    }
                }

                if (gradient)
                {
                    // The next block's rows (clamped to the batch's last row), for the gradient pass to prefetch; after the
                    // last block, the first rows of the batch that follows, if the caller named them.
                    if (r0 + RowBlock < n || batch.Following.IsEmpty)
                    {
                        RowOffsets(rows, hasRows, r0 + RowBlock, n, next);
                    }
                    else
                    {
                        FollowingOffsets(batch.Following, available, next);
                    }
                    Gradient(x, offs, next, count, blk, dW, first: r0 == 0);
                }
            }

            if (gradient)
            {
                dbAcc.Slice(0, q).CopyTo(db);
            }

            return new BatchResult((float)(loss / n), correct, n) { LossSum = loss };
        }

        /// <summary>
        /// Soft targets for one block: loss terms, correct count, and the scaled gradient rows in place.
        /// sum_c t_c (m - o_c) = m tsum - sum_c t_c o_c: the dot product is taken before softmax overwrites the
        /// logits, in double, where t_c o_c is exact.
        /// </summary>
        private (double Loss, int Correct) SoftRows(
            Span<float> blk, int count, ReadOnlySpan<float> targets, ReadOnlySpan<int> rows, bool hasRows, int r0,
            Span<float> m, Span<float> logS, Span<float> dbAcc, float scale, float gScale, ReadOnlySpan<float> weights)
        {
            bool weighted = !weights.IsEmpty;
            int q = _kernels.Classes;
            Span<double> dot = stackalloc double[RowBlock];
            Span<double> tsum = stackalloc double[RowBlock];
            int correct = 0;
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<float> o = blk.Slice(i * Stride, q);
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
            _kernels.Softmax(
                _isa, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(m), ref MemoryMarshal.GetReference(logS),
                weighted ? 1f : scale);
            Blas.Log(logS.Slice(0, count));
            double loss = 0;
            for (int i = 0; i < count; i++)
            {
                double rowLoss = (tsum[i] * m[i]) - dot[i] + (tsum[i] * logS[i]);
                loss += weighted ? weights[i] * rowLoss : rowLoss;
                Span<float> gi = blk.Slice(i * Stride, q);
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
        /// Offsets of rows r0, r0 + 1, ... of the batch, as many as <paramref name="offs"/> holds, clamped to the batch's
        /// last row: a block's rows followed by PrefetchRows more for the logits kernel's prefetch, or the next block's
        /// rows for the gradient kernel's.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void RowOffsets(ReadOnlySpan<int> rows, bool hasRows, int r0, int n, Span<nuint> offs)
        {
            for (int i = 0; i < offs.Length; i++)
            {
                int r = Math.Min(r0 + i, n - 1);
                offs[i] = (nuint)(uint)(hasRows ? rows[r] : r) * (nuint)_kernels.Inputs;
            }
        }

        /// <summary>
        /// Offsets of the first rows of <paramref name="following"/> (the next batch's), as many as <paramref name="offs"/>
        /// holds, repeating its last row if it has fewer: only prefetched, so a row outside the data becomes row 0.
        /// </summary>
        private void FollowingOffsets(ReadOnlySpan<int> following, int available, Span<nuint> offs)
        {
            for (int i = 0; i < offs.Length; i++)
            {
                int r = following[Math.Min(i, following.Length - 1)];
                offs[i] = (uint)r < (uint)available ? (nuint)(uint)r * (nuint)_kernels.Inputs : 0;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Logits<T>(ReadOnlySpan<T> x, Span<nuint> offs, int count, Span<float> blk)
            where T : unmanaged =>
            _kernels.Logits(
                _isa, ref _weights.First, ref MemoryMarshal.GetArrayDataReference(_bias),
                ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(offs), count, ref MemoryMarshal.GetReference(blk));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Gradient<T>(ReadOnlySpan<T> x, Span<nuint> offs, Span<nuint> next, int count, Span<float> g, Span<float> dW,
            bool first)
            where T : unmanaged =>
            _kernels.Gradient(
                _isa, ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(offs), ref MemoryMarshal.GetReference(next), count,
                ref MemoryMarshal.GetReference(g), ref MemoryMarshal.GetReference(dW), first);
    }
}
