using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// The FMA throughput of one core: many independent chains acc = acc * a + b, so no FMA waits for another.
    /// Zen 5 and most AVX-512 cores need latency (4 cycles) x FMA units (2) = 8 chains in flight; 16 chains of
    /// Vector512 fill half the 32 zmm registers, 12 chains of Vector256 fit the 16 ymm registers of an AVX2-only CPU.
    /// a = 1 - 2^-20 and b = 2^-27 keep every value near 0.1: no overflow, no denormals.
    /// </summary>
    public static class PeakFma
    {
        /// <summary>Loop trips of one call of a chain kernel.</summary>
        public const int Iterations = 1 << 20;

        /// <summary>FLOP of one <see cref="Vector512Chains"/> call: trips x 16 chains x 16 lanes x 2.</summary>
        public const double Vector512Flop = Iterations * 16.0 * 16 * 2;

        /// <summary>FLOP of one <see cref="Vector256Chains"/> call: trips x 12 chains x 8 lanes x 2.</summary>
        public const double Vector256Flop = Iterations * 12.0 * 8 * 2;

        private const float A = 1f - (1f / (1 << 20));
        private const float B = 1f / (1 << 27);

        private static readonly Lazy<Measurement> s_measured = new(Measure);

        /// <summary>Best single-core FMA throughput in GFLOP/s over the supported vector widths, measured once in this process.</summary>
        public static double SingleCoreGflops => Math.Max(s_measured.Value.Vector512, s_measured.Value.Vector256);

        /// <summary>Which kernel gave <see cref="SingleCoreGflops"/>: "Vector512", "Vector256" or "none".</summary>
        public static string Kind => SingleCoreGflops == 0 ? "none" : s_measured.Value.Vector512 >= s_measured.Value.Vector256 ? "Vector512" : "Vector256";

        /// <summary>Both measurements, GFLOP/s (0 where the CPU lacks the instructions).</summary>
        public static Measurement Measured => s_measured.Value;

        /// <summary>16 independent Vector512 FMA chains (AVX-512F).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static float Vector512Chains(int iterations)
        {
            Vector512<float> a = Vector512.Create(A), b = Vector512.Create(B);
            Vector512<float> c0 = Vector512.Create(0.10f), c1 = Vector512.Create(0.11f), c2 = Vector512.Create(0.12f), c3 = Vector512.Create(0.13f);
            Vector512<float> c4 = Vector512.Create(0.14f), c5 = Vector512.Create(0.15f), c6 = Vector512.Create(0.16f), c7 = Vector512.Create(0.17f);
            Vector512<float> c8 = Vector512.Create(0.18f), c9 = Vector512.Create(0.19f), c10 = Vector512.Create(0.20f), c11 = Vector512.Create(0.21f);
            Vector512<float> c12 = Vector512.Create(0.22f), c13 = Vector512.Create(0.23f), c14 = Vector512.Create(0.24f), c15 = Vector512.Create(0.25f);
            for (int i = 0; i < iterations; i++)
            {
                c0 = Avx512F.FusedMultiplyAdd(c0, a, b);
                c1 = Avx512F.FusedMultiplyAdd(c1, a, b);
                c2 = Avx512F.FusedMultiplyAdd(c2, a, b);
                c3 = Avx512F.FusedMultiplyAdd(c3, a, b);
                c4 = Avx512F.FusedMultiplyAdd(c4, a, b);
                c5 = Avx512F.FusedMultiplyAdd(c5, a, b);
                c6 = Avx512F.FusedMultiplyAdd(c6, a, b);
                c7 = Avx512F.FusedMultiplyAdd(c7, a, b);
                c8 = Avx512F.FusedMultiplyAdd(c8, a, b);
                c9 = Avx512F.FusedMultiplyAdd(c9, a, b);
                c10 = Avx512F.FusedMultiplyAdd(c10, a, b);
                c11 = Avx512F.FusedMultiplyAdd(c11, a, b);
                c12 = Avx512F.FusedMultiplyAdd(c12, a, b);
                c13 = Avx512F.FusedMultiplyAdd(c13, a, b);
                c14 = Avx512F.FusedMultiplyAdd(c14, a, b);
                c15 = Avx512F.FusedMultiplyAdd(c15, a, b);
            }

            Vector512<float> sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15));
            return Vector512.Sum(sum);
        }

        /// <summary>12 independent Vector256 FMA chains (AVX2 + FMA3).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static float Vector256Chains(int iterations)
        {
            Vector256<float> a = Vector256.Create(A), b = Vector256.Create(B);
            Vector256<float> c0 = Vector256.Create(0.10f), c1 = Vector256.Create(0.11f), c2 = Vector256.Create(0.12f), c3 = Vector256.Create(0.13f);
            Vector256<float> c4 = Vector256.Create(0.14f), c5 = Vector256.Create(0.15f), c6 = Vector256.Create(0.16f), c7 = Vector256.Create(0.17f);
            Vector256<float> c8 = Vector256.Create(0.18f), c9 = Vector256.Create(0.19f), c10 = Vector256.Create(0.20f), c11 = Vector256.Create(0.21f);
            for (int i = 0; i < iterations; i++)
            {
                c0 = Fma.MultiplyAdd(c0, a, b);
                c1 = Fma.MultiplyAdd(c1, a, b);
                c2 = Fma.MultiplyAdd(c2, a, b);
                c3 = Fma.MultiplyAdd(c3, a, b);
                c4 = Fma.MultiplyAdd(c4, a, b);
                c5 = Fma.MultiplyAdd(c5, a, b);
                c6 = Fma.MultiplyAdd(c6, a, b);
                c7 = Fma.MultiplyAdd(c7, a, b);
                c8 = Fma.MultiplyAdd(c8, a, b);
                c9 = Fma.MultiplyAdd(c9, a, b);
                c10 = Fma.MultiplyAdd(c10, a, b);
                c11 = Fma.MultiplyAdd(c11, a, b);
            }

            Vector256<float> sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
            return Vector256.Sum(sum);
        }

        /// <summary>
        /// Quick in-process measurement for the "% peak" column: the best of 15 timed calls (about 50 ms in all
        /// at 160 GFLOP/s) of each supported chain kernel after a warm-up that gets them to tier-1 code. The best,
        /// not the mean, because another process taking the core only ever makes a call slower.
        /// </summary>
        public static Measurement Measure() => new(
            Avx512F.IsSupported ? Best(static n => Vector512Chains(n), Vector512Flop) : 0,
            Fma.IsSupported && Avx.IsSupported ? Best(static n => Vector256Chains(n), Vector256Flop) : 0);

        /// <summary>Single-core FMA throughput per vector width, GFLOP/s.</summary>
        /// <param name="Vector512">16 chains of Vector512 FMAs.</param>
        /// <param name="Vector256">12 chains of Vector256 FMAs.</param>
        public readonly record struct Measurement(double Vector512, double Vector256);

        private static double Best(Func<int, float> kernel, double flop)
        {
            // Tiered compilation: run the loop enough for OSR/tier-1 before timing.
            for (int i = 0; i < 40; i++)
            {
                kernel(Iterations / 16);
            }

            double bestSeconds = double.MaxValue;
            for (int i = 0; i < 15; i++)
            {
                long start = Stopwatch.GetTimestamp();
                kernel(Iterations);
                bestSeconds = Math.Min(bestSeconds, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }

            return flop / bestSeconds / 1e9;
        }
    }
}
