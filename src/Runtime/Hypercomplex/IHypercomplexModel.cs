using System;

namespace GenSoftmax.Hypercomplex
{
    /// <summary>
    /// A softmax-regression model whose weights are a parameterised hypercomplex multiplication (PHM):
    /// W = Σ_{i=1..n} A_i ⊗ S_i (see <see cref="HypercomplexLayout"/>), generated for
    /// <c>[SoftmaxModel(Inputs = 784, Classes = 10, Hypercomplex = 2)]</c>. Its trained parameters are the factors A and S
    /// and the bias (<see cref="ISoftmaxModel.Parameters"/>); <see cref="Training.Sgd"/> and the <see cref="Training.Trainer"/> train it
    /// through them as any model.
    /// </summary>
    /// <remarks>
    /// <para>Every <see cref="ISoftmaxModel"/> operation runs the dense kernels on the materialised W, which
    /// <see cref="ISoftmaxModel.Weights"/> shows (read-only) and which is rebuilt whenever the factors change
    /// (<see cref="SetFactors"/>, <see cref="IReparameterizedModel.Rebuild"/>).</para>
    /// <para><see cref="ISoftmaxModel.LossAndGradient"/> gives the gradient with respect to W;
    /// <see cref="LossAndFactorGradient"/> projects it onto the factors.</para>
    /// </remarks>
    public interface IHypercomplexModel : IReparameterizedModel
    {
        /// <summary>The factors' shape: n, the sizes of A and S, the parameter counts.</summary>
        HypercomplexLayout Layout { get; }

        /// <summary>The factors A_1 .. A_n, [n, n, n].</summary>
        ReadOnlySpan<float> FactorA { get; }

        /// <summary>The factors S_1 .. S_n, [n, Classes / n, Inputs / n].</summary>
        ReadOnlySpan<float> FactorS { get; }

        /// <summary>
        /// Sets the factors (copied) and rebuilds W = Σ A_i ⊗ S_i, inside the write side of <see cref="ISoftmaxModel.Gate"/>
        /// when the model has one, so operations on other threads see the old W or the new one, never a mixture.
        /// </summary>
        /// <exception cref="ArgumentException">A span's length does not match <see cref="Layout"/>.</exception>
        void SetFactors(ReadOnlySpan<float> a, ReadOnlySpan<float> s);

        /// <summary>
        /// The batch's loss, as <see cref="ISoftmaxModel.Loss"/>, and its gradient with respect to the trained parameters,
        /// all overwritten: <paramref name="dA"/> [n, n, n], <paramref name="dS"/> [n, Classes / n, Inputs / n] and
        /// <paramref name="db"/> [Classes].
        /// </summary>
        /// <exception cref="ArgumentException">The batch has no rows, no labels or targets, or a size does not match.</exception>
        BatchResult LossAndFactorGradient(in Batch batch, Span<float> dA, Span<float> dS, Span<float> db);
    }
}
