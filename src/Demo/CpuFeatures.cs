using System.Reflection;

namespace GenSoftmax.App
{
    /// <summary>
    /// The instruction set this binary was published with, a fact of the app's own build. What the processor reports by
    /// CPUID, which kernel variant it could run and what this binary runs come from the runtime's <see cref="IsaSelection"/>
    /// (CpuExtensions, CpuBest, Best, CompiledWithoutAdvice).
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
    }
}
