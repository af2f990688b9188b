using System;
using GenSoftmax.Training;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// The generated kernels of <see cref="FashionModel"/>, one variant, chosen once with <see cref="ISoftmaxModel.Isa"/>
    /// and then called through the ISA-neutral API (<see cref="Batch"/>, a reusable <see cref="Sgd"/>).
    /// </summary>
    public sealed class GeneratedContender : Contender
    {
        private readonly FashionModel _model = new();
        private readonly Sgd _sgd;
        private readonly KernelIsa _isa;
        private float[] _x = Array.Empty<float>();
        private int[] _labels = Array.Empty<int>();

        /// <param name="isa">The variant; must be supported by this CPU.</param>
        public GeneratedContender(KernelIsa isa)
        {
            _isa = isa;
            _model.Isa = isa; // throws PlatformNotSupportedException when this CPU lacks it
            _sgd = new Sgd(_model, new SgdOptions { LearningRate = BenchData.LearningRate });
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
            SetLearningRate(learningRate);
            ReadOnlySpan<float> x = _x.AsSpan(start * FashionModel.InputCount, count * FashionModel.InputCount);
            return _sgd.Step(Batch.Of(x).WithLabels(_labels.AsSpan(start, count))).Loss;
        }

        /// <inheritdoc />
        public override float LossAndGradient(int start, int count, Span<float> dW, Span<float> db)
        {
            ReadOnlySpan<float> x = _x.AsSpan(start * FashionModel.InputCount, count * FashionModel.InputCount);
            return _model.LossAndGradient(Batch.Of(x).WithLabels(_labels.AsSpan(start, count)), dW, db).Loss;
        }

        /// <summary>
        /// One SGD step on the rows <paramref name="rows"/> of <paramref name="pixels"/> (bytes 0..255, scaled by 1/255
        /// inside the kernel), as the trainer builds its batches, with the variant this contender was made for.
        /// </summary>
        public float TrainStepBytes(byte[] pixels, int[] labels, ReadOnlySpan<int> rows, float learningRate)
        {
            SetLearningRate(learningRate);
            return _sgd.Step(Batch.Of(pixels).WithLabels(labels).WithRows(rows)).Loss;
        }

        /// <summary>Predict on byte pixels, with the variant this contender was made for.</summary>
        public void PredictBytes(byte[] pixels, Span<int> predictions) => _model.Predict(Batch.Of(pixels), predictions);

        /// <summary>Predict on byte pixels on up to <paramref name="threads"/> threads (ParallelPrediction).</summary>
        public void PredictBytes(byte[] pixels, Span<int> predictions, int threads) => _model.Predict(Batch.Of(pixels), predictions, threads);

        /// <summary>Predict on the floats on up to <paramref name="threads"/> threads (ParallelPrediction).</summary>
        public void Predict(Span<int> predictions, int threads) => _model.Predict(Batch.Of(_x), predictions, threads);

        /// <inheritdoc />
        public override void Predict(Span<int> predictions) => _model.Predict(Batch.Of(_x), predictions);

        /// <inheritdoc />
        public override void Probabilities(Span<float> probabilities) => _model.Probabilities(Batch.Of(_x), probabilities);

        /// <summary>The optimizer was made with the suite's learning rate; only another rate (never in the suite) changes it.</summary>
        private void SetLearningRate(float learningRate)
        {
            if (learningRate != _sgd.LearningRate)
            {
                _sgd.LearningRate = learningRate;
            }
        }
    }
}
