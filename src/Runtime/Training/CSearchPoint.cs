namespace GenSoftmax.Training
{
    /// <summary>One value of C on the search's path: how the fit on the training rows did on the held-out rows.</summary>
    /// <param name="C">The value tried.</param>
    /// <param name="HeldOutLoss">Mean cross-entropy of the held-out rows (weighted as the data is), the unpenalized loss.</param>
    /// <param name="HeldOutAccuracy">Share of held-out rows classified right.</param>
    /// <param name="Result">How the solver's fit at this C ended.</param>
    public sealed record CSearchPoint(double C, double HeldOutLoss, double HeldOutAccuracy, SolverResult Result);
}
