using System;
using System.Numerics.Tensors;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Loss and gradient of a batch as separate passes, each a loop over the whole batch, the way a library without
    /// fusion composes them: forward (the generated kernel) into O [n, 10]; softmax into P [n, 10] keeping each row's
    /// log-sum-exp; loss from O and the log-sum-exps; gradient G = (P - Y) / n, db = column sums of G, dW = Gᵀ X.
    /// The fused kernel does all of it while a block of rows is in registers and L1.
    /// </summary>
    public sealed class UnfusedLossAndGradient
    {
        private const int Inputs = BenchData.Inputs;
        private const int Classes = BenchData.Classes;
        private readonly float[] _logits = new float[BenchData.BatchSize * Classes];        // O [n, Classes]
        private readonly float[] _probabilities = new float[BenchData.BatchSize * Classes]; // P, then G [n, Classes]
        private readonly float[] _lse = new float[BenchData.BatchSize];                     // [n]

        /// <summary>
        /// Mean loss of x [n, Inputs] (n ≤ 256) and its gradient dW [Classes, Inputs], db [Classes] (overwritten); the
        /// forward pass runs the variant set in <paramref name="model"/>'s <see cref="ISoftmaxModel.Isa"/>.
        /// </summary>
        public float Run(FashionModel model, ReadOnlySpan<float> x, ReadOnlySpan<int> labels, Span<float> dW, Span<float> db)
        {
            int n = labels.Length;
            Span<float> o = _logits.AsSpan(0, n * Classes);
            Span<float> p = _probabilities.AsSpan(0, n * Classes);
            Span<float> lse = _lse.AsSpan(0, n);

            // Pass 1: forward, O = X Wᵀ + b.
            model.Forward(Batch.Of(x), o);

            // Pass 2: softmax per row, max-subtracted; lse = m + log Σ exp(o - m).
            for (int r = 0; r < n; r++)
            {
                ReadOnlySpan<float> row = o.Slice(r * Classes, Classes);
                Span<float> pr = p.Slice(r * Classes, Classes);
                float m = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, m, pr);
                TensorPrimitives.Exp(pr, pr);
                float sum = TensorPrimitives.Sum<float>(pr);
                TensorPrimitives.Divide(pr, sum, pr);
                lse[r] = m + MathF.Log(sum);
            }

            // Pass 3: loss = mean(lse - o_y).
            double loss = 0;
            for (int r = 0; r < n; r++)
            {
                loss += lse[r] - o[(r * Classes) + labels[r]];
            }

            // Pass 4: G = (P - Y) / n; db = Σ_r G_r; dW = Gᵀ X, one row of X at a time.
            float invN = 1f / n;
            TensorPrimitives.Multiply(p, invN, p);
            for (int r = 0; r < n; r++)
            {
                p[(r * Classes) + labels[r]] -= invN;
            }

            db.Clear();
            dW.Clear();
            for (int r = 0; r < n; r++)
            {
                ReadOnlySpan<float> g = p.Slice(r * Classes, Classes);
                ReadOnlySpan<float> row = x.Slice(r * Inputs, Inputs);
                TensorPrimitives.Add(db, g, db);
                for (int c = 0; c < Classes; c++)
                {
                    Span<float> dWc = dW.Slice(c * Inputs, Inputs);
                    TensorPrimitives.MultiplyAdd(row, g[c], dWc, dWc);
                }
            }

            return (float)(loss / n);
        }
    }
}
