using System;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Early stopping: a share of the training rows, chosen by the run's seed, is held out of training; after every
    /// epoch it is evaluated, and training stops once it has not improved by <see cref="MinImprovement"/> for
    /// <see cref="Patience"/> epochs in a row. The weights of the best epoch are put back at the end.
    /// </summary>
    public sealed record EarlyStoppingOptions
    {
        /// <summary>Share of the training rows held out, in (0, 1). Defaults to 0.1.</summary>
        public float HoldOutFraction { get; init; } = 0.1f;

        /// <summary>Epochs without improvement after which training stops, at least 1. Defaults to 3.</summary>
        public int Patience { get; init; } = 3;

        /// <summary>
        /// The least change that counts as an improvement, ≥ 0: a loss must fall, an accuracy rise, by more than this
        /// below (above) the best so far. Defaults to 1e-4.
        /// </summary>
        public double MinImprovement { get; init; } = 1e-4;

        /// <summary>What is watched. Defaults to the held-out loss.</summary>
        public EarlyStoppingMetric Metric { get; init; }

        /// <summary>Whether the best epoch's weights replace the last epoch's at the end. Defaults to true.</summary>
        public bool RestoreBestWeights { get; init; } = true;

        /// <summary>Throws when a setting is out of range, naming it and a valid example.</summary>
        public void Validate()
        {
            if (!(HoldOutFraction > 0f && HoldOutFraction < 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(HoldOutFraction), HoldOutFraction,
                    "The held-out share must be above 0 and below 1, such as 0.1.");
            }

            if (Patience < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience must be at least 1 epoch, such as 3.");
            }

            if (!(MinImprovement >= 0) || double.IsInfinity(MinImprovement))
            {
                throw new ArgumentOutOfRangeException(nameof(MinImprovement), MinImprovement,
                    "The minimum improvement must be a finite number >= 0, such as 1e-4.");
            }

            if (!Enum.IsDefined(Metric))
            {
                throw new ArgumentOutOfRangeException(nameof(Metric), Metric, "The metric must be HeldOutLoss or HeldOutAccuracy.");
            }
        }

        /// <summary>
        /// The rows of a training set of <paramref name="count"/> rows that are held out, and those trained on, both in
        /// ascending order: the first ⌈share × count⌉ of a shuffle by <c>new Random(seed * 7919 + 2)</c>, so a seed always
        /// holds out the same rows. At least one row is held out and one trained on.
        /// </summary>
        /// <exception cref="ArgumentException">There are fewer than 2 rows.</exception>
        public (int[] Training, int[] HeldOut) Split(int count, int seed)
        {
            if (count < 2)
            {
                throw new ArgumentException($"Early stopping holds out part of the training data, which " +
                    $"needs at least 2 rows, not {count}.", nameof(count));
            }

            return HoldOut.Rows(count, HoldOutFraction, seed);
        }
    }
}
