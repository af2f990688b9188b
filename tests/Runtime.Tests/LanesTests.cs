using System;
using System.Runtime.Intrinsics;
using GenSoftmax.Internal;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>
    /// The across-lane reductions the AVX-512 and AVX2 kernels use for a row's max and sum of exponentials: the sum in
    /// every lane is, to the bit, the runtime's own <c>Vector512.Sum</c> / <c>Vector256.Sum</c> (the same additions in the
    /// same order), and the max in every lane is <see cref="Lanes.Max(Vector512{float})"/>. Inputs span many exponents, so
    /// a different order of additions would round differently in most draws.
    /// </summary>
    public sealed class LanesTests
    {
        private const int Draws = 20_000;

        [SkippableFact]
        public void SumAll_of_512_bit_vectors_is_Vector512_Sum_to_the_bit_in_every_lane()
        {
            Skip.IfNot(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, "needs AVX-512F");
            CheckSum(16, 11, x => Vector512.Sum(Vector512.Create(x)), x => Vector512.ToScalar(Lanes.SumAll(Vector512.Create(x))),
                x => Lanes.SumAll(Vector512.Create(x))[15]);
        }

        [SkippableFact]
        public void SumAll_of_256_bit_vectors_is_Vector256_Sum_to_the_bit_in_every_lane()
        {
            Skip.IfNot(System.Runtime.Intrinsics.X86.Avx.IsSupported, "needs AVX");
            CheckSum(8, 12, x => Vector256.Sum(Vector256.Create(x)), x => Vector256.ToScalar(Lanes.SumAll(Vector256.Create(x))),
                x => Lanes.SumAll(Vector256.Create(x))[7]);
        }

        // The first and last lanes of the sum against the runtime's sum, to the bit, over draws where the order shows: a
        // sequential sum differs in many of them.
        private static void CheckSum(
            int width, int seed, Func<float[], float> expected, Func<float[], float> first, Func<float[], float> last)
        {
            var random = new Random(seed);
            var lanes = new float[width];
            int orderSensitive = 0;
            for (int d = 0; d < Draws; d++)
            {
                Fill(random, lanes);
                int bits = BitConverter.SingleToInt32Bits(expected(lanes));
                Assert.Equal(bits, BitConverter.SingleToInt32Bits(first(lanes)));
                Assert.Equal(bits, BitConverter.SingleToInt32Bits(last(lanes)));
                orderSensitive += SequentialSum(lanes) != expected(lanes) ? 1 : 0;
            }

            Assert.True(orderSensitive > Draws / 4, $"only {orderSensitive} of {Draws} draws depend on the order");
        }

        [SkippableFact]
        public void MaxAll_holds_the_largest_lane_in_every_lane()
        {
            Skip.IfNot(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, "needs AVX-512F");
            var random = new Random(13);
            var lanes = new float[16];
            for (int d = 0; d < Draws; d++)
            {
                Fill(random, lanes);
                if (d % 3 == 0)
                {
                    // pad lanes as the kernels have them, and ties
                    lanes[10] = lanes[11] = lanes[12] = lanes[13] = lanes[14] = lanes[15] = float.NegativeInfinity;
                    lanes[random.Next(10)] = lanes[random.Next(10)];
                }

                float max = float.NegativeInfinity;
                foreach (float x in lanes)
                {
                    max = Math.Max(max, x);
                }

                Vector512<float> all512 = Lanes.MaxAll(Vector512.Create(lanes));
                Vector256<float> all256 = Lanes.MaxAll(Vector256.Create(lanes.AsSpan(0, 8)));
                float max256 = Lanes.Max(Vector256.Create(lanes.AsSpan(0, 8)));
                for (int i = 0; i < 16; i++)
                {
                    Assert.Equal(max, all512[i]);
                }

                for (int i = 0; i < 8; i++)
                {
                    Assert.Equal(max256, all256[i]);
                }
            }
        }

        // Exponentials of logits as the loss sums them: signs and magnitudes over several decades, some lanes 0.
        private static void Fill(Random random, float[] lanes)
        {
            for (int i = 0; i < lanes.Length; i++)
            {
                lanes[i] = random.Next(8) == 0 ? 0f : (float)(Math.Exp((random.NextDouble() * 20) - 12) * (random.Next(4) == 0 ? -1 : 1));
            }
        }

        private static float SequentialSum(float[] lanes)
        {
            float s = 0;
            foreach (float x in lanes)
            {
                s += x;
            }

            return s;
        }
    }
}
