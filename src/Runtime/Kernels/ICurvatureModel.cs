using System;

namespace GenSoftmax.Kernels
{
    /// <summary>
    /// The second-order pass the Newton solver needs and the public model contract lacks: the product of the cross-entropy
    /// sum's Hessian with a direction, through the model's logits and gradient kernels. The engine implements it, and a
    /// model that holds one forwards to it.
    /// </summary>
    internal interface ICurvatureModel
    {
        /// <summary>
        /// The batch's rows' part of the Hessian of Σ_i w_i CE_i at (W, b) times the direction V = (vW, vb), all sums:
        /// with Z = X Vᵀ + vb and P = softmax(X Wᵀ + b), R_i = w_i (P_i ∘ Z_i − P_i (P_i · Z_i)),
        /// <paramref name="hW"/> [Classes, Inputs] = Rᵀ X and <paramref name="hb"/> [Classes] = column sums of R, both overwritten.
        /// </summary>
        /// <param name="batch">Rows of inputs, optionally weighted (labels are not read).</param>
        /// <param name="weights">W [Classes, Inputs], read only when <paramref name="refresh"/>.</param>
        /// <param name="bias">b [Classes], read only when <paramref name="refresh"/>.</param>
        /// <param name="probabilities">P [n, Classes] of the batch's rows in order: computed at (W, b) and stored when
        /// <paramref name="refresh"/>, else read as stored by an earlier call at the same point.</param>
        /// <param name="refresh">Whether to compute <paramref name="probabilities"/> (the point changed since they were).</param>
        /// <param name="vW">The direction's weights [Classes, Inputs].</param>
        /// <param name="vb">The direction's bias [Classes].</param>
        /// <param name="hW">Output [Classes, Inputs].</param>
        /// <param name="hb">Output [Classes].</param>
        void HessianVector(
            in Batch batch, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> probabilities, bool refresh,
            ReadOnlySpan<float> vW, ReadOnlySpan<float> vb, Span<float> hW, Span<float> hb);
    }
}
