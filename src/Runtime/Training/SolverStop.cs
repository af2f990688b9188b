namespace GenSoftmax.Training
{
    /// <summary>Why <see cref="LbfgsSolver"/> stopped.</summary>
    public enum SolverStop
    {
        /// <summary>Every element of the gradient was within <see cref="LbfgsOptions.Tolerance"/>.</summary>
        Converged,

        /// <summary><see cref="LbfgsOptions.MaxIterations"/> iterations were made without converging.</summary>
        IterationLimit,

        /// <summary>No step along the search direction lowered the objective enough (often: the objective is as low as its float
        /// rounding allows, before the tolerance was met).</summary>
        LineSearchFailed,

        /// <summary>The objective stopped falling by more than its float rounding, and the fit was not to continue in double:
        /// the fits of <see cref="LbfgsSolver.SearchC"/>'s grid end so (their held-out loss cannot tell the difference), its
        /// final refit does not.</summary>
        RoundingLimit,
    }
}
