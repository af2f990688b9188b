using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
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
        public static KernelIsa Default
        {
            get
            {
                PerformanceWarnings.CheckIsa();
                return Chosen.Error is null ? Chosen.Isa : throw new InvalidOperationException(Chosen.Error);
            }
        }

        /// <summary>
        /// The most preferred variant this CPU has by its CPUID, whether or not this program can run it: a native AOT
        /// binary compiled without an instruction set (<c>&lt;IlcInstructionSet&gt;</c>), or a runtime told not to use
        /// AVX (<c>DOTNET_EnableAVX2=0</c>), runs a slower variant than the CPU offers. Off x86, <see cref="Best"/>.
        /// </summary>
        public static KernelIsa CpuBest { get; } = CpuBestByCpuId();

        /// <summary>
        /// <see cref="CpuBest"/> when this program cannot run it only because of how it was compiled or configured,
        /// else null. When set, the first model created writes one warning (<see cref="PerformanceWarnings"/>).
        /// </summary>
        public static KernelIsa? CompiledWithout => Rank(CpuBest) < Rank(Best) ? CpuBest : null;

        /// <summary>
        /// What to change to run <see cref="CompiledWithout"/> (the instruction set to publish with, or the setting that
        /// turns it off), as one sentence; null when this program runs the best variant the CPU has.
        /// </summary>
        public static string? CompiledWithoutAdvice => CompiledWithout is { } missing ? CompiledWithoutMessage(missing) : null;

        /// <summary>
        /// Whether this is a native AOT program (which cannot use instruction sets it was not compiled for), rather
        /// than IL compiled by the JIT for this CPU.
        /// </summary>
        /// <remarks>A project that publishes native AOT also turns dynamic code off under the JIT (a feature switch),
        /// so <see cref="RuntimeFeature.IsDynamicCodeCompiled"/> alone would call a JIT process native: a native AOT
        /// process has compiled no method at run time.</remarks>
        public static bool IsNativeAot => !RuntimeFeature.IsDynamicCodeCompiled && System.Runtime.JitInfo.GetCompiledMethodCount() == 0;

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

        /// <summary>The warning for a CPU whose <paramref name="isa"/> variant this program cannot run.</summary>
        internal static string CompiledWithoutMessage(KernelIsa isa)
        {
            string level = isa == KernelIsa.Avx512 ? "x86-64-v4" : "x86-64-v3";
            return !IsNativeAot
                ? $"this CPU has {isa} (by its CPUID) but the .NET runtime does not use it, so the models run the slower {Best} kernels. " +
                    "A setting such as DOTNET_EnableAVX2=0, DOTNET_EnableAVX512F=0 or DOTNET_EnableHWIntrinsic=0 turns it off: unset it for full speed."
                : $"this CPU has {isa} (by its CPUID) but this native AOT program was compiled for x86-64 without it, so the models run the slower " +
                    $"{Best} kernels. Publish with an instruction set: <IlcInstructionSet>{level}</IlcInstructionSet> in the project " +
                    $"(or -p:IlcInstructionSet={level}; 'native' for this machine only).";
        }

        private static int Rank(KernelIsa isa)
        {
            for (int i = 0; i < Preference.Count; i++)
            {
                if (Preference[i] == isa)
                {
                    return i;
                }
            }

            return Preference.Count;
        }

        /// <summary>What the CPU reports, read with CPUID (which a baseline x86-64 binary can always execute).</summary>
        private static KernelIsa CpuBestByCpuId()
        {
            if (!X86Base.IsSupported)
            {
                return BestSupported();
            }

            int maxLeaf = X86Base.CpuId(0, 0).Eax;
            int ecx1 = X86Base.CpuId(1, 0).Ecx;
            int ebx7 = maxLeaf >= 7 ? X86Base.CpuId(7, 0).Ebx : 0;
            bool sse3 = (ecx1 & (1 << 0)) != 0;
            bool fma = (ecx1 & (1 << 12)) != 0;
            bool osAvx = (ecx1 & (1 << 27)) != 0 && (ecx1 & (1 << 28)) != 0; // OSXSAVE and AVX
            bool avx2 = (ebx7 & (1 << 5)) != 0;
            bool avx512f = (ebx7 & (1 << 16)) != 0;
            KernelIsa cpu = osAvx && sse3 && avx512f ? KernelIsa.Avx512 : osAvx && sse3 && avx2 && fma ? KernelIsa.Avx2 : KernelIsa.Portable;
            KernelIsa runs = BestSupported();
            return Rank(runs) < Rank(cpu) ? runs : cpu;
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
