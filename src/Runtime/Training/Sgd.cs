using System;
using System.Runtime.CompilerServices;

namespace GenSoftmax
{
    /// <summary>
    /// Settings of stochastic gradient descent. The defaults are the textbook's plain SGD with learning rate 0.1.
    /// </summary>
    public sealed record SgdOptions
    {
        /// <summary>Step size η. Positive and finite.</summary>
        public float LearningRate { get; init; } = 0.1f;

        /// <summary>
        /// Momentum μ in [0, 1): the step follows a velocity v = μ v + g (PyTorch's <c>SGD(momentum=μ)</c>, no
        /// dampening, not Nesterov). 0 is plain SGD.
        /// </summary>
        public float Momentum { get; init; }

        /// <summary>
        /// L2 weight decay λ ≥ 0 on the weights (not the bias): the gradient gains λ W, as PyTorch's
        /// <c>SGD(weight_decay=λ)</c> applies it, which minimises loss + λ/2 ‖W‖².
        /// </summary>
        public float WeightDecay { get; init; }

        /// <summary>Throws when a setting is out of range, naming it and a valid example.</summary>
        public void Validate()
        {
            Internal.Guard.LearningRate(LearningRate, nameof(LearningRate));

            if (!(Momentum >= 0f && Momentum < 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Momentum must be at least 0 and below 1, such as 0.9 (0 turns it off).");
            }

            if (!(WeightDecay >= 0f) || float.IsInfinity(WeightDecay))
            {
                throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "Weight decay must be a finite number >= 0, such as 1e-4 (0 turns it off).");
            }
        }
    }

    /// <summary>
    /// Stochastic gradient descent with optional momentum and L2 weight decay, for one model, owning its state.
    /// Per element: g' = g + λ w (weights only); v = μ v + g'; w -= η v (with μ = 0: w -= η g').
    /// </summary>
    /// <remarks>
    /// The update is element-wise, so it can be applied to any slice of the weights on its own: the data-parallel
    /// trainer has each thread update its own slice. Its state (the velocity) can be read and restored, so a run
    /// can be saved and continued. <see cref="Step"/> and <see cref="Update"/> write the parameters inside the write side
    /// of the model's <see cref="ISoftmaxModel.Gate"/>, so other threads may predict with the model meanwhile.
    /// </remarks>
    public sealed class Sgd
    {
        private readonly ISoftmaxModel _model;
        private float[]? _dW; // Step's and Update's gradient buffers, allocated on first use (the trainer brings its own)
        private float[]? _db;
        private readonly float[]? _velocityW;
        private readonly float[]? _velocityB;
        private float _learningRate;

        // With KeepPrevious on: the parameters and velocity as they were before the last update, written slice by slice
        // by the update itself (the slice is in cache then, and each thread copies its own), so the trainer can put back
        // the last finite state when a batch diverges without copying the whole model before every batch.
        private float[]? _previousW;
        private float[]? _previousB;
        private float[]? _previousVelocityW;
        private float[]? _previousVelocityB;

        /// <summary>An optimizer for <paramref name="model"/>'s parameters, with zero velocity.</summary>
        public Sgd(ISoftmaxModel model, SgdOptions? options = null)
        {
            ArgumentNullException.ThrowIfNull(model);
            options ??= new SgdOptions();
            options.Validate();
            _model = model;
            Options = options;
            _learningRate = options.LearningRate;
            if (options.Momentum != 0f)
            {
                _velocityW = new float[model.Weights.Length];
                _velocityB = new float[model.Classes];
            }
        }

        /// <summary>The settings it was created with.</summary>
        public SgdOptions Options { get; }

        /// <summary>The model whose parameters it updates.</summary>
        public ISoftmaxModel Model => _model;

        /// <summary>The step size of the next update: <see cref="SgdOptions.LearningRate"/> unless a schedule changed it.</summary>
        public float LearningRate
        {
            get => _learningRate;
            set
            {
                Internal.Guard.LearningRate(value, nameof(value));
                _learningRate = value;
            }
        }

        /// <summary>The velocity of the weights, [Classes, Inputs] (empty without momentum).</summary>
        public ReadOnlySpan<float> VelocityWeights => _velocityW;

        /// <summary>The velocity of the bias, [Classes] (empty without momentum).</summary>
        public ReadOnlySpan<float> VelocityBias => _velocityB;

        /// <summary>One step on a batch: its loss and gradient at the current parameters, then the update.</summary>
        /// <returns>The batch's loss and correct count before the update.</returns>
        public BatchResult Step(in Batch batch)
        {
            float[] dW = _dW ??= new float[_model.Weights.Length];
            float[] db = _db ??= new float[_model.Classes];
            BatchResult result = _model.LossAndGradient(batch, dW, db);
            using ParameterGate.WriteScope write = EnterWrite();
            UpdateWeights(0, dW);
            UpdateBias(db);
            return result;
        }

        /// <summary>Applies a gradient computed elsewhere: <paramref name="dW"/> [Classes, Inputs], <paramref name="db"/> [Classes].</summary>
        public void Update(ReadOnlySpan<float> dW, ReadOnlySpan<float> db)
        {
            Internal.Guard.Length(dW.Length, nameof(dW), _model.Classes, _model.Inputs);
            Internal.Guard.Length(db.Length, nameof(db), _model.Classes);
            float[] gradW = _dW ??= new float[_model.Weights.Length];
            float[] gradB = _db ??= new float[_model.Classes];
            dW.CopyTo(gradW);
            db.CopyTo(gradB);
            using ParameterGate.WriteScope write = EnterWrite();
            UpdateWeights(0, gradW);
            UpdateBias(gradB);
        }

        /// <summary>Sets the velocity, as read from <see cref="VelocityWeights"/> and <see cref="VelocityBias"/> of a saved run.</summary>
        public void RestoreVelocity(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias)
        {
            if (_velocityW is null || _velocityB is null)
            {
                if (weights.IsEmpty && bias.IsEmpty)
                {
                    return;
                }

                throw new InvalidOperationException("This optimizer has no momentum, so it has no velocity to restore: create it with the saved run's SgdOptions.");
            }

            if (weights.IsEmpty && bias.IsEmpty)
            {
                throw new InvalidOperationException(
                    "The saved run had no momentum, so it saved no velocity, but this optimizer has momentum: create it with the saved run's SgdOptions.");
            }

            Internal.Guard.Length(weights.Length, "velocity of the weights", _model.Classes, _model.Inputs);
            Internal.Guard.Length(bias.Length, "velocity of the bias", _model.Classes);
            weights.CopyTo(_velocityW);
            bias.CopyTo(_velocityB);
        }

        /// <summary>Sets the velocity to zero, as for a fresh run.</summary>
        public void Reset()
        {
            _velocityW?.AsSpan().Clear();
            _velocityB?.AsSpan().Clear();
            _learningRate = Options.LearningRate;
        }

        /// <summary>From now on, every update first keeps the values it overwrites, for <see cref="RestorePrevious"/>.</summary>
        internal void KeepPrevious()
        {
            _previousW ??= _model.Weights.ToArray();
            _previousB ??= _model.Bias.ToArray();
            _previousVelocityW ??= _velocityW is null ? null : (float[])_velocityW.Clone();
            _previousVelocityB ??= _velocityB is null ? null : (float[])_velocityB.Clone();
        }

        /// <summary>Undoes the last update: the parameters and velocity as they were before it (needs <see cref="KeepPrevious"/>).</summary>
        internal void RestorePrevious()
        {
            if (_previousW is null || _previousB is null)
            {
                throw new InvalidOperationException("The optimizer keeps no previous values: call KeepPrevious before the update.");
            }

            using (EnterWrite())
            {
                _previousW.CopyTo(_model.Weights);
                _previousB.CopyTo(_model.Bias);
            }

            _previousVelocityW?.CopyTo(_velocityW!, 0);
            _previousVelocityB?.CopyTo(_velocityB!, 0);
        }

        /// <summary>The write side of the model's gate (nothing for a model without one), for an update made here.</summary>
        private ParameterGate.WriteScope EnterWrite() => _model.Gate is { } gate ? gate.EnterWrite() : default;

        /// <summary>
        /// The update of weights [start, start + gradient.Length) from their gradient, which is used as scratch.
        /// Touches nothing outside the slice, so threads may update disjoint slices at once.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal void UpdateWeights(int start, Span<float> gradient)
        {
            Span<float> w = _model.Weights.Slice(start, gradient.Length);
            if (_previousW is not null)
            {
                w.CopyTo(_previousW.AsSpan(start, gradient.Length));
                _velocityW?.AsSpan(start, gradient.Length).CopyTo(_previousVelocityW.AsSpan(start, gradient.Length));
            }

            if (Options.WeightDecay != 0f)
            {
                Internal.Blas.MultiplyAdd(w, Options.WeightDecay, gradient, gradient); // g += λ w
            }

            Apply(w, gradient, _velocityW is null ? default : _velocityW.AsSpan(start, gradient.Length));
        }

        /// <summary>The update of the bias from its gradient (no weight decay), which is used as scratch.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal void UpdateBias(Span<float> gradient)
        {
            if (_previousB is not null)
            {
                _model.Bias.CopyTo(_previousB);
                _velocityB?.CopyTo(_previousVelocityB.AsSpan());
            }

            Apply(_model.Bias, gradient, _velocityB);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Apply(Span<float> parameters, Span<float> gradient, Span<float> velocity)
        {
            ReadOnlySpan<float> step = gradient;
            if (!velocity.IsEmpty)
            {
                Internal.Blas.MultiplyAdd(velocity, Options.Momentum, gradient, velocity); // v = μ v + g
                step = velocity;
            }

            Internal.Blas.MultiplyAdd(step, -_learningRate, parameters, parameters); // w -= η step
        }
    }
}
