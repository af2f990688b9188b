using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics.X86;

namespace GenSoftmax
{
    /// <summary>The instruction-set variants the generator emits for every model.</summary>
    public enum KernelIsa
    {
        /// <summary>Vector128 code that runs on any CPU .NET runs on (x64 SSE, ARM64 AdvSimd, or software).</summary>
        Portable = 0,

        /// <summary>AVX2 + FMA3 with 256-bit vectors.</summary>
        Avx2 = 1,

        /// <summary>AVX-512F with 512-bit vectors.</summary>
        Avx512 = 2,
    }

    /// <summary>Which kernel variant this process uses, chosen once.</summary>
    public static class IsaSelection
    {
        /// <summary>Name of the environment variable that may force a lower variant (tests, benchmarks).</summary>
        public const string EnvironmentVariable = "GENSOFTMAX_ISA";

        /// <summary>
        /// The best variant this CPU supports, or the one named by <c>GENSOFTMAX_ISA</c>
        /// (Portable, Avx2 or Avx512) when that is supported; a higher one than the CPU has is never chosen.
        /// </summary>
        public static KernelIsa Best { get; } = Choose(Environment.GetEnvironmentVariable(EnvironmentVariable));

        /// <summary>
        /// Whether this CPU and runtime can run <paramref name="isa"/>. Tests the instruction sets the variant
        /// calls: <c>Vector512.IsHardwareAccelerated</c> can be false on CPUs whose Avx512F intrinsics run fine.
        /// </summary>
        public static bool IsSupported(KernelIsa isa) => isa switch
        {
            KernelIsa.Avx512 => Avx512F.IsSupported,
            KernelIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
            KernelIsa.Portable => true,
            _ => false,
        };

        /// <summary>Every variant this machine can run, best last.</summary>
        public static IReadOnlyList<KernelIsa> Supported { get; } = ListSupported();

        /// <summary>Throws a clear error when <paramref name="isa"/> cannot run here.</summary>
        public static void EnsureSupported(KernelIsa isa)
        {
            if (!IsSupported(isa))
            {
                throw new PlatformNotSupportedException(
                    $"The {isa} kernels need instructions this CPU or runtime does not offer. " +
                    $"Use IsaSelection.Best ({Best}) or one of: {string.Join(", ", Supported)}.");
            }
        }

        internal static KernelIsa Choose(string? requested)
        {
            KernelIsa best = IsSupported(KernelIsa.Avx512) ? KernelIsa.Avx512
                : IsSupported(KernelIsa.Avx2) ? KernelIsa.Avx2
                : KernelIsa.Portable;
            if (string.IsNullOrWhiteSpace(requested))
            {
                return best;
            }

            if (!Enum.TryParse(requested.Trim(), ignoreCase: true, out KernelIsa forced) || !Enum.IsDefined(forced))
            {
                throw new InvalidOperationException(
                    $"{EnvironmentVariable}='{requested}' is not a kernel variant: use Portable, Avx2 or Avx512, or unset it.");
            }

            // A forced variant may only lower the choice: forcing a higher one would crash on the first call.
            return forced <= best ? forced : best;
        }

        private static List<KernelIsa> ListSupported()
        {
            var list = new List<KernelIsa>();
            foreach (KernelIsa isa in new[] { KernelIsa.Portable, KernelIsa.Avx2, KernelIsa.Avx512 })
            {
                if (IsSupported(isa))
                {
                    list.Add(isa);
                }
            }

            return list;
        }
    }
}
