using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.InteropServices;
using GenSoftmax.Internal;

namespace GenSoftmax.Kernels
{
    /// <summary>
    /// A softmax-regression model whose kernels come from <typeparamref name="TKernels"/>: the parameters, the ISA
    /// setting and the argument checks, written once for every model. The drivers that walk a batch in blocks of rows
    /// (<see cref="BatchLoss"/>, <see cref="BatchForward"/>) take the kernels as a <see cref="KernelTable"/>: compiled once
    /// for every model rather than per kernel struct, so the package's ReadyToRun image holds them and a fresh process
    /// compiles only the kernels.
    /// </summary>
    /// <remarks>For generated code: each <c>[SoftmaxModel]</c> class holds one and forwards <see cref="ISoftmaxModel"/> to it.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public sealed partial class SoftmaxEngine<TKernels> : ISoftmaxModel, ICurvatureModel
        where TKernels : struct, ISoftmaxKernels
    {
        private readonly TKernels _kernels;
        private readonly KernelTable<TKernels> _table; // the same kernels for the drivers (BatchLoss, BatchForward)
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
                BatchForward.Predict(_table, _isa, ref _weights.First, ref Bias0, batch.Pixels, batch, predictions);
            }
            else
            {
                BatchForward.Predict(_table, _isa, ref _weights.First, ref Bias0, batch.Features, batch, predictions);
            }
        }

        private void Forward(in Batch batch, Span<float> output, bool probabilities)
        {
            using ParameterGate.ReadScope read = _gate.EnterRead();
            if (batch.IsPixels)
            {
                BatchForward.Forward(_table, _isa, ref _weights.First, ref Bias0, batch.Pixels, batch, output, probabilities);
            }
            else
            {
                BatchForward.Forward(_table, _isa, ref _weights.First, ref Bias0, batch.Features, batch, output, probabilities);
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
        private int BatchRows(in Batch batch, out int available) => _table.BatchRows(batch, out available);

        private ref float Bias0 => ref MemoryMarshal.GetArrayDataReference(_bias);
    }
}
