using BenchmarkDotNet.Attributes;

namespace GenSoftmax.Bench
{
    /// <summary>Question 0: what is the FMA ceiling of one core? Every "% peak" in the suite is relative to this.</summary>
    [MemoryDiagnoser]
    public class PeakFmaBenchmarks
    {
        /// <summary>16 independent Vector512 FMA chains.</summary>
        [Benchmark, RequiresIsa(KernelIsa.Avx512), Work(PeakFma.Vector512Flop)]
        public float Vector512Fma() => PeakFma.Vector512Chains(PeakFma.Iterations);

        /// <summary>12 independent Vector256 FMA chains.</summary>
        [Benchmark, RequiresIsa(KernelIsa.Avx2), Work(PeakFma.Vector256Flop)]
        public float Vector256Fma() => PeakFma.Vector256Chains(PeakFma.Iterations);
    }
}
