// Compiled into the generator, the runtime and the data readers (linked, not copied) so they never disagree
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

        /// <summary>
        /// Fewest factors of a hypercomplex layer W = Σ_i A_i ⊗ S_i (0 means the dense layer; 1 would be the dense
        /// layer times one extra scale).
        /// </summary>
        public const int MinHypercomplex = 2;

        /// <summary>Whether <paramref name="n"/> factors divide both sizes, as the Kronecker products need.</summary>
        public static bool HypercomplexDivides(int n, int inputs, int classes) =>
            n >= MinHypercomplex && inputs % n == 0 && classes % n == 0;

        /// <summary>The factor weights of an n-factor layer: n³ in the A_i and dq/n in the S_i.</summary>
        public static long HypercomplexFactorWeights(int n, int inputs, int classes) => ((long)n * n * n) + ((long)inputs * classes / n);

        /// <summary>Whether an n-factor layer (which must divide both sizes) has fewer weights than the dense one, so is worth
        /// having.</summary>
        public static bool HypercomplexIsSmaller(int n, int inputs, int classes) =>
            HypercomplexFactorWeights(n, inputs, classes) < (long)inputs * classes;

        /// <summary>
        /// "use one of 2, 4", "use Hypercomplex = 2" or why no n works: the advice both the generator's diagnostics and
        /// the runtime's exceptions give, from the same rule (<paramref name="choice"/> names the setting, and
        /// <paramref name="none"/> says what to do when no n works).
        /// </summary>
        public static string HypercomplexAdvice(int inputs, int classes, string choice = "Hypercomplex",
            string none = "leave Hypercomplex out")
        {
            var valid = new System.Collections.Generic.List<int>();
            for (int n = MinHypercomplex; n <= classes; n++)
            {
                if (HypercomplexDivides(n, inputs, classes) && HypercomplexIsSmaller(n, inputs, classes))
                {
                    valid.Add(n);
                }
            }

            return valid.Count switch
            {
                0 => $"no count of factors does both for this shape, so {none}",
                1 => $"use {choice} = {valid[0]}",
                _ => $"use one of {string.Join(", ", valid)}",
            };
        }
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

        /// <summary>
        /// Floats of the bias a model keeps (the pad stays 0): the generated and run-time-shaped logits kernels add the bias a
        /// whole vector at a time from the start of every class block or pass, so up to one vector past the last class.
        /// </summary>
        public static int BiasLength(int classes) => ClassStride(classes) + WidestLanes;

        /// <summary>
        /// Whether rows of <paramref name="inputs"/> floats lie a whole number of 4 KiB pages apart, so that the same input
        /// of every row falls in the same set of a 32 KiB, 8-way L1 cache: a logits pass that reads more than
        /// <see cref="MaxAliasedRows"/> rows of W beside 2 input rows then evicts its own lines every step (3072 inputs:
        /// 12 KiB a row).
        /// </summary>
        public static bool AliasesInL1(int inputs) => inputs * sizeof(float) % 4096 == 0;

        /// <summary>Most classes a block takes when <see cref="AliasesInL1"/>: 8 ways less the 2 input rows.</summary>
        public const int MaxAliasedRows = 6;

        /// <summary>Rows per block: the block's logits, [RowBlock, ClassStride] floats, stay within 32 KiB of stack.</summary>
        public static int RowBlock(int classes)
        {
            int rows = 8192 / ClassStride(classes);
            return rows < 2 ? 2 : rows > 32 ? 32 : rows;
        }
    }
}
