using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenSoftmax.Internal
{
    /// <summary>Across-lane reductions for the generated kernels. Not for direct use.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    // Public for the generated kernels; internal in the kernel assemblies, which compile this file too (src/KernelImages).
#if KERNEL_IMAGE_ASSEMBLY
    internal static class Lanes
#else
    public static class Lanes
#endif
    {
        /// <summary>
        /// The largest lane, by the platform's max: with a NaN lane the result is unspecified, but the kernels' sum of
        /// exponentials of that row is NaN whatever it is, so a diverged model still reports a NaN loss.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Max(Vector512<float> v) => Max(Vector256.MaxNative(v.GetLower(), v.GetUpper()));

        /// <summary>The largest lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Max(Vector256<float> v) => Max(Vector128.MaxNative(v.GetLower(), v.GetUpper()));

        /// <summary>
        /// The sum of the lanes, in every lane: four rounds of in-register swaps (adjacent lanes, pairs, 128-bit lanes, 256-bit
        /// halves) and adds, 8 instructions where <see cref="Vector512.Sum{T}(Vector512{T})"/> extracts and folds each quarter
        /// apart (24). The additions are those of <c>Vector512.Sum</c>, in its order, <c>((q0 + q1) + (q2 + q3))</c> with each
        /// quarter <c>(x0 + x1) + (x2 + x3)</c>, so lane 0 holds the same float to the bit (Runtime.Tests: LanesTests).
        /// For AVX-512 callers only.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> SumAll(Vector512<float> v)
        {
            v += Avx512F.Permute4x32(v, 0xB1);
            v += Avx512F.Permute4x32(v, 0x4E);
            v += Avx512F.Shuffle4x128(v, v, 0xB1);
            return v + Avx512F.Shuffle4x128(v, v, 0x4E);
        }

        /// <summary>
        /// The sum of the lanes, in every lane, added as <see cref="Vector256.Sum{T}(Vector256{T})"/> adds them (see the
        /// Vector512 overload). For AVX callers only.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> SumAll(Vector256<float> v)
        {
            v += Avx.Permute(v, 0xB1);
            v += Avx.Permute(v, 0x4E);
            return v + Avx.Permute2x128(v, v, 0x01);
        }

        /// <summary>The largest lane, in every lane (as <see cref="Max(Vector512{float})"/>). For AVX-512 callers only.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MaxAll(Vector512<float> v)
        {
            v = Vector512.MaxNative(v, Avx512F.Permute4x32(v, 0xB1));
            v = Vector512.MaxNative(v, Avx512F.Permute4x32(v, 0x4E));
            v = Vector512.MaxNative(v, Avx512F.Shuffle4x128(v, v, 0xB1));
            return Vector512.MaxNative(v, Avx512F.Shuffle4x128(v, v, 0x4E));
        }

        /// <summary>The largest lane, in every lane (as <see cref="Max(Vector256{float})"/>). For AVX callers only.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MaxAll(Vector256<float> v)
        {
            v = Vector256.MaxNative(v, Avx.Permute(v, 0xB1));
            v = Vector256.MaxNative(v, Avx.Permute(v, 0x4E));
            return Vector256.MaxNative(v, Avx.Permute2x128(v, v, 0x01));
        }

        /// <summary>The largest lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Max(Vector128<float> v)
        {
            v = Vector128.MaxNative(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
            v = Vector128.MaxNative(v, Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2)));
            return v.ToScalar();
        }
    }
}
