using System;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// One implementation of softmax regression that the benchmarks and the verification run side by side. A
    /// contender is handed the whole data set once and then told which rows to use, so the ones that keep data in
    /// their own tensors (TorchSharp, ONNX Runtime) pay for a copy at set-up, not per call.
    /// </summary>
    public abstract class Contender : IDisposable
    {
        /// <summary>Name as the <c>Contender</c> parameter shows it.</summary>
        public abstract string Name { get; }

        /// <summary>Whether the contender trains (ONNX Runtime only infers).</summary>
        public virtual bool CanTrain => true;

        /// <summary>Sets W [Classes, Inputs] and b [Classes].</summary>
        public abstract void SetParameters(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias);

        /// <summary>Reads W and b back.</summary>
        public abstract void GetParameters(Span<float> weights, Span<float> bias);

        /// <summary>Hands over the data set later calls index into: x [n, Inputs] row-major, labels [n].</summary>
        public abstract void Load(float[] x, int[] labels);

        /// <summary>One SGD step on rows [start, start + count) of the loaded data; returns the batch's mean loss.</summary>
        public virtual float TrainStep(int start, int count, float learningRate) => throw new NotSupportedException($"{Name} does not train.");

        /// <summary>Mean loss and gradient (dW [Classes, Inputs], db [Classes]) of rows [start, start + count), parameters unchanged.</summary>
        public virtual float LossAndGradient(int start, int count, Span<float> dW, Span<float> db) => throw new NotSupportedException($"{Name} does not train.");

        /// <summary>One epoch: SGD over every loaded row in batches of <paramref name="batchSize"/> (the last one shorter).</summary>
        public float Epoch(int rows, int batchSize, float learningRate)
        {
            float loss = 0;
            for (int start = 0; start < rows; start += batchSize)
            {
                loss = TrainStep(start, Math.Min(batchSize, rows - start), learningRate);
            }

            return loss;
        }

        /// <summary>The argmax class of every loaded row.</summary>
        public abstract void Predict(Span<int> predictions);

        /// <summary>The softmax probabilities of every loaded row, [n, Classes].</summary>
        public abstract void Probabilities(Span<float> probabilities);

        /// <inheritdoc />
        public virtual void Dispose()
        {
        }
    }
}
