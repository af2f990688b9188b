using System;
using System.Collections.Generic;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Stochastic gradient descent with optional momentum and L2 weight decay over a model's parameters
    /// (<see cref="ISoftmaxModel.Parameters"/>), owning its state. Per element of each parameter: g' = g + λ p (parameters
    /// that decay); v = μ v + g'; p -= η v (with μ = 0: p -= η g'). A model whose W is built from its parameters
    /// (<see cref="IReparameterizedModel"/>, the hypercomplex one) gets its gradient mapped onto them and W rebuilt after each update.
    /// </summary>
    /// <remarks>
    /// The update is element-wise, so it can be applied to any slice of a parameter on its own: the data-parallel trainer
    /// has each thread update its own slice. Its state (the learning rate and a velocity per parameter, named after it) can be
    /// read and restored, so a run can be saved and continued. <see cref="Step"/> and the <c>Update</c> overloads write
    /// the parameters inside the write side of the model's <see cref="ISoftmaxModel.Gate"/>, so other threads may predict with
    /// the model meanwhile.
    /// </remarks>
    public sealed class Sgd
    {
        private readonly ISoftmaxModel _model;
        private readonly IReadOnlyList<NamedTensor> _parameters;
        private readonly IReparameterizedModel? _derived;
        private readonly NamedTensor[] _velocity; // one per parameter, named after it; empty without momentum
        private readonly NamedTensor[] _gradient; // the gradient of each parameter (scratch of Step and Update)
        private float[]? _dW; // the gradient with respect to W and b, for Step and Update on a reparameterised model
        private float[]? _db;
        private float _learningRate;

        // With KeepPrevious on: the parameters and velocity as they were before the last update, written slice by slice
        // by the update itself (the slice is in cache then, and each thread copies its own), so the trainer can put back
        // the last finite state when a batch diverges without copying the whole model before every batch.
        private NamedTensor[]? _previous;
        private NamedTensor[]? _previousVelocity;

        /// <summary>An optimizer for <paramref name="model"/>'s parameters, with zero velocity.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
        public Sgd(ISoftmaxModel model, SgdOptions? options = null)
        {
            ArgumentNullException.ThrowIfNull(model);
            options ??= new SgdOptions();
            options.Validate();
            _model = model;
            _parameters = model.Parameters;
            _derived = model as IReparameterizedModel;
            Options = options;
            _learningRate = options.LearningRate;
            _gradient = new NamedTensor[_parameters.Count];
            _velocity = options.Momentum != 0f ? new NamedTensor[_parameters.Count] : [];
            for (int i = 0; i < _parameters.Count; i++)
            {
                NamedTensor p = _parameters[i];
                _gradient[i] = new NamedTensor(p.Name, [.. p.Shape], p.Decays, p.Init);
                if (_velocity.Length != 0)
                {
                    _velocity[i] = new NamedTensor(p.Name, [.. p.Shape], p.Decays, p.Init);
                }
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

        /// <summary>The velocity of each parameter, named after it (empty without momentum).</summary>
        public IReadOnlyList<NamedTensor> Velocity => _velocity;

        /// <summary>One step on a batch: its loss and gradient at the current parameters, then the update.</summary>
        /// <returns>The batch's loss and correct count before the update.</returns>
        public BatchResult Step(in Batch batch)
        {
            if (_derived is null)
            {
                // The gradient of a dense model's parameters is the gradient with respect to W and b.
                BatchResult dense = _model.LossAndGradient(batch, _gradient[0].Values, _gradient[1].Values);
                ApplyAll();
                return dense;
            }

            float[] dW = _dW ??= new float[_model.Weights.Length];
            float[] db = _db ??= new float[_model.Classes];
            BatchResult result;
            // One read for the gradient and the parameters it is mapped with.
            using (_model.Gate is { } gate ? gate.EnterRead() : default)
            {
                result = _model.LossAndGradient(batch, dW, db);
                _derived.ParameterGradient(dW, db, _gradient);
            }

            ApplyAll();
            return result;
        }

        /// <summary>
        /// Applies a gradient with respect to W, <paramref name="dW"/> [Classes, Inputs], and b, <paramref name="db"/> [Classes],
        /// computed elsewhere (mapped onto the parameters first for a reparameterised model).
        /// </summary>
        public void Update(ReadOnlySpan<float> dW, ReadOnlySpan<float> db)
        {
            Internal.Guard.Length(dW.Length, nameof(dW), _model.Classes, _model.Inputs);
            Internal.Guard.Length(db.Length, nameof(db), _model.Classes);
            if (_derived is null)
            {
                dW.CopyTo(_gradient[0].Values);
                db.CopyTo(_gradient[1].Values);
            }
            else
            {
                _derived.ParameterGradient(dW, db, _gradient);
            }

            ApplyAll();
        }

        /// <summary>Applies a gradient of each parameter computed elsewhere: one tensor per parameter, same names and shapes, in
        /// order.</summary>
        /// <exception cref="ArgumentException">A tensor does not match its parameter.</exception>
        public void Update(IReadOnlyList<NamedTensor> gradient)
        {
            ArgumentNullException.ThrowIfNull(gradient);
            if (Internal.ParameterSet.Mismatch(_parameters, gradient) is { } problem)
            {
                throw new ArgumentException($"The gradient does not match the model's parameters: {problem}.", nameof(gradient));
            }

            for (int i = 0; i < _gradient.Length; i++)
            {
                gradient[i].Values.CopyTo(_gradient[i].Values);
            }

            ApplyAll();
        }

        /// <summary>Sets the velocity, as read from <see cref="Velocity"/> of a saved run: one tensor per parameter, same names and
        /// shapes.</summary>
        /// <exception cref="InvalidOperationException">The saved run and this optimizer differ in having momentum.</exception>
        /// <exception cref="ArgumentException">A tensor does not match its parameter.</exception>
        public void RestoreVelocity(IReadOnlyList<NamedTensor> velocity)
        {
            ArgumentNullException.ThrowIfNull(velocity);
            if (_velocity.Length == 0)
            {
                if (velocity.Count == 0)
                {
                    return;
                }

                throw new InvalidOperationException("This optimizer has no momentum, so it has no velocity " +
                    "to restore: create it with the " +
                    "saved run's SgdOptions.");
            }

            if (velocity.Count == 0)
            {
                throw new InvalidOperationException(
                    "The saved run had no momentum, so it saved no velocity, but this optimizer has momentum: create it with the saved " +
                        "run's SgdOptions.");
            }

            if (Internal.ParameterSet.Mismatch(_parameters, velocity) is { } problem)
            {
                throw new ArgumentException($"The velocity does not match the model's parameters: {problem}.", nameof(velocity));
            }

            for (int i = 0; i < _velocity.Length; i++)
            {
                velocity[i].Values.CopyTo(_velocity[i].Values);
            }
        }

        /// <summary>Sets the velocity to zero and the learning rate to the options', as for a fresh run.</summary>
        public void Reset()
        {
            foreach (NamedTensor v in _velocity)
            {
                v.Values.Clear();
            }

            _learningRate = Options.LearningRate;
        }

        /// <summary>From now on, every update first keeps the values it overwrites, for <see cref="RestorePrevious"/>.</summary>
        internal void KeepPrevious()
        {
            _previous ??= Internal.ParameterSet.Snapshot(_parameters);
            _previousVelocity ??= Internal.ParameterSet.Snapshot(_velocity);
        }

        /// <summary>Undoes the last update: the parameters and velocity as they were before it (needs <see
        /// cref="KeepPrevious"/>).</summary>
        internal void RestorePrevious()
        {
            if (_previous is null || _previousVelocity is null)
            {
                throw new InvalidOperationException("The optimizer keeps no previous values: call KeepPrevious before the update.");
            }

            using (EnterWrite())
            {
                Internal.ParameterSet.Restore(_model, _previous);
            }

            for (int i = 0; i < _velocity.Length; i++)
            {
                _previousVelocity[i].Values.CopyTo(_velocity[i].Values);
            }
        }

        /// <summary>Whether W is built from the parameters, so the gradient with respect to W needs mapping and W rebuilding.</summary>
        internal bool Reparameterized => _derived is not null;

        /// <summary>The gradient of each parameter, as <see cref="MapGradient"/> leaves it.</summary>
        internal IReadOnlyList<NamedTensor> Gradient => _gradient;

        /// <summary>Maps a gradient with respect to W and b onto the parameters' gradients (a reparameterised model).</summary>
        internal void MapGradient(ReadOnlySpan<float> dW, ReadOnlySpan<float> db) => _derived!.ParameterGradient(dW, db, _gradient);

        /// <summary>Rebuilds a reparameterised model's W after its parameters were updated; nothing for a dense model.</summary>
        internal void Rebuilt() => _derived?.Rebuild();

        /// <summary>
        /// The update of elements [start, start + gradient.Length) of parameter <paramref name="index"/> from their gradient,
        /// which is used as scratch. Touches nothing outside the slice, so threads may update disjoint slices at once.
        /// Returns whether every updated element is finite (checked as they are written).
        /// </summary>
        internal bool UpdateSlice(int index, int start, Span<float> gradient)
        {
            Span<float> p = _parameters[index].Values.Slice(start, gradient.Length);
            Span<float> velocity = _velocity.Length == 0 ? default : _velocity[index].Values.Slice(start, gradient.Length);
            if (_previous is not null)
            {
                p.CopyTo(_previous[index].Values.Slice(start, gradient.Length));
                if (!velocity.IsEmpty)
                {
                    velocity.CopyTo(_previousVelocity![index].Values.Slice(start, gradient.Length));
                }
            }

            if (Options.WeightDecay != 0f && _parameters[index].Decays)
            {
                Internal.Blas.MultiplyAdd(p, Options.WeightDecay, gradient, gradient); // g += λ p
            }

            ReadOnlySpan<float> step = gradient;
            if (!velocity.IsEmpty)
            {
                Internal.Blas.MultiplyAdd(velocity, Options.Momentum, gradient, velocity); // v = μ v + g
                step = velocity;
            }

            return Internal.Blas.MultiplyAdd(step, -_learningRate, p, p); // p -= η step
        }

        /// <summary>Updates every parameter from <see cref="Gradient"/>, then rebuilds, inside the model's write side.</summary>
        private void ApplyAll()
        {
            // All parameters change together: predictions on other threads see all of this step or none of it.
            using ParameterGate.WriteScope write = EnterWrite();
            for (int i = 0; i < _gradient.Length; i++)
            {
                _ = UpdateSlice(i, 0, _gradient[i].Values);
            }

            Rebuilt();
        }

        /// <summary>The write side of the model's gate (nothing for a model without one), for an update made here.</summary>
        private ParameterGate.WriteScope EnterWrite() => _model.Gate is { } gate ? gate.EnterWrite() : default;
    }
}
