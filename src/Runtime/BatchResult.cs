namespace GenSoftmax
{
    /// <summary>What the model made of one batch: its mean loss and how many of its rows it classified right.</summary>
    /// <param name="Loss">Mean cross-entropy of the batch, before any update.</param>
    /// <param name="Correct">Rows whose argmax logit (first on ties) was the label, before any update.</param>
    /// <param name="Count">Rows in the batch.</param>
    public readonly record struct BatchResult(float Loss, int Correct, int Count)
    {
        /// <summary>
        /// The sum of the rows' losses, accumulated in double (the kernels' engine sets it; 0 from a model that does not):
        /// what an exact solver compares between steps, where the rounding of <see cref="Loss"/> to float would hide the change.
        /// </summary>
        public double LossSum { get; init; }
    }
}
