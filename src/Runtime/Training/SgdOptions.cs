using System;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Settings of stochastic gradient descent. The defaults are the textbook's plain SGD with learning rate 0.1.
    /// </summary>
    public sealed record SgdOptions
    {
        /// <summary>Step size η. Positive and finite.</summary>
        public float LearningRate { get; init; } = 0.1f;

        /// <summary>
        /// Momentum μ in [0, 1): the step follows a velocity v = μ v + g (PyTorch's <c>SGD(momentum=μ)</c>, no
        /// dampening, not Nesterov). 0 is plain SGD.
        /// </summary>
        public float Momentum { get; init; }

        /// <summary>
        /// L2 weight decay λ ≥ 0 on the weights (not the bias): the gradient gains λ W, as PyTorch's
        /// <c>SGD(weight_decay=λ)</c> applies it, which minimises loss + λ/2 ‖W‖².
        /// </summary>
        public float WeightDecay { get; init; }

        /// <summary>Throws when a setting is out of range, naming it and a valid example.</summary>
        public void Validate()
        {
            Internal.Guard.LearningRate(LearningRate, nameof(LearningRate));

            if (!(Momentum >= 0f && Momentum < 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum,
                    "Momentum must be at least 0 and below 1, such as 0.9 (0 turns it off).");
            }

            if (!(WeightDecay >= 0f) || float.IsInfinity(WeightDecay))
            {
                throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay,
                    "Weight decay must be a finite number >= 0, such as 1e-4 (0 turns it off).");
            }
        }
    }
}
