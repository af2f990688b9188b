using System;
using GenSoftmax.Reference;

namespace GenSoftmax.Bench
{
    /// <summary>The scalar double-accumulating oracle, <see cref="SoftmaxReference"/>. It allocates its results by design.</summary>
    public sealed class ReferenceContender : Contender
    {
        private readonly SoftmaxReference _reference = new(BenchData.Inputs, BenchData.Classes);
        private float[] _x = Array.Empty<float>();
        private int[] _labels = Array.Empty<int>();

        /// <inheritdoc />
        public override string Name => Contenders.Reference;

        /// <summary>The oracle itself.</summary>
        public SoftmaxReference Oracle => _reference;

        /// <inheritdoc />
        public override void SetParameters(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias)
        {
            weights.CopyTo(_reference.Weights);
            bias.CopyTo(_reference.Bias);
        }

        /// <inheritdoc />
        public override void GetParameters(Span<float> weights, Span<float> bias)
        {
            _reference.Weights.CopyTo(weights);
            _reference.Bias.CopyTo(bias);
        }

        /// <inheritdoc />
        public override void Load(float[] x, int[] labels) => (_x, _labels) = (x, labels);

        /// <inheritdoc />
        public override float TrainStep(int start, int count, float learningRate)
            => (float)_reference.TrainStep(Rows(start, count), _labels.AsSpan(start, count), learningRate);

        /// <inheritdoc />
        public override float LossAndGradient(int start, int count, Span<float> dW, Span<float> db)
        {
            double[] dW64 = new double[dW.Length];
            double[] db64 = new double[db.Length];
            double loss = _reference.LossAndGradient(Rows(start, count), _labels.AsSpan(start, count), dW64, db64);
            Narrow(dW64, dW);
            Narrow(db64, db);
            return (float)loss;
        }

        /// <inheritdoc />
        public override void Predict(Span<int> predictions) => _reference.Predict(_x).CopyTo(predictions);

        /// <inheritdoc />
        public override void Probabilities(Span<float> probabilities) => Narrow(_reference.Probabilities(_x), probabilities);

        private ReadOnlySpan<float> Rows(int start, int count) => _x.AsSpan(start * BenchData.Inputs, count * BenchData.Inputs);

        private static void Narrow(ReadOnlySpan<double> source, Span<float> destination)
        {
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = (float)source[i];
            }
        }
    }
}
