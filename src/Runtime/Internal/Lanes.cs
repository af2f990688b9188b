using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
