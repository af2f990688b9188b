using System;

namespace GenSoftmax
{
    /// <summary>How <see cref="Training.Trainer.Initialize(ISoftmaxModel, int, float)"/> sets a parameter: zeros, or normal
    /// draws.</summary>
    /// <remarks>
    /// Draws come from one <see cref="Random"/> seeded by the run's seed, parameter after parameter in the model's order, each
    /// value by the Box-Muller transform, so a seed gives the same parameters on every machine.
    /// </remarks>
    public readonly record struct TensorInit
    {
        private TensorInit(TensorInitKind kind, double stdDev)
        {
            Kind = kind;
            StdDev = stdDev;
        }

        /// <summary>All zeros (the default; a bias).</summary>
        public static TensorInit Zeros => default;

        /// <summary>Draws from N(0, σ²) with the σ the trainer is given (<see cref="Training.TrainerOptions.InitStdDev"/>; a dense
        /// W).</summary>
        public static TensorInit Normal => new(TensorInitKind.Normal, double.NaN);

        /// <summary>Draws from N(0, <paramref name="stdDev"/>²) whatever σ the trainer is given (a hypercomplex A: 1/√n).</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="stdDev"/> is not a positive finite number.</exception>
        public static TensorInit NormalWith(double stdDev) => stdDev > 0 && double.IsFinite(stdDev)
            ? new(TensorInitKind.NormalFixed, stdDev)
            : throw new ArgumentOutOfRangeException(nameof(stdDev), stdDev, "The standard deviation must be a positive finite number.");

        /// <summary>Which rule.</summary>
        public TensorInitKind Kind { get; }

        /// <summary>The fixed σ of <see cref="TensorInitKind.NormalFixed"/> (NaN otherwise).</summary>
        public double StdDev { get; }
    }
}
