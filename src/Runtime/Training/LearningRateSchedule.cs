using System;

namespace GenSoftmax.Training
{
    /// <summary>
    /// The learning rate of every batch of a run, as a pure function of the base rate (<see cref="SgdOptions.LearningRate"/>),
    /// the position (epoch, batch) and the run's length (<see cref="TrainerOptions.Epochs"/>). Being a function of the
    /// position alone, it needs no state: a run continued from a <see cref="TrainingState"/> gets the same rates.
    /// </summary>
    /// <remarks>
    /// With s the run's batch index (0-based, counting every batch of earlier epochs), S the run's batch count and W the
    /// warm-up's batch count (<see cref="WarmupEpochs"/> epochs):
    /// <list type="bullet">
    /// <item>warm-up, s &lt; W: η (s + 1) / W, rising linearly to the base rate η;</item>
    /// <item><see cref="LearningRateScheduleKind.Constant"/>: η;</item>
    /// <item><see cref="LearningRateScheduleKind.StepDecay"/>: η γ^⌊(e - 1) / k⌋ in epoch e (1-based), γ = <see cref="StepFactor"/>,
    /// k = <see cref="StepEpochs"/>;</item>
    /// <item><see cref="LearningRateScheduleKind.Cosine"/>: η (f + (1 - f) (1 + cos(π (s - W) / (S - W))) / 2), f = <see
    /// cref="FinalFraction"/>.</item>
    /// </list>
    /// </remarks>
    public sealed record LearningRateSchedule
    {
        /// <summary>The textbook's constant rate, without warm-up.</summary>
        public static LearningRateSchedule Constant { get; } = new();

        /// <summary>What the rate does after its warm-up. Defaults to <see cref="LearningRateScheduleKind.Constant"/>.</summary>
        public LearningRateScheduleKind Kind { get; init; }

        /// <summary>Epochs between two decays of <see cref="LearningRateScheduleKind.StepDecay"/>, at least 1. Defaults to 5.</summary>
        public int StepEpochs { get; init; } = 5;

        /// <summary>Factor γ in (0, 1] applied at each decay of <see cref="LearningRateScheduleKind.StepDecay"/>. Defaults to
        /// 0.1.</summary>
        public float StepFactor { get; init; } = 0.1f;

        /// <summary>Share of the base rate in [0, 1) that <see cref="LearningRateScheduleKind.Cosine"/> approaches at the end of the run.
        /// Defaults to 0.</summary>
        public float FinalFraction { get; init; }

        /// <summary>Epochs of linear warm-up before the schedule proper, 0 (the default) for none.</summary>
        public int WarmupEpochs { get; init; }

        /// <summary>Step decay by <paramref name="factor"/> every <paramref name="everyEpochs"/> epochs.</summary>
        public static LearningRateSchedule StepDecay(int everyEpochs, float factor, int warmupEpochs = 0) =>
            new() { Kind = LearningRateScheduleKind.StepDecay, StepEpochs = everyEpochs, StepFactor = factor, WarmupEpochs = warmupEpochs };

        /// <summary>Cosine decay over the run to <paramref name="finalFraction"/> of the base rate.</summary>
        public static LearningRateSchedule Cosine(float finalFraction = 0f, int warmupEpochs = 0) =>
            new() { Kind = LearningRateScheduleKind.Cosine, FinalFraction = finalFraction, WarmupEpochs = warmupEpochs };

        /// <summary>Throws when a setting is out of range, naming it and a valid example.</summary>
        public void Validate()
        {
            if (!Enum.IsDefined(Kind))
            {
                throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "The schedule must be Constant, StepDecay or Cosine.");
            }

            if (StepEpochs < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(StepEpochs), StepEpochs,
                    "Step decay needs at least 1 epoch between decays, such as 5.");
            }

            if (!(StepFactor > 0f && StepFactor <= 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(StepFactor), StepFactor,
                    "The step-decay factor must be above 0 and at most 1, such as 0.1.");
            }

            if (!(FinalFraction >= 0f && FinalFraction < 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(FinalFraction), FinalFraction,
                    "The cosine schedule's final fraction must be at least 0 and below 1, such as 0.");
            }

            if (WarmupEpochs < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(WarmupEpochs), WarmupEpochs,
                    "Warm-up epochs cannot be negative (0 turns warm-up off).");
            }
        }

        /// <summary>The learning rate of batch <paramref name="batch"/> (0-based) of epoch <paramref name="epoch"/> (1-based).</summary>
        /// <param name="baseRate">The optimizer's learning rate η.</param>
        /// <param name="epoch">1-based epoch.</param>
        /// <param name="batch">0-based batch of the epoch.</param>
        /// <param name="batchesPerEpoch">Batches in an epoch.</param>
        /// <param name="epochs">Epochs in the run (<see cref="TrainerOptions.Epochs"/>).</param>
        /// <returns>A positive rate, never above <paramref name="baseRate"/>.</returns>
        /// <exception cref="ArgumentOutOfRangeException">The position is outside the run.</exception>
        public float RateAt(float baseRate, int epoch, int batch, int batchesPerEpoch, int epochs)
        {
            if (batchesPerEpoch < 1 || epoch < 1 || epoch > epochs || batch < 0 || batch >= batchesPerEpoch)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(batch), $"Batch {batch} of epoch {epoch} is outside a run of {Plural.Of(epochs, "epoch")} of " +
                        $"{Plural.Of(batchesPerEpoch, "batch")}.");
            }

            long step = ((long)(epoch - 1) * batchesPerEpoch) + batch;
            long warmup = (long)Math.Min(WarmupEpochs, epochs) * batchesPerEpoch;
            if (step < warmup)
            {
                return Positive(baseRate * (double)(step + 1) / warmup, baseRate);
            }

            switch (Kind)
            {
                case LearningRateScheduleKind.StepDecay:
                    return Positive(baseRate * Math.Pow(StepFactor, (epoch - 1) / StepEpochs), baseRate);
                case LearningRateScheduleKind.Cosine:
                    long total = (long)epochs * batchesPerEpoch;
                    double progress = (double)(step - warmup) / (total - warmup);
                    double f = FinalFraction;
                    return Positive(baseRate * (f + ((1 - f) * 0.5 * (1 + Math.Cos(Math.PI * progress)))), baseRate);
                default:
                    return baseRate;
            }
        }

        // A rate that underflows (a long step decay) stays the smallest positive float rather than 0, which the optimizer refuses.
        private static float Positive(double rate, float baseRate) => (float)Math.Clamp(rate, float.Epsilon, baseRate);
    }
}
