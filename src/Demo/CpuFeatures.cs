using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.Intrinsics.X86;

namespace GenSoftmax.App
{
    /// <summary>
    /// What the processor offers, read with CPUID, beside what this binary can use (<c>IsSupported</c>). Under the JIT the
    /// two agree; a native binary compiled for a lower instruction-set level reports <c>IsSupported == false</c> for what
    /// it was not compiled with, whatever the CPU has, and only CPUID tells the difference.
    /// </summary>
    internal static class CpuFeatures
    {
        /// <summary>Whether this is a native (AOT) binary rather than IL under the JIT.</summary>
        /// <remarks>Not RuntimeFeature.IsDynamicCodeSupported: PublishAot switches that off under the JIT too. A native binary
        /// has compiled no method at run time.</remarks>
        public static bool IsNative => System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) == 0;

        /// <summary>The IlcInstructionSet the native binary was published with ("native", "x86-64-v3", ...).</summary>
        public static string CompiledInstructionSet
        {
            get
            {
                foreach (AssemblyMetadataAttribute a in typeof(CpuFeatures).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
                {
                    if (a.Key == "IlcInstructionSet" && !string.IsNullOrEmpty(a.Value))
                    {
                        return a.Value;
                    }
                }

                return "default";
            }
        }

        /// <summary>The x86 extensions the processor reports (and the OS enables, for the AVX family), by CPUID.</summary>
        public static IReadOnlyList<string> Extensions()
        {
            var list = new List<string>();
            if (!X86Base.IsSupported)
            {
                return list;
            }

            (_, _, int ecx1, int edx1) = X86Base.CpuId(1, 0);
            (int maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
            (_, int ebx7, int ecx7, _) = maxLeaf >= 7 ? X86Base.CpuId(7, 0) : default;
            bool osAvx = Bit(ecx1, 27) && Bit(ecx1, 28); // OSXSAVE and AVX: the OS saves the wide registers.
            void Add(string name, bool present)
            {
                if (present)
                {
                    list.Add(name);
                }
            }

            Add("sse2", Bit(edx1, 26));
            Add("sse3", Bit(ecx1, 0));
            Add("ssse3", Bit(ecx1, 9));
            Add("sse4.1", Bit(ecx1, 19));
            Add("sse4.2", Bit(ecx1, 20));
            Add("popcnt", Bit(ecx1, 23));
            Add("avx", osAvx);
            Add("fma", osAvx && Bit(ecx1, 12));
            Add("avx2", osAvx && Bit(ebx7, 5));
            Add("bmi1", Bit(ebx7, 3));
            Add("bmi2", Bit(ebx7, 8));
            Add("avx512f", osAvx && Bit(ebx7, 16));
            Add("avx512dq", osAvx && Bit(ebx7, 17));
            Add("avx512cd", osAvx && Bit(ebx7, 28));
            Add("avx512bw", osAvx && Bit(ebx7, 30));
            Add("avx512vl", osAvx && Bit(ebx7, 31));
            Add("avx512vnni", osAvx && Bit(ecx7, 11));
            return list;
        }

        /// <summary>The best kernel variant the processor could run, whatever this binary was compiled for.</summary>
        public static KernelIsa CpuBest()
        {
            IReadOnlyList<string> ext = Extensions();
            bool has(string name) => ((List<string>)ext).Contains(name);
            if (has("avx512f") && has("sse3"))
            {
                return KernelIsa.Avx512;
            }

            return has("avx2") && has("fma") && has("sse3") ? KernelIsa.Avx2 : KernelIsa.Portable;
        }

        /// <summary>
        /// A sentence when the processor has a better variant than this binary can run, saying what to rebuild with;
        /// null when the binary already runs the processor's best.
        /// </summary>
        public static string? BetterVariantAdvice()
        {
            KernelIsa cpu = CpuBest();
            KernelIsa binary = IsaSelection.Best;
            if (cpu <= binary)
            {
                return null;
            }

            string level = cpu == KernelIsa.Avx512 ? "x86-64-v4" : "x86-64-v3";
            return IsNative
                ? $"this CPU runs the {cpu} kernels but this binary was compiled for '{CompiledInstructionSet}' and can only use {binary}: " +
                  $"rebuild with 'dotnet publish src/Demo -c Release -p:IlcInstructionSet=native' (or ={level} for machines like this one)."
                : $"this CPU has {cpu} but the runtime does not enable it (a DOTNET_Enable* or DOTNET_PreferredVectorBitWidth setting?): only {binary} kernels run.";
        }

        private static bool Bit(int value, int bit) => (value & (1 << bit)) != 0;
    }
}
