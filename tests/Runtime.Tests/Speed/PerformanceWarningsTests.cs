using System;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using GenSoftmax.Tests.Models;
using Xunit;

namespace GenSoftmax.Tests.Speed
{
    /// <summary>
    /// The warnings for configurations that run slowly without saying so: kernels in a Debug-built assembly, and a
    /// CPU with a faster variant than the program can run, checked through the public surface (the app's tests run a
    /// real process whose runtime is told not to use AVX2).
    /// </summary>
    public sealed class PerformanceWarningsTests
    {
        /// <summary>An assembly marked as a Debug build is (DebuggableAttribute with the JIT optimiser disabled).</summary>
        private static Type DebugBuiltType(string name)
        {
            var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName(name), AssemblyBuilderAccess.Run);
            ConstructorInfo debuggable = typeof(DebuggableAttribute).GetConstructor([typeof(DebuggableAttribute.DebuggingModes)])!;
            assembly.SetCustomAttribute(new CustomAttributeBuilder(
                debuggable, [DebuggableAttribute.DebuggingModes.Default | DebuggableAttribute.DebuggingModes.DisableOptimizations]));
            TypeBuilder type = assembly.DefineDynamicModule(name).DefineType("Contoso.Kernels", TypeAttributes.Public);
            return type.CreateType();
        }

        [Fact]
        public void Release_builds_are_optimised_and_debug_builds_are_not()
        {
            Assert.True(PerformanceWarnings.IsOptimized(typeof(M784x10).Assembly), "the tests are built -c Release");
            Assert.True(PerformanceWarnings.IsOptimized(typeof(PerformanceWarnings).Assembly));
            Assert.False(PerformanceWarnings.IsOptimized(DebugBuiltType("GenSoftmaxDebugCheck").Assembly));
            Assert.Throws<ArgumentNullException>(() => PerformanceWarnings.IsOptimized(null!));
        }

        [Fact]
        public void Debug_built_kernels_warn_once_per_assembly_naming_the_fix()
        {
            string name = "GenSoftmaxDebugWarning" + Guid.NewGuid().ToString("N");
            Type kernels = DebugBuiltType(name);
            var received = new System.Collections.Concurrent.ConcurrentQueue<string>();
            void Handler(string warning) => received.Enqueue(warning);
            PerformanceWarnings.Issued += Handler;
            try
            {
                PerformanceWarnings.CheckModel(kernels);
                PerformanceWarnings.CheckModel(kernels);
                PerformanceWarnings.CheckModel(typeof(M784x10)); // a Release-built model: no warning
            }
            finally
            {
                PerformanceWarnings.Issued -= Handler;
            }

            string[] ours = received.Where(w => w.Contains(name, StringComparison.Ordinal)).ToArray();
            string warning = Assert.Single(ours);
            Assert.Contains("Debug build", warning);
            Assert.Contains("-c Release", warning);
            Assert.Contains("Contoso.Kernels", warning);
            Assert.DoesNotContain(received, w => w.Contains(typeof(M784x10).Assembly.GetName().Name!, StringComparison.Ordinal));
            Assert.Contains(warning, PerformanceWarnings.All);
        }

        [Fact]
        public void The_cpu_best_is_never_worse_than_what_runs_and_matches_the_runtime_unless_told_otherwise()
        {
            int Rank(KernelIsa isa) => IsaSelection.Preference.ToList().IndexOf(isa);
            Assert.True(Rank(IsaSelection.CpuBest) <= Rank(IsaSelection.Best), $"CpuBest {IsaSelection.CpuBest}, Best {IsaSelection.Best}");
            bool configured = new[] { "DOTNET_EnableAVX2", "DOTNET_EnableAVX", "DOTNET_EnableAVX512F", "DOTNET_EnableAVX512", "DOTNET_EnableHWIntrinsic" }
                .Any(v => Environment.GetEnvironmentVariable(v) is "0");
            if (!configured)
            {
                // Under the JIT with no setting, the runtime uses what CPUID reports, so nothing is missing.
                Assert.Null(IsaSelection.CompiledWithout);
                Assert.Equal(IsaSelection.Best, IsaSelection.CpuBest);
            }
        }
    }
}
