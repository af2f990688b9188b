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

    /// <summary>Which kernel variant a new model uses, and which variants this machine can run.</summary>
    public static class IsaSelection
    {
        /// <summary>Name of the environment variable that forces a variant (tests, benchmarks, comparisons).</summary>
        public const string EnvironmentVariable = "GENSOFTMAX_ISA";

        /// <summary>
        /// Every variant, most preferred first. AVX-512 first: on Zen 4 its 512-bit FMA runs as two 256-bit halves,
        /// so its peak equals AVX2's, but it needs half the instructions, has 32 registers for twice the class
        /// accumulators, and reads bytes with one widening convert (bench/README.md). AVX2 + FMA next, then the
        /// portable Vector128 code, which runs everywhere. Only this table orders the variants.
        /// </summary>
        public static IReadOnlyList<KernelIsa> Preference { get; } = Array.AsReadOnly(new[] { KernelIsa.Avx512, KernelIsa.Avx2, KernelIsa.Portable });

        private static readonly (KernelIsa Isa, string? Error) Chosen = Choose(Environment.GetEnvironmentVariable(EnvironmentVariable));

        /// <summary>The most preferred variant this CPU and runtime run, whatever <c>GENSOFTMAX_ISA</c> says.</summary>
        public static KernelIsa Best { get; } = BestSupported();

        /// <summary>
        /// The variant a new model starts with: the one <c>GENSOFTMAX_ISA</c> names (Portable, Avx2 or Avx512,
        /// any case) when it is set, else <see cref="Best"/>.
        /// </summary>
        /// <exception cref="InvalidOperationException"><c>GENSOFTMAX_ISA</c> names no variant, or one this CPU cannot
        /// run; the message names the valid values. Thrown where a model is first created, never from a type initializer.</exception>
        public static KernelIsa Default => Chosen.Error is null ? Chosen.Isa : throw new InvalidOperationException(Chosen.Error);

        /// <summary>
        /// Whether this CPU and runtime can run <paramref name="isa"/>: every instruction set its code calls
        /// (<c>Vector512.IsHardwareAccelerated</c> can be false on CPUs whose Avx512F intrinsics run fine, so the
        /// intrinsics are tested, not the vector types). SSE3's horizontal add reduces the accumulators of both
        /// x86 variants.
        /// </summary>
        public static bool IsSupported(KernelIsa isa) => isa switch
        {
            KernelIsa.Avx512 => Avx512F.IsSupported && Sse3.IsSupported,
            KernelIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported && Sse3.IsSupported,
            KernelIsa.Portable => true,
            _ => false,
        };

        /// <summary>Every variant this machine can run, most preferred first.</summary>
        public static IReadOnlyList<KernelIsa> Supported { get; } = ListSupported();

        /// <summary>Throws a clear error when <paramref name="isa"/> cannot run here.</summary>
        /// <exception cref="PlatformNotSupportedException">This CPU or runtime lacks an instruction set the variant uses.</exception>
        public static void EnsureSupported(KernelIsa isa)
        {
            if (!IsSupported(isa))
            {
                throw new PlatformNotSupportedException(
                    $"The {isa} kernels need instructions this CPU or runtime does not offer; it runs {string.Join(", ", Supported)}.");
            }
        }

        /// <summary>The variant for a value of <c>GENSOFTMAX_ISA</c>, or the reason it cannot be used.</summary>
        internal static (KernelIsa Isa, string? Error) Choose(string? requested)
        {
            KernelIsa best = BestSupported();
            if (string.IsNullOrWhiteSpace(requested))
            {
                return (best, null);
            }

            string names = string.Join(", ", Enum.GetNames<KernelIsa>());
            if (!Enum.TryParse(requested.Trim(), ignoreCase: true, out KernelIsa forced) || !Enum.IsDefined(forced) || char.IsDigit(requested.Trim()[0]))
            {
                return (best, $"{EnvironmentVariable}='{requested}' is not a kernel variant: set it to one of {names}, or unset it.");
            }

            if (!IsSupported(forced))
            {
                return (best, $"{EnvironmentVariable}='{requested}' asks for the {forced} kernels, which this CPU or runtime cannot run: " +
                    $"set it to one of {string.Join(", ", ListSupported())}, or unset it.");
            }

            return (forced, null);
        }

        private static KernelIsa BestSupported()
        {
            foreach (KernelIsa isa in Preference)
            {
                if (IsSupported(isa))
                {
                    return isa;
                }
            }

            return KernelIsa.Portable;
        }

        private static List<KernelIsa> ListSupported()
        {
            var list = new List<KernelIsa>();
            foreach (KernelIsa isa in Preference)
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
