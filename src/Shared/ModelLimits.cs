// Compiled into both the generator and the runtime (linked, not copied) so the two never disagree
// about which shapes are valid.
namespace GenSoftmax
{
    /// <summary>The shapes a <c>[SoftmaxModel]</c> may declare.</summary>
    internal static class ModelLimits
    {
        /// <summary>Smallest number of input features.</summary>
        public const int MinInputs = 1;

        /// <summary>
        /// Largest number of input features: 2^20. The input loop is a counted loop, so this bounds the
        /// weight matrix (classes x inputs floats), not the size of the generated code.
        /// </summary>
        public const int MaxInputs = 1 << 20;

        /// <summary>Softmax needs at least two classes; two classes is logistic regression.</summary>
        public const int MinClasses = 2;

        /// <summary>
        /// Largest number of classes. A block of rows keeps its logits on the stack (rows x padded classes
        /// floats), and the generated code unrolls class blocks; 1024 keeps both small.
        /// </summary>
        public const int MaxClasses = 1024;

        /// <summary>Largest weight matrix, classes x inputs, so every index fits in an int.</summary>
        public const long MaxParameters = 1L << 28;
    }
}
