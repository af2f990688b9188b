using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GenSoftmax.Dynamic;
using GenSoftmax.Internal;

namespace GenSoftmax
{
    /// <summary>
    /// A softmax-regression model whose shape is chosen at run time: any number of inputs and classes within the
    /// limits of <c>[SoftmaxModel]</c>, with vectorised kernels that loop over run-time sizes. It is the interpreter
    /// beside the generator's compiler (as <c>System.Text.RegularExpressions</c> has both): use it for a shape that is
    /// known only when the program runs, such as one read from a model file or a data set; declare a
    /// <c>[SoftmaxModel]</c> class for a shape known at compile time, whose kernels are specialised to it.
    /// </summary>
    /// <remarks>
    /// <para>Same contract and semantics as a generated model in every operation (<see cref="ISoftmaxModel"/>): the same
    /// layouts, argument checks and messages, hard labels and soft targets, row lists, float features and byte pixels
    /// scaled by 1/255, Predict's first index on ties, the max lane's exponential exactly 1 (a perfectly fitted row has
    /// a loss of exactly 0), the loss accumulated in double, and no allocation per call. The same kernel variants
    /// (<see cref="Isa"/>), chosen the same way. Results agree with a generated model of the same shape within float
    /// rounding, not bit for bit: the two sum in different orders.</para>
    /// <para>Works with <see cref="Sgd"/> and <see cref="Trainer"/> like any model.</para>
    /// </remarks>
    /// <example><code>
    /// var model = new RuntimeSoftmaxModel(inputs: data.Inputs, classes: 10);
    /// new Trainer(model, new TrainerOptions { Epochs = 5 }).Fit(data);
    /// </code></example>
    [SkipLocalsInit]
    public sealed class RuntimeSoftmaxModel : ISoftmaxModel
    {
        private const float PixelScale = 1f / 255f;

        private readonly RuntimeShape _shape;
        private readonly float[] _weights;
        private readonly float[] _bias; // ClassStride floats: the kernels read the bias four classes at a time; the pad stays 0
        private readonly ParameterGate _gate = new();
        private readonly NamedTensor[] _parameters;
        private KernelIsa _isa = IsaSelection.Default;

        /// <summary>A model with <paramref name="inputs"/> features and <paramref name="classes"/> classes, all parameters 0.</summary>
        /// <param name="inputs">Input features per row: 1 to 1,048,576 (2^20).</param>
        /// <param name="classes">Classes: 2 to 1024.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is outside its range, or the weight matrix (classes x inputs)
        /// would exceed 2^28 floats; the message names the limit.</exception>
        /// <exception cref="InvalidOperationException"><c>GENSOFTMAX_ISA</c> names no variant this machine runs (see <see cref="IsaSelection.Default"/>).</exception>
        public RuntimeSoftmaxModel(int inputs, int classes)
        {
            if (inputs < ModelLimits.MinInputs || inputs > ModelLimits.MaxInputs)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(inputs), inputs,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"inputs = {inputs} is not a supported number of input features: use {ModelLimits.MinInputs} to {ModelLimits.MaxInputs:N0}."));
            }

            if (classes < ModelLimits.MinClasses || classes > ModelLimits.MaxClasses)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(classes), classes,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"classes = {classes} is not a supported number of classes: " +
                        $"use {ModelLimits.MinClasses} to {ModelLimits.MaxClasses:N0} (softmax needs at least two)."));
            }

            long parameters = (long)inputs * classes;
            if (parameters > ModelLimits.MaxParameters)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(inputs), inputs,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{classes:N0} classes x {inputs:N0} inputs = {parameters:N0} weights, " +
                        $"more than the limit of {ModelLimits.MaxParameters:N0} (2^28): use fewer inputs or classes."));
            }

            _shape = RuntimeShape.Of(inputs, classes);
            _weights = new float[parameters];
            _bias = new float[_shape.ClassStride];
            _parameters = ParameterSet.Dense(_weights, _bias, inputs, classes);
        }

        /// <inheritdoc />
        public int Inputs => _shape.Inputs;

        /// <inheritdoc />
        public int Classes => _shape.Classes;

        /// <summary>The weights W, [Classes, Inputs], class-major, writable (the parameter <c>W</c>).</summary>
        public Span<float> Weights => _weights;

        /// <summary>The bias b, [Classes], writable (the parameter <c>b</c>).</summary>
        public Span<float> Bias => _bias.AsSpan(0, _shape.Classes);

        /// <inheritdoc />
        ReadOnlySpan<float> ISoftmaxModel.Weights => _weights;

        /// <inheritdoc />
        ReadOnlySpan<float> ISoftmaxModel.Bias => _bias.AsSpan(0, _shape.Classes);

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
        public void Forward(in Batch batch, Span<float> logits)
        {
            using ParameterGate.ReadScope read = _gate.EnterRead();
            if (batch.IsPixels)
            {
                ForwardCore(batch.Pixels, batch, logits, probabilities: false);
            }
            else
            {
                ForwardCore(batch.Features, batch, logits, probabilities: false);
            }
        }

        /// <inheritdoc />
        public void Probabilities(in Batch batch, Span<float> probabilities)
        {
            using ParameterGate.ReadScope read = _gate.EnterRead();
            if (batch.IsPixels)
            {
                ForwardCore(batch.Pixels, batch, probabilities, probabilities: true);
            }
            else
            {
                ForwardCore(batch.Features, batch, probabilities, probabilities: true);
            }
        }

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
            Guard.Length(dW.Length, nameof(dW), _shape.Classes, _shape.Inputs);
            Guard.Length(db.Length, nameof(db), _shape.Classes);
            using ParameterGate.ReadScope read = _gate.EnterRead();
            return batch.IsPixels
                ? LossCore(batch.Pixels, batch, dW, db, gradient: true)
                : LossCore(batch.Features, batch, dW, db, gradient: true);
        }

        /// <inheritdoc />
        public override string ToString() => $"RuntimeSoftmaxModel({_shape.Inputs} inputs x {_shape.Classes} classes, {_isa})";

        // The drivers below are SoftmaxEngine's, line for line, with the shape read from _shape instead of the kernel
        // struct: the same checks in the same order (so the same messages), the same blocks, the same arithmetic.

        /// <summary>Checks the inputs and the row list; returns the rows of the batch.</summary>
        private int BatchRows(in Batch batch, out int available)
        {
            available = Guard.Rows(batch.InputLength, _shape.Inputs, batch.InputName);
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
            int q = _shape.Classes;
            int stride = _shape.ClassStride;
            int rowBlock = _shape.RowBlock;
            int n = BatchRows(batch, out _);
            Guard.Length(output.Length, probabilities ? "probabilities" : "logits", n, q);
            ReadOnlySpan<int> rows = batch.Rows;
            bool hasRows = batch.HasRows;
            Span<float> blk = stackalloc float[rowBlock * stride];
            Span<nuint> offs = stackalloc nuint[rowBlock + KernelLayout.PrefetchRows];
            Span<float> m = stackalloc float[rowBlock];
            Span<float> sums = stackalloc float[rowBlock];
            for (int r0 = 0; r0 < n; r0 += rowBlock)
            {
                int count = Math.Min(rowBlock, n - r0);
                RowOffsets(rows, hasRows, r0, n, offs);
                Logits(x, offs, count, blk);
                if (probabilities)
                {
                    RuntimeKernels.Softmax(
                        _isa, _shape, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(m), ref MemoryMarshal.GetReference(sums), 1f);
                }

                for (int i = 0; i < count; i++)
                {
                    blk.Slice(i * stride, q).CopyTo(output.Slice((r0 + i) * q, q));
                }
            }
        }

        private void PredictCore<T>(ReadOnlySpan<T> x, in Batch batch, Span<int> predictions)
            where T : unmanaged
        {
            int stride = _shape.ClassStride;
            int rowBlock = _shape.RowBlock;
            int n = BatchRows(batch, out _);
            Guard.Length(predictions.Length, nameof(predictions), n);
            ReadOnlySpan<int> rows = batch.Rows;
            bool hasRows = batch.HasRows;
            Span<float> blk = stackalloc float[rowBlock * stride];
            Span<nuint> offs = stackalloc nuint[rowBlock + KernelLayout.PrefetchRows];
            for (int r0 = 0; r0 < n; r0 += rowBlock)
            {
                int count = Math.Min(rowBlock, n - r0);
                RowOffsets(rows, hasRows, r0, n, offs);
                Logits(x, offs, count, blk);
                for (int i = 0; i < count; i++)
                {
                    predictions[r0 + i] = Blas.ArgMax(blk.Slice(i * stride, _shape.Classes));
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
            int q = _shape.Classes;
            int stride = _shape.ClassStride;
            int rowBlock = _shape.RowBlock;
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

            Span<float> blk = stackalloc float[rowBlock * stride];
            Span<nuint> offs = stackalloc nuint[rowBlock + KernelLayout.PrefetchRows];
            Span<nuint> next = stackalloc nuint[rowBlock];
            Span<int> ys = stackalloc int[rowBlock];
            Span<float> m = stackalloc float[rowBlock];
            Span<float> pre = stackalloc float[rowBlock];
            Span<float> logS = stackalloc float[rowBlock];
            Span<double> dot = stackalloc double[rowBlock];
            Span<double> tsum = stackalloc double[rowBlock];
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
                RowOffsets(rows, hasRows, r0, n, offs);
                Logits(x, offs, count, blk);
                if (soft)
                {
                    (double blockLoss, int blockCorrect) = SoftRows(blk, count, targets, rows, hasRows, r0, m, logS, dot, tsum, dbAcc, scale, gScale);
                    loss += blockLoss;
                    correct += blockCorrect;
                }
                else
                {
                    for (int i = 0; i < count; i++)
                    {
                        ys[i] = labels[hasRows ? rows[r0 + i] : r0 + i];
                    }

                    correct += RuntimeKernels.LossRows(
                        _isa, _shape, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(ys), ref MemoryMarshal.GetReference(pre),
                        ref MemoryMarshal.GetReference(logS), ref MemoryMarshal.GetReference(dbAcc), scale, gScale);
                    Blas.Log(logS.Slice(0, count)); // the block's sums of exponentials, logged together
                    for (int i = 0; i < count; i++)
                    {
                        loss += (double)pre[i] + logS[i];
                    }
                }

                if (gradient)
                {
                    // The next block's rows (clamped to the batch's last row), for the gradient pass to prefetch.
                    RowOffsets(rows, hasRows, r0 + rowBlock, n, next);
                    RuntimeKernels.Gradient(
                        _isa, _shape, ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(offs), ref MemoryMarshal.GetReference(next), count,
                        ref MemoryMarshal.GetReference(blk), ref MemoryMarshal.GetReference(dW), first: r0 == 0);
                }
            }

            if (gradient)
            {
                dbAcc.Slice(0, q).CopyTo(db);
            }

            return new BatchResult((float)(loss / n), correct, n);
        }

        /// <summary>
        /// Soft targets for one block: loss terms, correct count, and the scaled gradient rows in place.
        /// sum_c t_c (m - o_c) = m tsum - sum_c t_c o_c: the dot product is taken before softmax overwrites the
        /// logits, in double, where t_c o_c is exact.
        /// </summary>
        private (double Loss, int Correct) SoftRows(
            Span<float> blk, int count, ReadOnlySpan<float> targets, ReadOnlySpan<int> rows, bool hasRows, int r0,
            Span<float> m, Span<float> logS, Span<double> dot, Span<double> tsum, Span<float> dbAcc, float scale, float gScale)
        {
            int q = _shape.Classes;
            int stride = _shape.ClassStride;
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

            RuntimeKernels.Softmax(
                _isa, _shape, ref MemoryMarshal.GetReference(blk), count, ref MemoryMarshal.GetReference(m), ref MemoryMarshal.GetReference(logS), scale);
            Blas.Log(logS.Slice(0, count));
            double loss = 0;
            for (int i = 0; i < count; i++)
            {
                loss += (tsum[i] * m[i]) - dot[i] + (tsum[i] * logS[i]);
                Span<float> gi = blk.Slice(i * stride, q);
                ReadOnlySpan<float> t = targets.Slice((hasRows ? rows[r0 + i] : r0 + i) * q, q);
                for (int c = 0; c < q; c++)
                {
                    gi[c] -= t[c] * scale;
                    dbAcc[c] += gi[c];
                    gi[c] *= gScale;
                }
            }

            return (loss, correct);
        }

        /// <summary>
        /// Offsets of rows r0, r0 + 1, ... of the batch, as many as <paramref name="offs"/> holds, clamped to the batch's
        /// last row: a block's rows followed by PrefetchRows more for the logits kernel's prefetch, or the next block's
        /// rows for the gradient kernel's.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void RowOffsets(ReadOnlySpan<int> rows, bool hasRows, int r0, int n, Span<nuint> offs)
        {
            nuint inputs = (nuint)_shape.Inputs;
            for (int i = 0; i < offs.Length; i++)
            {
                int r = Math.Min(r0 + i, n - 1);
                offs[i] = (nuint)(uint)(hasRows ? rows[r] : r) * inputs;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Logits<T>(ReadOnlySpan<T> x, Span<nuint> offs, int count, Span<float> blk)
            where T : unmanaged =>
            RuntimeKernels.Logits(
                _isa, _shape, ref MemoryMarshal.GetArrayDataReference(_weights), ref MemoryMarshal.GetArrayDataReference(_bias),
                ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(offs), count, ref MemoryMarshal.GetReference(blk));
    }
}
