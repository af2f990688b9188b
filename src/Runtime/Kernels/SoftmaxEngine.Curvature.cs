using System;
using GenSoftmax.Internal;

namespace GenSoftmax.Kernels
{
    public sealed partial class SoftmaxEngine<TKernels>
    {
        /// <inheritdoc />
        void ICurvatureModel.HessianVector(
            in Batch batch, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> probabilities, bool refresh,
            ReadOnlySpan<float> vW, ReadOnlySpan<float> vb, Span<float> hW, Span<float> hb)
        {
            int q = _kernels.Classes, d = _kernels.Inputs;
            Guard.Length(weights.Length, nameof(weights), q, d);
            Guard.Length(bias.Length, nameof(bias), q);
            Guard.Length(vW.Length, nameof(vW), q, d);
            Guard.Length(vb.Length, nameof(vb), q);
            Guard.Length(hW.Length, nameof(hW), q, d);
            Guard.Length(hb.Length, nameof(hb), q);
            int n = BatchRows(batch, out int available);
            Guard.NotEmpty(n, batch.HasRows ? "rows" : batch.InputName);
            Guard.Length(probabilities.Length, nameof(probabilities), n, q);
            if (batch.HasWeights)
            {
                Guard.Length(batch.Weights.Length, "weights", available);
            }

            if (batch.IsPixels)
            {
                BatchLoss.HessianVector(_table, _isa, batch.Pixels, batch, n, weights, bias, probabilities, refresh, vW, vb, hW, hb);
            }
            else
            {
                BatchLoss.HessianVector(_table, _isa, batch.Features, batch, n, weights, bias, probabilities, refresh, vW, vb, hW, hb);
            }
        }
    }
}
