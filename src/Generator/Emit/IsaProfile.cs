namespace GenSoftmax.Generator.Emit
{
    /// <summary>
    /// What distinguishes one instruction-set variant from another. The kernel emitter writes every variant from
    /// one of these, so the variants differ in this table, never in hand-copied bodies. Each variant's kernels sit
    /// in a namespace of their own whose <c>using</c> aliases (<see cref="Aliases"/>) name its vector types, so the
    /// kernel text reads the same in every variant: <c>V</c> is the vector of floats, <c>Vec</c> its static class.
    /// </summary>
    internal sealed class IsaProfile
    {
        private const string Intrinsics = "global::System.Runtime.Intrinsics";

        public static readonly IsaProfile Avx512 = new IsaProfile(
            name: "Avx512",
            vectorType: Intrinsics + ".Vector512",
            lanes: 16,
            maxClassBlock: 12, // 32 zmm registers: 2 x 12 accumulators + 2 inputs + 1 weight
            fma: (a, b, c) => $"X86.Avx512F.FusedMultiplyAdd({a}, {b}, {c})",
            // 16 bytes -> 16 int32 (vpmovzxbd) -> 16 float (vcvtdq2ps)
            loadBytes: "X86.Avx512F.ConvertToVector512Single(X86.Avx512F.ConvertToVector512Int32(V128.LoadUnsafe(ref x, offset)))",
            description: "AVX-512F, 16 float lanes, FMA",
            scaleByPow2: "X86.Avx512F.Scale({0}, {1})", // vscalefps: one instruction for the clamp, conversion, shift and multiply
            lanesAcross: true,
            transposeSum:
            [
                // vshuff32x4: the low halves of a and b, plus their high halves: [a0 + a2, a1 + a3, b0 + b2, b1 + b3]
                "X86.Avx512F.Shuffle4x128({0}, {1}, 0x44) + X86.Avx512F.Shuffle4x128({0}, {1}, 0xEE)",
                // the even 128-bit lanes plus the odd ones: [a, b, c, d], each one 128-bit lane of partial sums
                "X86.Avx512F.Shuffle4x128({0}, {1}, 0x88) + X86.Avx512F.Shuffle4x128({0}, {1}, 0xDD)",
                // vshufps within each 128-bit lane: two partial sums of each source's class
                "X86.Avx512F.Shuffle({0}, {1}, 0x44) + X86.Avx512F.Shuffle({0}, {1}, 0xEE)",
                "X86.Avx512F.Shuffle({0}, {1}, 0x88) + X86.Avx512F.Shuffle({0}, {1}, 0xDD)",
            ]);

        public static readonly IsaProfile Avx2 = new IsaProfile(
            name: "Avx2",
            vectorType: Intrinsics + ".Vector256",
            lanes: 8,
            maxClassBlock: 6, // 16 ymm registers: 2 x 6 accumulators + 2 inputs + 1 weight
            fma: (a, b, c) => $"X86.Fma.MultiplyAdd({a}, {b}, {c})",
            // 8 bytes (one 64-bit read, never past the row) -> 8 int32 (vpmovzxbd) -> 8 float
            loadBytes: "X86.Avx.ConvertToVector256Single(X86.Avx2.ConvertToVector256Int32(\n    " +
                "V128.AsByte(V128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref x, offset))))))",
            description: "AVX2 + FMA3, 8 float lanes",
            lanesAcross: true,
            transposeSum:
            [
                // vperm2f128: [a.lo + a.hi, b.lo + b.hi]
                "X86.Avx.Permute2x128({0}, {1}, 0x20) + X86.Avx.Permute2x128({0}, {1}, 0x31)",
                // vshufps within each 128-bit lane: two partial sums of each source's class, then one
                "X86.Avx.Shuffle({0}, {1}, 0x44) + X86.Avx.Shuffle({0}, {1}, 0xEE)",
                "X86.Avx.Shuffle({0}, {1}, 0x88) + X86.Avx.Shuffle({0}, {1}, 0xDD)",
            ]);

        public static readonly IsaProfile Portable = new IsaProfile(
            name: "Portable",
            vectorType: Intrinsics + ".Vector128",
            lanes: 4,
            maxClassBlock: 6, // sized for 16 registers (x64 SSE); ARM64 has 32
            // Fused where the CPU has FMA, multiply-then-add where it does not: never a software fallback.
            fma: (a, b, c) => $"Vec.MultiplyAddEstimate({a}, {b}, {c})",
            // 4 bytes (one 32-bit read) -> widened twice -> 4 float
            loadBytes: "V128.ConvertToSingle(V128.WidenLower(V128.WidenLower(\n    " +
                "V128.AsByte(V128.CreateScalar(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref x, offset)))))))",
            description: "Vector128 (SSE, AdvSimd or software), 4 float lanes");

        /// <summary>
        /// Every variant, most preferred first (the order of the runtime's <c>IsaSelection.Preference</c>): each gets a
        /// kernel namespace and an arm in every dispatch method, and its <see cref="Name"/> is a <c>KernelIsa</c> member.
        /// </summary>
        public static readonly IsaProfile[] All = { Avx512, Avx2, Portable };

        /// <summary>
        /// The variant that runs on every CPU .NET runs on: the default arm of the dispatch, so a <c>KernelIsa</c> value
        /// no arm names still runs.
        /// </summary>
        public static IsaProfile Fallback => Portable;

        private readonly System.Func<string, string, string, string> _fma;

        private IsaProfile(
            string name,
            string vectorType,
            int lanes,
            int maxClassBlock,
            System.Func<string, string, string, string> fma,
            string loadBytes,
            string description,
            string? scaleByPow2 = null,
            bool lanesAcross = false,
            string[]? transposeSum = null)
        {
            Name = name;
            VectorType = vectorType;
            Lanes = lanes;
            MaxClassBlock = maxClassBlock;
            _fma = fma;
            LoadBytesBody = loadBytes;
            Description = description;
            TransposeSum = transposeSum;
            ScaleByPow2Format = scaleByPow2 ??
                "{0} * Vec.AsSingle(Vec.ShiftLeft(\n" +
                "    Vec.AsInt32(Vec.MaxNative({1}, Vec.Create(-126f)) + Vec.Create(12583039f)), 23))";
            LanesAcross = lanesAcross;
        }

        /// <summary>Name of the variant's namespace and of its KernelIsa member.</summary>
        public string Name { get; }

        /// <summary>The static vector class, e.g. global::System.Runtime.Intrinsics.Vector512, aliased <c>Vec</c>.</summary>
        public string VectorType { get; }

        /// <summary>The vector of floats, as the kernels spell it (an alias).</summary>
        public string V => "V";

        /// <summary>The static vector class, as the kernels spell it (an alias).</summary>
        public string Vec => "Vec";

        public int Lanes { get; }

        /// <summary>Most classes one block may hold so that two rows' accumulators fit in registers.</summary>
        public int MaxClassBlock { get; }

        public string Description { get; }

        /// <summary>Body of <c>LoadBytes(ref byte x, nuint offset)</c>: one vector of floats from bytes.</summary>
        public string LoadBytesBody { get; }

        /// <summary>
        /// The rounds of a transposing sum, as formats of two vectors ({0}, {1}): each round adds pairs of vectors into one
        /// whose lanes hold half as many partial sums of each, so log2(lanes) rounds turn one accumulator per class into one
        /// vector of every class's sum. Lane <c>4k + j</c> of the result is the sum of input <c>k + (lanes / 4) j</c>
        /// (k &lt; lanes / 4, j &lt; 4). Null where the portable path must not assume x86 (it reduces with Vec.Sum).
        /// </summary>
        public string[]? TransposeSum { get; }

        /// <summary>
        /// <c>{0} * 2^{1}</c> for integral {1} of at least -126, with one rounding (lanes with a smaller exponent are the
        /// caller's to replace). Elsewhere than AVX-512, 2^n built in the exponent bits without a conversion: n clamped to
        /// -126 plus 1.5 * 2^23 + 127 is exact and holds n + 127 in its low bits, which a shift by 23 moves into the exponent.
        /// </summary>
        public string ScaleByPow2Format { get; }

        /// <summary>
        /// Whether a row's max and sum reduce in registers to every lane (<c>Lanes.MaxAll</c>, <c>Lanes.SumAll</c>: in-lane
        /// swaps, x86 only, the sum in <c>Vec.Sum</c>'s order) instead of to a float (<c>Lanes.Max</c>, <c>Vec.Sum</c>).
        /// </summary>
        public bool LanesAcross { get; }

        /// <summary>The <c>using</c> aliases at the top of the variant's namespace.</summary>
        public string Aliases => $"""
            using V = {VectorType}<float>;
            using VI = {VectorType}<int>;
            using Vec = {VectorType};
            using V128 = {Intrinsics}.Vector128;
            using V256 = {Intrinsics}.Vector256;
            using F128 = {Intrinsics}.Vector128<float>;
            using F256 = {Intrinsics}.Vector256<float>;
            using X86 = {Intrinsics}.X86;
            using Unsafe = global::System.Runtime.CompilerServices.Unsafe;
            using MethodImpl = global::System.Runtime.CompilerServices.MethodImplAttribute;
            using MethodImplOptions = global::System.Runtime.CompilerServices.MethodImplOptions;
            using Bits = global::System.Numerics.BitOperations;
            using Lanes = global::GenSoftmax.Internal.Lanes;
            using Prefetch = global::GenSoftmax.Internal.Prefetch;
            """;

        /// <summary>a * b + c.</summary>
        public string Fma(string a, string b, string c) => _fma(a, b, c);

        /// <summary>Loads one vector of floats from float (or byte) data at ref + offset.</summary>
        public string Load(InputKind input, string reference, string offset) => input == InputKind.Float
            ? $"Vec.LoadUnsafe(ref {reference}, {offset})"
            : $"LoadBytes(ref {reference}, {offset})";
    }

    /// <summary>The element type of the input rows.</summary>
    internal enum InputKind
    {
        /// <summary>float features.</summary>
        Float,

        /// <summary>byte pixels, scaled by 1/255 inside the kernel.</summary>
        Byte,
    }
}
