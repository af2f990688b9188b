using System;
using System.Collections.Generic;

namespace GenSoftmax
{
    /// <summary>
    /// A model whose W is built from its <see cref="ISoftmaxModel.Parameters"/> rather than being one of them (the
    /// hypercomplex model: W = Σ A_i ⊗ S_i). Optimizers and the trainer train it like any model, through its parameters: they
    /// map the kernels' gradient with respect to W and b onto the parameters (<see cref="ParameterGradient"/>), update the
    /// parameters in place, then ask the model to rebuild W (<see cref="Rebuild"/>).
    /// </summary>
    public interface IReparameterizedModel : ISoftmaxModel
    {
        /// <summary>
        /// The gradient of the loss with respect to each parameter, from its gradient with respect to W [Classes, Inputs]
        /// and b [Classes], into <paramref name="gradient"/> (one tensor per parameter, same order and shapes; overwritten).
        /// </summary>
        /// <exception cref="ArgumentException">A length does not match the model.</exception>
        void ParameterGradient(ReadOnlySpan<float> dW, ReadOnlySpan<float> db, IReadOnlyList<NamedTensor> gradient);

        /// <summary>
        /// Rebuilds W from the parameters after they were changed in place. The caller holds the write side of the model's
        /// <see cref="ISoftmaxModel.Gate"/> when other threads may use the model.
        /// </summary>
        void Rebuild();
    }
}
