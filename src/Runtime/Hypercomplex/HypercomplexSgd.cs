using System;
using System.Numerics.Tensors;
using GenSoftmax.Internal;

namespace GenSoftmax
{
    /// <summary>
    /// Stochastic gradient descent on a hypercomplex model's trained parameters (the factors A and S and the bias), with
    /// the dense optimizer's settings and formulas: per element g' = g + λ p (A and S, not the bias); v = μ v + g';
    /// p -= η v. After each update W = Σ A_i ⊗ S_i is rebuilt.
    /// </summary>
    /// <remarks>
    /// Weight decay here penalises the factors, λ/2 (‖A‖² + ‖S‖²), not W: the same setting is a different regulariser
    /// than on a dense model.
    /// </remarks>
    public sealed class HypercomplexSgd
    {
        private readonly IHypercomplexModel _model;
        private readonly float[] _a;
        private readonly float[] _s;
        private readonly float[] _dA;
        private readonly float[] _dS;
        private readonly float[] _db;
        private readonly float[]? _velocityA;
        private readonly float[]? _velocityS;
        private readonly float[]? _velocityB;
        private float _learningRate;

        // With KeepPrevious on: the factors, bias and velocity as they were before the last update, so the trainer can put
        // back the last finite state when a batch diverges.
        private float[]? _previousA;
        private float[]? _previousS;
        private float[]? _previousB;
        private float[]? _previousVelocityA;
        private float[]? _previousVelocityS;
        private float[]? _previousVelocityB;

        /// <summary>An optimizer for <paramref name="model"/>'s factors and bias, with zero velocity.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
        public HypercomplexSgd(IHypercomplexModel model, SgdOptions? options = null)
        {
            ArgumentNullException.ThrowIfNull(model);
            options ??= new SgdOptions();
            options.Validate();
            _model = model;
            Options = options;
            _learningRate = options.LearningRate;
            HypercomplexLayout layout = model.Layout;
            _a = new float[layout.FactorALength];
            _s = new float[layout.FactorSLength];
            _dA = new float[layout.FactorALength];
            _dS = new float[layout.FactorSLength];
            _db = new float[model.Classes];
            if (options.Momentum != 0f)
            {
                _velocityA = new float[layout.FactorALength];
                _velocityS = new float[layout.FactorSLength];
                _velocityB = new float[model.Classes];
            }
        }

        /// <summary>The settings it was created with.</summary>
        public SgdOptions Options { get; }

        /// <summary>The model whose parameters it updates.</summary>
        public IHypercomplexModel Model => _model;

        /// <summary>The step size of the next update: <see cref="SgdOptions.LearningRate"/> unless changed since.</summary>
        public float LearningRate
        {
            get => _learningRate;
            set
            {
                Guard.LearningRate(value, nameof(value));
                _learningRate = value;
            }
        }

        /// <summary>The velocity of A, [n, n, n] (empty without momentum).</summary>
        public ReadOnlySpan<float> VelocityA => _velocityA;

        /// <summary>The velocity of S, [n, Classes / n, Inputs / n] (empty without momentum).</summary>
        public ReadOnlySpan<float> VelocityS => _velocityS;

        /// <summary>The velocity of the bias, [Classes] (empty without momentum).</summary>
        public ReadOnlySpan<float> VelocityBias => _velocityB;

        /// <summary>
        /// Random factors from <paramref name="seed"/>: A ~ N(0, 1/n) and S ~ N(0, <paramref name="stdDev"/>²), so each weight
        /// of W, a sum of n products, has standard deviation <paramref name="stdDev"/> as a dense model's initial weights
        /// do; the bias is set to 0. Training needs non-zero factors: at A = S = 0 every factor gradient is zero.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="stdDev"/> is not a positive finite number.</exception>
        public static void Initialize(IHypercomplexModel model, int seed, float stdDev = 0.01f)
        {
            ArgumentNullException.ThrowIfNull(model);
            if (!(stdDev > 0f) || float.IsInfinity(stdDev))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(stdDev), stdDev, "The initial standard deviation must be a positive finite number, such as 0.01: zero factors cannot be trained.");
            }

            HypercomplexLayout layout = model.Layout;
            var random = new Random(seed);
            var a = new float[layout.FactorALength];
            var s = new float[layout.FactorSLength];
            Normal(random, a, 1.0 / Math.Sqrt(layout.N));
            Normal(random, s, stdDev);
            using ParameterGate.WriteScope write = model.Gate is { } gate ? gate.EnterWrite() : default;
            model.SetFactors(a, s);
            model.Bias.Clear();
        }

        /// <summary>One step on a batch: its loss and factor gradient at the current parameters, then the update.</summary>
        /// <returns>The batch's loss and correct count before the update.</returns>
        public BatchResult Step(in Batch batch)
        {
            BatchResult result = _model.LossAndFactorGradient(batch, _dA, _dS, _db);
            Apply();
            return result;
        }

        /// <summary>
        /// Applies a gradient with respect to the materialised weights, computed elsewhere (for example summed over
        /// threads by a data-parallel trainer): <paramref name="dW"/> [Classes, Inputs] is projected onto the factors.
        /// </summary>
        /// <exception cref="ArgumentException">A span's length does not match the model.</exception>
        public void Update(ReadOnlySpan<float> dW, ReadOnlySpan<float> db)
        {
            Guard.Length(db.Length, nameof(db), _model.Classes);
            _model.Layout.Project(_model.FactorA, _model.FactorS, dW, _dA, _dS);
            db.CopyTo(_db);
            Apply();
        }

        /// <summary>Applies gradients of the factors and bias computed elsewhere, as <see cref="IHypercomplexModel.LossAndFactorGradient"/> gives them.</summary>
        /// <exception cref="ArgumentException">A span's length does not match the model.</exception>
        public void UpdateFactors(ReadOnlySpan<float> dA, ReadOnlySpan<float> dS, ReadOnlySpan<float> db)
        {
            Guard.Length(dA.Length, nameof(dA), _dA.Length);
            Guard.Length(dS.Length, nameof(dS), _dS.Length);
            Guard.Length(db.Length, nameof(db), _model.Classes);
            dA.CopyTo(_dA);
            dS.CopyTo(_dS);
            db.CopyTo(_db);
            Apply();
        }

        /// <summary>Sets the velocity, as read from <see cref="VelocityA"/>, <see cref="VelocityS"/> and <see cref="VelocityBias"/> of a saved run.</summary>
        /// <exception cref="InvalidOperationException">The saved run and this optimizer differ in having momentum.</exception>
        /// <exception cref="ArgumentException">A span's length does not match the model.</exception>
        public void RestoreVelocity(ReadOnlySpan<float> a, ReadOnlySpan<float> s, ReadOnlySpan<float> bias)
        {
            bool saved = !(a.IsEmpty && s.IsEmpty && bias.IsEmpty);
            if (_velocityA is null || _velocityS is null || _velocityB is null)
            {
                if (saved)
                {
                    throw new InvalidOperationException("This optimizer has no momentum, so it has no velocity to restore: create it with the saved run's SgdOptions.");
                }

                return;
            }

            if (!saved)
            {
                throw new InvalidOperationException(
                    "The saved run had no momentum, so it saved no velocity, but this optimizer has momentum: create it with the saved run's SgdOptions.");
            }

            Guard.Length(a.Length, "velocity of A", _velocityA.Length);
            Guard.Length(s.Length, "velocity of S", _velocityS.Length);
            Guard.Length(bias.Length, "velocity of the bias", _velocityB.Length);
            a.CopyTo(_velocityA);
            s.CopyTo(_velocityS);
            bias.CopyTo(_velocityB);
        }

        /// <summary>Sets the velocity to zero and the learning rate to the options', as for a fresh run.</summary>
        public void Reset()
        {
            _velocityA?.AsSpan().Clear();
            _velocityS?.AsSpan().Clear();
            _velocityB?.AsSpan().Clear();
            _learningRate = Options.LearningRate;
        }

        /// <summary>From now on, every update first keeps the values it overwrites, for <see cref="RestorePrevious"/>.</summary>
        internal void KeepPrevious()
        {
            _previousA ??= _model.FactorA.ToArray();
            _previousS ??= _model.FactorS.ToArray();
            _previousB ??= _model.Bias.ToArray();
            _previousVelocityA ??= _velocityA is null ? null : (float[])_velocityA.Clone();
            _previousVelocityS ??= _velocityS is null ? null : (float[])_velocityS.Clone();
            _previousVelocityB ??= _velocityB is null ? null : (float[])_velocityB.Clone();
        }

        /// <summary>
        /// Undoes the last update: the factors (and so W), bias and velocity as they were before it (needs
        /// <see cref="KeepPrevious"/>).
        /// </summary>
        internal void RestorePrevious()
        {
            if (_previousA is null || _previousS is null || _previousB is null)
            {
                throw new InvalidOperationException("The optimizer keeps no previous values: call KeepPrevious before the update.");
            }

            using ParameterGate.WriteScope write = EnterWrite();
            _model.SetFactors(_previousA, _previousS);
            _previousB.CopyTo(_model.Bias);
            _previousVelocityA?.CopyTo(_velocityA!, 0);
            _previousVelocityS?.CopyTo(_velocityS!, 0);
            _previousVelocityB?.CopyTo(_velocityB!, 0);
        }

        /// <summary>Updates A, S and b from the gradients in _dA, _dS and _db (used as scratch), then rebuilds W.</summary>
        private void Apply()
        {
            // The bias and the factors change together: predictions on other threads see all of this step or none of it.
            using ParameterGate.WriteScope write = EnterWrite();
            _model.FactorA.CopyTo(_a);
            _model.FactorS.CopyTo(_s);
            if (_previousA is not null)
            {
                _a.CopyTo(_previousA, 0);
                _s.CopyTo(_previousS!, 0);
                _model.Bias.CopyTo(_previousB);
                _velocityA?.CopyTo(_previousVelocityA!, 0);
                _velocityS?.CopyTo(_previousVelocityS!, 0);
                _velocityB?.CopyTo(_previousVelocityB!, 0);
            }

            if (Options.WeightDecay != 0f)
            {
                TensorPrimitives.MultiplyAdd(_a, Options.WeightDecay, _dA, _dA); // g += λ p
                TensorPrimitives.MultiplyAdd(_s, Options.WeightDecay, _dS, _dS);
            }

            Descend(_a, _dA, _velocityA);
            Descend(_s, _dS, _velocityS);
            Descend(_model.Bias, _db, _velocityB);
            _model.SetFactors(_a, _s);
        }

        private ParameterGate.WriteScope EnterWrite() => _model.Gate is { } gate ? gate.EnterWrite() : default;

        private void Descend(Span<float> parameters, Span<float> gradient, Span<float> velocity)
        {
            ReadOnlySpan<float> step = gradient;
            if (!velocity.IsEmpty)
            {
                TensorPrimitives.MultiplyAdd(velocity, Options.Momentum, gradient, velocity); // v = μ v + g
                step = velocity;
            }

            TensorPrimitives.MultiplyAdd(step, -_learningRate, parameters, parameters); // p -= η step
        }

        private static void Normal(Random random, Span<float> values, double stdDev)
        {
            for (int i = 0; i < values.Length; i++)
            {
                // Box-Muller, as Trainer.Initialize draws; 1 - u keeps the log argument in (0, 1].
                double u1 = 1.0 - random.NextDouble();
                double u2 = random.NextDouble();
                values[i] = (float)(stdDev * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
            }
        }
    }
}
