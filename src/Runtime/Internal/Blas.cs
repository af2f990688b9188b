using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GenSoftmax.Internal
{
    /// <summary>Element-wise helpers of the drivers and the trainer.</summary>
    /// <remarks>
    /// The ones the trainer calls per batch (<see cref="MultiplyAdd"/>, <see cref="AllFinite"/>) are loops of their own
    /// marked <see cref="MethodImplOptions.AggressiveOptimization"/>, so a fresh process runs them optimised from the first
    /// batch: the generic <c>TensorPrimitives</c> loops they replace have no precompiled code
    /// and ran at tier 0 through the first epochs (bench/README.md, "Fast from the first call"). Each element is
    /// computed as <c>x * s + y</c>, rounded twice (not fused), as <c>TensorPrimitives.MultiplyAdd</c> did, so the
    /// results did not change.
    /// </remarks>
    internal static class Blas
    {
        /// <summary>destination = x * s + y, element-wise; <paramref name="destination"/> may be <paramref name="x"/> or <paramref
        /// name="y"/>. Returns whether every value it stored is finite (no NaN, no infinity): the optimizer's update checks
        /// the parameters it writes in the same pass (r - r is 0 for a finite r and NaN otherwise, summed).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static bool MultiplyAdd(ReadOnlySpan<float> x, float s, ReadOnlySpan<float> y, Span<float> destination)
        {
            int n = x.Length;
            if (y.Length != n || destination.Length != n)
            {
                ThrowLengths(x.Length, y.Length, destination.Length);
            }

            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            ref float dr = ref MemoryMarshal.GetReference(destination);
            int i = 0;
            bool finite = true;
            if (Vector.IsHardwareAccelerated)
            {
                var sv = new Vector<float>(s);
                Vector<float> check = Vector<float>.Zero;
                for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector<float> xv = Vector.LoadUnsafe(ref xr, (nuint)i);
                    Vector<float> yv = Vector.LoadUnsafe(ref yr, (nuint)i);
                    Vector<float> r = (xv * sv) + yv;
                    Vector.StoreUnsafe(r, ref dr, (nuint)i);
                    check += r - r;
                }

                finite = Vector.EqualsAll(check, Vector<float>.Zero);
            }

            float tail = 0f;
            for (; i < n; i++)
            {
                float r = (Unsafe.Add(ref xr, i) * s) + Unsafe.Add(ref yr, i);
                Unsafe.Add(ref dr, i) = r;
                tail += r - r;
            }

            return finite && tail == 0f;
        }

        // The message apart, so the loops above compile small (they are compiled on every fresh process's first epoch).
        [DoesNotReturn]
        private static void ThrowLengths(int x, int y, int destination) =>
            throw new ArgumentException(
                $"x has {Plural.Of(x, "element")}, y {y} and the destination {destination}; they must match.", nameof(destination));

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

        /// <summary>Whether every value is finite (no NaN, no infinity): the trainer's divergence check after each update.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static bool AllFinite(ReadOnlySpan<float> x)
        {
            // v - v is 0 for a finite v and NaN for NaN or ±infinity, and NaN never equals 0.
            int n = x.Length;
            ref float xr = ref MemoryMarshal.GetReference(x);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                Vector<float> nonFinite = Vector<float>.Zero;
                for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector<float> v = Vector.LoadUnsafe(ref xr, (nuint)i);
                    nonFinite += v - v;
                }

                if (!Vector.EqualsAll(nonFinite, Vector<float>.Zero))
                {
                    return false;
                }
            }

            for (; i < n; i++)
            {
                if (!float.IsFinite(Unsafe.Add(ref xr, i)))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// x = log(x), element-wise, with the platform's <see cref="MathF.Log(float)"/>. The loss of weighted rows and of soft
        /// targets takes one log a row (of its sum of exponentials; hard labels one a block), little beside the row's logits,
        /// so a scalar loop serves; the vector log (TensorPrimitives', VectorMath.LogSingle) cost every fresh process's first
        /// epoch 3 ms of JIT and ran at tier 0 for its first 30 blocks.
        /// </summary>
        [MethodImpl(FirstCall.Optimized)]
        public static void Log(Span<float> x)
        {
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = MathF.Log(x[i]);
            }
        }

        /// <summary>x[i] = i.</summary>
        [MethodImpl(FirstCall.Optimized)]
        public static void Iota(Span<int> x)
        {
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = i;
            }
        }
    }
}
