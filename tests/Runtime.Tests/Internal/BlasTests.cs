using System;
using System.Numerics.Tensors;
using GenSoftmax.Internal;
using Xunit;

namespace GenSoftmax.Tests.Internal
{
    /// <summary>
    /// The trainer's element-wise loops against TensorPrimitives, which they replaced: the same values bit for bit
    /// (x * s + y rounded twice), at every length around the vector width, with the destination aliasing an input.
    /// </summary>
    public sealed class BlasTests
    {
        public static TheoryData<int> Lengths => new() { 0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 7850 };

        private static float[] Values(int n, int seed)
        {
            var random = new Random(seed);
            var x = new float[n];
            for (int i = 0; i < n; i++)
            {
                x[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 6)));
            }

            return x;
        }

        [Theory]
        [MemberData(nameof(Lengths))]
        public void MultiplyAdd_matches_TensorPrimitives_bit_for_bit(int n)
        {
            float[] x = Values(n, 1), y = Values(n, 2);
            float s = -0.3731f;
            var expected = new float[n];
            TensorPrimitives.MultiplyAdd(x, s, y, expected);

            var into = new float[n];
            Blas.MultiplyAdd(x, s, y, into);
            Assert.Equal(expected, into);

            float[] aliased = (float[])y.Clone();
            Blas.MultiplyAdd(x, s, aliased, aliased); // y += s x, written over y
            Assert.Equal(expected, aliased);
        }

        [Theory]
        [MemberData(nameof(Lengths))]
        public void AllFinite_finds_one_NaN_or_infinity_anywhere(int n)
        {
            float[] x = Values(n, 4);
            Assert.True(Blas.AllFinite(x));
            foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            {
                for (int i = 0; i < n; i++)
                {
                    float keep = x[i];
                    x[i] = bad;
                    Assert.False(Blas.AllFinite(x), $"{bad} at {i} of {n}");
                    x[i] = keep;
                }
            }

            // Large finite values whose sum would overflow are still finite.
            Array.Fill(x, float.MaxValue);
            Assert.True(Blas.AllFinite(x));
        }

        [Fact]
        public void MultiplyAdd_refuses_spans_of_different_lengths() =>
            Assert.Throws<ArgumentException>(() => Blas.MultiplyAdd(new float[3], 1f, new float[3], new float[2]));
    }
}
