namespace GenSoftmax.Training
{
    /// <summary>The loss a <see cref="Trainer"/> minimises.</summary>
    public enum TrainingLoss
    {
        /// <summary>
        /// Cross-entropy from the logits, Σ_c t_c (LogSumExp(o) - o_c), gradient softmax(o) - t: the textbook's loss, with
        /// hard labels (t one-hot), soft targets or label smoothing.
        /// </summary>
        CrossEntropy,

        /// <summary>
        /// Squared error between the logits and the targets, ½ Σ_c (o_c - t_c)², gradient o - t: the chapter's first attempt
        /// before softmax (regression onto one-hot vectors). Prediction stays the argmax of the logits.
        /// </summary>
        SquaredError,
    }
}
