using System;
using System.Collections.Generic;
using System.Globalization;

namespace GenSoftmax
{
    /// <summary>What early stopping watches on the held-out rows.</summary>
    public enum EarlyStoppingMetric
    {
        /// <summary>The held-out loss; lower is better.</summary>
        HeldOutLoss,

        /// <summary>The held-out accuracy; higher is better.</summary>
        HeldOutAccuracy,
    }

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
                throw new ArgumentOutOfRangeException(nameof(HoldOutFraction), HoldOutFraction, "The held-out share must be above 0 and below 1, such as 0.1.");
            }

            if (Patience < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience must be at least 1 epoch, such as 3.");
            }

            if (!(MinImprovement >= 0) || double.IsInfinity(MinImprovement))
            {
                throw new ArgumentOutOfRangeException(nameof(MinImprovement), MinImprovement, "The minimum improvement must be a finite number >= 0, such as 1e-4.");
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
                throw new ArgumentException($"Early stopping holds out part of the training data, which needs at least 2 rows, not {count}.", nameof(count));
            }

            return HoldOut.Rows(count, HoldOutFraction, seed);
        }
    }

    /// <summary>Early stopping's record in a <see cref="TrainingState"/>: enough to continue a run that uses it.</summary>
    /// <param name="BestEpoch">The epoch with the best held-out value so far (0 before the first).</param>
    /// <param name="BestValue">That value (a loss or an accuracy, as the options' metric says).</param>
    /// <param name="EpochsWithoutImprovement">Epochs since the best one.</param>
    /// <param name="Stopped">Whether the run has stopped early.</param>
    /// <param name="Best">The model's parameters at the best epoch, one tensor per parameter (empty before the first epoch).</param>
    public sealed record EarlyStoppingState(int BestEpoch, double BestValue, int EpochsWithoutImprovement, bool Stopped, IReadOnlyList<NamedTensor> Best);

    /// <summary>Why a call to <see cref="Trainer.Fit(LabeledData, LabeledData?, IProgress{TrainingProgress}?, System.Threading.CancellationToken)"/> ended.</summary>
    public enum StopReason
    {
        /// <summary>Every epoch of <see cref="TrainerOptions.Epochs"/> was trained.</summary>
        Completed,

        /// <summary>Early stopping ended the run: the held-out rows stopped improving.</summary>
        EarlyStopped,
    }

    /// <summary>How a run ended.</summary>
    /// <param name="Reason">Why it ended.</param>
    /// <param name="LastEpoch">The last epoch trained.</param>
    /// <param name="BestEpoch">The epoch with the best held-out value, or 0 without early stopping.</param>
    /// <param name="BestHeldOutValue">Its held-out loss or accuracy (the options' metric), or NaN without early stopping.</param>
    /// <param name="RestoredBestWeights">Whether the model now holds the best epoch's weights rather than the last epoch's.</param>
    public sealed record TrainingOutcome(StopReason Reason, int LastEpoch, int BestEpoch, double BestHeldOutValue, bool RestoredBestWeights)
    {
        /// <summary>One sentence for people: when and why it stopped, and the best epoch.</summary>
        public override string ToString()
        {
            string stop = Reason == StopReason.EarlyStopped
                ? $"Stopped early after epoch {LastEpoch}: the held-out rows stopped improving"
                : $"Completed {LastEpoch} epochs";
            if (BestEpoch == 0)
            {
                return stop + ".";
            }

            string restored = RestoredBestWeights ? ", whose weights the model now holds" : string.Empty;
            return string.Create(CultureInfo.InvariantCulture, $"{stop}; the best epoch was {BestEpoch} (held-out {BestHeldOutValue:G6}){restored}.");
        }
    }

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
                $"Training diverged at epoch {epoch}, batch {batch} of {batchesPerEpoch}: {what}. The model keeps its weights from before " +
                $"that batch. Train with a smaller learning rate (this batch's was {learningRate:G6}), and check the data for NaN or infinite values."))
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
