using System;
using System.Numerics.Tensors;

namespace GenSoftmax.Internal
{
    /// <summary>Element-wise helpers of the drivers and the trainer.</summary>
    internal static class Blas
    {
        /// <summary>y += alpha * x.</summary>
        public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
        {
            if (x.Length != y.Length)
            {
                throw new ArgumentException($"x has {x.Length} elements and y {y.Length}; they must match.", nameof(y));
            }

            TensorPrimitives.MultiplyAdd(x, alpha, y, y);
        }

        /// <summary>The index of the largest value, the first on ties: a row's predicted class (softmax is monotonic).</summary>
        public static int ArgMax(ReadOnlySpan<float> o)
        {
            int best = 0;
            for (int c = 1; c < o.Length; c++)
            {
                if (o[c] > o[best])
                {
                    best = c;
                }
            }

            return best;
        }

        /// <summary>x = log(x), element-wise.</summary>
        public static void Log(Span<float> x) => TensorPrimitives.Log(x, x);

        /// <summary>x *= s.</summary>
        public static void Scale(Span<float> x, float s) => TensorPrimitives.Multiply(x, s, x);
    }
}
