using System;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Settings of the exact (full-batch, quasi-Newton) solver, <see cref="LbfgsSolver"/>. The defaults are scikit-learn's
    /// <c>LogisticRegression()</c>: C = 1, a gradient tolerance of 1e-4, at most 100 iterations.
    /// </summary>
    public sealed record LbfgsOptions
    {
        /// <summary>
        /// Inverse strength of the L2 penalty on W (not the bias), as scikit-learn's C: the objective is the sum of the rows'
        /// cross-entropies plus ‖W‖² / (2C). <see cref="double.PositiveInfinity"/> is no penalty (scikit-learn's
        /// <c>penalty=None</c>), which has a finite minimum only when the classes are not separable.
        /// </summary>
        public double C { get; init; } = 1.0;

        /// <summary>Stop when every element of the objective's gradient is at most this in magnitude (scikit-learn's <c>tol</c>).</summary>
        public double Tolerance { get; init; } = 1e-4;

        /// <summary>Stop after this many iterations (scikit-learn's <c>max_iter</c>).</summary>
        public int MaxIterations { get; init; } = 100;

        /// <summary>Pairs of steps and gradient changes kept for the inverse-Hessian estimate (scipy's <c>m</c>).</summary>
        public int History { get; init; } = 10;

        /// <summary>
        /// Whether the search directions are scaled by the inverse of the inputs' second-moment matrix (measured on a sample
        /// of at most 4,096 rows before the first iteration), which makes correlated or unevenly scaled inputs (embeddings,
        /// pixels) as quick to fit as whitened ones: 3 to 4 times fewer passes to the same objective on Fashion-MNIST and on
        /// a linear probe. It is used where it pays: at least twice as many rows as inputs, at most 2,048 inputs, and inputs
        /// few enough that factoring their (inputs + 1)² matrix costs no more than a few passes. <c>false</c> runs plain L-BFGS, as
        /// scikit-learn's <c>lbfgs</c> does. The minimum is the same either way; only the path to it differs.
        /// </summary>
        public bool Precondition { get; init; } = true;

        /// <summary>Threads that share each pass over the data: rows split in contiguous slices, their sums added in slice order,
        /// so a thread count gives bit-identical results every run.</summary>
        public int Threads { get; init; } = 1;

        /// <summary>Throws when a setting is out of range, naming it and a valid example.</summary>
        public void Validate()
        {
            if (!(C > 0) || double.IsNaN(C))
            {
                throw new ArgumentOutOfRangeException(nameof(C), C,
                    $"C = {C} is not a valid penalty strength: use a positive number such as 1 (larger is weaker; " +
                        $"infinity turns the penalty off).");
            }

            if (!(Tolerance > 0) || !double.IsFinite(Tolerance))
            {
                throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance,
                    "The tolerance must be a positive finite number, such as 1e-4.");
            }

            if (MaxIterations < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "Allow at least one iteration, such as 100.");
            }

            if (History < 1 || History > 1000)
            {
                throw new ArgumentOutOfRangeException(nameof(History), History,
                    "The history must be between 1 and 1000 pairs, such as 10.");
            }

            if (Threads < 1 || Threads > 256)
            {
                throw new ArgumentOutOfRangeException(nameof(Threads), Threads,
                    $"Threads must be between 1 and 256 (this machine has {Environment.ProcessorCount} cores).");
            }
        }
    }
}
