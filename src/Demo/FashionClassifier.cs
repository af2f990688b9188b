
namespace GenSoftmax.App
{
    /// <summary>Softmax regression over 28x28 Fashion-MNIST images: 784 inputs, 10 clothing classes.</summary>
    [SoftmaxModel(Inputs = 784, Classes = 10)]
    public sealed partial class FashionClassifier;

    /// <summary>
    /// The same 784 -> 10 layer as a parameterised hypercomplex multiplication with n = 2 (W = A_1 (x) S_1 + A_2 (x) S_2):
    /// 3,938 parameters instead of 7,850. <c>train --hypercomplex 2</c> trains it. n = 2 is the only n that divides both
    /// 784 and 10 (the generator's GSM0015 says so for any other).
    /// </summary>
    [SoftmaxModel(Inputs = 784, Classes = 10, Hypercomplex = 2)]
    public sealed partial class CompactFashionClassifier;
}
