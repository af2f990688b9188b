using System;
using System.Runtime.Intrinsics;
using GenSoftmax.Dynamic;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>
    /// The loss's exponential in each variant's vector operations: <c>ScaleByPow2</c> (<c>vscalefps</c> with AVX-512, a
    /// multiplication by 2^n built in the exponent bits elsewhere) gives, to the bit, the multiplication by 2^n built in the
    /// exponent bits, for every x the softmax feeds it: from 0 down to the smallest normal results near -87.33654, and past
    /// it to -104 and -inf (pad lanes), where both replace the result by 0.
    /// </summary>
    public sealed class ExponentialTests
    {
        [SkippableFact]
        public void The_AVX512_exponential_is_the_exponent_bits_formula_to_the_bit() =>
            Check<Avx512Ops, Vector512<float>>(KernelIsa.Avx512);

        [SkippableFact]
        public void The_AVX2_exponential_is_the_exponent_bits_formula_to_the_bit() =>
            Check<Avx2Ops, Vector256<float>>(KernelIsa.Avx2);

        [Fact]
        public void The_portable_exponential_is_the_exponent_bits_formula_to_the_bit() =>
            Check<PortableOps, Vector128<float>>(KernelIsa.Portable);

        private static void Check<TOps, TVec>(KernelIsa isa)
            where TOps : IVectorOps<TVec>
            where TVec : struct
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            int lanes = TOps.Count;
            // the portable variant's multiply-adds are fused where the CPU fuses them (MultiplyAddEstimate)
            bool fused = isa != KernelIsa.Portable || System.Runtime.Intrinsics.X86.Fma.IsSupported ||
                System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
            var xs = new System.Collections.Generic.List<float> { 0f, -0f, float.NegativeInfinity, -87.33654f, -87.336533f, -87.33655f };
            for (float x = -104f; x <= 0f; x += 0.0013f)
            {
                xs.Add(x);
            }

            var o = new float[lanes];
            var got = new float[lanes];
            int nearSmallest = 0, zero = 0;
            for (int start = 0; start < xs.Count; start += lanes)
            {
                for (int i = 0; i < lanes; i++)
                {
                    o[i] = xs[Math.Min(start + i, xs.Count - 1)];
                }

                // max = 1 so that x = o - 1 and no lane is the max (whose exponential is 1 by definition)
                TVec e = VectorMath<TOps, TVec>.ExpShifted(TOps.Load(ref o[0], 0), TOps.Create(1f));
                TOps.Store(e, ref got[0], 0);
                for (int i = 0; i < lanes; i++)
                {
                    float expected = ExponentBits(o[i] - 1f, fused);
                    nearSmallest += expected != 0 && expected < 2 * 1.17549435e-38f ? 1 : 0;
                    zero += expected == 0 ? 1 : 0;
                    Assert.True(
                        BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(got[i]),
                        $"exp({o[i] - 1f:R}): {got[i]:R}, expected {expected:R}");
                }
            }

            Assert.True(nearSmallest > 0 && zero > 0, $"{nearSmallest} results near 2^-126, {zero} replaced by 0");
        }

        // The Cephes expf the kernels use, scaled by 2^n built in the exponent bits from n clamped to -126 (scalar, with
        // MathF.FusedMultiplyAdd where the kernels fuse).
        private static float ExponentBits(float x, bool fused)
        {
            float Fma(float a, float b, float c) => fused ? MathF.FusedMultiplyAdd(a, b, c) : (a * b) + c;

            float n = MathF.Round(x * 1.44269504088896341f, MidpointRounding.ToEven);
            float r = Fma(n, -0.693359375f, x);
            r = Fma(n, 2.12194440e-4f, r);
            float p = Fma(1.9875691500e-4f, r, 1.3981999507e-3f);
            p = Fma(p, r, 8.3334519073e-3f);
            p = Fma(p, r, 4.1665795894e-2f);
            p = Fma(p, r, 1.6666665459e-1f);
            p = Fma(p, r, 5.0000001201e-1f);
            p = Fma(p, r * r, r + 1f);
            float scale = BitConverter.Int32BitsToSingle(((int)MathF.Max(n, -126f) + 127) << 23);
            return x < -87.33654f ? 0f : p * scale;
        }
    }
}
