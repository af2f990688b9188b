namespace GenSoftmax.Training
{
    /// <summary>The shape of a <see cref="LearningRateSchedule"/> after its warm-up.</summary>
    public enum LearningRateScheduleKind
    {
        /// <summary>The optimizer's learning rate throughout (the textbook).</summary>
        Constant,

        /// <summary>The rate times <see cref="LearningRateSchedule.StepFactor"/> after every <see cref="LearningRateSchedule.StepEpochs"/>
        /// epochs.</summary>
        StepDecay,

        /// <summary>Half a cosine wave from the rate down to <see cref="LearningRateSchedule.FinalFraction"/> of it, batch by batch, over
        /// the run.</summary>
        Cosine,
    }
}
