using System.Globalization;

namespace GenSoftmax.Training
{
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
                : $"Completed {Plural.Of(LastEpoch, "epoch")}";
            if (BestEpoch == 0)
            {
                return stop + ".";
            }

            string restored = RestoredBestWeights ? ", whose weights the model now holds" : string.Empty;
            return string.Create(CultureInfo.InvariantCulture,
                $"{stop}; the best epoch was {BestEpoch} (held-out {BestHeldOutValue:G6}){restored}.");
        }
    }
}
