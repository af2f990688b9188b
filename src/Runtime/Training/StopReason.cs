using System;

namespace GenSoftmax.Training
{
    /// <summary>Why a call to <see cref="Trainer.Fit(LabeledData, LabeledData?, IProgress{TrainingProgress}?,
    /// System.Threading.CancellationToken)"/> ended.</summary>
    public enum StopReason
    {
        /// <summary>Every epoch of <see cref="TrainerOptions.Epochs"/> was trained.</summary>
        Completed,

        /// <summary>Early stopping ended the run: the held-out rows stopped improving.</summary>
        EarlyStopped,
    }
}
