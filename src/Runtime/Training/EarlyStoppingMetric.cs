namespace GenSoftmax.Training
{
    /// <summary>What early stopping watches on the held-out rows.</summary>
    public enum EarlyStoppingMetric
    {
        /// <summary>The held-out loss; lower is better.</summary>
        HeldOutLoss,

        /// <summary>The held-out accuracy; higher is better.</summary>
        HeldOutAccuracy,
    }
}
