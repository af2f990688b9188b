using System.Collections.Generic;

namespace GenSoftmax.Training
{
    /// <summary>What <see cref="LbfgsSolver.SearchC"/> found: the path, the chosen C, and the final fit on every row.</summary>
    /// <param name="Curve">Every value of C tried, in the order tried (smallest first), with its held-out figures.</param>
    /// <param name="BestC">The value with the lowest held-out loss (the first of equals).</param>
    /// <param name="Final">The fit on every row with <paramref name="BestC"/>, whose parameters the model holds.</param>
    public sealed record CSearchResult(IReadOnlyList<CSearchPoint> Curve, double BestC, SolverResult Final);
}
