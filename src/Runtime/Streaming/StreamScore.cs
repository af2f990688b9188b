namespace GenSoftmax.Streaming
{
    /// <summary>A model's score on a streamed data set (<see cref="StreamEvaluation.Evaluate"/>).</summary>
    /// <param name="Loss">Mean cross-entropy over the rows (with weights, Σ w_i L_i / rows).</param>
    /// <param name="Correct">Rows whose predicted class is their label.</param>
    /// <param name="Count">Rows.</param>
    public sealed record StreamScore(double Loss, long Correct, long Count)
    {
        /// <summary>Share of rows classified right.</summary>
        public double Accuracy => Count == 0 ? double.NaN : (double)Correct / Count;
    }
}
