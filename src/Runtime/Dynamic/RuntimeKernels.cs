using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GenSoftmax.Internal;

namespace GenSoftmax.Dynamic
{
    /// <summary>
    /// The run-time-shaped kernels by variant: the same four kernels as a generated model's (see
    /// <see cref="Kernels.ISoftmaxKernels"/> for the block layout), with the shape passed in instead of compiled in. The
    /// variant's row of the table (<see cref="KernelVariant.Of"/>) holds its kernels; a value that names no variant runs
    /// the fallback's, as the generated dispatch's default arm does.
    /// </summary>
    internal static class RuntimeKernels
    {
        public static void Logits<T>(
            KernelIsa isa, in RuntimeShape shape, ref float w, ref float bias, ref T x, ref nuint offs, int count, ref float blk)
            where T : unmanaged
        {
            RuntimeKernelSet kernels = KernelVariant.Of(isa).Kernels;
            if (typeof(T) == typeof(float))
            {
                kernels.LogitsF32(shape, ref w, ref bias, ref Unsafe.As<T, float>(ref x), ref offs, count, ref blk);
            }
            else
            {
                kernels.LogitsU8(shape, ref w, ref bias, ref Unsafe.As<T, byte>(ref x), ref offs, count, ref blk);
            }
        }

        public static void Gradient<T>(
            KernelIsa isa, in RuntimeShape shape, ref T x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first)
            where T : unmanaged
        {
            RuntimeKernelSet kernels = KernelVariant.Of(isa).Kernels;
            if (typeof(T) == typeof(float))
            {
                kernels.GradientF32(shape, ref Unsafe.As<T, float>(ref x), ref offs, ref next, count, ref g, ref dW, first);
            }
            else
            {
                kernels.GradientU8(shape, ref Unsafe.As<T, byte>(ref x), ref offs, ref next, count, ref g, ref dW, first);
            }
        }

        public static void Softmax(
            KernelIsa isa, in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale) =>
            KernelVariant.Of(isa).Kernels.Softmax(shape, ref blk, count, ref m, ref sums, scale);

        public static int LossRows(
            KernelIsa isa, in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db,
            float scale, float gScale) =>
            KernelVariant.Of(isa).Kernels.LossRows(shape, ref blk, count, ref labels, ref pre, ref sums, ref db, scale, gScale);
    }

    /// <summary>A model's sizes as the kernels use them: every one fixed when the model is created.</summary>
    /// <param name="Inputs">Input features per row.</param>
    /// <param name="Classes">Classes.</param>
    /// <param name="ClassStride">Floats per row of a block: the classes padded to whole vectors of the widest variant.</param>
    /// <param name="RowBlock">Rows per block.</param>
    internal readonly record struct RuntimeShape(int Inputs, int Classes, int ClassStride, int RowBlock)
    {
        /// <summary>The shape of a model with <paramref name="inputs"/> and <paramref name="classes"/>, laid out as a generated
        /// one.</summary>
        public static RuntimeShape Of(int inputs, int classes) =>
            new(inputs, classes, KernelLayout.ClassStride(classes), KernelLayout.RowBlock(classes));
    }

    /// <summary>
    /// The kernels of every run-time shape for one vector width, <typeparamref name="TOps"/>. They do what the generator's
    /// kernels do (same formulas, same block layout, the max lane's exponential exactly 1, the first max on ties) with
    /// loops over run-time sizes instead of unrolled constant ones. Blocking, decided once for every shape:
    /// <list type="bullet">
    /// <item>Logits: two rows share every weight load, and four classes are accumulated per pass, so a pass keeps
    /// 2 x 4 independent accumulators (enough to hide the FMA latency, few enough for the 16 registers of AVX2).
    /// A class count that is not a multiple of 4 repeats the last class's weights in the spare accumulators, whose sums
    /// land in the pad lanes and are then overwritten with -inf; an odd last row is paired with itself.</item>
    /// <item>Gradient: four classes x two input vectors per pass, held in accumulators across the block's rows, so
    /// every input vector is loaded once per row and used by four classes; spare classes read the zero pad lanes of
    /// the gradient block and are not stored.</item>
    /// <item>Inputs: whole vectors, then a scalar tail (never a load past the end of a row).</item>
    /// <item>Row kernels (softmax, loss): passes over the row in memory (max, exponentials, scaling).</item>
    /// </list>
    /// The generated kernels choose all of this per shape and variant (e.g. 5 or 10 classes per pass, rows kept in registers);
    /// what that buys is measured in bench/README.md (RuntimeShapedBenchmarks). As the generated kernels, every kernel here is
    /// compiled fully optimised at its first call (AggressiveOptimization) and uses their exp, so no first epoch runs slow.
    /// </summary>
    [SkipLocalsInit]
    internal static class RuntimeKernels<TOps, TVec>
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        private const float PixelScale = 1f / 255f;

        /// <summary>Logits of a block of rows: <c>o[i, c] = sum_k x[offs[i] + k] W[c, k] (/ 255 for bytes) + b[c]</c>, pad lanes
        /// -inf.</summary>
        /// <param name="shape">The model's sizes.</param>
        /// <param name="w">Weights [Classes, Inputs].</param>
        /// <param name="bias">Bias, at least Classes rounded up to 4 floats (the rest 0).</param>
        /// <param name="x">Input rows, found through <paramref name="offs"/>.</param>
        /// <param name="offs">count + PrefetchRows element offsets: the block's rows, then rows to prefetch.</param>
        /// <param name="count">Rows in the block.</param>
        /// <param name="blk">Logits [count, ClassStride].</param>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Logits<T>(in RuntimeShape shape, ref float w, ref float bias, ref T x, ref nuint offs, int count, ref float blk)
            where T : unmanaged
        {
            int q = shape.Classes;
            int stride = shape.ClassStride;
            nuint d = (nuint)shape.Inputs;
            nuint lanes = (nuint)TOps.Count;
            nuint vectorEnd = d - (d % lanes);
            float pixelScale = typeof(T) == typeof(byte) ? PixelScale : 1f; // x 1 is exact: floats are unchanged
            for (int i = 0; i < count; i += 2)
            {
                int i1 = Math.Min(i + 1, count - 1); // an odd last row is computed twice, into the same place
                nuint x0 = Unsafe.Add(ref offs, i);
                nuint x1 = Unsafe.Add(ref offs, i1);
                nuint p0 = Unsafe.Add(ref offs, i + KernelLayout.PrefetchRows);
                nuint p1 = Unsafe.Add(ref offs, i1 + KernelLayout.PrefetchRows);
                ref float o0 = ref Unsafe.Add(ref blk, i * stride);
                ref float o1 = ref Unsafe.Add(ref blk, i1 * stride);
                for (int c0 = 0; c0 < q; c0 += 4)
                {
                    // Rows of W for classes c0..c0 + 3; past the last class, the last class again (its sums go to pad lanes).
                    ref float w0 = ref Unsafe.Add(ref w, (nuint)c0 * d);
                    ref float w1 = ref Unsafe.Add(ref w, (nuint)Math.Min(c0 + 1, q - 1) * d);
                    ref float w2 = ref Unsafe.Add(ref w, (nuint)Math.Min(c0 + 2, q - 1) * d);
                    ref float w3 = ref Unsafe.Add(ref w, (nuint)Math.Min(c0 + 3, q - 1) * d);
                    TVec a00 = TOps.Zero, a01 = TOps.Zero, a02 = TOps.Zero, a03 = TOps.Zero;
                    TVec a10 = TOps.Zero, a11 = TOps.Zero, a12 = TOps.Zero, a13 = TOps.Zero;
                    nuint k = 0;
                    for (; k < vectorEnd; k += lanes)
                    {
                        TVec xv0 = Load(ref x, x0 + k);
                        TVec xv1 = Load(ref x, x1 + k);
                        Prefetch.Line(ref Unsafe.Add(ref x, p0 + k));
                        Prefetch.Line(ref Unsafe.Add(ref x, p1 + k));
                        TVec wv = TOps.Load(ref w0, k);
                        a00 = TOps.MultiplyAdd(xv0, wv, a00);
                        a10 = TOps.MultiplyAdd(xv1, wv, a10);
                        wv = TOps.Load(ref w1, k);
                        a01 = TOps.MultiplyAdd(xv0, wv, a01);
                        a11 = TOps.MultiplyAdd(xv1, wv, a11);
                        wv = TOps.Load(ref w2, k);
                        a02 = TOps.MultiplyAdd(xv0, wv, a02);
                        a12 = TOps.MultiplyAdd(xv1, wv, a12);
                        wv = TOps.Load(ref w3, k);
                        a03 = TOps.MultiplyAdd(xv0, wv, a03);
                        a13 = TOps.MultiplyAdd(xv1, wv, a13);
                    }

                    float t00 = 0f, t01 = 0f, t02 = 0f, t03 = 0f, t10 = 0f, t11 = 0f, t12 = 0f, t13 = 0f;
                    for (; k < d; k++) // scalar tail: Inputs % lanes inputs
                    {
                        float xs0 = Scalar(ref x, x0 + k);
                        float xs1 = Scalar(ref x, x1 + k);
                        float ws = Unsafe.Add(ref w0, k);
                        t00 += xs0 * ws;
                        t10 += xs1 * ws;
                        ws = Unsafe.Add(ref w1, k);
                        t01 += xs0 * ws;
                        t11 += xs1 * ws;
                        ws = Unsafe.Add(ref w2, k);
                        t02 += xs0 * ws;
                        t12 += xs1 * ws;
                        ws = Unsafe.Add(ref w3, k);
                        t03 += xs0 * ws;
                        t13 += xs1 * ws;
                    }

                    Vector128<float> b = Vector128.LoadUnsafe(ref bias, (nuint)c0);
                    Vector128<float> s0 = TOps.Sum4(a00, a01, a02, a03) + Vector128.Create(t00, t01, t02, t03);
                    ((s0 * pixelScale) + b).StoreUnsafe(ref o0, (nuint)c0);
                    Vector128<float> s1 = TOps.Sum4(a10, a11, a12, a13) + Vector128.Create(t10, t11, t12, t13);
                    ((s1 * pixelScale) + b).StoreUnsafe(ref o1, (nuint)c0);
                }

                for (int c = q; c < stride; c++)
                {
                    Unsafe.Add(ref o0, c) = float.NegativeInfinity;
                    Unsafe.Add(ref o1, c) = float.NegativeInfinity;
                }
            }
        }

        /// <summary>
        /// Weight gradient of a block: <c>dW[c, k] = (first ? 0 : dW[c, k]) + sum_i g[i, c] x[offs[i] + k]</c>. The step that
        /// reads row i at input k also prefetches row i of the next block (<paramref name="next"/>), as the generated kernels do.
        /// </summary>
        /// <param name="shape">The model's sizes.</param>
        /// <param name="x">Input rows, found through <paramref name="offs"/>.</param>
        /// <param name="offs">The block's rows: count element offsets.</param>
        /// <param name="next">The next block's rows (count offsets), to prefetch.</param>
        /// <param name="count">Rows in the block.</param>
        /// <param name="g">The block's dL/do [count, ClassStride], pad lanes 0.</param>
        /// <param name="dW">[Classes, Inputs].</param>
        /// <param name="first">Whether this is the batch's first block: dW is overwritten instead of added to.</param>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Gradient<T>(in RuntimeShape shape, ref T x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW,
            bool first)
            where T : unmanaged
        {
            int q = shape.Classes;
            int stride = shape.ClassStride;
            nuint d = (nuint)shape.Inputs;
            nuint lanes = (nuint)TOps.Count;
            nuint vectorEnd = d - (d % lanes);
            nuint pairEnd = d - (d % (2 * lanes));
            for (int c0 = 0; c0 < q; c0 += 4)
            {
                int valid = Math.Min(4, q - c0); // classes of this pass that exist; the others are computed, not stored
                ref float d0 = ref Unsafe.Add(ref dW, (nuint)c0 * d);
                ref float d1 = ref Unsafe.Add(ref dW, (nuint)Math.Min(c0 + 1, q - 1) * d);
                ref float d2 = ref Unsafe.Add(ref dW, (nuint)Math.Min(c0 + 2, q - 1) * d);
                ref float d3 = ref Unsafe.Add(ref dW, (nuint)Math.Min(c0 + 3, q - 1) * d);
                ref float gb = ref Unsafe.Add(ref g, c0);
                nuint k = 0;
                for (; k < pairEnd; k += 2 * lanes)
                {
                    TVec a00 = first ? TOps.Zero : TOps.Load(ref d0, k);
                    TVec a01 = first ? TOps.Zero : TOps.Load(ref d0, k + lanes);
                    TVec a10 = first ? TOps.Zero : TOps.Load(ref d1, k);
                    TVec a11 = first ? TOps.Zero : TOps.Load(ref d1, k + lanes);
                    TVec a20 = first ? TOps.Zero : TOps.Load(ref d2, k);
                    TVec a21 = first ? TOps.Zero : TOps.Load(ref d2, k + lanes);
                    TVec a30 = first ? TOps.Zero : TOps.Load(ref d3, k);
                    TVec a31 = first ? TOps.Zero : TOps.Load(ref d3, k + lanes);
                    for (int i = 0; i < count; i++)
                    {
                        nuint xo = Unsafe.Add(ref offs, i) + k;
                        Prefetch.Line(ref Unsafe.Add(ref x, Unsafe.Add(ref next, i) + k));
                        TVec xv0 = Load(ref x, xo);
                        TVec xv1 = Load(ref x, xo + lanes);
                        ref float gi = ref Unsafe.Add(ref gb, i * stride);
                        TVec gv = TOps.Create(gi);
                        a00 = TOps.MultiplyAdd(xv0, gv, a00);
                        a01 = TOps.MultiplyAdd(xv1, gv, a01);
                        gv = TOps.Create(Unsafe.Add(ref gi, 1));
                        a10 = TOps.MultiplyAdd(xv0, gv, a10);
                        a11 = TOps.MultiplyAdd(xv1, gv, a11);
                        gv = TOps.Create(Unsafe.Add(ref gi, 2));
                        a20 = TOps.MultiplyAdd(xv0, gv, a20);
                        a21 = TOps.MultiplyAdd(xv1, gv, a21);
                        gv = TOps.Create(Unsafe.Add(ref gi, 3));
                        a30 = TOps.MultiplyAdd(xv0, gv, a30);
                        a31 = TOps.MultiplyAdd(xv1, gv, a31);
                    }

                    TOps.Store(a00, ref d0, k);
                    TOps.Store(a01, ref d0, k + lanes);
                    if (valid > 1)
                    {
                        TOps.Store(a10, ref d1, k);
                        TOps.Store(a11, ref d1, k + lanes);
                    }

                    if (valid > 2)
                    {
                        TOps.Store(a20, ref d2, k);
                        TOps.Store(a21, ref d2, k + lanes);
                    }

                    if (valid > 3)
                    {
                        TOps.Store(a30, ref d3, k);
                        TOps.Store(a31, ref d3, k + lanes);
                    }
                }

                if (k < vectorEnd) // one vector left
                {
                    TVec a0 = first ? TOps.Zero : TOps.Load(ref d0, k);
                    TVec a1 = first ? TOps.Zero : TOps.Load(ref d1, k);
                    TVec a2 = first ? TOps.Zero : TOps.Load(ref d2, k);
                    TVec a3 = first ? TOps.Zero : TOps.Load(ref d3, k);
                    for (int i = 0; i < count; i++)
                    {
                        TVec xv = Load(ref x, Unsafe.Add(ref offs, i) + k);
                        ref float gi = ref Unsafe.Add(ref gb, i * stride);
                        a0 = TOps.MultiplyAdd(xv, TOps.Create(gi), a0);
                        a1 = TOps.MultiplyAdd(xv, TOps.Create(Unsafe.Add(ref gi, 1)), a1);
                        a2 = TOps.MultiplyAdd(xv, TOps.Create(Unsafe.Add(ref gi, 2)), a2);
                        a3 = TOps.MultiplyAdd(xv, TOps.Create(Unsafe.Add(ref gi, 3)), a3);
                    }

                    TOps.Store(a0, ref d0, k);
                    if (valid > 1)
                    {
                        TOps.Store(a1, ref d1, k);
                    }

                    if (valid > 2)
                    {
                        TOps.Store(a2, ref d2, k);
                    }

                    if (valid > 3)
                    {
                        TOps.Store(a3, ref d3, k);
                    }

                    k += lanes;
                }

                for (; k < d; k++) // scalar tail: Inputs % lanes inputs
                {
                    float t0 = first ? 0f : Unsafe.Add(ref d0, k);
                    float t1 = first ? 0f : Unsafe.Add(ref d1, k);
                    float t2 = first ? 0f : Unsafe.Add(ref d2, k);
                    float t3 = first ? 0f : Unsafe.Add(ref d3, k);
                    for (int i = 0; i < count; i++)
                    {
                        float xs = Scalar(ref x, Unsafe.Add(ref offs, i) + k);
                        ref float gi = ref Unsafe.Add(ref gb, i * stride);
                        t0 += gi * xs;
                        t1 += Unsafe.Add(ref gi, 1) * xs;
                        t2 += Unsafe.Add(ref gi, 2) * xs;
                        t3 += Unsafe.Add(ref gi, 3) * xs;
                    }

                    Unsafe.Add(ref d0, k) = t0;
                    if (valid > 1)
                    {
                        Unsafe.Add(ref d1, k) = t1;
                    }

                    if (valid > 2)
                    {
                        Unsafe.Add(ref d2, k) = t2;
                    }

                    if (valid > 3)
                    {
                        Unsafe.Add(ref d3, k) = t3;
                    }
                }
            }
        }

        /// <summary>
        /// Softmax of each row of a block, in place: <c>m[i] = max(o)</c>, <c>sums[i] = sum exp(o - m)</c>,
        /// <c>row = exp(o - m) * scale / sums[i]</c>. The max lanes' exponential is exactly 1; pad lanes (-inf) give 0.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Softmax(in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale)
        {
            nuint width = (nuint)shape.ClassStride;
            for (int i = 0; i < count; i++)
            {
                ref float row = ref Unsafe.Add(ref blk, i * shape.ClassStride);
                float mx = RowMax(ref row, width);
                TVec mv = TOps.Create(mx);
                Unsafe.Add(ref m, i) = mx;
                float s = Exponentials(ref row, width, mv);
                Unsafe.Add(ref sums, i) = s;
                TVec inv = TOps.Create(scale / s);
                for (nuint j = 0; j < width; j += (nuint)TOps.Count)
                {
                    TOps.Store(TOps.Multiply(TOps.Load(ref row, j), inv), ref row, j);
                }
            }
        }

        /// <summary>
        /// The loss's row work for hard labels: <c>pre[i] = max(o) - o[y]</c>, <c>sums[i] = sum exp(o - max)</c> (the row's
        /// loss is <c>pre + log sums</c>), <c>g = (softmax(o) - onehot(y)) * scale</c>, <c>db += g</c> (ClassStride lanes), the row
        /// replaced by <c>g * gScale</c>. Returns how many rows had y as the first index of their max (as Predict says).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static int LossRows(
            in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
                float gScale)
        {
            nuint width = (nuint)shape.ClassStride;
            nuint lanes = (nuint)TOps.Count;
            TVec sv = TOps.Create(scale);
            TVec gsv = TOps.Create(gScale);
            int correct = 0;
            for (int i = 0; i < count; i++)
            {
                ref float row = ref Unsafe.Add(ref blk, i * shape.ClassStride);
                int y = Unsafe.Add(ref labels, i);
                float mx = RowMax(ref row, width);
                TVec mv = TOps.Create(mx);
                Unsafe.Add(ref pre, i) = mx - Unsafe.Add(ref row, y);
                int firstMax = -1;
                for (nuint j = 0; j < width; j += lanes)
                {
                    ulong tops = TOps.EqualMask(TOps.Load(ref row, j), mv);
                    if (tops != 0)
                    {
                        firstMax = (int)j + BitOperations.TrailingZeroCount(tops);
                        break;
                    }
                }

                correct += firstMax == y ? 1 : 0;
                float s = Exponentials(ref row, width, mv);
                Unsafe.Add(ref sums, i) = s;
                TVec inv = TOps.Create(scale / s);
                for (nuint j = 0; j < width; j += lanes)
                {
                    TVec gv = TOps.Subtract(TOps.Multiply(TOps.Load(ref row, j), inv), TOps.OneHot((int)j, y, sv));
                    TOps.Store(TOps.Add(TOps.Load(ref db, j), gv), ref db, j);
                    TOps.Store(TOps.Multiply(gv, gsv), ref row, j);
                }
            }

            return correct;
        }

        /// <summary>The largest of <paramref name="width"/> floats (a whole number of vectors).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float RowMax(ref float row, nuint width)
        {
            TVec mxv = TOps.Load(ref row, 0);
            for (nuint j = (nuint)TOps.Count; j < width; j += (nuint)TOps.Count)
            {
                mxv = TOps.Max(mxv, TOps.Load(ref row, j));
            }

            return TOps.MaxAcross(mxv);
        }

        /// <summary>Replaces the row by exp(o - max) (exactly 1 at the max) and returns the sum, accumulated lane-wise in order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Exponentials(ref float row, nuint width, TVec mv)
        {
            TVec sum = TOps.Zero;
            for (nuint j = 0; j < width; j += (nuint)TOps.Count)
            {
                TVec e = VectorMath<TOps, TVec>.ExpShifted(TOps.Load(ref row, j), mv);
                TOps.Store(e, ref row, j);
                sum = TOps.Add(sum, e);
            }

            return TOps.Sum(sum);
        }

        /// <summary>Count inputs from <c>x + offset</c> as floats: floats as they are, bytes 0..255 converted (not yet scaled).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVec Load<T>(ref T x, nuint offset)
            where T : unmanaged =>
            typeof(T) == typeof(float)
                ? TOps.Load(ref Unsafe.As<T, float>(ref x), offset)
                : TOps.LoadBytes(ref Unsafe.As<T, byte>(ref x), offset);

        /// <summary>One input as a float.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Scalar<T>(ref T x, nuint offset)
            where T : unmanaged =>
            typeof(T) == typeof(float)
                ? Unsafe.As<T, float>(ref Unsafe.Add(ref x, offset))
                : Unsafe.As<T, byte>(ref Unsafe.Add(ref x, offset));
    }
}
