using System;
using System.Collections.Generic;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GenSoftmax.Training
{
    /// <summary>
    /// The exact solvers' pass over the data: scikit-learn's objective, the sum of the rows' (weighted) cross-entropies plus
    /// ‖W‖² / (2C), and its gradient at a point x = (W, b) held in double, through the model's own kernels, the rows split
    /// in contiguous slices over a fixed group of threads and the slices' sums added in order (bit-identical for a thread
    /// count). Its buffers are allocated once.
    /// </summary>
    /// <remarks>
    /// The kernels' float rows are summed in double, so the objective is exact to about 1e-7 relative; a solver whose
    /// progress that rounding hides calls <see cref="UsePrecise"/>, after which every pass runs in double (several times slower).
    /// </remarks>
    internal sealed class ObjectivePass : IDisposable
    {
        private const double NoiseLevel = 1e-7; // relative rounding of an objective summed from float kernels' rows
        private const double PreciseNoiseLevel = 1e-13; // the same, computed in double
        private const int ChunkRows = 1024; // rows per kernel call: float sums over at most this many, then double (256: 4% slower a pass)
        private const int PreciseRows = 32; // rows per block of a precise pass: W and the gradient's sum are read once per block
        private const int PreciseGroup = 8; // rows whose dot products (and gradient terms) share each load of W (of the sum)

        private readonly Action<int> _slice;
        private readonly Action<int> _preciseSlice;
        private readonly ISoftmaxModel _model;
        private readonly LabeledData _data;
        private readonly double _c;
        private readonly int[] _rows;
        private readonly int[] _sliceStart;
        private readonly float[][] _dW;
        private readonly float[][] _db;
        private readonly double[] _lossSums;
        private readonly double[][] _sums; // per slice: the gradient's sum over its rows, in double
        private double[] _point = [];
        private readonly double[][] _rowBuffers; // per slice, precise mode: a block of rows of inputs and their logits in double

        public ObjectivePass(ISoftmaxModel model, LabeledData data, double c, int threads)
        {
            _model = model;
            _data = data;
            _c = c;
            WeightCount = model.Inputs * model.Classes;
            Size = WeightCount + model.Classes;
            _rows = new int[data.Count];
            Internal.Blas.Iota(_rows);

            threads = SliceCount(threads, data.Count);
            _sliceStart = new int[threads + 1];
            for (int t = 0; t <= threads; t++)
            {
                _sliceStart[t] = (int)((long)data.Count * t / threads);
            }

            _dW = new float[threads][];
            _db = new float[threads][];
            _sums = new double[threads][];
            _rowBuffers = new double[threads][]; // allocated with the rest, so that a switch to precise passes allocates nothing
            for (int t = 0; t < threads; t++)
            {
                _dW[t] = new float[WeightCount];
                _db[t] = new float[model.Classes];
                _sums[t] = new double[Size];
                _rowBuffers[t] = new double[PreciseRows * (model.Inputs + model.Classes)];
            }

            _lossSums = new double[threads];
            _slice = Slice;
            _preciseSlice = PreciseSlice;
            Workers = new Internal.SliceWorkers(threads, "GenSoftmax solver");
        }

        /// <summary>Slices (and threads) a pass over <paramref name="rows"/> rows uses when given <paramref name="threads"/>.</summary>
        public static int SliceCount(int threads, int rows) => Math.Min(threads, Math.Max(1, rows));

        /// <summary>Parameters: W's then b's.</summary>
        public int Size { get; }

        /// <summary>Elements of W, the penalised part of the point.</summary>
        public int WeightCount { get; }

        /// <summary>Passes made by <see cref="Evaluate"/>, and any other pass a solver makes over the rows
        /// (<see cref="CountPass"/>).</summary>
        public int Evaluations { get; private set; }

        /// <summary>Counts a solver's own pass over the rows among the <see cref="Evaluations"/>.</summary>
        public void CountPass() => Evaluations++;

        /// <summary>Whether passes run in double (<see cref="UsePrecise"/>).</summary>
        public bool Precise { get; private set; }

        /// <summary>The threads, one per slice of rows, for other passes over the same slices.</summary>
        public Internal.SliceWorkers Workers { get; }

        /// <summary>The row numbers 0, 1, ..., Count - 1.</summary>
        public ReadOnlySpan<int> Rows => _rows;

        /// <summary>Slice t holds rows SliceStart(t) to SliceStart(t + 1) - 1.</summary>
        public int SliceStart(int t) => _sliceStart[t];

        /// <summary>Rows per kernel call: sums over more rows are taken in double.</summary>
        public static int Chunk => ChunkRows;

        public void Dispose() => Workers.Dispose();

        /// <summary>The rounding of an objective of about <paramref name="f"/>: how little a change in it can be told from noise.</summary>
        public double Noise(double f) => (Precise ? PreciseNoiseLevel : NoiseLevel) * Math.Abs(f);

        /// <summary>From now on every pass runs in double from the point rather than through the float kernels.</summary>
        public void UsePrecise() => Precise = true;

        /// <summary>The objective at <paramref name="x"/> and its gradient into <paramref name="g"/>: one pass over the data.</summary>
        public double Evaluate(double[] x, double[] g)
        {
            Evaluations++;
            if (Precise)
            {
                _point = x;
            }
            else
            {
                WriteParameters(x);
            }

            Workers.Run(Precise ? _preciseSlice : _slice);
            double f = 0;
            Array.Clear(g);
            for (int t = 0; t < _sums.Length; t++)
            {
                f += _lossSums[t];
                double[] sum = _sums[t];
                for (int i = 0; i < Size; i++)
                {
                    g[i] += sum[i];
                }
            }

            if (double.IsFinite(_c))
            {
                double penalty = 0, inverse = 1.0 / _c;
                for (int i = 0; i < WeightCount; i++)
                {
                    double w = Precise ? x[i] : _model.Weights[i]; // the parameters the loss was computed at
                    penalty += w * w;
                    g[i] += w * inverse;
                }

                f += 0.5 * inverse * penalty;
            }

            return f;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Slice(int t)
        {
            int from = _sliceStart[t], to = _sliceStart[t + 1];
            double[] sum = _sums[t];
            Array.Clear(sum);
            double loss = 0;
            float[] dW = _dW[t], db = _db[t];
            for (int r0 = from; r0 < to; r0 += ChunkRows)
            {
                int n = Math.Min(ChunkRows, to - r0);
                BatchResult r = _model.LossAndGradient(_data.Rows(_rows.AsSpan(r0, n)), dW, db);
                loss += r.LossSum != 0 ? r.LossSum : (double)r.Loss * r.Count;
                for (int i = 0; i < WeightCount; i++)
                {
                    sum[i] += (double)dW[i] * n;
                }

                for (int c = 0; c < db.Length; c++)
                {
                    sum[WeightCount + c] += (double)db[c] * n;
                }
            }

            _lossSums[t] = loss;
        }

        /// <summary>
        /// One slice's weighted cross-entropy sum and gradient sum at <see cref="_point"/>, in double throughout (the float
        /// kernels' objective for the flat end of a solve), <see cref="PreciseRows"/> rows at a time: each pass over W for
        /// the logits, and over the gradient's sum, serves the block's rows together (<see cref="PreciseGroup"/> at a time from
        /// L1). Row by row, the 100 x 768 doubles of a
        /// linear probe's W and gradient went through the cache twice per row: 770 ms a pass against 180 ms in float
        /// (bench/results/2026-12-05-precise-pass).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PreciseSlice(int t)
        {
            int d = _model.Inputs, q = _model.Classes;
            int from = _sliceStart[t], to = _sliceStart[t + 1];
            double[] sum = _sums[t];
            Array.Clear(sum);
            Span<double> xs = _rowBuffers[t].AsSpan(0, PreciseRows * d), gs = _rowBuffers[t].AsSpan(PreciseRows * d, PreciseRows * q);
            ReadOnlySpan<double> w = _point.AsSpan(0, WeightCount), b = _point.AsSpan(WeightCount, q);
            float[]? features = _data.Features, weights = _data.Weights;
            byte[]? pixels = _data.Pixels;
            int[] labels = _data.Labels;
            double loss = 0;
            for (int r0 = from; r0 < to; r0 += PreciseRows)
            {
                int n = Math.Min(PreciseRows, to - r0);
                for (int i = 0; i < n; i++)
                {
                    Span<double> row = xs.Slice(i * d, d);
                    int at = (r0 + i) * d;
                    for (int k = 0; k < d; k++)
                    {
                        row[k] = features is not null ? features[at + k] : pixels![at + k] / 255.0;
                    }
                }

                PreciseLogits(w, b, xs, gs, n, d, q);
                for (int i = 0; i < n; i++)
                {
                    // The logits become the gradient's coefficients: weight (softmax(o) - onehot(y)).
                    int r = r0 + i, y = labels[r];
                    double weight = weights?[r] ?? 1.0;
                    Span<double> o = gs.Slice(i * q, q);
                    if (weight == 0)
                    {
                        o.Clear();
                        continue;
                    }

                    double max = TensorPrimitives.Max(o);
                    double oy = o[y] - max;
                    TensorPrimitives.Subtract(o, max, o);
                    TensorPrimitives.Exp(o, o);
                    double s = TensorPrimitives.Sum(o);
                    loss += weight * (Math.Log(s) - oy);
                    TensorPrimitives.Multiply(o, weight / s, o);
                    o[y] -= weight;
                }

                PreciseGradient(sum, xs, gs, n, d, q);
            }

            _lossSums[t] = loss;
        }

        /// <summary>
        /// Logits <c>o[i, c] = b[c] + w[c] . x[i]</c> of <paramref name="n"/> rows in double: each row of W is read from memory
        /// once for all of them and from L1 by each group of <see cref="PreciseGroup"/> rows, whose dot products share its loads.
        /// </summary>
        private static void PreciseLogits(
            ReadOnlySpan<double> w, ReadOnlySpan<double> b, ReadOnlySpan<double> xs, Span<double> os, int n, int d, int q)
        {
            int grouped = n - (n % PreciseGroup);
            for (int c = 0; c < q; c++)
            {
                ReadOnlySpan<double> wc = w.Slice(c * d, d);
                for (int i = 0; i < grouped; i += PreciseGroup)
                {
                    Dots8(wc, b[c], xs.Slice(i * d, PreciseGroup * d), d, os.Slice((i * q) + c), q);
                }

                for (int i = grouped; i < n; i++)
                {
                    os[(i * q) + c] = b[c] + TensorPrimitives.Dot(wc, xs.Slice(i * d, d));
                }
            }
        }

        /// <summary>
        /// Eight dot products sharing each load of <paramref name="v"/>: <c>o[i oStride] = bias + v . rows[i stride ..]</c> for
        /// i &lt; 8 (one class's logits of 8 rows, or 8 rows of a Cholesky factor against an earlier one). The rows are checked
        /// to lie in <paramref name="rows"/> once, so the loads go unchecked.
        /// </summary>
        internal static void Dots8(ReadOnlySpan<double> v, double bias, ReadOnlySpan<double> rows, int stride, Span<double> o, int oStride)
        {
            int d = v.Length;
            if (rows.Length < ((PreciseGroup - 1) * stride) + d || o.Length <= 7 * oStride || stride < d)
            {
                throw new ArgumentException("A group of rows is smaller than 8 rows of the vector's length.", nameof(rows));
            }

            int width = Vector<double>.Count, whole = d - (d % width);
            ref double w = ref MemoryMarshal.GetReference(v);
            ref double x = ref MemoryMarshal.GetReference(rows);
            nuint d1 = (nuint)stride, d2 = 2 * d1, d3 = 3 * d1, d4 = 4 * d1, d5 = 5 * d1, d6 = 6 * d1, d7 = 7 * d1;
            Vector<double> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector<double> a4 = default, a5 = default, a6 = default, a7 = default;
            for (nuint k = 0; k < (nuint)whole; k += (nuint)width)
            {
                Vector<double> e = Vector.LoadUnsafe(ref w, k);
                a0 = Vector.FusedMultiplyAdd(e, Vector.LoadUnsafe(ref x, k), a0);
                a1 = Vector.FusedMultiplyAdd(e, Vector.LoadUnsafe(ref x, d1 + k), a1);
                a2 = Vector.FusedMultiplyAdd(e, Vector.LoadUnsafe(ref x, d2 + k), a2);
                a3 = Vector.FusedMultiplyAdd(e, Vector.LoadUnsafe(ref x, d3 + k), a3);
                a4 = Vector.FusedMultiplyAdd(e, Vector.LoadUnsafe(ref x, d4 + k), a4);
                a5 = Vector.FusedMultiplyAdd(e, Vector.LoadUnsafe(ref x, d5 + k), a5);
                a6 = Vector.FusedMultiplyAdd(e, Vector.LoadUnsafe(ref x, d6 + k), a6);
                a7 = Vector.FusedMultiplyAdd(e, Vector.LoadUnsafe(ref x, d7 + k), a7);
            }

            o[0] = bias + Finish(a0, v, rows.Slice(0, d), whole);
            o[oStride] = bias + Finish(a1, v, rows.Slice(stride, d), whole);
            o[2 * oStride] = bias + Finish(a2, v, rows.Slice(2 * stride, d), whole);
            o[3 * oStride] = bias + Finish(a3, v, rows.Slice(3 * stride, d), whole);
            o[4 * oStride] = bias + Finish(a4, v, rows.Slice(4 * stride, d), whole);
            o[5 * oStride] = bias + Finish(a5, v, rows.Slice(5 * stride, d), whole);
            o[6 * oStride] = bias + Finish(a6, v, rows.Slice(6 * stride, d), whole);
            o[7 * oStride] = bias + Finish(a7, v, rows.Slice(7 * stride, d), whole);
        }

        /// <summary>A dot product from its vector part's lanes and the elements past the last whole vector.</summary>
        private static double Finish(Vector<double> lanes, ReadOnlySpan<double> w, ReadOnlySpan<double> x, int whole)
        {
            double dot = Vector.Sum(lanes);
            for (int k = whole; k < x.Length; k++)
            {
                dot += w[k] * x[k];
            }

            return dot;
        }

        /// <summary>
        /// Adds <c>g[i, c] x[i]</c> over <paramref name="n"/> rows to each class's gradient sum, and <c>g[i, c]</c> to its
        /// bias's, in row order: each class's row of the sum is read from memory once for all of them and from L1 by each
        /// group of <see cref="PreciseGroup"/> rows.
        /// </summary>
        private static void PreciseGradient(Span<double> sum, ReadOnlySpan<double> xs, ReadOnlySpan<double> gs, int n, int d, int q)
        {
            int weights = d * q, grouped = n - (n % PreciseGroup);
            for (int c = 0; c < q; c++)
            {
                Span<double> sc = sum.Slice(c * d, d);
                double bias = sum[weights + c];
                for (int i = 0; i < grouped; i += PreciseGroup)
                {
                    bias += Gradient8(sc, xs.Slice(i * d, PreciseGroup * d), gs.Slice((i * q) + c), d, q);
                }

                for (int i = grouped; i < n; i++)
                {
                    double g = gs[(i * q) + c];
                    TensorPrimitives.MultiplyAdd(xs.Slice(i * d, d), g, sc, sc);
                    bias += g;
                }

                sum[weights + c] = bias;
            }
        }

        /// <summary>One class's gradient sum plus <c>g[i q] x[i]</c> over 8 rows (<paramref name="d"/> apart in <paramref
        /// name="xs"/>, checked, so the loads go unchecked); returns the sum of the 8 coefficients.</summary>
        private static double Gradient8(Span<double> sc, ReadOnlySpan<double> xs, ReadOnlySpan<double> g, int d, int q)
        {
            if (xs.Length < PreciseGroup * d || sc.Length < d || g.Length <= 7 * q)
            {
                throw new ArgumentException("A group of rows is smaller than 8 rows of the model's inputs.", nameof(xs));
            }

            int width = Vector<double>.Count, whole = d - (d % width);
            double g0 = g[0], g1 = g[q], g2 = g[2 * q], g3 = g[3 * q], g4 = g[4 * q], g5 = g[5 * q], g6 = g[6 * q], g7 = g[7 * q];
            Vector<double> v0 = new(g0), v1 = new(g1), v2 = new(g2), v3 = new(g3);
            Vector<double> v4 = new(g4), v5 = new(g5), v6 = new(g6), v7 = new(g7);
            ref double s = ref MemoryMarshal.GetReference(sc);
            ref double x = ref MemoryMarshal.GetReference(xs);
            nuint d1 = (nuint)d, d2 = 2 * d1, d3 = 3 * d1, d4 = 4 * d1, d5 = 5 * d1, d6 = 6 * d1, d7 = 7 * d1;
            for (nuint k = 0; k < (nuint)whole; k += (nuint)width)
            {
                Vector<double> a = Vector.LoadUnsafe(ref s, k);
                a = Vector.FusedMultiplyAdd(v0, Vector.LoadUnsafe(ref x, k), a);
                a = Vector.FusedMultiplyAdd(v1, Vector.LoadUnsafe(ref x, d1 + k), a);
                a = Vector.FusedMultiplyAdd(v2, Vector.LoadUnsafe(ref x, d2 + k), a);
                a = Vector.FusedMultiplyAdd(v3, Vector.LoadUnsafe(ref x, d3 + k), a);
                a = Vector.FusedMultiplyAdd(v4, Vector.LoadUnsafe(ref x, d4 + k), a);
                a = Vector.FusedMultiplyAdd(v5, Vector.LoadUnsafe(ref x, d5 + k), a);
                a = Vector.FusedMultiplyAdd(v6, Vector.LoadUnsafe(ref x, d6 + k), a);
                a = Vector.FusedMultiplyAdd(v7, Vector.LoadUnsafe(ref x, d7 + k), a);
                a.StoreUnsafe(ref s, k);
            }

            for (int k = whole; k < d; k++)
            {
                double a = sc[k];
                for (int i = 0; i < PreciseGroup; i++)
                {
                    a = Math.FusedMultiplyAdd(g[i * q], xs[(i * d) + k], a);
                }

                sc[k] = a;
            }

            return g0 + g1 + g2 + g3 + g4 + g5 + g6 + g7;
        }

        /// <summary>Writes the point <paramref name="x"/> into the model's W and b, inside its gate's write side.</summary>
        public void WriteParameters(double[] x)
        {
            IReadOnlyList<NamedTensor> p = _model.Parameters;
            using ParameterGate.WriteScope write = _model.Gate is { } gate ? gate.EnterWrite() : default;
            Span<float> w = p[0].Values, b = p[1].Values;
            for (int i = 0; i < WeightCount; i++)
            {
                w[i] = (float)x[i];
            }

            for (int c = 0; c < b.Length; c++)
            {
                b[c] = (float)x[WeightCount + c];
            }
        }

        /// <summary>The model's W and b into <paramref name="x"/>.</summary>
        public void ReadParameters(double[] x)
        {
            ReadOnlySpan<float> w = _model.Weights, b = _model.Bias;
            for (int i = 0; i < WeightCount; i++)
            {
                x[i] = w[i];
            }

            for (int c = 0; c < b.Length; c++)
            {
                x[WeightCount + c] = b[c];
            }
        }

        /// <summary>Throws unless the exact solvers can fit <paramref name="model"/> to <paramref name="data"/>.</summary>
        public static void Check(ISoftmaxModel model, LabeledData data, LbfgsOptions options)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(data);
            options.Validate();
            data.CheckFits(model, nameof(data));
            if (model is IReparameterizedModel)
            {
                throw new ArgumentException(
                    "The exact solver fits a dense model (parameters W and b); this model builds W from other parameters, in which the " +
                    "objective is not convex: train it with the Trainer (SGD).", nameof(model));
            }
        }

        /// <summary>The objective at the start, which must be finite.</summary>
        public static void CheckStart(double f)
        {
            if (!double.IsFinite(f))
            {
                throw new TrainingDivergedException(
                    $"The objective at the starting parameters is {f}: " +
                    "check the data and the model's parameters for NaN or infinite values.");
            }
        }

        public static double Dot(double[] a, double[] b) => TensorPrimitives.Dot<double>(a, b);

        /// <summary>y += alpha x.</summary>
        public static void Axpy(double alpha, double[] x, double[] y) => TensorPrimitives.MultiplyAdd<double>(x, alpha, y, y);

        public static double MaxAbs(double[] v)
        {
            double max = 0;
            foreach (double e in v)
            {
                max = Math.Max(max, Math.Abs(e));
            }

            return max;
        }
    }
}
