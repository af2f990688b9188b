namespace GenSoftmax.Training
{
    /// <summary>One epoch of training as the trainer reports it.</summary>
    /// <param name="Epoch">1-based epoch number.</param>
    /// <param name="TrainLoss">Mean loss over the epoch's batches, each measured before its update (the options' loss, against
    /// the training targets: cross-entropy by default).</param>
    /// <param name="TrainAccuracy">Share of training rows classified right by the model as it was when their batch came.</param>
    /// <param name="ValidationLoss">Mean loss (the options' loss, against the labels) on the validation data after the epoch, or NaN
    /// without it.</param>
    /// <param name="ValidationAccuracy">Accuracy on the validation data after the epoch, or NaN without it.</param>
    /// <param name="Seconds">Wall time of the epoch's training steps (shuffle included, validation excluded).</param>
    public sealed record EpochReport(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy,
        double Seconds)
    {
        /// <summary>Loss on the rows held out for early stopping after the epoch, or NaN without early stopping.</summary>
        public double HeldOutLoss { get; init; } = double.NaN;

        /// <summary>Accuracy on the rows held out for early stopping after the epoch, or NaN without early stopping.</summary>
        public double HeldOutAccuracy { get; init; } = double.NaN;

        /// <summary>The learning rate of the epoch's last batch.</summary>
        public float LearningRate { get; init; }
    }
}
