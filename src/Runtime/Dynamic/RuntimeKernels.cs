using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GenSoftmax.Internal;

namespace GenSoftmax.Dynamic
{
    /// <summary>A model's sizes as the kernels use them: every one fixed when the model is created.</summary>
    /// <param name="Inputs">Input features per row.</param>
    /// <param name="Classes">Classes.</param>
    /// <param name="ClassStride">Floats per row of a block: the classes padded to whole vectors of the widest variant.</param>
    /// <param name="RowBlock">Rows per block.</param>
    /// <param name="NarrowClassBlock">Classes per pass of the logits and gradient kernels with 16 vector registers.</param>
    /// <param name="WideClassBlock">Classes per pass with the 32 registers of AVX-512.</param>
    internal readonly record struct RuntimeShape(
        int Inputs, int Classes, int ClassStride, int RowBlock, int NarrowClassBlock, int WideClassBlock)
    {
        /// <summary>The class blocks a kernel is written for (<see cref="IClassBlock"/>), smallest first.</summary>
        internal static ReadOnlySpan<int> ClassBlocks => [2, 3, 4, 5, 8, 10];

        /// <summary>The shape of a model with <paramref name="inputs"/> and <paramref name="classes"/>, laid out as a generated
        /// one.</summary>
        public static RuntimeShape Of(int inputs, int classes) =>
            new(inputs, classes, KernelLayout.ClassStride(classes), KernelLayout.RowBlock(classes),
                ClassBlockFor(classes, Largest(NarrowLargest, inputs)), ClassBlockFor(classes, Largest(WideLargest, inputs)));

        /// <summary>Most classes a pass takes with 16 vector registers: 2 x 5 accumulators, 2 inputs and a weight.</summary>
        private const int NarrowLargest = 5;

        /// <summary>Most classes a pass takes with the 32 registers of AVX-512: 2 x 10 accumulators, 2 inputs and a weight.</summary>
        private const int WideLargest = 10;

        /// <summary>The registers' limit, or fewer when rows of W share an L1 set (<see cref="KernelLayout.AliasesInL1"/>).</summary>
        private static int Largest(int registers, int inputs) =>
            KernelLayout.AliasesInL1(inputs) ? Math.Min(registers, KernelLayout.MaxAliasedRows) : registers;

        /// <summary>Classes per pass for vectors of <paramref name="lanes"/> floats.</summary>
        public int ClassBlock(int lanes) => lanes >= 16 ? WideClassBlock : NarrowClassBlock;

        /// <summary>
        /// The class block of at most <paramref name="largest"/> classes (two rows x that many accumulators, plus the
        /// inputs and a weight, must fit the registers) that costs least: passes x max(block, 4), since a pass keeps
        /// 2 x block FMA chains and fewer than 8 chains leave the FMA units waiting on their 4-cycle latency. Ties go to
        /// the larger block (fewer passes over the rows). 10 classes: 2 passes of 5, or 1 of 10; 7: 2 of 4 (overlapping
        /// by one); 3: 1 of 3; 100: 20 of 5 or 10 of 10.
        /// </summary>
        internal static int ClassBlockFor(int classes, int largest)
        {
            int best = 2; // a model has at least 2 classes
            long bestCost = long.MaxValue;
            foreach (int block in ClassBlocks)
            {
                if (block > largest || block > classes)
                {
                    break;
                }

                long cost = (long)((classes + block - 1) / block) * Math.Max(block, 4);
                if (cost <= bestCost)
                {
                    (best, bestCost) = (block, cost);
                }
            }

            return best;
        }
    }

    /// <summary>How many classes a pass of the run-time kernels covers; a constant in each instantiation.</summary>
    internal interface IClassBlock
    {
        /// <summary>Classes per pass.</summary>
        static abstract int Size { get; }
    }

    internal readonly struct ClassBlock2 : IClassBlock
    {
        public static int Size => 2;
    }

    internal readonly struct ClassBlock3 : IClassBlock
    {
        public static int Size => 3;
    }

    internal readonly struct ClassBlock4 : IClassBlock
    {
        public static int Size => 4;
    }

    internal readonly struct ClassBlock5 : IClassBlock
    {
        public static int Size => 5;
    }

    internal readonly struct ClassBlock8 : IClassBlock
    {
        public static int Size => 8;
    }

    internal readonly struct ClassBlock10 : IClassBlock
    {
        public static int Size => 10;
    }

    /// <summary>
    /// The kernels of every run-time shape for one vector width, <typeparamref name="TOps"/>. They do what the generator's
    /// kernels do (same formulas, same block layout, the max lane's exponential exactly 1, the first max on ties) with
    /// loops over run-time sizes instead of unrolled constant ones. Blocking, decided once for every shape:
    /// <list type="bullet">
    /// <item>Classes: a pass covers a block of 2 to 5 classes (up to 10 with the 32 registers of AVX-512), chosen per shape by
    /// <see cref="RuntimeShape.ClassBlockFor"/> as the generated kernels choose theirs: 784 x 10 takes 2 passes of 5 (AVX2)
    /// or 1 of 10 (AVX-512), like its generated model. The last pass ends at the last class, so no pass computes a class
    /// that does not exist.</item>
    /// <item>Logits: two rows share every weight load, so a pass keeps 2 x block independent accumulators; an odd last
    /// row is paired with itself.</item>
    /// <item>Gradient: a block of classes x two input vectors per pass, held in accumulators across the block's rows, so
    /// every input vector is loaded once per row and used by every class of the pass.</item>
    /// <item>Inputs: whole vectors, then a scalar tail (never a load past the end of a row).</item>
    /// <item>Row kernels (softmax, loss): passes over the row in memory (max, exponentials, scaling).</item>
    /// </list>
    /// The generated kernels also keep short rows in registers and fold every size into the code; what that buys is measured
    /// in bench/README.md (RuntimeShapedBenchmarks). As the generated kernels, every kernel here is
    /// compiled fully optimised at its first call (<see cref="KernelCompilation"/>) or precompiled, and uses their exp, so no
    /// first epoch runs slow.
    /// </summary>
    [SkipLocalsInit]
    internal static class RuntimeKernels<TOps, TVec>
        where TOps : struct, IVectorOps<TVec>
        where TVec : struct
    {
        private const float PixelScale = 1f / 255f;

        /// <summary>Logits of a block of rows: <c>o[i, c] = sum_k x[offs[i] + k] W[c, k] (/ 255 for bytes) + b[c]</c>, pad lanes
        /// -inf. Classes are taken <see cref="RuntimeShape.ClassBlock"/> at a time (the shape's choice for this vector width).</summary>
        /// <param name="shape">The model's sizes.</param>
        /// <param name="w">Weights [Classes, Inputs].</param>
        /// <param name="bias">Bias, Classes floats.</param>
        /// <param name="x">Input rows, found through <paramref name="offs"/>.</param>
        /// <param name="offs">count + PrefetchRows element offsets: the block's rows, then rows to prefetch.</param>
        /// <param name="count">Rows in the block.</param>
        /// <param name="blk">Logits [count, ClassStride].</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Logits<T>(in RuntimeShape shape, ref float w, ref float bias, ref T x, ref nuint offs, int count, ref float blk)
            where T : unmanaged
        {
            switch (shape.ClassBlock(TOps.Count))
            {
                case 2: Logits<T, ClassBlock2>(shape, ref w, ref bias, ref x, ref offs, count, ref blk); break;
                case 3: Logits<T, ClassBlock3>(shape, ref w, ref bias, ref x, ref offs, count, ref blk); break;
                case 4: Logits<T, ClassBlock4>(shape, ref w, ref bias, ref x, ref offs, count, ref blk); break;
                case 5: Logits<T, ClassBlock5>(shape, ref w, ref bias, ref x, ref offs, count, ref blk); break;
                case 8: Logits<T, ClassBlock8>(shape, ref w, ref bias, ref x, ref offs, count, ref blk); break;
                case 10: Logits<T, ClassBlock10>(shape, ref w, ref bias, ref x, ref offs, count, ref blk); break;
                default: throw new UnreachableException($"No logits kernel for a class block of {shape.ClassBlock(TOps.Count)}.");
            }
        }

        /// <summary>
        /// Weight gradient of a block: <c>dW[c, k] = (first ? 0 : dW[c, k]) + sum_i g[i, c] x[offs[i] + k]</c>, classes taken
        /// <see cref="RuntimeShape.ClassBlock"/> at a time. The step that reads row i at input k also prefetches row i of the
        /// next block (<paramref name="next"/>), as the generated kernels do.
        /// </summary>
        /// <param name="shape">The model's sizes.</param>
        /// <param name="x">Input rows, found through <paramref name="offs"/>.</param>
        /// <param name="offs">The block's rows: count element offsets.</param>
        /// <param name="next">The next block's rows (count offsets), to prefetch.</param>
        /// <param name="count">Rows in the block.</param>
        /// <param name="g">The block's dL/do [count, ClassStride], pad lanes 0.</param>
        /// <param name="dW">[Classes, Inputs].</param>
        /// <param name="first">Whether this is the batch's first block: dW is overwritten instead of added to.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Gradient<T>(in RuntimeShape shape, ref T x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW,
            bool first)
            where T : unmanaged
        {
            switch (shape.ClassBlock(TOps.Count))
            {
                case 2: Gradient<T, ClassBlock2>(shape, ref x, ref offs, ref next, count, ref g, ref dW, first); break;
                case 3: Gradient<T, ClassBlock3>(shape, ref x, ref offs, ref next, count, ref g, ref dW, first); break;
                case 4: Gradient<T, ClassBlock4>(shape, ref x, ref offs, ref next, count, ref g, ref dW, first); break;
                case 5: Gradient<T, ClassBlock5>(shape, ref x, ref offs, ref next, count, ref g, ref dW, first); break;
                case 8: Gradient<T, ClassBlock8>(shape, ref x, ref offs, ref next, count, ref g, ref dW, first); break;
                case 10: Gradient<T, ClassBlock10>(shape, ref x, ref offs, ref next, count, ref g, ref dW, first); break;
                default: throw new UnreachableException($"No gradient kernel for a class block of {shape.ClassBlock(TOps.Count)}.");
            }
        }

        // The two kernels below are written once for every class block: TBlock.Size is a constant in each instantiation, so
        // the JIT removes every accumulator and branch of a class the block does not have. A pass covers classes
        // c0 .. c0 + Size - 1; the last pass ends at the last class (c0 = Classes - Size), overlapping the one before when
        // Size does not divide Classes: the logits of the overlap are computed again to the same value, and its gradient
        // is computed but not stored (it was added in the pass before).

        [MethodImpl(KernelCompilation.Options)]
        private static void Logits<T, TBlock>(
            in RuntimeShape shape, ref float w, ref float bias, ref T x, ref nuint offs, int count, ref float blk)
            where T : unmanaged
            where TBlock : struct, IClassBlock
        {
            int q = shape.Classes;
            int stride = shape.ClassStride;
            nuint d = (nuint)shape.Inputs;
            nuint lanes = (nuint)TOps.Count;
            nuint vectorEnd = d - (d % lanes);
            float pixelScale = typeof(T) == typeof(byte) ? PixelScale : 1f; // x 1 is exact: floats are unchanged
            // Passes outside, rows inside: a pass's rows of W stay in cache for the whole block of rows (with 3072 x 100,
            // W is 1.2 MB and would otherwise be read from L3 again for every pair of rows).
            for (int pass = 0; pass < q; pass += TBlock.Size)
            {
                int c0 = Math.Min(pass, q - TBlock.Size);
                ref float wb = ref Unsafe.Add(ref w, (nuint)c0 * d);
                for (int i = 0; i < count; i += 2)
                {
                    int i1 = Math.Min(i + 1, count - 1); // an odd last row is computed twice, into the same place
                    nuint x0 = Unsafe.Add(ref offs, i);
                    nuint x1 = Unsafe.Add(ref offs, i1);
                    nuint p0 = Unsafe.Add(ref offs, i + KernelLayout.PrefetchRows);
                    nuint p1 = Unsafe.Add(ref offs, i1 + KernelLayout.PrefetchRows);
                    ref float o0 = ref Unsafe.Add(ref blk, i * stride);
                    ref float o1 = ref Unsafe.Add(ref blk, i1 * stride);
                    TVec a00 = TOps.Zero, a01 = TOps.Zero, a02 = TOps.Zero, a03 = TOps.Zero, a04 = TOps.Zero;
                    TVec a05 = TOps.Zero, a06 = TOps.Zero, a07 = TOps.Zero, a08 = TOps.Zero, a09 = TOps.Zero;
                    TVec a10 = TOps.Zero, a11 = TOps.Zero, a12 = TOps.Zero, a13 = TOps.Zero, a14 = TOps.Zero;
                    TVec a15 = TOps.Zero, a16 = TOps.Zero, a17 = TOps.Zero, a18 = TOps.Zero, a19 = TOps.Zero;
                    nuint k = 0;
                    for (; k < vectorEnd; k += lanes)
                    {
                        TVec xv0 = Load(ref x, x0 + k);
                        TVec xv1 = Load(ref x, x1 + k);
                        Prefetch.Line(ref Unsafe.Add(ref x, p0 + k));
                        Prefetch.Line(ref Unsafe.Add(ref x, p1 + k));
                        nuint kc = k; // input k of class c0 + c: k + c * d
                        TVec wv = TOps.Load(ref wb, kc);
                        a00 = TOps.MultiplyAdd(xv0, wv, a00);
                        a10 = TOps.MultiplyAdd(xv1, wv, a10);
                        Next2<TBlock>(1, ref wb, ref kc, d, xv0, xv1, ref a01, ref a11);
                        Next2<TBlock>(2, ref wb, ref kc, d, xv0, xv1, ref a02, ref a12);
                        Next2<TBlock>(3, ref wb, ref kc, d, xv0, xv1, ref a03, ref a13);
                        Next2<TBlock>(4, ref wb, ref kc, d, xv0, xv1, ref a04, ref a14);
                        Next2<TBlock>(5, ref wb, ref kc, d, xv0, xv1, ref a05, ref a15);
                        Next2<TBlock>(6, ref wb, ref kc, d, xv0, xv1, ref a06, ref a16);
                        Next2<TBlock>(7, ref wb, ref kc, d, xv0, xv1, ref a07, ref a17);
                        Next2<TBlock>(8, ref wb, ref kc, d, xv0, xv1, ref a08, ref a18);
                        Next2<TBlock>(9, ref wb, ref kc, d, xv0, xv1, ref a09, ref a19);
                    }

                    float t00 = 0f, t01 = 0f, t02 = 0f, t03 = 0f, t04 = 0f, t05 = 0f, t06 = 0f, t07 = 0f, t08 = 0f, t09 = 0f;
                    float t10 = 0f, t11 = 0f, t12 = 0f, t13 = 0f, t14 = 0f, t15 = 0f, t16 = 0f, t17 = 0f, t18 = 0f, t19 = 0f;
                    for (; k < d; k++) // scalar tail: Inputs % lanes inputs
                    {
                        float xs0 = Scalar(ref x, x0 + k);
                        float xs1 = Scalar(ref x, x1 + k);
                        nuint kc = k;
                        float ws = Unsafe.Add(ref wb, kc);
                        t00 += xs0 * ws;
                        t10 += xs1 * ws;
                        NextScalar2<TBlock>(1, ref wb, ref kc, d, xs0, xs1, ref t01, ref t11);
                        NextScalar2<TBlock>(2, ref wb, ref kc, d, xs0, xs1, ref t02, ref t12);
                        NextScalar2<TBlock>(3, ref wb, ref kc, d, xs0, xs1, ref t03, ref t13);
                        NextScalar2<TBlock>(4, ref wb, ref kc, d, xs0, xs1, ref t04, ref t14);
                        NextScalar2<TBlock>(5, ref wb, ref kc, d, xs0, xs1, ref t05, ref t15);
                        NextScalar2<TBlock>(6, ref wb, ref kc, d, xs0, xs1, ref t06, ref t16);
                        NextScalar2<TBlock>(7, ref wb, ref kc, d, xs0, xs1, ref t07, ref t17);
                        NextScalar2<TBlock>(8, ref wb, ref kc, d, xs0, xs1, ref t08, ref t18);
                        NextScalar2<TBlock>(9, ref wb, ref kc, d, xs0, xs1, ref t09, ref t19);
                    }

                    // One transposing sum where the pass fills at least half a vector's lanes; a pass of fewer classes
                    // sums them one by one (the transposing sum would spend most of its rounds on empty accumulators).
                    if (TBlock.Size <= TOps.SumEachMax && 2 * TBlock.Size >= TOps.Count)
                    {
                        if (vectorEnd < d)
                        {
                            // The scalar tails join lane 0 of their classes' accumulators.
                            a00 = WithTail<TBlock>(0, a00, t00); a01 = WithTail<TBlock>(1, a01, t01);
                            a02 = WithTail<TBlock>(2, a02, t02); a03 = WithTail<TBlock>(3, a03, t03);
                            a04 = WithTail<TBlock>(4, a04, t04); a05 = WithTail<TBlock>(5, a05, t05);
                            a06 = WithTail<TBlock>(6, a06, t06); a07 = WithTail<TBlock>(7, a07, t07);
                            a08 = WithTail<TBlock>(8, a08, t08); a09 = WithTail<TBlock>(9, a09, t09);
                            a10 = WithTail<TBlock>(0, a10, t10); a11 = WithTail<TBlock>(1, a11, t11);
                            a12 = WithTail<TBlock>(2, a12, t12); a13 = WithTail<TBlock>(3, a13, t13);
                            a14 = WithTail<TBlock>(4, a14, t14); a15 = WithTail<TBlock>(5, a15, t15);
                            a16 = WithTail<TBlock>(6, a16, t16); a17 = WithTail<TBlock>(7, a17, t17);
                            a18 = WithTail<TBlock>(8, a18, t18); a19 = WithTail<TBlock>(9, a19, t19);
                        }

                        StoreEach<TBlock>(ref o0, ref bias, c0, stride, pixelScale,
                            TOps.SumEach(a00, a01, a02, a03, a04, a05, a06, a07, a08, a09));
                        StoreEach<TBlock>(ref o1, ref bias, c0, stride, pixelScale,
                            TOps.SumEach(a10, a11, a12, a13, a14, a15, a16, a17, a18, a19));
                    }
                    else
                    {
                        Store<TBlock>(ref o0, ref bias, c0, pixelScale, a00, a01, a02, a03, a04, a05, a06, a07, a08, a09,
                            t00, t01, t02, t03, t04, t05, t06, t07, t08, t09);
                        Store<TBlock>(ref o1, ref bias, c0, pixelScale, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19,
                            t10, t11, t12, t13, t14, t15, t16, t17, t18, t19);
                    }
                }
            }

            for (int i = 0; i < count; i++)
            {
                ref float o = ref Unsafe.Add(ref blk, i * stride);
                for (int c = q; c < stride; c++)
                {
                    Unsafe.Add(ref o, c) = float.NegativeInfinity;
                }
            }
        }

        /// <summary>
        /// One row's logits of one pass from the vector of its class sums (<see cref="IVectorOps{TVec}.SumEach"/>), scaled, plus
        /// the bias (read a vector at a time: <see cref="KernelLayout.BiasLength"/>), stored as a whole vector where the row
        /// has room: the lanes past the pass are the next pass's (stored after this one) or pad lanes (set to -inf last).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreEach<TBlock>(ref float o, ref float bias, int c0, int stride, float scale, TVec sums)
            where TBlock : struct, IClassBlock
        {
            nuint c = (nuint)c0;
            TVec y = TOps.Add(TOps.Multiply(sums, TOps.Create(scale)), TOps.Load(ref bias, c));
            if (c0 + TOps.Count <= stride)
            {
                TOps.Store(y, ref o, c);
            }
            else
            {
                // The vector goes to the call by reference: a vector argument would keep the kernel out of a ReadyToRun
                // image (its calling convention may change between runtime versions).
                TVec lanes = y;
                StoreFirst(ref Unsafe.As<TVec, float>(ref lanes), TBlock.Size, ref Unsafe.Add(ref o, c));
            }
        }

        /// <summary>Accumulator <paramref name="c"/> with its scalar tail in lane 0, if the pass has class c.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVec WithTail<TBlock>(int c, TVec a, float t)
            where TBlock : struct, IClassBlock =>
            c < TBlock.Size ? TOps.Add(a, TOps.CreateScalar(t)) : a;

        /// <summary>The first <paramref name="count"/> of <paramref name="lanes"/>: a pass that ends the row.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void StoreFirst(ref float lanes, int count, ref float destination)
        {
            for (int j = 0; j < count; j++)
            {
                Unsafe.Add(ref destination, j) = Unsafe.Add(ref lanes, j);
            }
        }

        /// <summary>One row's logits of one pass: the sums of its accumulators and scalar tails, scaled, plus the bias.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store<TBlock>(ref float o, ref float bias, int c0, float scale,
            TVec a0, TVec a1, TVec a2, TVec a3, TVec a4, TVec a5, TVec a6, TVec a7, TVec a8, TVec a9,
            float t0, float t1, float t2, float t3, float t4, float t5, float t6, float t7, float t8, float t9)
            where TBlock : struct, IClassBlock
        {
            nuint c = (nuint)c0;
            if (TBlock.Size >= 4)
            {
                // Four classes' sums in one vector, stored with the bias in one go.
                Vector128<float> s = TOps.Sum4(a0, a1, a2, a3) + Vector128.Create(t0, t1, t2, t3);
                ((s * scale) + Vector128.LoadUnsafe(ref bias, c)).StoreUnsafe(ref o, c);
            }
            else
            {
                Unsafe.Add(ref o, c) = ((TOps.Sum(a0) + t0) * scale) + Unsafe.Add(ref bias, c);
                if (TBlock.Size > 1)
                {
                    Unsafe.Add(ref o, c + 1) = ((TOps.Sum(a1) + t1) * scale) + Unsafe.Add(ref bias, c + 1);
                }

                if (TBlock.Size > 2)
                {
                    Unsafe.Add(ref o, c + 2) = ((TOps.Sum(a2) + t2) * scale) + Unsafe.Add(ref bias, c + 2);
                }
            }

            if (TBlock.Size >= 8)
            {
                Vector128<float> s = TOps.Sum4(a4, a5, a6, a7) + Vector128.Create(t4, t5, t6, t7);
                ((s * scale) + Vector128.LoadUnsafe(ref bias, c + 4)).StoreUnsafe(ref o, c + 4);
            }
            else if (TBlock.Size > 4)
            {
                Unsafe.Add(ref o, c + 4) = ((TOps.Sum(a4) + t4) * scale) + Unsafe.Add(ref bias, c + 4);
            }

            if (TBlock.Size > 8)
            {
                Unsafe.Add(ref o, c + 8) = ((TOps.Sum(a8) + t8) * scale) + Unsafe.Add(ref bias, c + 8);
                Unsafe.Add(ref o, c + 9) = ((TOps.Sum(a9) + t9) * scale) + Unsafe.Add(ref bias, c + 9);
            }
        }

        [MethodImpl(KernelCompilation.Options)]
        private static void Gradient<T, TBlock>(
            in RuntimeShape shape, ref T x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first)
            where T : unmanaged
            where TBlock : struct, IClassBlock
        {
            int q = shape.Classes;
            int stride = shape.ClassStride;
            nuint d = (nuint)shape.Inputs;
            nuint lanes = (nuint)TOps.Count;
            nuint vectorEnd = d - (d % lanes);
            nuint pairEnd = d - (d % (2 * lanes));
            int done = 0; // classes whose gradient is stored
            for (int pass = 0; pass < q; pass += TBlock.Size)
            {
                int c0 = Math.Min(pass, q - TBlock.Size);
                int skip = done - c0; // classes of this pass already stored by the one before (the overlap)
                done = c0 + TBlock.Size;
                ref float db = ref Unsafe.Add(ref dW, (nuint)c0 * d);
                ref float gb = ref Unsafe.Add(ref g, c0);
                nuint k = 0;
                for (; k < pairEnd; k += 2 * lanes)
                {
                    nuint kc = k; // input k of class c0 + c: k + c * d
                    TVec a00 = first ? TOps.Zero : TOps.Load(ref db, kc), a01 = first ? TOps.Zero : TOps.Load(ref db, kc + lanes);
                    TVec a10 = TOps.Zero, a11 = TOps.Zero;
                    TVec a20 = TOps.Zero, a21 = TOps.Zero;
                    TVec a30 = TOps.Zero, a31 = TOps.Zero;
                    TVec a40 = TOps.Zero, a41 = TOps.Zero;
                    TVec a50 = TOps.Zero, a51 = TOps.Zero;
                    TVec a60 = TOps.Zero, a61 = TOps.Zero;
                    TVec a70 = TOps.Zero, a71 = TOps.Zero;
                    TVec a80 = TOps.Zero, a81 = TOps.Zero;
                    TVec a90 = TOps.Zero, a91 = TOps.Zero;
                    Load2<TBlock>(1, first, ref db, ref kc, d, lanes, ref a10, ref a11);
                    Load2<TBlock>(2, first, ref db, ref kc, d, lanes, ref a20, ref a21);
                    Load2<TBlock>(3, first, ref db, ref kc, d, lanes, ref a30, ref a31);
                    Load2<TBlock>(4, first, ref db, ref kc, d, lanes, ref a40, ref a41);
                    Load2<TBlock>(5, first, ref db, ref kc, d, lanes, ref a50, ref a51);
                    Load2<TBlock>(6, first, ref db, ref kc, d, lanes, ref a60, ref a61);
                    Load2<TBlock>(7, first, ref db, ref kc, d, lanes, ref a70, ref a71);
                    Load2<TBlock>(8, first, ref db, ref kc, d, lanes, ref a80, ref a81);
                    Load2<TBlock>(9, first, ref db, ref kc, d, lanes, ref a90, ref a91);

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
                        Outer2<TBlock>(1, ref gi, xv0, xv1, ref a10, ref a11);
                        Outer2<TBlock>(2, ref gi, xv0, xv1, ref a20, ref a21);
                        Outer2<TBlock>(3, ref gi, xv0, xv1, ref a30, ref a31);
                        Outer2<TBlock>(4, ref gi, xv0, xv1, ref a40, ref a41);
                        Outer2<TBlock>(5, ref gi, xv0, xv1, ref a50, ref a51);
                        Outer2<TBlock>(6, ref gi, xv0, xv1, ref a60, ref a61);
                        Outer2<TBlock>(7, ref gi, xv0, xv1, ref a70, ref a71);
                        Outer2<TBlock>(8, ref gi, xv0, xv1, ref a80, ref a81);
                        Outer2<TBlock>(9, ref gi, xv0, xv1, ref a90, ref a91);
                    }

                    Store2<TBlock>(0, skip, ref db, k, d, lanes, a00, a01);
                    Store2<TBlock>(1, skip, ref db, k, d, lanes, a10, a11);
                    Store2<TBlock>(2, skip, ref db, k, d, lanes, a20, a21);
                    Store2<TBlock>(3, skip, ref db, k, d, lanes, a30, a31);
                    Store2<TBlock>(4, skip, ref db, k, d, lanes, a40, a41);
                    Store2<TBlock>(5, skip, ref db, k, d, lanes, a50, a51);
                    Store2<TBlock>(6, skip, ref db, k, d, lanes, a60, a61);
                    Store2<TBlock>(7, skip, ref db, k, d, lanes, a70, a71);
                    Store2<TBlock>(8, skip, ref db, k, d, lanes, a80, a81);
                    Store2<TBlock>(9, skip, ref db, k, d, lanes, a90, a91);
                }

                if (k < vectorEnd) // one vector left
                {
                    nuint kc = k;
                    TVec a0 = first ? TOps.Zero : TOps.Load(ref db, kc);
                    TVec a1 = TOps.Zero;
                    TVec a2 = TOps.Zero;
                    TVec a3 = TOps.Zero;
                    TVec a4 = TOps.Zero;
                    TVec a5 = TOps.Zero;
                    TVec a6 = TOps.Zero;
                    TVec a7 = TOps.Zero;
                    TVec a8 = TOps.Zero;
                    TVec a9 = TOps.Zero;
                    Load1<TBlock>(1, first, ref db, ref kc, d, ref a1);
                    Load1<TBlock>(2, first, ref db, ref kc, d, ref a2);
                    Load1<TBlock>(3, first, ref db, ref kc, d, ref a3);
                    Load1<TBlock>(4, first, ref db, ref kc, d, ref a4);
                    Load1<TBlock>(5, first, ref db, ref kc, d, ref a5);
                    Load1<TBlock>(6, first, ref db, ref kc, d, ref a6);
                    Load1<TBlock>(7, first, ref db, ref kc, d, ref a7);
                    Load1<TBlock>(8, first, ref db, ref kc, d, ref a8);
                    Load1<TBlock>(9, first, ref db, ref kc, d, ref a9);

                    for (int i = 0; i < count; i++)
                    {
                        TVec xv = Load(ref x, Unsafe.Add(ref offs, i) + k);
                        ref float gi = ref Unsafe.Add(ref gb, i * stride);
                        a0 = TOps.MultiplyAdd(xv, TOps.Create(gi), a0);
                        Outer1<TBlock>(1, ref gi, xv, ref a1);
                        Outer1<TBlock>(2, ref gi, xv, ref a2);
                        Outer1<TBlock>(3, ref gi, xv, ref a3);
                        Outer1<TBlock>(4, ref gi, xv, ref a4);
                        Outer1<TBlock>(5, ref gi, xv, ref a5);
                        Outer1<TBlock>(6, ref gi, xv, ref a6);
                        Outer1<TBlock>(7, ref gi, xv, ref a7);
                        Outer1<TBlock>(8, ref gi, xv, ref a8);
                        Outer1<TBlock>(9, ref gi, xv, ref a9);
                    }

                    Store1<TBlock>(0, skip, ref db, k, d, a0);
                    Store1<TBlock>(1, skip, ref db, k, d, a1);
                    Store1<TBlock>(2, skip, ref db, k, d, a2);
                    Store1<TBlock>(3, skip, ref db, k, d, a3);
                    Store1<TBlock>(4, skip, ref db, k, d, a4);
                    Store1<TBlock>(5, skip, ref db, k, d, a5);
                    Store1<TBlock>(6, skip, ref db, k, d, a6);
                    Store1<TBlock>(7, skip, ref db, k, d, a7);
                    Store1<TBlock>(8, skip, ref db, k, d, a8);
                    Store1<TBlock>(9, skip, ref db, k, d, a9);
                    k += lanes;
                }

                for (; k < d; k++) // scalar tail: Inputs % lanes inputs
                {
                    for (int c = Math.Max(skip, 0); c < TBlock.Size; c++)
                    {
                        ref float dwc = ref Unsafe.Add(ref db, (nuint)c * d + k);
                        float t = first ? 0f : dwc;
                        for (int i = 0; i < count; i++)
                        {
                            t += Unsafe.Add(ref gb, (i * stride) + c) * Scalar(ref x, Unsafe.Add(ref offs, i) + k);
                        }

                        dwc = t;
                    }
                }
            }
        }

        // One class of a pass each, if the block has it (c is a constant and TBlock.Size a JIT constant, so the test and
        // every call for a class the block lacks compile to nothing): the logits' weights one row of W further, the
        // gradient's accumulators loaded from dW, one row's g times its inputs, the stores of the classes not skipped.

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Next2<TBlock>(int c, ref float wb, ref nuint kc, nuint d, TVec xv0, TVec xv1, ref TVec a0, ref TVec a1)
            where TBlock : struct, IClassBlock
        {
            if (TBlock.Size > c)
            {
                kc += d;
                TVec wv = TOps.Load(ref wb, kc);
                a0 = TOps.MultiplyAdd(xv0, wv, a0);
                a1 = TOps.MultiplyAdd(xv1, wv, a1);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void NextScalar2<TBlock>(
            int c, ref float wb, ref nuint kc, nuint d, float xs0, float xs1, ref float t0, ref float t1)
            where TBlock : struct, IClassBlock
        {
            if (TBlock.Size > c)
            {
                kc += d;
                float ws = Unsafe.Add(ref wb, kc);
                t0 += xs0 * ws;
                t1 += xs1 * ws;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Load2<TBlock>(int c, bool first, ref float db, ref nuint kc, nuint d, nuint lanes, ref TVec a0, ref TVec a1)
            where TBlock : struct, IClassBlock
        {
            if (TBlock.Size > c && !first)
            {
                kc += d;
                a0 = TOps.Load(ref db, kc);
                a1 = TOps.Load(ref db, kc + lanes);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Load1<TBlock>(int c, bool first, ref float db, ref nuint kc, nuint d, ref TVec a)
            where TBlock : struct, IClassBlock
        {
            if (TBlock.Size > c && !first)
            {
                kc += d;
                a = TOps.Load(ref db, kc);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Outer2<TBlock>(int c, ref float gi, TVec xv0, TVec xv1, ref TVec a0, ref TVec a1)
            where TBlock : struct, IClassBlock
        {
            if (TBlock.Size > c)
            {
                TVec gv = TOps.Create(Unsafe.Add(ref gi, c));
                a0 = TOps.MultiplyAdd(xv0, gv, a0);
                a1 = TOps.MultiplyAdd(xv1, gv, a1);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Outer1<TBlock>(int c, ref float gi, TVec xv, ref TVec a)
            where TBlock : struct, IClassBlock
        {
            if (TBlock.Size > c)
            {
                a = TOps.MultiplyAdd(xv, TOps.Create(Unsafe.Add(ref gi, c)), a);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store2<TBlock>(int c, int skip, ref float db, nuint k, nuint d, nuint lanes, TVec a0, TVec a1)
            where TBlock : struct, IClassBlock
        {
            if (TBlock.Size > c && skip <= c)
            {
                TOps.Store(a0, ref db, ((nuint)c * d) + k);
                TOps.Store(a1, ref db, ((nuint)c * d) + k + lanes);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store1<TBlock>(int c, int skip, ref float db, nuint k, nuint d, TVec a)
            where TBlock : struct, IClassBlock
        {
            if (TBlock.Size > c && skip <= c)
            {
                TOps.Store(a, ref db, ((nuint)c * d) + k);
            }
        }

        /// <summary>
        /// Softmax of each row of a block, in place: <c>m[i] = max(o)</c>, <c>sums[i] = sum exp(o - m)</c>,
        /// <c>row = exp(o - m) * scale / sums[i]</c>. The max lanes' exponential is exactly 1; pad lanes (-inf) give 0.
        /// </summary>
        [MethodImpl(KernelCompilation.Options)]
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
        [MethodImpl(KernelCompilation.Options)]
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
