// Compiled into both the generator and the runtime (linked, not copied) so the two never disagree
// about which shapes are valid and how a block of logits is laid out.
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

        /// <summary>Softmax needs at least two classes (with two, it is logistic regression over-parameterised).</summary>
        public const int MinClasses = 2;

        /// <summary>
        /// Largest number of classes. A block of rows keeps its logits on the stack (rows x padded classes
        /// floats), and the generated code unrolls class blocks; 1024 keeps both small.
        /// </summary>
        public const int MaxClasses = 1024;

        /// <summary>Largest weight matrix, classes x inputs, so every index fits in an int.</summary>
        public const long MaxParameters = 1L << 28;
    }

    /// <summary>
    /// How the drivers (runtime) and the kernels (generated) share a block of rows. Every value is a pure function
    /// of the shape, so after the JIT specialises a driver for a model they are constants.
    /// </summary>
    internal static class KernelLayout
    {
        /// <summary>Lanes of the widest vector any variant uses (Vector512 of float).</summary>
        public const int WidestLanes = 16;

        /// <summary>How many rows past a block the logits kernel prefetches (two pairs ahead).</summary>
        public const int PrefetchRows = 4;

        /// <summary>
        /// Classes padded to a whole number of the widest vector, so every variant shares one block layout and the
        /// row kernels need no tail: the pad lanes hold -inf, which max ignores and exp turns into 0.
        /// </summary>
        public static int ClassStride(int classes) => (classes + WidestLanes - 1) / WidestLanes * WidestLanes;

        /// <summary>Rows per block: the block's logits, [RowBlock, ClassStride] floats, stay within 32 KiB of stack.</summary>
        public static int RowBlock(int classes)
        {
            int rows = 8192 / ClassStride(classes);
            return rows < 2 ? 2 : rows > 32 ? 32 : rows;
        }
    }
}
