using System;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Where training is, reported after every batch (<see cref="EpochCompleted"/> null) and after every epoch
    /// (<see cref="EpochCompleted"/> set, <see cref="Batch"/> = <see cref="BatchesPerEpoch"/>).
    /// </summary>
    /// <param name="Epoch">1-based epoch number.</param>
    /// <param name="Batch">Batches of the epoch done, 1-based.</param>
    /// <param name="BatchesPerEpoch">Batches in an epoch.</param>
    /// <param name="Result">The last batch's loss and correct count, before its update (default when an epoch of a
    /// continued run had no batches left to do).</param>
    /// <param name="Elapsed">Training time of the epoch so far.</param>
    /// <param name="EpochCompleted">The epoch's report, when this is the end of an epoch.</param>
    public readonly record struct TrainingProgress(int Epoch, int Batch, int BatchesPerEpoch, BatchResult Result, TimeSpan Elapsed,
        EpochReport? EpochCompleted);
}
