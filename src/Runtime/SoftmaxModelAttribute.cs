using System;

namespace GenSoftmax
{
    /// <summary>
    /// Marks a <c>partial class</c> as a softmax-regression model of a fixed shape. The GenSoftmax source
    /// generator implements <see cref="ISoftmaxModel"/> on it with kernels specialised to exactly
    /// <see cref="Inputs"/> x <see cref="Classes"/>: AVX-512, AVX2 + FMA and a portable fallback.
    /// </summary>
    /// <example>
    /// <code>
    /// [SoftmaxModel(Inputs = 784, Classes = 10)]
    /// public partial class FashionClassifier;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class SoftmaxModelAttribute : Attribute
    {
        /// <summary>Number of input features d (784 for 28x28 images). Between 1 and 2^20.</summary>
        public int Inputs { get; set; }

        /// <summary>Number of classes q (10 for Fashion-MNIST). Between 2 and 1024.</summary>
        public int Classes { get; set; }

        /// <summary>
        /// Number of factors n of a parameterised hypercomplex layer (Zhang, Tay, Zhang et al., ICLR 2021), or 0 (the
        /// default) for the dense layer. With n &gt;= 2 the weights are W = Σ_{i=1..n} A_i ⊗ S_i, n matrices A_i of n x n
        /// and n matrices S_i of (Classes / n) x (Inputs / n): n³ + Inputs·Classes / n trained numbers instead of
        /// Inputs·Classes. n must divide both sizes. The class then implements <see cref="Hypercomplex.IHypercomplexModel"/>, whose
        /// parameters
        /// are A, S and b: <see cref="Training.Sgd"/> and the <see cref="Training.Trainer"/> train it as any model.
        /// </summary>
        /// <example><c>[SoftmaxModel(Inputs = 784, Classes = 10, Hypercomplex = 2)]</c>: 3,928 + 10 parameters instead of 7,850.</example>
        public int Hypercomplex { get; set; }
    }
}
