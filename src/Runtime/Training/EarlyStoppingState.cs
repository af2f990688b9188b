using System;
using System.Collections.Generic;

namespace GenSoftmax.Training
{
    /// <summary>Early stopping's record in a <see cref="TrainingState"/>: enough to continue a run that uses it. Two records are
    /// equal when they hold the same values, the best parameters compared by contents.</summary>
    /// <param name="BestEpoch">The epoch with the best held-out value so far (0 before the first).</param>
    /// <param name="BestValue">That value (a loss or an accuracy, as the options' metric says).</param>
    /// <param name="EpochsWithoutImprovement">Epochs since the best one.</param>
    /// <param name="Stopped">Whether the run has stopped early.</param>
    /// <param name="Best">The model's parameters at the best epoch, one tensor per parameter (empty before the first epoch).</param>
    public sealed record EarlyStoppingState(int BestEpoch, double BestValue, int EpochsWithoutImprovement, bool Stopped,
        IReadOnlyList<NamedTensor> Best)
    {
        /// <summary>Whether <paramref name="other"/> holds the same record, the best parameters compared by contents.</summary>
        public bool Equals(EarlyStoppingState? other) =>
            other is not null && BestEpoch == other.BestEpoch && BestValue.Equals(other.BestValue)
            && EpochsWithoutImprovement == other.EpochsWithoutImprovement && Stopped == other.Stopped
            && NamedTensor.SameContents(Best, other.Best);

        /// <inheritdoc/>
        public override int GetHashCode() =>
            HashCode.Combine(BestEpoch, BestValue, EpochsWithoutImprovement, Stopped, NamedTensor.ShapeHash(Best));
    }
}
