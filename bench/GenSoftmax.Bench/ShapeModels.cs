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

    /// <summary>
    /// Kernels generated for 392 inputs x 10 classes: Fashion-MNIST's shape with half the inputs, so W (15.7 KB) and the
    /// gradient's dW together fit a 32 KB L1 where 784 x 10's do not. Step392x10 against Step784x10 per FMA shows what
    /// the cache costs the 784 x 10 step (bench/README.md, "Issue 12's targets in one table").
    /// </summary>
    [SoftmaxModel(Inputs = 392, Classes = 10)]
    public sealed partial class Shape392x10;
}
