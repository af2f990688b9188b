using GenSoftmax;

namespace GenSoftmax.App
{
    /// <summary>Softmax regression over 28x28 Fashion-MNIST images: 784 inputs, 10 clothing classes.</summary>
    [SoftmaxModel(Inputs = 784, Classes = 10)]
    public sealed partial class FashionClassifier;
}
