using GenSoftmax;

// Real [SoftmaxModel] classes, one per awkward shape: every input count in {1, 3, 15, 16, 17, 20, 784, 1000} and every
// class count in {2, 3, 10, 16, 17, 33, 100} appears, with lane tails (inputs % 4, % 8, % 16) and class blocks that
// split unevenly for each variant. 100 classes (112 padded lanes) is the shape whose row kernels loop over the row
// in memory in every variant instead of keeping it in registers.
namespace GenSoftmax.Tests.Models
{
    [SoftmaxModel(Inputs = 1, Classes = 2)] public partial class M1x2;
    [SoftmaxModel(Inputs = 1, Classes = 17)] public partial class M1x17;
    [SoftmaxModel(Inputs = 3, Classes = 3)] public partial class M3x3;
    [SoftmaxModel(Inputs = 3, Classes = 33)] public partial class M3x33;
    [SoftmaxModel(Inputs = 15, Classes = 10)] public partial class M15x10;
    [SoftmaxModel(Inputs = 15, Classes = 2)] public partial class M15x2;
    [SoftmaxModel(Inputs = 16, Classes = 16)] public partial class M16x16;
    [SoftmaxModel(Inputs = 16, Classes = 3)] public partial class M16x3;
    [SoftmaxModel(Inputs = 17, Classes = 17)] public partial class M17x17;
    [SoftmaxModel(Inputs = 17, Classes = 10)] public partial class M17x10;
    [SoftmaxModel(Inputs = 784, Classes = 10)] public partial class M784x10;
    [SoftmaxModel(Inputs = 784, Classes = 2)] public partial class M784x2;
    [SoftmaxModel(Inputs = 784, Classes = 33)] public partial class M784x33;
    [SoftmaxModel(Inputs = 1000, Classes = 16)] public partial class M1000x16;
    [SoftmaxModel(Inputs = 1000, Classes = 33)] public partial class M1000x33;
    [SoftmaxModel(Inputs = 1000, Classes = 3)] public partial class M1000x3;
    [SoftmaxModel(Inputs = 20, Classes = 100)] public partial class M20x100;
}
