using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GenSoftmax.Internal;

namespace GenSoftmax.Dynamic
{
    /// <summary>
    /// What the run-time-shaped kernels need from one vector width: the same operations the generator's
    /// <c>IsaProfile</c> spells per variant, as static members of a struct, so <see cref="RuntimeKernels{TOps, TVec}"/>
    /// is written once and the JIT compiles it per variant with every call inlined (TensorPrimitives' operator structs).
    /// </summary>
    /// <typeparam name="TVec">The vector of floats: Vector128, Vector256 or Vector512.</typeparam>
    internal interface IVectorOps<TVec>
        where TVec : struct
    {
        /// <summary>Float lanes per vector.</summary>
        static abstract int Count { get; }

        /// <summary>A vector of zeros.</summary>
        static abstract TVec Zero { get; }

        /// <summary>Count floats from <c>source + offset</c>.</summary>
        static abstract TVec Load(ref float source, nuint offset);

        /// <summary>Count bytes (pixels 0..255) from <c>source + offset</c>, as floats.</summary>
        static abstract TVec LoadBytes(ref byte source, nuint offset);

        /// <summary>Stores the lanes at <c>destination + offset</c>.</summary>
        static abstract void Store(TVec value, ref float destination, nuint offset);

        /// <summary>Every lane <paramref name="value"/>.</summary>
        static abstract TVec Create(float value);

        /// <summary>a * b + addend, fused where the variant has FMA.</summary>
        static abstract TVec MultiplyAdd(TVec a, TVec b, TVec addend);

        /// <summary>a + b.</summary>
        static abstract TVec Add(TVec a, TVec b);

        /// <summary>a - b.</summary>
        static abstract TVec Subtract(TVec a, TVec b);

        /// <summary>a * b.</summary>
        static abstract TVec Multiply(TVec a, TVec b);

        /// <summary>Lane-wise max by the platform's instruction (NaN handling unspecified, as in the generated kernels).</summary>
        static abstract TVec Max(TVec a, TVec b);

        /// <summary>The largest lane.</summary>
        static abstract float MaxAcross(TVec value);

        /// <summary>The sum of the lanes.</summary>
        static abstract float Sum(TVec value);

        /// <summary>The lane sums of four vectors, in one Vector128 (a, b, c, d), in a fixed order.</summary>
        static abstract Vector128<float> Sum4(TVec a, TVec b, TVec c, TVec d);

        /// <summary>
        /// The most accumulators <see cref="SumEach"/> reduces into one vector; 0 where it is not written (the portable
        /// variant reduces with <see cref="Sum4"/> and <see cref="Sum"/>).
        /// </summary>
        static abstract int SumEachMax { get; }

        /// <summary>
        /// Lane c holds the sum of the lanes of accumulator c, for the first <see cref="SumEachMax"/> accumulators (the other
        /// lanes hold partial sums that belong to no class): rounds of shuffles and adds, each halving the vectors, as the
        /// generator's <c>IsaProfile.TransposeSum</c> spells them. Every class's lanes are added in the same order
        /// whichever accumulator it is, so a class's sum does not depend on its place in a pass.
        /// </summary>
        static abstract TVec SumEach(TVec a0, TVec a1, TVec a2, TVec a3, TVec a4, TVec a5, TVec a6, TVec a7, TVec a8, TVec a9);

        /// <summary><paramref name="value"/> in lane 0, zeros elsewhere.</summary>
        static abstract TVec CreateScalar(float value);

        /// <summary>Each lane rounded to the nearest integer, ties to even.</summary>
        static abstract TVec Round(TVec value);

        /// <summary>
        /// <paramref name="value"/> * 2^n per lane, for integral n of at least -126 (lanes with smaller n, including -inf and
        /// NaN, hold an unspecified value: the caller replaces them). One rounding, as a multiplication by 2^n built in the
        /// exponent bits rounds: <c>vscalefps</c> with AVX-512, that multiplication elsewhere.
        /// </summary>
        static abstract TVec ScaleByPow2(TVec value, TVec n);

        /// <summary><paramref name="whenTrue"/> in the lanes where <paramref name="a"/> &lt; <paramref name="b"/>, else <paramref
        /// name="whenFalse"/>.</summary>
        static abstract TVec WhereLess(TVec a, TVec b, TVec whenTrue, TVec whenFalse);

        /// <summary><paramref name="whenTrue"/> in the lanes where <paramref name="a"/> == <paramref name="b"/>, else <paramref
        /// name="whenFalse"/>.</summary>
        static abstract TVec WhereEqual(TVec a, TVec b, TVec whenTrue, TVec whenFalse);

        /// <summary>Bit j set when lane j of <paramref name="o"/> equals <paramref name="max"/>.</summary>
        static abstract ulong EqualMask(TVec o, TVec max);

        /// <summary><paramref name="value"/> in the lane whose class (<paramref name="firstClass"/> + lane) is <paramref name="label"/>, 0
        /// elsewhere.</summary>
        static abstract TVec OneHot(int firstClass, int label, TVec value);
    }

    /// <summary>AVX-512F, 16 float lanes, FMA. Used only when <c>IsaSelection.IsSupported</c> says so.</summary>
    internal readonly struct Avx512Ops : IVectorOps<Vector512<float>>
    {
        public static int Count => Vector512<float>.Count;

        public static Vector512<float> Zero => Vector512<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

        // 16 bytes widened to 16 ints, then converted: one instruction each.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> LoadBytes(ref byte source, nuint offset) =>
            Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref source, offset)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Create(float value) => Vector512.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> addend) =>
            Avx512F.FusedMultiplyAdd(a, b, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float MaxAcross(Vector512<float> value) => Lanes.Max(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Sum(Vector512<float> value) => Lanes.SumAll(value).ToScalar(); // Vector512.Sum's order, fewer steps

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d) =>
            Sse3.HorizontalAdd(Sse3.HorizontalAdd(Fold(a), Fold(b)), Sse3.HorizontalAdd(Fold(c), Fold(d)));

        public static int SumEachMax => 10;

        // Accumulator c goes in as input c / 4 + 4 (c % 4) of four rounds over 16 inputs; inputs no class fills take their
        // partner's place. Lane 4k + j of the result is the sum of input k + 4j.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> SumEach(
            Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, Vector512<float> a4,
            Vector512<float> a5, Vector512<float> a6, Vector512<float> a7, Vector512<float> a8, Vector512<float> a9)
        {
            Vector512<float> t0 = Halves(a0, a4), t1 = Halves(a8, a8), t2 = Halves(a1, a5), t3 = Halves(a9, a9);
            Vector512<float> t4 = Halves(a2, a6), t6 = Halves(a3, a7);
            Vector512<float> u0 = Quarters(t0, t1), u1 = Quarters(t2, t3), u2 = Quarters(t4, t4), u3 = Quarters(t6, t6);
            return Pairs(Evens(u0, u1), Evens(u2, u3));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> CreateScalar(float value) => Vector512.CreateScalar(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Round(Vector512<float> value) => Vector512.Round(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> ScaleByPow2(Vector512<float> value, Vector512<float> n) => Avx512F.Scale(value, n);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> WhereLess(Vector512<float> a, Vector512<float> b, Vector512<float> whenTrue,
            Vector512<float> whenFalse) =>
            Vector512.ConditionalSelect(Vector512.LessThan(a, b), whenTrue, whenFalse);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> WhereEqual(Vector512<float> a, Vector512<float> b, Vector512<float> whenTrue,
            Vector512<float> whenFalse) =>
            Vector512.ConditionalSelect(Vector512.Equals(a, b), whenTrue, whenFalse);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong EqualMask(Vector512<float> o, Vector512<float> max) =>
            Vector512.ExtractMostSignificantBits(Vector512.Equals(o, max));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> OneHot(int firstClass, int label, Vector512<float> value) =>
            Vector512.Equals(Vector512<int>.Indices + Vector512.Create(firstClass), Vector512.Create(label)).AsSingle() & value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> Fold(Vector512<float> a)
        {
            Vector256<float> h = a.GetLower() + a.GetUpper();
            return h.GetLower() + h.GetUpper();
        }

        // [a0 + a2, a1 + a3, b0 + b2, b1 + b3] in 128-bit lanes (vshuff32x4)
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Halves(Vector512<float> a, Vector512<float> b) =>
            Avx512F.Shuffle4x128(a, b, 0x44) + Avx512F.Shuffle4x128(a, b, 0xEE);

        // the even 128-bit lanes plus the odd ones
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Quarters(Vector512<float> a, Vector512<float> b) =>
            Avx512F.Shuffle4x128(a, b, 0x88) + Avx512F.Shuffle4x128(a, b, 0xDD);

        // within each 128-bit lane (vshufps): elements 0, 1 plus 2, 3 of a, then of b
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Evens(Vector512<float> a, Vector512<float> b) =>
            Avx512F.Shuffle(a, b, 0x44) + Avx512F.Shuffle(a, b, 0xEE);

        // within each 128-bit lane: elements 0 plus 1 and 2 plus 3 of a, then of b
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Pairs(Vector512<float> a, Vector512<float> b) =>
            Avx512F.Shuffle(a, b, 0x88) + Avx512F.Shuffle(a, b, 0xDD);
    }

    /// <summary>AVX2 + FMA3, 8 float lanes.</summary>
    internal readonly struct Avx2Ops : IVectorOps<Vector256<float>>
    {
        public static int Count => Vector256<float>.Count;

        public static Vector256<float> Zero => Vector256<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

        // 8 bytes (one 64-bit read, never past the row) widened to 8 ints, then converted.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> LoadBytes(ref byte source, nuint offset) =>
            Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(
                Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, offset))).AsByte()));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Create(float value) => Vector256.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> addend) =>
            Fma.MultiplyAdd(a, b, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float MaxAcross(Vector256<float> value) => Lanes.Max(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Sum(Vector256<float> value) => Lanes.SumAll(value).ToScalar(); // Vector256.Sum's order, fewer steps

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d) =>
            Sse3.HorizontalAdd(
                Sse3.HorizontalAdd(a.GetLower() + a.GetUpper(), b.GetLower() + b.GetUpper()),
                Sse3.HorizontalAdd(c.GetLower() + c.GetUpper(), d.GetLower() + d.GetUpper()));

        public static int SumEachMax => 8;

        // Accumulator c goes in as input c / 4 + 2 (c % 4) of three rounds over 8 inputs (a8 and a9 are not reduced).
        // Lane 4k + j of the result is the sum of input k + 2j.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> SumEach(
            Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3, Vector256<float> a4,
            Vector256<float> a5, Vector256<float> a6, Vector256<float> a7, Vector256<float> a8, Vector256<float> a9)
        {
            Vector256<float> t0 = Halves(a0, a4), t1 = Halves(a1, a5), t2 = Halves(a2, a6), t3 = Halves(a3, a7);
            return Pairs(Evens(t0, t1), Evens(t2, t3));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> CreateScalar(float value) => Vector256.CreateScalar(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Round(Vector256<float> value) => Vector256.Round(value);

        // 2^n from the exponent bits without a conversion: n (clamped to -126) plus 1.5 * 2^23 + 127 is exact and holds
        // n + 127 in its low mantissa bits, which the shift moves into the exponent field (the rest shifts out).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> ScaleByPow2(Vector256<float> value, Vector256<float> n) =>
            value * Vector256.ShiftLeft(
                (Vector256.MaxNative(n, Vector256.Create(-126f)) + Vector256.Create(VectorMath.Pow2Bias)).AsInt32(), 23).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> WhereLess(Vector256<float> a, Vector256<float> b, Vector256<float> whenTrue,
            Vector256<float> whenFalse) =>
            Vector256.ConditionalSelect(Vector256.LessThan(a, b), whenTrue, whenFalse);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> WhereEqual(Vector256<float> a, Vector256<float> b, Vector256<float> whenTrue,
            Vector256<float> whenFalse) =>
            Vector256.ConditionalSelect(Vector256.Equals(a, b), whenTrue, whenFalse);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong EqualMask(Vector256<float> o, Vector256<float> max) =>
            Vector256.ExtractMostSignificantBits(Vector256.Equals(o, max));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> OneHot(int firstClass, int label, Vector256<float> value) =>
            Vector256.Equals(Vector256<int>.Indices + Vector256.Create(firstClass), Vector256.Create(label)).AsSingle() & value;

        // [a.lo + a.hi, b.lo + b.hi] (vperm2f128)
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Halves(Vector256<float> a, Vector256<float> b) =>
            Avx.Permute2x128(a, b, 0x20) + Avx.Permute2x128(a, b, 0x31);

        // within each 128-bit lane (vshufps): elements 0, 1 plus 2, 3 of a, then of b
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Evens(Vector256<float> a, Vector256<float> b) =>
            Avx.Shuffle(a, b, 0x44) + Avx.Shuffle(a, b, 0xEE);

        // within each 128-bit lane: elements 0 plus 1 and 2 plus 3 of a, then of b
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Pairs(Vector256<float> a, Vector256<float> b) =>
            Avx.Shuffle(a, b, 0x88) + Avx.Shuffle(a, b, 0xDD);
    }

    /// <summary>Vector128, 4 float lanes: x64 SSE, ARM64 AdvSimd, or software. No x86 call here, so it runs everywhere.</summary>
    internal readonly struct PortableOps : IVectorOps<Vector128<float>>
    {
        public static int Count => Vector128<float>.Count;

        public static Vector128<float> Zero => Vector128<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Load(ref float source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

        // 4 bytes (one 32-bit read, never past the row) widened twice, then converted.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> LoadBytes(ref byte source, nuint offset) =>
            Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(
                Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, offset))).AsByte())));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Create(float value) => Vector128.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> addend) =>
            Vector128.MultiplyAddEstimate(a, b, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float MaxAcross(Vector128<float> value) => Lanes.Max(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Sum(Vector128<float> value) => Vector128.Sum(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Sum4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d) =>
            Vector128.Create(Vector128.Sum(a), Vector128.Sum(b), Vector128.Sum(c), Vector128.Sum(d));

        public static int SumEachMax => 0;

        public static Vector128<float> SumEach(
            Vector128<float> a0, Vector128<float> a1, Vector128<float> a2, Vector128<float> a3, Vector128<float> a4,
            Vector128<float> a5, Vector128<float> a6, Vector128<float> a7, Vector128<float> a8, Vector128<float> a9) =>
            throw new System.NotSupportedException("The portable variant reduces with Sum4 and Sum (SumEachMax is 0).");

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> CreateScalar(float value) => Vector128.CreateScalar(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Round(Vector128<float> value) => Vector128.Round(value);

        // 2^n from the exponent bits without a conversion: n (clamped to -126) plus 1.5 * 2^23 + 127 is exact and holds
        // n + 127 in its low mantissa bits, which the shift moves into the exponent field (the rest shifts out).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> ScaleByPow2(Vector128<float> value, Vector128<float> n) =>
            value * Vector128.ShiftLeft(
                (Vector128.MaxNative(n, Vector128.Create(-126f)) + Vector128.Create(VectorMath.Pow2Bias)).AsInt32(), 23).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> WhereLess(Vector128<float> a, Vector128<float> b, Vector128<float> whenTrue,
            Vector128<float> whenFalse) =>
            Vector128.ConditionalSelect(Vector128.LessThan(a, b), whenTrue, whenFalse);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> WhereEqual(Vector128<float> a, Vector128<float> b, Vector128<float> whenTrue,
            Vector128<float> whenFalse) =>
            Vector128.ConditionalSelect(Vector128.Equals(a, b), whenTrue, whenFalse);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong EqualMask(Vector128<float> o, Vector128<float> max) =>
            Vector128.ExtractMostSignificantBits(Vector128.Equals(o, max));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> OneHot(int firstClass, int label, Vector128<float> value) =>
            Vector128.Equals(Vector128<int>.Indices + Vector128.Create(firstClass), Vector128.Create(label)).AsSingle() & value;
    }

    /// <summary>Constants of the vector math.</summary>
    internal static class VectorMath
    {
        /// <summary>1.5 * 2^23 + 127: an integral n in [-126, 127] plus this is exact, with n + 127 in the low mantissa bits.</summary>
        public const float Pow2Bias = 12583039f;
    }

    /// <summary>The vector math the run-time kernels share across widths, written once over <see cref="IVectorOps{TVec}"/>.</summary>
    internal static class VectorMath<TOps, TVec>
        where TOps : IVectorOps<TVec>
        where TVec : struct
    {
        /// <summary>
        /// exp(o - max) per lane, exactly 1 in the lanes equal to <paramref name="max"/>: the generated kernels' exp (Cephes'
        /// expf, see the generator's <c>KernelEmitter.EmitExp</c>) operation for operation, so both paths round alike. Not
        /// <c>Vector*.Exp</c>: its helper is not inlined and starts unoptimised in a fresh process (the slow first epoch).
        /// n = round(x log2 e), r = x - n ln 2 with ln 2 in two parts, exp(r) ~ 1 + r + r^2 p(r), scaled by 2^n; 0 below
        /// -87.33654 (exp(x) &lt; 2^-126) and at -inf (the pad lanes).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec ExpShifted(TVec o, TVec max)
        {
            TVec x = TOps.Subtract(o, max);
            TVec n = TOps.Round(TOps.Multiply(x, TOps.Create(1.44269504088896341f)));
            TVec r = TOps.MultiplyAdd(n, TOps.Create(-0.693359375f), x);
            r = TOps.MultiplyAdd(n, TOps.Create(2.12194440e-4f), r);
            TVec p = TOps.MultiplyAdd(TOps.Create(1.9875691500e-4f), r, TOps.Create(1.3981999507e-3f));
            p = TOps.MultiplyAdd(p, r, TOps.Create(8.3334519073e-3f));
            p = TOps.MultiplyAdd(p, r, TOps.Create(4.1665795894e-2f));
            p = TOps.MultiplyAdd(p, r, TOps.Create(1.6666665459e-1f));
            p = TOps.MultiplyAdd(p, r, TOps.Create(5.0000001201e-1f));
            p = TOps.MultiplyAdd(p, TOps.Multiply(r, r), TOps.Add(r, TOps.Create(1f)));
            TVec e = TOps.WhereLess(x, TOps.Create(-87.33654f), TOps.Zero, TOps.ScaleByPow2(p, n));
            return TOps.WhereEqual(o, max, TOps.Create(1f), e);
        }
    }
}
