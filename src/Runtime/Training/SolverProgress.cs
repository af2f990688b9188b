namespace GenSoftmax.Training
{
    /// <summary>Where <see cref="LbfgsSolver"/> is, reported after every iteration.</summary>
    /// <param name="Iteration">Iterations done, 1-based.</param>
    /// <param name="Evaluations">Passes over the data so far.</param>
    /// <param name="Objective">The objective after the iteration.</param>
    /// <param name="GradientNorm">The largest magnitude of an element of the gradient after the iteration.</param>
    public readonly record struct SolverProgress(int Iteration, int Evaluations, double Objective, double GradientNorm);
}
