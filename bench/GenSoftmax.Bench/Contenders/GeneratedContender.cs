using System;

namespace GenSoftmax.Bench
{
    /// <summary>The generated kernels of <see cref="FashionModel"/>, one variant, called through its ISA-suffixed methods.</summary>
    public sealed class GeneratedContender : Contender
    {
        private readonly FashionModel _model = new();
        private readonly KernelIsa _isa;
        private float[] _x = Array.Empty<float>();
        private int[] _labels = Array.Empty<int>();

        /// <param name="isa">The variant; must be supported by this CPU.</param>
        public GeneratedContender(KernelIsa isa)
        {
            IsaSelection.EnsureSupported(isa);
            _isa = isa;
            _model.Isa = isa;
        }

        /// <inheritdoc />
        public override string Name => Contenders.GeneratedName(_isa);

        /// <summary>The model, for benchmarks that call it directly.</summary>
        public FashionModel Model => _model;

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
        {
            ReadOnlySpan<float> x = _x.AsSpan(start * FashionModel.InputCount, count * FashionModel.InputCount);
            ReadOnlySpan<int> labels = _labels.AsSpan(start, count);
            return _isa switch
            {
                KernelIsa.Avx512 => _model.TrainStepAvx512(x, labels, learningRate),
                KernelIsa.Avx2 => _model.TrainStepAvx2(x, labels, learningRate),
                _ => _model.TrainStepPortable(x, labels, learningRate),
            };
        }

        /// <inheritdoc />
        public override float LossAndGradient(int start, int count, Span<float> dW, Span<float> db)
        {
            ReadOnlySpan<float> x = _x.AsSpan(start * FashionModel.InputCount, count * FashionModel.InputCount);
            ReadOnlySpan<int> labels = _labels.AsSpan(start, count);
            return _isa switch
            {
                KernelIsa.Avx512 => _model.LossAndGradientAvx512(x, labels, dW, db),
                KernelIsa.Avx2 => _model.LossAndGradientAvx2(x, labels, dW, db),
                _ => _model.LossAndGradientPortable(x, labels, dW, db),
            };
        }

        /// <summary>
        /// One SGD step on rows [start, start + count) of <paramref name="pixels"/> (bytes 0..255, scaled by 1/255
        /// inside the kernel) through the row-index overload, with the variant this contender was made for.
        /// </summary>
        public float TrainStepBytes(byte[] pixels, int[] labels, ReadOnlySpan<int> rows, float learningRate)
            => _model.TrainStep(pixels, labels, rows, learningRate).Loss;

        /// <summary>Predict on byte pixels, with the variant this contender was made for.</summary>
        public void PredictBytes(byte[] pixels, Span<int> predictions) => _model.Predict(pixels, predictions);

        /// <inheritdoc />
        public override void Predict(Span<int> predictions)
        {
            switch (_isa)
            {
                case KernelIsa.Avx512: _model.PredictAvx512(_x, predictions); break;
                case KernelIsa.Avx2: _model.PredictAvx2(_x, predictions); break;
                default: _model.PredictPortable(_x, predictions); break;
            }
        }

        /// <inheritdoc />
        public override void Probabilities(Span<float> probabilities)
        {
            switch (_isa)
            {
                case KernelIsa.Avx512: _model.ProbabilitiesAvx512(_x, probabilities); break;
                case KernelIsa.Avx2: _model.ProbabilitiesAvx2(_x, probabilities); break;
                default: _model.ProbabilitiesPortable(_x, probabilities); break;
            }
        }
    }
}
