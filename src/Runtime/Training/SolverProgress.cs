namespace GenSoftmax.Training
{
    /// <summary>Where <see cref="LbfgsSolver"/> or <see cref="NewtonSolver"/> is, reported after every iteration.</summary>
    /// <param name="Iteration">Iterations done, 1-based.</param>
    /// <param name="Evaluations">Passes over the data that computed the objective and its gradient, so far.</param>
    /// <param name="Objective">The objective after the iteration.</param>
    /// <param name="GradientNorm">The largest magnitude of an element of the gradient after the iteration.</param>
    public readonly record struct SolverProgress(int Iteration, int Evaluations, double Objective, double GradientNorm)
    {
        /// <summary>Hessian-vector products so far (the Newton solver's conjugate-gradient steps), each one more pass; 0 for
        /// L-BFGS.</summary>
        public int HessianProducts { get; init; }

        /// <summary>Every pass over the data so far: <see cref="Evaluations"/> plus <see cref="HessianProducts"/>.</summary>
        public int Passes => Evaluations + HessianProducts;
    }
}
