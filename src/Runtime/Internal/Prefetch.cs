using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace GenSoftmax.Internal
{
    /// <summary>Software prefetch for the generated kernels, so user projects need not allow unsafe code. Not for direct use.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static unsafe class Prefetch
    {
        /// <summary>
        /// Asks for the cache line holding <paramref name="location"/> to be brought into all cache levels.
        /// A hint only: it never faults, so a stale address after a GC move costs nothing but the hint.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Line<T>(ref T location)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref location));
            }
        }
    }
}
