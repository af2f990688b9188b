using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics.X86;

namespace GenSoftmax.Internal
{
    /// <summary>
    /// The x86 extensions the processor reports by CPUID (which a baseline x86-64 binary can always execute), whether or
    /// not this process may use them: the one decoder, for <see cref="IsaSelection.CpuBest"/> and for what the app prints.
    /// </summary>
    internal static class CpuId
    {
        private enum Register
        {
            Leaf1Ecx,
            Leaf1Edx,
            Leaf7Ebx,
            Leaf7Ecx,
        }

        /// <summary>
        /// Every extension reported, in this order: name, where its bit is, and whether it uses the AVX registers, which
        /// count only when the OS saves them (OSXSAVE and AVX set).
        /// </summary>
        private static readonly (string Name, Register Register, int Bit, bool AvxState)[] Table =
        [
            ("sse2", Register.Leaf1Edx, 26, false),
            ("sse3", Register.Leaf1Ecx, 0, false),
            ("ssse3", Register.Leaf1Ecx, 9, false),
            ("sse4.1", Register.Leaf1Ecx, 19, false),
            ("sse4.2", Register.Leaf1Ecx, 20, false),
            ("popcnt", Register.Leaf1Ecx, 23, false),
            ("avx", Register.Leaf1Ecx, 28, true),
            ("fma", Register.Leaf1Ecx, 12, true),
            ("avx2", Register.Leaf7Ebx, 5, true),
            ("bmi1", Register.Leaf7Ebx, 3, false),
            ("bmi2", Register.Leaf7Ebx, 8, false),
            ("avx512f", Register.Leaf7Ebx, 16, true),
            ("avx512dq", Register.Leaf7Ebx, 17, true),
            ("avx512cd", Register.Leaf7Ebx, 28, true),
            ("avx512bw", Register.Leaf7Ebx, 30, true),
            ("avx512vl", Register.Leaf7Ebx, 31, true),
            ("avx512vnni", Register.Leaf7Ecx, 11, true),
        ];

        /// <summary>The extensions present, in the table's order; empty off x86.</summary>
        public static IReadOnlyList<string> Extensions { get; } = Array.AsReadOnly(Read());

        /// <summary>Every name the decoder knows, present or not.</summary>
        public static IEnumerable<string> Known
        {
            get
            {
                foreach (var row in Table)
                {
                    yield return row.Name;
                }
            }
        }

        /// <summary>Whether the processor reports <paramref name="extension"/> (a name of the table).</summary>
        public static bool Has(string extension)
        {
            foreach (string name in Extensions)
            {
                if (name == extension)
                {
                    return true;
                }
            }

            return false;
        }

        private static string[] Read()
        {
            if (!X86Base.IsSupported)
            {
                return [];
            }

            int maxLeaf = X86Base.CpuId(0, 0).Eax;
            (_, _, int ecx1, int edx1) = X86Base.CpuId(1, 0);
            (_, int ebx7, int ecx7, _) = maxLeaf >= 7 ? X86Base.CpuId(7, 0) : default;
            bool osAvx = Bit(ecx1, 27) && Bit(ecx1, 28); // OSXSAVE and AVX: the OS saves the wide registers.
            var present = new List<string>();
            foreach ((string name, Register register, int bit, bool avxState) in Table)
            {
                int value = register switch
                {
                    Register.Leaf1Ecx => ecx1,
                    Register.Leaf1Edx => edx1,
                    Register.Leaf7Ebx => ebx7,
                    _ => ecx7,
                };
                if (Bit(value, bit) && (osAvx || !avxState))
                {
                    present.Add(name);
                }
            }

            return present.ToArray();
        }

        private static bool Bit(int value, int bit) => (value & (1 << bit)) != 0;
    }
}
