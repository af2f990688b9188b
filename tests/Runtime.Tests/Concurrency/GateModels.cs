namespace GenSoftmax.Tests.Concurrency
{
    /// <summary>A generated shape for the concurrency tests: the class forwards its operations and its gate to its engine.</summary>
    [SoftmaxModel(Inputs = 64, Classes = 10)]
    public partial class GateModel64x10;

    /// <summary>The same shape as a generated hypercomplex class (n = 2), which shares its dense engine's gate.</summary>
    [SoftmaxModel(Inputs = 64, Classes = 10, Hypercomplex = 2)]
    public partial class GatePhmModel64x10;
}
