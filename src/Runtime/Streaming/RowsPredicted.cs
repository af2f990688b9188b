using System;

namespace GenSoftmax.Streaming
{
    /// <summary>
    /// Receives the predictions of rows <c>[firstRow, firstRow + predictions.Length)</c> of a stream, in row order; the spans are
    /// valid only during the call.
    /// </summary>
    /// <param name="firstRow">The row of the first prediction.</param>
    /// <param name="predictions">The most likely class of each row.</param>
    /// <param name="labels">The label of each row in the source.</param>
    /// <param name="probabilities">[rows, Classes] class probabilities when asked for, otherwise empty.</param>
    public delegate void RowsPredicted(long firstRow, ReadOnlySpan<int> predictions, ReadOnlySpan<int> labels,
        ReadOnlySpan<float> probabilities);
}
