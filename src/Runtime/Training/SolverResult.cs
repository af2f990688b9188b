namespace GenSoftmax.Training
{
    /// <summary>How a run of <see cref="LbfgsSolver"/> or <see cref="NewtonSolver"/> ended.</summary>
    /// <param name="Stop">Why it stopped.</param>
    /// <param name="Iterations">Iterations made (steps taken).</param>
    /// <param name="Evaluations">Passes over the data that computed the objective and its gradient.</param>
    /// <param name="Objective">The final objective: the sum of the rows' cross-entropies plus ‖W‖² / (2C).</param>
    /// <param name="GradientNorm">The largest magnitude of an element of the final gradient.</param>
    /// <param name="Seconds">Wall time of the solve.</param>
    public sealed record SolverResult(
        SolverStop Stop, int Iterations, int Evaluations, double Objective, double GradientNorm, double Seconds)
    {
        /// <summary>Hessian-vector products (the Newton solver's conjugate-gradient steps), each one more pass over the data; 0 for
        /// L-BFGS.</summary>
        public int HessianProducts { get; init; }

        /// <summary>Every pass over the data: <see cref="Evaluations"/> plus <see cref="HessianProducts"/>.</summary>
        public int Passes => Evaluations + HessianProducts;
    }
}
