using System;
using System.Globalization;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Training diverged: a batch's loss or the weights after its update were not finite (NaN or infinite). The model
    /// keeps the weights (and the optimizer its velocity) from before that batch, and the trainer's position is that
    /// batch, so the run's state is the last finite one.
    /// </summary>
    /// <remarks>Causes: a learning rate far too large, or NaN or infinite values in the input data.</remarks>
    public sealed class TrainingDivergedException : InvalidOperationException
    {
        /// <summary>Creates the exception with a message only (for serializers and tests).</summary>
        public TrainingDivergedException()
        {
        }

        /// <summary>Creates the exception with a message only.</summary>
        public TrainingDivergedException(string message)
            : base(message)
        {
        }

        /// <summary>Creates the exception with a message and its cause.</summary>
        public TrainingDivergedException(string message, Exception innerException)
            : base(message, innerException)
        {
        }

        /// <summary>Training diverged at <paramref name="batch"/> of <paramref name="epoch"/>.</summary>
        public TrainingDivergedException(int epoch, int batch, int batchesPerEpoch, string what, float learningRate)
            : base(string.Create(
                CultureInfo.InvariantCulture,
                $"Training diverged at epoch {epoch}, batch {batch} of {batchesPerEpoch}: {what}. " +
                $"The model keeps its weights from before that batch. " +
                $"Train with a smaller learning rate (this batch's was {learningRate:G6}), and check the data for NaN or infinite values."))
        {
            Epoch = epoch;
            Batch = batch;
            LearningRate = learningRate;
        }

        /// <summary>The 1-based epoch of the batch that diverged.</summary>
        public int Epoch { get; }

        /// <summary>The 1-based batch of the epoch that diverged.</summary>
        public int Batch { get; }

        /// <summary>That batch's learning rate.</summary>
        public float LearningRate { get; }
    }
}
