using GenSoftmax;

// Generated hypercomplex models: Fashion-MNIST's shape with n = 2, and shapes whose blocks have lane tails in
// every variant (d/n = 17, q/n = 3 or 5), with n = 2, 3 and 4.
namespace GenSoftmax.Tests.Hypercomplex
{
    [SoftmaxModel(Inputs = 784, Classes = 10, Hypercomplex = 2)] public partial class FashionPhm2;
    [SoftmaxModel(Inputs = 784, Classes = 10)] public partial class FashionDense;
    [SoftmaxModel(Inputs = 34, Classes = 10, Hypercomplex = 2)] public partial class Phm2x34x10;
    [SoftmaxModel(Inputs = 51, Classes = 9, Hypercomplex = 3)] public partial class Phm3x51x9;
    [SoftmaxModel(Inputs = 68, Classes = 12, Hypercomplex = 4)] public partial class Phm4x68x12;
}
