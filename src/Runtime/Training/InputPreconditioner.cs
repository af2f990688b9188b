using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GenSoftmax.Dynamic;

namespace GenSoftmax.Training
{
    /// <summary>
    /// The exact solver's preconditioner: the inverse of the inputs' second-moment matrix. The objective's Hessian is close to
    /// <c>A ⊗ X̃ᵀX̃ + I/C</c> (A the classes' softmax covariance, X̃ the inputs with a column of ones for the bias); with A
    /// taken as I/K at the start, <c>M = X̃ᵀX̃ + (K/C) I</c> (the bias not penalised) is the Hessian up to a scale, which
    /// L-BFGS measures itself. Directions scaled by M⁻¹ are those of L-BFGS on whitened inputs: correlated or unevenly
    /// scaled inputs (embeddings, pixels) no longer slow it. On the linear-probe shape of bench/solver the passes to
    /// scikit-learn's converged objective fell from 471 to 144, on Fashion-MNIST to its 1,000-iteration one from 1,108 to
    /// 239 (bench/results/2026-12-05-preconditioner).
    /// </summary>
    /// <remarks>
    /// X̃ᵀX̃ is measured on at most <see cref="SampleRows"/> rows spread evenly over the data (a second-moment matrix
    /// settles long before every row is read), weighted by the rows' weights and scaled to the data's total weight, by the
    /// run-time gradient kernel (the sample's rows standing in for a gradient block), in float within blocks of
    /// <see cref="BlockRows"/> rows and double across them. A ridge of 1% of the mean diagonal keeps M well conditioned where
    /// the sample lacks an input (a pixel blank in every sampled row). M is factored once (Cholesky, M = L Lᵀ); each
    /// application solves L Lᵀ z = v for every class at once, classes in the vector lanes.
    /// </remarks>
    internal sealed class InputPreconditioner
    {
        /// <summary>Most rows read for the second-moment matrix.</summary>
        public const int SampleRows = 8192;

        private const int BlockRows = 512; // rows summed in float by one kernel call
        private const double Ridge = 1e-2; // of the mean diagonal

        private readonly int _inputs;
        private readonly int _classes;
        private readonly int _size; // inputs + 1: the bias's column last
        private readonly int _lanes; // classes rounded up to whole chunks of Columns vectors of doubles
        private readonly double[] _factor; // [size, size] row-major: L below the diagonal and on it, Lᵀ above it
        private readonly double[] _work; // [size, lanes]: a point's columns, classes along a row
        private readonly Internal.SliceWorkers _workers;
        private readonly int[] _columnStart; // per worker: its first column of _work, in whole chunks
        private readonly Action<int> _solveSlice;
        private Halves _halves; // the solve's halves, for the workers

        /// <summary>Which triangular solves an application makes: both is M⁻¹ = L⁻ᵀ L⁻¹.</summary>
        [Flags]
        public enum Halves
        {
            /// <summary>L⁻¹ (forward substitution).</summary>
            Lower = 1,

            /// <summary>L⁻ᵀ (backward substitution).</summary>
            Upper = 2,

            /// <summary>M⁻¹.</summary>
            Both = Lower | Upper,
        }

        private InputPreconditioner(int inputs, int classes, double[] factor, Internal.SliceWorkers workers)
        {
            _inputs = inputs;
            _classes = classes;
            _size = inputs + 1;
            // Classes padded to whole chunks of Columns vectors, so that one row kernel serves every shape and each pass
            // over L serves a whole chunk (against one vector at a time for the classes past the last chunk: the same
            // times on Fashion-MNIST and the probe, bench/results/2026-12-05-preconditioner/ab-chunks-*.txt).
            int chunk = Columns * Vector<double>.Count, chunks = (classes + chunk - 1) / chunk;
            _lanes = chunks * chunk;
            _factor = factor;
            _work = new double[_size * _lanes];
            _workers = workers;
            _columnStart = new int[workers.Count + 1];
            for (int t = 0; t <= workers.Count; t++)
            {
                _columnStart[t] = chunks * t / workers.Count * chunk;
            }

            _solveSlice = t => Solve(_factor, _work, _size, _lanes, _columnStart[t], _columnStart[t + 1] - _columnStart[t], _halves);
        }

        /// <summary>
        /// Whether preconditioning pays on data of <paramref name="rows"/> x <paramref name="inputs"/> with
        /// <paramref name="classes"/>: each application costs about (inputs + 1)² x classes multiply-adds in double, once an
        /// iteration, against 2 x rows x inputs x classes for a pass, so the rows must be at least twice the inputs; the
        /// factorisation's (inputs + 1)³ / 3 must stay within a few passes; and at most <see cref="MaxInputs"/> inputs, whose
        /// matrix and per-thread sums take about 100 MB while it is built (3 x 8 bytes x (inputs + 1)² on two threads).
        /// </summary>
        public static bool Pays(int rows, int inputs, int classes)
        {
            long size = inputs + 1L;
            return inputs <= MaxInputs && rows >= 2 * size && size * size <= 8L * rows * classes;
        }

        /// <summary>Most inputs preconditioned.</summary>
        public const int MaxInputs = 2048;

        /// <summary>The preconditioner of <paramref name="data"/> for a fit with penalty strength <paramref name="c"/>, the
        /// sample's blocks shared out over <paramref name="workers"/>; null when its matrix cannot be factored (inputs so
        /// large that their float squares overflow, or a sample whose rows all weigh 0): the solver then runs without.
        /// <paramref name="secondMoments"/>, from <see cref="Moments"/> on the same data and workers, spares measuring them
        /// again (a C search fits the same rows for every C).</summary>
        public static InputPreconditioner? Create(
            ISoftmaxModel model, LabeledData data, double c, Internal.SliceWorkers workers, double[]? secondMoments = null)
        {
            int inputs = model.Inputs, size = inputs + 1;
            double[] moments = secondMoments is null ? Moments(model, data, workers) : (double[])secondMoments.Clone();
            double trace = 0;
            for (int i = 0; i < size; i++)
            {
                trace += moments[(i * size) + i];
            }

            double ridge = Ridge * trace / size, penalty = double.IsFinite(c) ? model.Classes / c : 0;
            for (int i = 0; i < size; i++)
            {
                moments[(i * size) + i] += ridge + (i < inputs ? penalty : 0);
            }

            if (!Factor(moments, size))
            {
                return null; // inputs so large that their float squares overflow, or rows whose weights are all 0
            }

            Mirror(moments, size);
            return new InputPreconditioner(inputs, model.Classes, moments, workers);
        }

        /// <summary>z = M⁻¹ v for a point laid out as the solvers' (W's rows, then b): each class's inputs and bias solved
        /// together. <paramref name="v"/> and <paramref name="z"/> may be the same array.</summary>
        public void Apply(ReadOnlySpan<double> v, Span<double> z) => Apply(v, z, Halves.Both);

        /// <summary>z = L⁻¹ v, L⁻ᵀ v or M⁻¹ v (<paramref name="halves"/>), laid out as
        /// <see cref="Apply(ReadOnlySpan{double}, Span{double})"/>:
        /// with θ = L⁻ᵀ u, u are whitened variables in which the Hessian is close to a multiple of the identity (Newton's
        /// conjugate gradients work in them).</summary>
        public void Apply(ReadOnlySpan<double> v, Span<double> z, Halves halves)
        {
            _halves = halves;
            int d = _inputs, q = _classes, m = _size, lanes = _lanes, weights = d * q;
            Span<double> work = _work;
            for (int c = 0; c < q; c++)
            {
                for (int k = 0; k < d; k++)
                {
                    work[(k * lanes) + c] = v[(c * d) + k];
                }

                work[(d * lanes) + c] = v[weights + c];
            }

            _workers.Run(_solveSlice); // the classes' columns shared out over the solver's threads
            for (int c = 0; c < q; c++)
            {
                for (int k = 0; k < d; k++)
                {
                    z[(c * d) + k] = work[(k * lanes) + c];
                }

                z[weights + c] = work[(d * lanes) + c];
            }
        }

        /// <summary>X̃ᵀX̃ of <paramref name="data"/>'s sample, [inputs + 1, inputs + 1], before the ridge and penalty.</summary>
        public static double[] Moments(ISoftmaxModel model, LabeledData data, Internal.SliceWorkers workers) =>
            SecondMoments(model.Isa, data, model.Inputs, workers);

        /// <summary>
        /// X̃ᵀX̃ over the sample, [size, size] in double: block by block, the rows (times the square root of their weights)
        /// copied into a float block with a 1 after the inputs, and that block given to the gradient kernel both as the
        /// inputs and as the per-class coefficients (a model with size inputs and size classes).
        /// </summary>
        private static double[] SecondMoments(KernelIsa isa, LabeledData data, int inputs, Internal.SliceWorkers workers)
        {
            int n = data.Count, size = inputs + 1, sample = Math.Min(n, SampleRows);
            var shape = RuntimeShape.Of(size, size);
            int stride = shape.ClassStride, blocks = (sample + BlockRows - 1) / BlockRows, threads = Math.Min(workers.Count, blocks);
            var sums = new double[threads][];
            float[]? rowWeights = data.Weights;
            double sampleWeight = 0, totalWeight = n;
            if (rowWeights is not null)
            {
                totalWeight = 0;
                foreach (float w in rowWeights)
                {
                    totalWeight += w;
                }
            }

            for (int j = 0; j < sample; j++)
            {
                sampleWeight += rowWeights?[Row(j)] ?? 1.0;
            }

            workers.Run(t =>
            {
                if (t >= threads)
                {
                    return;
                }

                var sum = new double[size * size];
                var block = new float[BlockRows * stride];
                var product = new float[size * size];
                var offsets = new nuint[BlockRows];
                for (int i = 0; i < BlockRows; i++)
                {
                    offsets[i] = (nuint)(i * stride);
                }

                ReadOnlySpan<float> features = data.IsPixels ? default : data.FeatureValues;
                ReadOnlySpan<byte> pixels = data.IsPixels ? data.PixelValues : default;
                for (int b = t; b < blocks; b += threads)
                {
                    int from = b * BlockRows, count = Math.Min(BlockRows, sample - from);
                    for (int i = 0; i < count; i++)
                    {
                        int r = Row(from + i);
                        float scale = rowWeights is null ? 1f : MathF.Sqrt(rowWeights[r]);
                        Span<float> row = block.AsSpan(i * stride, stride);
                        if (features.IsEmpty)
                        {
                            ReadOnlySpan<byte> p = pixels.Slice(r * inputs, inputs);
                            for (int k = 0; k < inputs; k++)
                            {
                                row[k] = p[k] * (scale / 255f);
                            }
                        }
                        else
                        {
                            ReadOnlySpan<float> f = features.Slice(r * inputs, inputs);
                            for (int k = 0; k < inputs; k++)
                            {
                                row[k] = f[k] * scale;
                            }
                        }

                        row[inputs] = scale;
                    }

                    ref float x = ref MemoryMarshal.GetArrayDataReference(block);
                    ref nuint offs = ref MemoryMarshal.GetArrayDataReference(offsets);
                    RuntimeKernelDispatch.Gradient(isa, shape, ref x, ref offs, ref offs, count, ref x,
                        ref MemoryMarshal.GetArrayDataReference(product), first: true);
                    for (int i = 0; i < sum.Length; i++)
                    {
                        sum[i] += product[i];
                    }
                }

                sums[t] = sum;
            });

            double[] moments = sums[0];
            for (int t = 1; t < threads; t++)
            {
                for (int i = 0; i < moments.Length; i++)
                {
                    moments[i] += sums[t][i];
                }
            }

            double toTotal = sampleWeight > 0 ? totalWeight / sampleWeight : 1;
            for (int i = 0; i < moments.Length; i++)
            {
                moments[i] *= toTotal;
            }

            return moments;

            int Row(int j) => (int)((long)j * n / sample);
        }

        /// <summary>
        /// Cholesky factorisation in place, row by row (Crout): the lower triangle of <paramref name="a"/> becomes L with
        /// L Lᵀ = a. Rows are taken <see cref="Group"/> at a time, so each earlier row of L is read once for the group's
        /// dot products (769 x 769: 45 ms, against 198 ms one row at a time).
        /// </summary>
        /// <returns>Whether the matrix is positive definite (and finite): false leaves <paramref name="a"/> in part factored.</returns>
        internal static bool Factor(double[] a, int m)
        {
            Span<double> dots = stackalloc double[Group];
            for (int i0 = 0; i0 < m; i0 += Group)
            {
                int rows = Math.Min(Group, m - i0);
                for (int j = 0; j < i0; j++)
                {
                    ReadOnlySpan<double> lj = a.AsSpan(j * m, j);
                    if (rows == Group)
                    {
                        ObjectivePass.Dots8(lj, 0, a.AsSpan(i0 * m, Group * m), m, dots, 1);
                    }
                    else
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            dots[r] = Dot(a.AsSpan((i0 + r) * m, j), lj);
                        }
                    }

                    double pivot = a[(j * m) + j];
                    for (int r = 0; r < rows; r++)
                    {
                        int at = ((i0 + r) * m) + j;
                        a[at] = (a[at] - dots[r]) / pivot;
                    }
                }

                for (int j = i0; j < i0 + rows; j++) // the group's own triangle
                {
                    ReadOnlySpan<double> lj = a.AsSpan(j * m, j);
                    double diagonal = a[(j * m) + j] - Dot(lj, lj);
                    if (!(diagonal > 0) || !double.IsFinite(diagonal))
                    {
                        return false;
                    }

                    double root = Math.Sqrt(diagonal);
                    a[(j * m) + j] = root;
                    for (int i = j + 1; i < i0 + rows; i++)
                    {
                        a[(i * m) + j] = (a[(i * m) + j] - Dot(a.AsSpan(i * m, j), lj)) / root;
                    }
                }
            }

            return true;
        }

        private const int Group = 8; // rows of L whose dot products share each load of an earlier row (ObjectivePass.Dots8)

        /// <summary>Copies L's lower triangle into the upper one as Lᵀ, so that both solves read rows.</summary>
        private static void Mirror(double[] a, int m)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = i + 1; j < m; j++)
                {
                    a[(i * m) + j] = a[(j * m) + i];
                }
            }
        }

        /// <summary>
        /// Solves L Lᵀ z = v, in place, for <paramref name="lanes"/> columns (whole chunks of <see cref="Columns"/> vectors) of
        /// <paramref name="work"/> ([m, stride], a row per input) from column <paramref name="from"/>, <paramref name="factor"/>
        /// holding L below the diagonal and Lᵀ above it. Each row of the answer is summed in registers, a chunk at a time, in
        /// two interleaved chains (769 x 100 on two threads: 4-4.5 ms, against 10-14 ms when each row was updated in memory).
        /// </summary>
        private static void Solve(double[] factor, double[] work, int m, int stride, int from, int lanes, Halves halves)
        {
            int chunk = Columns * Vector<double>.Count;
            if (lanes % chunk != 0 || (long)(m - 1) * stride + from + lanes > work.Length || factor.Length < m * m)
            {
                throw new ArgumentException("The columns lie outside the work array.", nameof(lanes));
            }

            ref double l = ref MemoryMarshal.GetArrayDataReference(factor);
            for (int c = from; c < from + lanes; c += chunk)
            {
                ref double w = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(work), c);
                for (int i = 0; i < m && (halves & Halves.Lower) != 0; i++)
                {
                    Row(ref l, ref w, i, 0, i, m, stride); // L y = v
                }

                for (int i = m - 1; i >= 0 && (halves & Halves.Upper) != 0; i--)
                {
                    Row(ref l, ref w, i, i + 1, m, m, stride); // Lᵀ z = y
                }
            }
        }

        private const int Columns = 4; // vectors of columns solved together

        /// <summary>
        /// Row i of the answer, a chunk of 4 vectors of columns: <c>w[i] = (w[i] - sum_j a[i, j] w[j]) / a[i, i]</c> over j in
        /// [<paramref name="from"/>, <paramref name="to"/>), rows of w that are already final. Forward (L y = v) takes the
        /// rows before i, backward (Lᵀ z = y, Lᵀ above the diagonal) the rows after it.
        /// </summary>
        private static void Row(ref double a, ref double w, int i, int from, int to, int m, int stride)
        {
            nuint width = (nuint)Vector<double>.Count, w1 = width, w2 = 2 * width, w3 = 3 * width;
            ref double wi = ref Unsafe.Add(ref w, i * stride);
            ref double ai = ref Unsafe.Add(ref a, i * m);
            Vector<double> a0 = Vector.LoadUnsafe(ref wi), a1 = Vector.LoadUnsafe(ref wi, w1);
            Vector<double> a2 = Vector.LoadUnsafe(ref wi, w2), a3 = Vector.LoadUnsafe(ref wi, w3);
            Vector<double> b0 = default, b1 = default, b2 = default, b3 = default;
            int j = from;
            for (; j + 1 < to; j += 2)
            {
                ref double wj = ref Unsafe.Add(ref w, j * stride);
                ref double wk = ref Unsafe.Add(ref wj, stride);
                var lj = new Vector<double>(-Unsafe.Add(ref ai, j));
                var lk = new Vector<double>(-Unsafe.Add(ref ai, j + 1));
                a0 = Vector.FusedMultiplyAdd(lj, Vector.LoadUnsafe(ref wj), a0);
                a1 = Vector.FusedMultiplyAdd(lj, Vector.LoadUnsafe(ref wj, w1), a1);
                a2 = Vector.FusedMultiplyAdd(lj, Vector.LoadUnsafe(ref wj, w2), a2);
                a3 = Vector.FusedMultiplyAdd(lj, Vector.LoadUnsafe(ref wj, w3), a3);
                b0 = Vector.FusedMultiplyAdd(lk, Vector.LoadUnsafe(ref wk), b0);
                b1 = Vector.FusedMultiplyAdd(lk, Vector.LoadUnsafe(ref wk, w1), b1);
                b2 = Vector.FusedMultiplyAdd(lk, Vector.LoadUnsafe(ref wk, w2), b2);
                b3 = Vector.FusedMultiplyAdd(lk, Vector.LoadUnsafe(ref wk, w3), b3);
            }

            if (j < to)
            {
                ref double wj = ref Unsafe.Add(ref w, j * stride);
                var lj = new Vector<double>(-Unsafe.Add(ref ai, j));
                a0 = Vector.FusedMultiplyAdd(lj, Vector.LoadUnsafe(ref wj), a0);
                a1 = Vector.FusedMultiplyAdd(lj, Vector.LoadUnsafe(ref wj, w1), a1);
                a2 = Vector.FusedMultiplyAdd(lj, Vector.LoadUnsafe(ref wj, w2), a2);
                a3 = Vector.FusedMultiplyAdd(lj, Vector.LoadUnsafe(ref wj, w3), a3);
            }

            double inverse = 1.0 / Unsafe.Add(ref ai, i);
            ((a0 + b0) * inverse).StoreUnsafe(ref wi);
            ((a1 + b1) * inverse).StoreUnsafe(ref wi, w1);
            ((a2 + b2) * inverse).StoreUnsafe(ref wi, w2);
            ((a3 + b3) * inverse).StoreUnsafe(ref wi, w3);
        }

        private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) =>
            System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
    }
}
