using System;
using System.Numerics.Tensors;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Softmax regression as a careful C# developer writes it with System.Numerics.Tensors and no generator: one
    /// <see cref="TensorPrimitives.Dot{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/> per (row, class), a max-subtracted
    /// softmax per row (<see cref="TensorPrimitives.SoftMax{T}(ReadOnlySpan{T}, Span{T})"/> is not used: it does
    /// not subtract the max, and returns NaN for logits near 100), one
    /// <see cref="TensorPrimitives.MultiplyAdd{T}(ReadOnlySpan{T}, T, ReadOnlySpan{T}, Span{T})"/> per (row, class)
    /// for dW, and the SGD update as one more MultiplyAdd. Every call is vectorised with the widest vectors the CPU
    /// has; what it lacks is register blocking across rows and classes, and fusion.
    /// </summary>
    public sealed class TensorPrimitivesSoftmax
    {
        /// <summary>Input features.</summary>
        public const int Inputs = BenchData.Inputs;

        /// <summary>Classes.</summary>
        public const int Classes = BenchData.Classes;

        private readonly float[] _dW = new float[Classes * Inputs];
        private readonly float[] _db = new float[Classes];

        /// <summary>W [Classes, Inputs].</summary>
        public float[] Weights { get; } = new float[Classes * Inputs];

        /// <summary>b [Classes].</summary>
        public float[] Bias { get; } = new float[Classes];

        /// <summary>o = W x + b for one row x [Inputs] into <paramref name="logits"/> [Classes].</summary>
        public void Logits(ReadOnlySpan<float> x, Span<float> logits)
        {
            for (int c = 0; c < Classes; c++)
            {
                logits[c] = TensorPrimitives.Dot(x, Weights.AsSpan(c * Inputs, Inputs)) + Bias[c];
            }
        }

        /// <summary>Mean cross-entropy of the batch x [n, Inputs] and its gradient dW [Classes, Inputs], db [Classes] (overwritten).</summary>
        public float LossAndGradient(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, Span<float> dW, Span<float> db)
        {
            int n = labels.Length;
            dW.Clear();
            db.Clear();
            Span<float> g = stackalloc float[Classes];
            float invN = 1f / n;
            double loss = 0;
            for (int r = 0; r < n; r++)
            {
                ReadOnlySpan<float> row = x.Slice(r * Inputs, Inputs);
                int y = labels[r];
                Logits(row, g);

                // loss = log Σ exp(o - m) - (o_y - m); dL/do = (softmax(o) - onehot(y)) / n
                TensorPrimitives.Subtract(g, TensorPrimitives.Max(g), g);
                float target = g[y];
                TensorPrimitives.Exp(g, g);
                float sum = TensorPrimitives.Sum(g);
                loss += MathF.Log(sum) - target;
                TensorPrimitives.Multiply(g, invN / sum, g);
                g[y] -= invN;

                TensorPrimitives.Add(db, g, db);
                for (int c = 0; c < Classes; c++)
                {
                    Span<float> dWc = dW.Slice(c * Inputs, Inputs);
                    TensorPrimitives.MultiplyAdd(row, g[c], dWc, dWc);
                }
            }

            return (float)(loss / n);
        }

        /// <summary>One SGD step: the gradient into buffers of the instance, then W -= lr dW, b -= lr db. Returns the loss.</summary>
        public float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float learningRate)
        {
            float loss = LossAndGradient(x, labels, _dW, _db);
            TensorPrimitives.MultiplyAdd(_dW, -learningRate, Weights, Weights);
            TensorPrimitives.MultiplyAdd(_db, -learningRate, Bias, Bias);
            return loss;
        }

        /// <summary>Argmax of each row's logits (the first on ties) into <paramref name="predictions"/> [n].</summary>
        public void Predict(ReadOnlySpan<float> x, Span<int> predictions)
        {
            Span<float> logits = stackalloc float[Classes];
            for (int r = 0; r < predictions.Length; r++)
            {
                Logits(x.Slice(r * Inputs, Inputs), logits);
                predictions[r] = TensorPrimitives.IndexOfMax<float>(logits);
            }
        }

        /// <summary>Max-subtracted softmax of each row's logits into <paramref name="probabilities"/> [n, Classes].</summary>
        public void Probabilities(ReadOnlySpan<float> x, Span<float> probabilities)
        {
            int n = probabilities.Length / Classes;
            for (int r = 0; r < n; r++)
            {
                Span<float> p = probabilities.Slice(r * Classes, Classes);
                Logits(x.Slice(r * Inputs, Inputs), p);
                TensorPrimitives.Subtract(p, TensorPrimitives.Max<float>(p), p);
                TensorPrimitives.Exp(p, p);
                TensorPrimitives.Divide(p, TensorPrimitives.Sum<float>(p), p);
            }
        }
    }

    /// <summary><see cref="TensorPrimitivesSoftmax"/> as a contender.</summary>
    public sealed class TensorPrimitivesContender : Contender
    {
        private readonly TensorPrimitivesSoftmax _model = new();
        private float[] _x = Array.Empty<float>();
        private int[] _labels = Array.Empty<int>();

        /// <inheritdoc />
        public override string Name => Contenders.TensorPrimitives;

        /// <inheritdoc />
        public override void SetParameters(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias)
        {
            weights.CopyTo(_model.Weights);
            bias.CopyTo(_model.Bias);
        }

        /// <inheritdoc />
        public override void GetParameters(Span<float> weights, Span<float> bias)
        {
            _model.Weights.CopyTo(weights);
            _model.Bias.CopyTo(bias);
        }

        /// <inheritdoc />
        public override void Load(float[] x, int[] labels) => (_x, _labels) = (x, labels);

        /// <inheritdoc />
        public override float TrainStep(int start, int count, float learningRate)
            => _model.TrainStep(_x.AsSpan(start * BenchData.Inputs, count * BenchData.Inputs), _labels.AsSpan(start, count), learningRate);

        /// <inheritdoc />
        public override float LossAndGradient(int start, int count, Span<float> dW, Span<float> db)
            => _model.LossAndGradient(_x.AsSpan(start * BenchData.Inputs, count * BenchData.Inputs), _labels.AsSpan(start, count), dW, db);

        /// <inheritdoc />
        public override void Predict(Span<int> predictions) => _model.Predict(_x, predictions);

        /// <inheritdoc />
        public override void Probabilities(Span<float> probabilities) => _model.Probabilities(_x, probabilities);
    }
}
