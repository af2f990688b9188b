using System;
using System.Collections.Generic;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Everything besides the model's parameters that a run needs to continue exactly where it stopped: the
    /// position (epoch and batch), the optimizer's state and the partial epoch's sums. Two states are equal when they hold
    /// the same values, tensors compared by contents.
    /// </summary>
    /// <param name="Seed">The run's seed, which decides every epoch's shuffle.</param>
    /// <param name="CompletedEpochs">Epochs finished.</param>
    /// <param name="BatchesDone">Batches of the next epoch already done (0 at an epoch boundary).</param>
    /// <param name="LearningRate">The optimizer's current learning rate.</param>
    /// <param name="Velocity">The optimizer's velocity, one tensor per parameter of the model, named after it (empty without
    /// momentum).</param>
    /// <param name="EpochLossSum">Sum over the partial epoch's rows of their loss.</param>
    /// <param name="EpochCorrect">Rows of the partial epoch classified right.</param>
    /// <param name="EpochSeconds">Training time of the partial epoch.</param>
    public sealed record TrainingState(
        int Seed, int CompletedEpochs, int BatchesDone, float LearningRate, IReadOnlyList<NamedTensor> Velocity,
        double EpochLossSum, long EpochCorrect, double EpochSeconds)
    {
        /// <summary>Early stopping's record (best epoch, its weights, epochs without improvement), or null without early
        /// stopping.</summary>
        public EarlyStoppingState? EarlyStopping { get; init; }

        /// <summary>Whether <paramref name="other"/> holds the same position, sums and bit-identical velocity and early-stopping
        /// record.</summary>
        public bool Equals(TrainingState? other) =>
            other is not null && Seed == other.Seed && CompletedEpochs == other.CompletedEpochs && BatchesDone == other.BatchesDone
            && LearningRate.Equals(other.LearningRate) && EpochLossSum.Equals(other.EpochLossSum) && EpochCorrect == other.EpochCorrect
            && EpochSeconds.Equals(other.EpochSeconds) && NamedTensor.SameContents(Velocity, other.Velocity)
            && Equals(EarlyStopping, other.EarlyStopping);

        /// <inheritdoc/>
        public override int GetHashCode() =>
            HashCode.Combine(Seed, CompletedEpochs, BatchesDone, LearningRate, EpochCorrect, NamedTensor.ShapeHash(Velocity));
    }
}
