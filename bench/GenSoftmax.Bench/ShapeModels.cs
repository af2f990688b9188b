using GenSoftmax;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Kernels generated for 17 inputs x 3 classes, a shape the run-time-shaped model is compared on
    /// (<see cref="RuntimeShapedBenchmarks"/>): small enough that per-call and per-row overhead, not the FMAs, decide.
    /// </summary>
    [SoftmaxModel(Inputs = 17, Classes = 3)]
    public sealed partial class Shape17x3;

    /// <summary>
    /// Kernels generated for 3072 inputs x 100 classes (CIFAR-100's 32 x 32 x 3 images): a large weight matrix (1.2 MB)
    /// and wide class rows, the other end of the comparison in <see cref="RuntimeShapedBenchmarks"/>.
    /// </summary>
    [SoftmaxModel(Inputs = 3072, Classes = 100)]
    public sealed partial class Shape3072x100;
}
