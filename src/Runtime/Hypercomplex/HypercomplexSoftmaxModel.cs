using System;
using System.Buffers;
using System.Collections.Generic;
using GenSoftmax.Internal;

namespace GenSoftmax.Hypercomplex
{
    /// <summary>
    /// A parameterised hypercomplex (PHM) softmax-regression model over a dense model of the same shape, which holds the
    /// materialised W = Σ A_i ⊗ S_i and runs every operation with its kernels. A <c>[SoftmaxModel(..., Hypercomplex = n)]</c>
    /// class holds one over its generated kernels; for a shape known only at run time, wrap a <c>RuntimeSoftmaxModel</c>.
    /// </summary>
    /// <remarks>
    /// <para>Its parameters are <c>A</c> [n, n, n] and <c>S</c> [n, Classes / n, Inputs / n], both decayed by weight decay
    /// (which so penalises λ/2 (‖A‖² + ‖S‖²), not ‖W‖²), and the dense model's bias <c>b</c>. Any optimizer trains it through
    /// them (<see cref="IReparameterizedModel"/>).</para>
    /// <para>The factors start at zero (so W = 0, as a dense model starts); <see cref="Training.Trainer.Initialize(ISoftmaxModel, int,
    /// float)"/>
    /// draws random ones (A from N(0, 1/n), S from N(0, σ²), so each weight of W has standard deviation σ), which training needs:
    /// at A = S = 0 every factor gradient is zero.</para>
    /// </remarks>
    public sealed class HypercomplexSoftmaxModel : IHypercomplexModel
    {
        private readonly ISoftmaxModel _dense;
        private readonly NamedTensor _weights; // the dense model's W, which this model writes
        private readonly NamedTensor _a;
        private readonly NamedTensor _s;
        private readonly NamedTensor[] _parameters;

        /// <summary>
        /// A model with <paramref name="n"/> factors whose W lives in <paramref name="dense"/>, which it takes over: W is
        /// overwritten now and whenever the factors change, so nothing else should write to it.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is below 2, does not divide both sizes, or gives no fewer
        /// parameters than W.</exception>
        public HypercomplexSoftmaxModel(ISoftmaxModel dense, int n)
        {
            ArgumentNullException.ThrowIfNull(dense);
            Layout = new HypercomplexLayout(n, dense.Inputs, dense.Classes);
            _dense = dense;
            IReadOnlyList<NamedTensor> denseParameters = dense.Parameters;
            if (denseParameters.Count != 2 || denseParameters[0].Name != "W" || denseParameters[1].Name != "b"
                || dense is IReparameterizedModel)
            {
                throw new ArgumentException(
                    $"The model under a hypercomplex layer must be a dense one, with parameters W and b; this one has " +
                        $"{Internal.ParameterSet.Describe(denseParameters)}.",
                    nameof(dense));
            }

            _weights = denseParameters[0];
            _a = new NamedTensor("A", [n, n, n], decays: true, TensorInit.NormalWith(1.0 / Math.Sqrt(n)));
            _s = new NamedTensor("S", [n, Layout.BlockRows, Layout.BlockColumns], decays: true, TensorInit.Normal);
            _parameters = [_a, _s, denseParameters[1]];
            Rebuild();
        }

        /// <inheritdoc />
        public HypercomplexLayout Layout { get; }

        /// <inheritdoc />
        public ReadOnlySpan<float> FactorA => _a.Values;

        /// <inheritdoc />
        public ReadOnlySpan<float> FactorS => _s.Values;

        /// <inheritdoc />
        public IReadOnlyList<NamedTensor> Parameters => _parameters;

        /// <inheritdoc />
        public int Inputs => _dense.Inputs;

        /// <inheritdoc />
        public int Classes => _dense.Classes;

        /// <summary>The materialised W = Σ A_i ⊗ S_i, [Classes, Inputs]: read it, set the factors to change it.</summary>
        public ReadOnlySpan<float> Weights => _dense.Weights;

        /// <inheritdoc />
        public ReadOnlySpan<float> Bias => _dense.Bias;

        /// <inheritdoc />
        public KernelIsa Isa
        {
            get => _dense.Isa;
            set => _dense.Isa = value;
        }

        /// <summary>The dense model's gate, which orders the factors too: <see cref="SetFactors"/> writes inside its write side,
        /// <see cref="LossAndFactorGradient"/> reads inside its read side. Null when the dense model has none.</summary>
        public ParameterGate? Gate => _dense.Gate;

        /// <summary>
        /// Sets the factors (copied) and rebuilds W = Σ A_i ⊗ S_i, inside the write side of <see cref="Gate"/>: an operation
        /// running on another thread meanwhile sees the factors and W from before or after, never a mix.
        /// </summary>
        /// <exception cref="ArgumentException">A span's length does not match <see cref="Layout"/>.</exception>
        public void SetFactors(ReadOnlySpan<float> a, ReadOnlySpan<float> s)
        {
            Layout.CheckFactors(a.Length, s.Length);
            using ParameterGate.WriteScope write = _dense.Gate is { } gate ? gate.EnterWrite() : default;
            a.CopyTo(_a.Values);
            s.CopyTo(_s.Values);
            Rebuild();
        }

        /// <inheritdoc />
        public void Rebuild() => Layout.Materialize(_a.Values, _s.Values, _weights.Values);

        /// <inheritdoc />
        public void ParameterGradient(ReadOnlySpan<float> dW, ReadOnlySpan<float> db, IReadOnlyList<NamedTensor> gradient)
        {
            ArgumentNullException.ThrowIfNull(gradient);
            if (Internal.ParameterSet.Mismatch(_parameters, gradient) is { } problem)
            {
                throw new ArgumentException($"The gradient does not match the parameters: {problem}.", nameof(gradient));
            }

            Guard.Length(db.Length, nameof(db), Classes);
            Layout.Project(_a.Values, _s.Values, dW, gradient[0].Values, gradient[1].Values);
            db.CopyTo(gradient[2].Values);
        }

        /// <inheritdoc />
        public void Forward(in Batch batch, Span<float> logits) => _dense.Forward(batch, logits);

        /// <inheritdoc />
        public void Probabilities(in Batch batch, Span<float> probabilities) => _dense.Probabilities(batch, probabilities);

        /// <inheritdoc />
        public void Predict(in Batch batch, Span<int> predictions) => _dense.Predict(batch, predictions);

        /// <inheritdoc />
        public BatchResult Loss(in Batch batch) => _dense.Loss(batch);

        /// <inheritdoc />
        public BatchResult LossAndGradient(in Batch batch, Span<float> dW, Span<float> db) => _dense.LossAndGradient(batch, dW, db);

        /// <inheritdoc />
        public BatchResult LossAndFactorGradient(in Batch batch, Span<float> dA, Span<float> dS, Span<float> db)
        {
            Guard.Length(dA.Length, nameof(dA), Layout.FactorALength);
            Guard.Length(dS.Length, nameof(dS), Layout.FactorSLength);

            // The fused dense kernel gives dW; projecting it costs n·dq multiply-adds, small next to the batch's 2·n_rows·dq.
            // Pooled rather than owned, so several calls may run at once as for every other model.
            int length = Inputs * Classes;
            float[] dW = ArrayPool<float>.Shared.Rent(length);
            // One read for the dense gradient and the factors it is projected with: the dense call passes through it.
            using ParameterGate.ReadScope read = _dense.Gate is { } gate ? gate.EnterRead() : default;
            try
            {
                BatchResult result = _dense.LossAndGradient(batch, dW.AsSpan(0, length), db);
                Layout.Project(_a.Values, _s.Values, dW.AsSpan(0, length), dA, dS);
                return result;
            }
            finally
            {
                ArrayPool<float>.Shared.Return(dW);
            }
        }

        /// <summary>The shape, kernel variant and factors, such as <c>HypercomplexSoftmaxModel(784 inputs x 10 classes, Avx512, n =
        /// 2)</c>.</summary>
        public override string ToString() =>
            $"HypercomplexSoftmaxModel({Inputs} inputs x {Classes} classes, {Isa}, n = {Layout.N})";
    }
}
