using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.Intrinsics.X86;

namespace GenSoftmax.App
{
    /// <summary>
    /// The processor's extensions as CPUID reports them, for <c>info</c>, and the instruction set this binary was
    /// published with. Which kernel variant the CPU could run and what this binary runs come from the runtime's
    /// <see cref="IsaSelection"/> (CpuBest, Best, CompiledWithoutAdvice).
    /// </summary>
    internal static class CpuFeatures
    {
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

        private static bool Bit(int value, int bit) => (value & (1 << bit)) != 0;
    }
}
