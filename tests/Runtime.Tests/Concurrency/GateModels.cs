using GenSoftmax.Kernels;

namespace GenSoftmax.Tests.Concurrency
{
    /// <summary>
    /// A generated shape for the concurrency tests. <see cref="NewEngine"/> is the runtime engine over this class's
    /// generated kernels: the object the generated class forwards every operation to, whose gate is the one under test.
    /// </summary>
    [SoftmaxModel(Inputs = 64, Classes = 10)]
    public partial class GateModel64x10
    {
        /// <summary>A new engine over the generated kernels of 64 x 10, as the generated class holds one.</summary>
        internal static ISoftmaxModel NewEngine() => new SoftmaxEngine<GenSoftmaxKernels>();
    }
}
