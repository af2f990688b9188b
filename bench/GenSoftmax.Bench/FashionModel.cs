using GenSoftmax;

namespace GenSoftmax.Bench
{
    /// <summary>The model every benchmark trains: 28x28 Fashion-MNIST images, 10 classes, kernels generated for this shape.</summary>
    [SoftmaxModel(Inputs = 784, Classes = 10)]
    public sealed partial class FashionModel;
}
