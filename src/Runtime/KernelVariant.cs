using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GenSoftmax.Dynamic;
using GenSoftmax.Internal;

namespace GenSoftmax
{
    /// <summary>
    /// One row per kernel variant, most preferred first: the runtime's one list of variants. <see cref="IsaSelection"/>
    /// orders, checks, names and parses variants by it, the CPUID check reads its requirements, and the run-time-shaped
    /// kernels are chosen by it. The generator has its own table (<c>IsaProfile.All</c>); tests hold the two, the
    /// <see cref="KernelIsa"/> members and every row's reachability to each other.
    /// </summary>
    /// <param name="isa">The variant.</param>
    /// <param name="runs">Whether this process can run it.</param>
    /// <param name="cpuExtensions">The CPUID extensions a CPU needs for it.</param>
    /// <param name="instructionSet">The x86-64 level that compiles it into a native AOT binary.</param>
    /// <param name="kernels">Its run-time-shaped kernels: for the x86 rows those precompiled in the variant's kernel assembly
    /// (<see cref="PrecompiledKernelSet"/>), with this library's copy behind them.</param>
    internal sealed class KernelVariant(KernelIsa isa, bool runs, string[] cpuExtensions, string? instructionSet, RuntimeKernelSet kernels)
    {
        /// <summary>
        /// Every variant, most preferred first. AVX-512 first: on Zen 4 its 512-bit FMA runs as two 256-bit halves,
        /// so its peak equals AVX2's, but it needs half the instructions, has 32 registers for twice the class
        /// accumulators, and reads bytes with one widening convert (bench/README.md). AVX2 + FMA next, then the
        /// portable Vector128 code, which runs everywhere and is the fallback. SSE3's horizontal add reduces the
        /// accumulators of both x86 variants, so both need it.
        /// </summary>
        public static IReadOnlyList<KernelVariant> All { get; } = Array.AsReadOnly(new KernelVariant[]
        {
            new(
                KernelIsa.Avx512,
                runs: Avx512F.IsSupported && Sse3.IsSupported,
                cpuExtensions: ["avx512f", "sse3"],
                instructionSet: "x86-64-v4",
                new PrecompiledKernelSet(
                    new Avx512ImageKernels(), new RuntimeKernelSet<Avx512Ops, Vector512<float>>(), Avx512Ops.Count,
                    () => Avx512ImageKernels.Precompiled)),
            new(
                KernelIsa.Avx2,
                runs: Avx2.IsSupported && Fma.IsSupported && Sse3.IsSupported,
                cpuExtensions: ["avx2", "fma", "sse3"],
                instructionSet: "x86-64-v3",
                new PrecompiledKernelSet(
                    new Avx2ImageKernels(), new RuntimeKernelSet<Avx2Ops, Vector256<float>>(), Avx2Ops.Count,
                    () => Avx2ImageKernels.Precompiled)),
            new(
                KernelIsa.Portable,
                runs: true,
                cpuExtensions: [],
                instructionSet: null,
                new RuntimeKernelSet<PortableOps, Vector128<float>>()),
        });

        /// <summary>The row that runs where no row names a value (an undefined <see cref="KernelIsa"/>): the last, portable one.</summary>
        public static KernelVariant Fallback => All[^1];

        /// <summary>Rows by <see cref="KernelIsa"/> value; undefined values get <see cref="Fallback"/>.</summary>
        private static readonly KernelVariant[] ByIsa = IndexByIsa();

        /// <summary>The variant.</summary>
        public KernelIsa Isa { get; } = isa;

        /// <summary>Its name, as <c>GENSOFTMAX_ISA</c> and <see cref="IsaSelection.TryParse"/> accept it (any case).</summary>
        public string Name => Isa.ToString();

        /// <summary>
        /// Whether this process can run it: every instruction set its code calls is tested, not the vector types
        /// (<c>Vector512.IsHardwareAccelerated</c> can be false on CPUs whose Avx512F intrinsics run fine).
        /// </summary>
        public bool Runs { get; } = runs;

        /// <summary>The CPUID extensions (as <see cref="CpuId"/> names them) a CPU needs to run it, whatever this process runs.</summary>
        public IReadOnlyList<string> CpuExtensions { get; } = cpuExtensions;

        /// <summary>The x86-64 level a native AOT binary is published with to include it; null for the portable code.</summary>
        public string? InstructionSet { get; } = instructionSet;

        /// <summary>The run-time-shaped kernels of this variant.</summary>
        public RuntimeKernelSet Kernels { get; } = kernels;

        /// <summary>Whether this CPU, by CPUID, has every extension the variant needs.</summary>
        public bool CpuHas => CpuExtensions.All(CpuId.Has);

        /// <summary>The row of <paramref name="isa"/>; <see cref="Fallback"/> for a value that names no variant.</summary>
        public static KernelVariant Of(KernelIsa isa) => (uint)isa < (uint)ByIsa.Length ? ByIsa[(int)isa] : Fallback;

        /// <summary>Whether <paramref name="isa"/> is a row of the table (not just any value of the enum's type).</summary>
        public static bool IsDefined(KernelIsa isa) => (uint)isa < (uint)ByIsa.Length && ByIsa[(int)isa].Isa == isa;

        private static KernelVariant[] IndexByIsa()
        {
            int length = 0;
            foreach (KernelVariant v in All)
            {
                length = Math.Max(length, (int)v.Isa + 1);
            }

            var byIsa = new KernelVariant[length];
            Array.Fill(byIsa, Fallback);
            foreach (KernelVariant v in All)
            {
                byIsa[(int)v.Isa] = v;
            }

            return byIsa;
        }
    }
}
