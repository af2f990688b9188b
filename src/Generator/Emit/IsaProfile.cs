namespace GenSoftmax.Generator.Emit
{
    /// <summary>
    /// What distinguishes one instruction-set variant from another. The kernel emitter writes every variant from
    /// one of these, so the variants differ in this table, never in hand-copied bodies.
    /// </summary>
    internal sealed class IsaProfile
    {
        private const string Intrinsics = "global::System.Runtime.Intrinsics";
        private const string X86 = "global::System.Runtime.Intrinsics.X86";
        private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";

        public static readonly IsaProfile Avx512 = new IsaProfile(
            name: "Avx512",
            vector: Intrinsics + ".Vector512",
            lanes: 16,
            maxClassBlock: 12, // 32 zmm registers: 2 x 12 accumulators + 2 inputs + 1 weight
            fma: (a, b, c) => $"{X86}.Avx512F.FusedMultiplyAdd({a}, {b}, {c})",
            // 16 bytes -> 16 int32 (vpmovzxbd) -> 16 float (vcvtdq2ps)
            loadBytes: (r, o) => $"{X86}.Avx512F.ConvertToVector512Single({X86}.Avx512F.ConvertToVector512Int32({Intrinsics}.Vector128.LoadUnsafe(ref {r}, {o})))",
            description: "AVX-512F, 16 float lanes, FMA",
            foldTo128: a => $"{Intrinsics}.Vector256.GetLower({Intrinsics}.Vector512.GetLower({a}) + {Intrinsics}.Vector512.GetUpper({a})) + {Intrinsics}.Vector256.GetUpper({Intrinsics}.Vector512.GetLower({a}) + {Intrinsics}.Vector512.GetUpper({a}))");

        public static readonly IsaProfile Avx2 = new IsaProfile(
            name: "Avx2",
            vector: Intrinsics + ".Vector256",
            lanes: 8,
            maxClassBlock: 6, // 16 ymm registers: 2 x 6 accumulators + 2 inputs + 1 weight
            fma: (a, b, c) => $"{X86}.Fma.MultiplyAdd({a}, {b}, {c})",
            // 8 bytes (one 64-bit read, never past the row) -> 8 int32 (vpmovzxbd) -> 8 float
            loadBytes: (r, o) => $"{X86}.Avx.ConvertToVector256Single({X86}.Avx2.ConvertToVector256Int32({Intrinsics}.Vector128.AsByte({Intrinsics}.Vector128.CreateScalar({Unsafe}.ReadUnaligned<ulong>(ref {Unsafe}.Add(ref {r}, {o}))))))",
            description: "AVX2 + FMA3, 8 float lanes",
            foldTo128: a => $"{Intrinsics}.Vector256.GetLower({a}) + {Intrinsics}.Vector256.GetUpper({a})");

        public static readonly IsaProfile Portable = new IsaProfile(
            name: "Portable",
            vector: Intrinsics + ".Vector128",
            lanes: 4,
            maxClassBlock: 6, // sized for 16 registers (x64 SSE); ARM64 has 32
            // Fused where the CPU has FMA, multiply-then-add where it does not: never a software fallback.
            fma: (a, b, c) => $"{Intrinsics}.Vector128.MultiplyAddEstimate({a}, {b}, {c})",
            // 4 bytes (one 32-bit read) -> widened twice -> 4 float
            loadBytes: (r, o) => $"{Intrinsics}.Vector128.ConvertToSingle({Intrinsics}.Vector128.WidenLower({Intrinsics}.Vector128.WidenLower({Intrinsics}.Vector128.AsByte({Intrinsics}.Vector128.CreateScalar({Unsafe}.ReadUnaligned<uint>(ref {Unsafe}.Add(ref {r}, {o})))))))",
            description: "Vector128 (SSE, AdvSimd or software), 4 float lanes");

        public static readonly IsaProfile[] All = { Avx512, Avx2, Portable };

        private IsaProfile(
            string name,
            string vector,
            int lanes,
            int maxClassBlock,
            System.Func<string, string, string, string> fma,
            System.Func<string, string, string> loadBytes,
            string description,
            System.Func<string, string>? foldTo128 = null)
        {
            FoldTo128 = foldTo128;
            Name = name;
            Vector = vector;
            VectorOfFloat = vector + "<float>";
            Lanes = lanes;
            MaxClassBlock = maxClassBlock;
            _fma = fma;
            _loadBytes = loadBytes;
            Description = description;
        }

        private readonly System.Func<string, string, string, string> _fma;
        private readonly System.Func<string, string, string> _loadBytes;

        /// <summary>Suffix of the variant's methods and name of its KernelIsa member.</summary>
        public string Name { get; }

        /// <summary>The static vector class, e.g. global::System.Runtime.Intrinsics.Vector512.</summary>
        public string Vector { get; }

        /// <summary>The vector type, e.g. global::System.Runtime.Intrinsics.Vector512&lt;float&gt;.</summary>
        public string VectorOfFloat { get; }

        public int Lanes { get; }

        /// <summary>Most classes one block may hold so that two rows' accumulators fit in registers.</summary>
        public int MaxClassBlock { get; }

        public string Description { get; }

        /// <summary>
        /// Sums the halves of an accumulator down to one Vector128, for variants whose CPUs have SSE3's horizontal
        /// add; null where the portable path must not assume x86 (it reduces with VectorNNN.Sum instead).
        /// </summary>
        public System.Func<string, string>? FoldTo128 { get; }

        /// <summary>a * b + c.</summary>
        public string Fma(string a, string b, string c) => _fma(a, b, c);

        /// <summary>Loads one vector of floats from float (or byte) data at ref + offset.</summary>
        public string Load(InputKind input, string reference, string offset) => input == InputKind.Float
            ? $"{Vector}.LoadUnsafe(ref {reference}, {offset})"
            : _loadBytes(reference, offset);
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
