using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using GenSoftmax.Internal;

namespace GenSoftmax
{
    /// <summary>
    /// Which kernel variant a new model uses, and which variants this machine can run. Every list here (preference,
    /// support, names, CPUID requirements) is read from one table of variants, so a variant is added in one place.
    /// </summary>
    public static class IsaSelection
    {
        /// <summary>Name of the environment variable that forces a variant (tests, benchmarks, comparisons).</summary>
        public const string EnvironmentVariable = "GENSOFTMAX_ISA";

        /// <summary>
        /// Every variant, most preferred first: AVX-512, AVX2 + FMA, then the portable Vector128 code, which runs
        /// everywhere (the reasons for the order are at the table of variants, <c>KernelVariant.All</c>).
        /// </summary>
        public static IReadOnlyList<KernelIsa> Preference { get; } = List(static _ => true);

        /// <summary>Every variant's name, in <see cref="KernelIsa"/> order: what <see cref="TryParse"/> accepts (any case).</summary>
        public static IReadOnlyList<string> Names { get; } = ListNames();

        private static readonly (KernelIsa Isa, string? Error) Chosen = Choose(Environment.GetEnvironmentVariable(EnvironmentVariable));

        /// <summary>The most preferred variant this CPU and runtime run, whatever <c>GENSOFTMAX_ISA</c> says.</summary>
        public static KernelIsa Best { get; } = BestSupported();

        /// <summary>
        /// The variant a new model starts with: the one <c>GENSOFTMAX_ISA</c> names (one of <see cref="Names"/>,
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
        /// The x86 extensions the processor reports by CPUID (the AVX family only when the OS saves its registers),
        /// whether or not this program may use them, in a fixed order (sse2, sse3, ..., avx2, ..., avx512f, ...);
        /// empty off x86.
        /// </summary>
        public static IReadOnlyList<string> CpuExtensions => CpuId.Extensions;

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
        /// intrinsics are tested, not the vector types). False for a value that names no variant.
        /// </summary>
        public static bool IsSupported(KernelIsa isa) => KernelVariant.IsDefined(isa) && KernelVariant.Of(isa).Runs;

        /// <summary>Every variant this machine can run, most preferred first.</summary>
        public static IReadOnlyList<KernelIsa> Supported { get; } = List(static v => v.Runs);

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

        /// <summary>
        /// The variant named by <paramref name="text"/>: one of <see cref="Names"/>, in any case, with surrounding white
        /// space ignored. Numbers, lists and anything else are refused (false), whether or not this CPU runs the variant.
        /// </summary>
        public static bool TryParse(string? text, out KernelIsa isa)
        {
            ReadOnlySpan<char> name = text.AsSpan().Trim();
            foreach (KernelVariant variant in KernelVariant.All)
            {
                if (name.Equals(variant.Name, StringComparison.OrdinalIgnoreCase))
                {
                    isa = variant.Isa;
                    return true;
                }
            }

            isa = default;
            return false;
        }

        /// <summary>The variant for a value of <c>GENSOFTMAX_ISA</c>, or the reason it cannot be used.</summary>
        internal static (KernelIsa Isa, string? Error) Choose(string? requested)
        {
            KernelIsa best = BestSupported();
            if (string.IsNullOrWhiteSpace(requested))
            {
                return (best, null);
            }

            if (!TryParse(requested, out KernelIsa forced))
            {
                return (best, $"{EnvironmentVariable}='{requested}' is not a kernel variant: " +
                    $"set it to one of {string.Join(", ", Names)}, or unset it.");
            }

            if (!IsSupported(forced))
            {
                return (best, $"{EnvironmentVariable}='{requested}' asks for the {forced} kernels, which this CPU or runtime cannot run: " +
                    $"set it to one of {string.Join(", ", List(static v => v.Runs))}, or unset it.");
            }

            return (forced, null);
        }

        /// <summary>The warning for a CPU whose <paramref name="isa"/> variant this program cannot run.</summary>
        internal static string CompiledWithoutMessage(KernelIsa isa) => CompiledWithoutMessage(isa, Best, IsNativeAot);

        /// <summary>
        /// The warning for a CPU whose <paramref name="isa"/> variant a program that runs at most <paramref name="best"/> cannot run:
        /// a native AOT binary names the level it was compiled for (the level of its best variant) and the one that adds the missing
        /// variant.
        /// </summary>
        internal static string CompiledWithoutMessage(KernelIsa isa, KernelIsa best, bool nativeAot)
        {
            string? level = KernelVariant.Of(isa).InstructionSet;
            return !nativeAot
                ? $"this CPU has {isa} (by its CPUID) but the .NET runtime does not use it, so the models run the slower {best} kernels. " +
                    "A setting such as DOTNET_EnableAVX2=0, DOTNET_EnableAVX512=0 or DOTNET_EnableHWIntrinsic=0 turns it off: " +
                    "unset it for full speed."
                : $"this CPU has {isa} (by its CPUID) but this native AOT program was compiled for " +
                    $"{KernelVariant.Of(best).InstructionSet ?? "baseline x86-64"} (at most {best}), without {isa}, " +
                    $"so the models run the slower {best} kernels. " +
                    $"Publish with an instruction set: <IlcInstructionSet>{level}</IlcInstructionSet> in the project " +
                    $"(or -p:IlcInstructionSet={level}; 'native' for this machine only).";
        }

        private static int Rank(KernelIsa isa)
        {
            for (int i = 0; i < KernelVariant.All.Count; i++)
            {
                if (KernelVariant.All[i].Isa == isa)
                {
                    return i;
                }
            }

            return KernelVariant.All.Count;
        }

        /// <summary>The most preferred variant whose CPUID extensions the CPU reports, or <see cref="Best"/> if that is better.</summary>
        private static KernelIsa CpuBestByCpuId()
        {
            KernelIsa runs = BestSupported();
            KernelIsa cpu = KernelVariant.Fallback.Isa;
            foreach (KernelVariant variant in KernelVariant.All)
            {
                if (variant.CpuHas)
                {
                    cpu = variant.Isa;
                    break;
                }
            }

            // Off x86 (no CPUID) only the fallback's empty list matches: what the process runs is what the CPU has.
            return Rank(runs) < Rank(cpu) ? runs : cpu;
        }

        private static KernelIsa BestSupported()
        {
            foreach (KernelVariant variant in KernelVariant.All)
            {
                if (variant.Runs)
                {
                    return variant.Isa;
                }
            }

            return KernelVariant.Fallback.Isa;
        }

        /// <summary>The variants that satisfy <paramref name="include"/>, most preferred first.</summary>
        private static IReadOnlyList<KernelIsa> List(Func<KernelVariant, bool> include)
        {
            var list = new List<KernelIsa>();
            foreach (KernelVariant variant in KernelVariant.All)
            {
                if (include(variant))
                {
                    list.Add(variant.Isa);
                }
            }

            return list.AsReadOnly();
        }

        private static IReadOnlyList<string> ListNames()
        {
            var variants = new List<KernelVariant>(KernelVariant.All);
            variants.Sort(static (a, b) => a.Isa.CompareTo(b.Isa));
            return variants.ConvertAll(static v => v.Name).AsReadOnly();
        }
    }
}
