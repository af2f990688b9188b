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
    /// model. The JIT compiles them per kernel struct, so every size is a constant in the code that runs; the loss and
    /// gradient driver (<see cref="BatchLoss"/>, over a <see cref="KernelTable"/>) is compiled once for every model
    /// instead, so the package's ReadyToRun image holds it.
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

        private const float PixelScale = BatchLoss.PixelScale;

        private readonly TKernels _kernels;
        private readonly KernelTable<TKernels> _table; // the same kernels for the drivers written once (BatchLoss)
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
            _table = new KernelTable<TKernels>(kernels);
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
                ? BatchLoss.Run(_table, _isa, ref _weights.First, ref Bias0, batch.Pixels, batch, default, default, gradient: false)
                : BatchLoss.Run(_table, _isa, ref _weights.First, ref Bias0, batch.Features, batch, default, default, gradient: false);
        }

        /// <inheritdoc />
        public BatchResult LossAndGradient(in Batch batch, Span<float> dW, Span<float> db)
        {
            Guard.Length(dW.Length, nameof(dW), _kernels.Classes, _kernels.Inputs);
            Guard.Length(db.Length, nameof(db), _kernels.Classes);
            using ParameterGate.ReadScope read = _gate.EnterRead();
            return batch.IsPixels
                ? BatchLoss.Run(_table, _isa, ref _weights.First, ref Bias0, batch.Pixels, batch, dW, db, gradient: true)
                : BatchLoss.Run(_table, _isa, ref _weights.First, ref Bias0, batch.Features, batch, dW, db, gradient: true);
        }

        /// <summary>Checks the inputs and the row list; returns the rows of the batch.</summary>
        private int BatchRows(in Batch batch, out int available) => BatchLoss.BatchRows(batch, _kernels.Inputs, out available);

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

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void RowOffsets(ReadOnlySpan<int> rows, bool hasRows, int r0, int n, Span<nuint> offs) =>
            BatchLoss.RowOffsets(rows, hasRows, r0, n, _kernels.Inputs, offs);

        private ref float Bias0 => ref MemoryMarshal.GetArrayDataReference(_bias);

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
