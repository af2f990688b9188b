using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Threading;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Fits a dense model exactly: minimises scikit-learn's multinomial logistic-regression objective, the sum of the rows'
    /// cross-entropies plus ‖W‖² / (2C) (the bias not penalised), by L-BFGS with a line search satisfying the strong Wolfe
    /// conditions. Each evaluation is one pass over the data through the model's own kernels, split over threads.
    /// </summary>
    /// <remarks>
    /// <para>It starts from the model's current parameters (a warm start: call it again with another C, or after SGD) and leaves
    /// the best parameters found in the model. It stops as scikit-learn's <c>lbfgs</c> does: when every element of the gradient
    /// is within the tolerance, or after the iteration limit, or when the line search finds no lower point;
    /// <see cref="SolverResult"/> says which.</para>
    /// <para>The objective and its gradient are summed in double from the kernels' float rows, so the objective is exact to
    /// about 1e-7 relative. When that rounding stops the progress (the line search finds no lower point, or twenty iterations
    /// gain less than ten times it each on average), the solver continues from the same point with the objective and gradient computed in
    /// double
    /// (several times slower per pass, and only for the last iterations), so a tight tolerance is reached on flat minima
    /// (large C, no penalty, uneven row weights) too; <see cref="SolverStop.LineSearchFailed"/> then means that double
    /// precision cannot tell the points apart either.</para>
    /// </remarks>
    public static class LbfgsSolver
    {
        private const double C1 = 1e-4; // sufficient decrease
        private const double C2 = 0.9; // curvature
        private const int MaxLineSearch = 40;
        private const double NoiseLevel = 1e-7; // relative rounding of an objective summed from float kernels' rows
        private const double PreciseNoiseLevel = 1e-13; // the same, computed in double
        private const int StallIterations = 20; // a window of iterations that together gain less than
        private const double StallFactor = 10; // StallFactor x the rounding per iteration: double takes over
        private const int ChunkRows = 1024; // rows per kernel call: float sums over at most this many, then double (256: 4% slower a pass)

        /// <summary>Fits <paramref name="model"/> to <paramref name="data"/>.</summary>
        /// <exception cref="ArgumentException">The data does not fit the model, or the model is not dense (its W is built from
        /// other parameters: its objective is not convex in them; train it with the <see cref="Trainer"/>).</exception>
        /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
        /// <exception cref="TrainingDivergedException">The objective at the starting parameters is not finite (NaN or infinite data
        /// or parameters).</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the model holds the
        /// parameters of the last completed iteration.</exception>
        public static SolverResult Fit(
            ISoftmaxModel model, LabeledData data, LbfgsOptions? options = null, IProgress<SolverProgress>? progress = null,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(data);
            options ??= new LbfgsOptions();
            options.Validate();
            data.CheckFits(model, nameof(data));
            if (model is IReparameterizedModel)
            {
                throw new ArgumentException(
                    "The exact solver fits a dense model (parameters W and b); this model builds W from other parameters, in which the " +
                    "objective is not convex: train it with the Trainer (SGD).", nameof(model));
            }

            using var solver = new Run(model, data, options);
            return solver.Solve(progress, cancellationToken);
        }

        /// <summary>
        /// Chooses C on a held-out split: fits the training rows for each value of <see cref="CSearchOptions.Cs"/> from the
        /// smallest up, each fit starting from the last one's answer (a warm start along the regularisation path), measures
        /// the held-out loss and accuracy, then refits every row with the C of the lowest held-out loss, starting from that
        /// C's fit. The model ends with that final fit. Deterministic for a seed and thread count.
        /// </summary>
        /// <exception cref="ArgumentException">The data does not fit the model, has fewer than 2 rows, or the model is not
        /// dense.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
        public static CSearchResult SearchC(
            ISoftmaxModel model, LabeledData data, CSearchOptions? options = null, IProgress<CSearchPoint>? progress = null,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(data);
            options ??= new CSearchOptions();
            options.Validate();
            data.CheckFits(model, nameof(data));
            (LabeledData train, LabeledData heldOut) = HoldOut.Split(data, options.HoldOutFraction, options.Seed);
            double[] cs = [.. options.Cs];
            Array.Sort(cs);
            var curve = new List<CSearchPoint>(cs.Length);
            IReadOnlyList<NamedTensor>? best = null;
            double bestLoss = double.PositiveInfinity, bestC = cs[0];
            foreach (double c in cs)
            {
                SolverResult fit = Fit(model, train, options.Solver with { C = c }, null, cancellationToken);
                BatchResult h = model.Loss(heldOut.All());
                var point = new CSearchPoint(c, h.Loss, (double)h.Correct / h.Count, fit);
                curve.Add(point);
                progress?.Report(point);
                if (h.Loss < bestLoss)
                {
                    bestLoss = h.Loss;
                    bestC = c;
                    best = Internal.ParameterSet.Snapshot(model.Parameters);
                }
            }

            if (best is not null)
            {
                using ParameterGate.WriteScope write = model.Gate is { } gate ? gate.EnterWrite() : default;
                Internal.ParameterSet.Restore(model, best);
            }

            SolverResult final = Fit(model, data, options.Solver with { C = bestC }, null, cancellationToken);
            return new CSearchResult(curve, bestC, final);
        }

        /// <summary>One solve: its buffers, allocated once.</summary>
        private sealed class Run : IDisposable
        {
            private readonly Internal.SliceWorkers _workers;
            private readonly Action<int> _slice;
            private readonly Action<int> _preciseSlice;
            private readonly ISoftmaxModel _model;
            private readonly LabeledData _data;
            private readonly LbfgsOptions _options;
            private readonly int _size; // W then b
            private readonly int _weights;
            private readonly int[] _rows;
            private readonly int[] _sliceStart;
            private readonly float[][] _dW;
            private readonly float[][] _db;
            private readonly double[] _lossSums;
            private readonly double[][] _sums; // per slice: the gradient's sum over its rows, in double
            private readonly double[][] _s; // the history: steps
            private readonly double[][] _y; // and gradient changes
            private readonly double[] _rho;
            private readonly double[] _alpha;
            private int _evaluations;
            private bool _precise; // evaluating in double from _point (after the float objective stalled)
            private double[] _point = [];
            private double[][] _rowBuffers = []; // per slice, precise mode: a row of inputs and its logits in double

            public Run(ISoftmaxModel model, LabeledData data, LbfgsOptions options)
            {
                _model = model;
                _data = data;
                _options = options;
                _weights = model.Inputs * model.Classes;
                _size = _weights + model.Classes;
                _rows = new int[data.Count];
                for (int i = 0; i < _rows.Length; i++)
                {
                    _rows[i] = i;
                }

                int threads = Math.Min(options.Threads, Math.Max(1, data.Count));
                _sliceStart = new int[threads + 1];
                for (int t = 0; t <= threads; t++)
                {
                    _sliceStart[t] = (int)((long)data.Count * t / threads);
                }

                _dW = new float[threads][];
                _db = new float[threads][];
                for (int t = 0; t < threads; t++)
                {
                    _dW[t] = new float[_weights];
                    _db[t] = new float[model.Classes];
                }

                _lossSums = new double[threads];
                _sums = new double[threads][];
                for (int t = 0; t < threads; t++)
                {
                    _sums[t] = new double[_size];
                }

                _s = new double[options.History][];
                _y = new double[options.History][];
                for (int k = 0; k < options.History; k++)
                {
                    _s[k] = new double[_size];
                    _y[k] = new double[_size];
                }

                _rho = new double[options.History];
                _alpha = new double[options.History];
                _slice = Slice;
                _preciseSlice = PreciseSlice;
                _workers = new Internal.SliceWorkers(threads, "GenSoftmax solver");
            }

            public void Dispose() => _workers.Dispose();

            public SolverResult Solve(IProgress<SolverProgress>? progress, CancellationToken cancellationToken)
            {
                long start = Stopwatch.GetTimestamp();
                var x = new double[_size];
                var g = new double[_size];
                var d = new double[_size];
                var xNew = new double[_size];
                var gNew = new double[_size];
                ReadParameters(x);
                double f = Evaluate(x, g);
                if (!double.IsFinite(f))
                {
                    throw new TrainingDivergedException(
                        $"The objective at the starting parameters is {f}: check the data and the model's " +
                            $"parameters for NaN or infinite values.");
                }

                int stored = 0, newest = -1, iteration = 0, windowStart = 0;
                double windowF = f;
                SolverStop stop = SolverStop.IterationLimit;
                if (MaxAbs(g) <= _options.Tolerance)
                {
                    return new SolverResult(SolverStop.Converged, 0, _evaluations, f, MaxAbs(g),
                        Stopwatch.GetElapsedTime(start).TotalSeconds);
                }

                while (iteration < _options.MaxIterations)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Direction(g, d, stored, newest);
                    double slope = Dot(g, d);
                    if (!(slope < 0))
                    {
                        // Not a descent direction (the history went stale): restart from the gradient.
                        stored = 0;
                        for (int i = 0; i < _size; i++)
                        {
                            d[i] = -g[i];
                        }

                        slope = Dot(g, d);
                    }

                    double step = iteration == 0 && stored == 0 ? Math.Min(1.0, 1.0 / Math.Sqrt(Dot(g, g))) : 1.0;
                    double fNew = LineSearch(x, f, d, slope, ref step, xNew, gNew);
                    bool stalled = false;
                    if (iteration - windowStart >= StallIterations)
                    {
                        // Over the last window, the objective gained little more than its own rounding.
                        stalled = windowF - f <= StallFactor * StallIterations * Noise(f);
                        windowStart = iteration;
                        windowF = f;
                    }

                    if (!_precise && (double.IsNaN(fNew) || stalled))
                    {
                        // The float objective's rounding hides further progress: continue from the best point in double.
                        _precise = true;
                        AllocatePrecise();
                        if (!double.IsNaN(fNew))
                        {
                            xNew.AsSpan().CopyTo(x);
                        }

                        f = Evaluate(x, g);
                        stored = 0;
                        windowStart = iteration;
                        windowF = f;
                        if (MaxAbs(g) <= _options.Tolerance)
                        {
                            stop = SolverStop.Converged;
                            break;
                        }

                        continue;
                    }

                    if (double.IsNaN(fNew))
                    {
                        stop = SolverStop.LineSearchFailed;
                        break;
                    }

                    iteration++;
                    newest = (newest + 1) % _options.History;
                    stored = Math.Min(stored + 1, _options.History);
                    double[] s = _s[newest], y = _y[newest];
                    double sy = 0;
                    for (int i = 0; i < _size; i++)
                    {
                        s[i] = xNew[i] - x[i];
                        y[i] = gNew[i] - g[i];
                        sy += s[i] * y[i];
                    }

                    _rho[newest] = sy > 0 ? 1.0 / sy : 0;
                    xNew.AsSpan().CopyTo(x);
                    gNew.AsSpan().CopyTo(g);
                    f = fNew;
                    double norm = MaxAbs(g);
                    progress?.Report(new SolverProgress(iteration, _evaluations, f, norm));
                    if (norm <= _options.Tolerance)
                    {
                        stop = SolverStop.Converged;
                        break;
                    }
                }

                // The model holds the parameters of the last evaluation, which may be a rejected trial: put back the best point.
                WriteParameters(x);
                return new SolverResult(stop, iteration, _evaluations, f, MaxAbs(g), Stopwatch.GetElapsedTime(start).TotalSeconds);
            }

            /// <summary>d = -H g by the two-loop recursion over the stored pairs, newest first; H0 scaled by s'y / y'y.</summary>
            private void Direction(double[] g, double[] d, int stored, int newest)
            {
                for (int i = 0; i < _size; i++)
                {
                    d[i] = -g[i];
                }

                int m = _options.History;
                for (int k = 0; k < stored; k++)
                {
                    int j = ((newest - k) % m + m) % m;
                    _alpha[j] = _rho[j] * Dot(_s[j], d);
                    Axpy(-_alpha[j], _y[j], d);
                }

                if (stored > 0)
                {
                    double yy = Dot(_y[newest], _y[newest]);
                    double gamma = yy > 0 && _rho[newest] > 0 ? 1.0 / (_rho[newest] * yy) : 1.0;
                    for (int i = 0; i < _size; i++)
                    {
                        d[i] *= gamma;
                    }
                }

                for (int k = stored - 1; k >= 0; k--)
                {
                    int j = ((newest - k) % m + m) % m;
                    double beta = _rho[j] * Dot(_y[j], d);
                    Axpy(_alpha[j] - beta, _s[j], d);
                }
            }

            /// <summary>
            /// A step along <paramref name="d"/> meeting the Wolfe conditions, with the sufficient decrease relaxed by the
            /// objective's own rounding (Hager and Zhang's approximate Wolfe conditions): its objective, with
            /// <paramref name="xNew"/> and <paramref name="gNew"/> at it, or NaN when none was found. The bracket is narrowed by
            /// the sign of the directional derivative, which the float kernels give far more precisely near the minimum than
            /// the difference of two objectives.
            /// </summary>
            private double LineSearch(double[] x, double f0, double[] d, double slope0, ref double step, double[] xNew, double[] gNew)
            {
                double noise = Noise(f0);
                double lo = 0, hi = double.NaN, alpha = step;
                double best = f0, bestAlpha = 0;
                for (int k = 0; k < MaxLineSearch; k++)
                {
                    for (int i = 0; i < _size; i++)
                    {
                        xNew[i] = x[i] + (alpha * d[i]);
                    }

                    double f = Evaluate(xNew, gNew);
                    double slope = Dot(gNew, d);
                    bool decrease = double.IsFinite(f) && f <= f0 + (C1 * alpha * slope0) + noise;
                    if (decrease && f < best)
                    {
                        best = f;
                        bestAlpha = alpha;
                    }

                    if (!decrease || !double.IsFinite(slope))
                    {
                        hi = alpha;
                    }
                    else if (Math.Abs(slope) <= -C2 * slope0)
                    {
                        step = alpha;
                        return f;
                    }
                    else if (slope > 0)
                    {
                        hi = alpha;
                    }
                    else
                    {
                        lo = alpha;
                    }

                    alpha = double.IsNaN(hi) ? 2 * alpha : 0.5 * (lo + hi);
                    if (!double.IsNaN(hi) && hi - lo <= 1e-12 * Math.Max(1.0, lo))
                    {
                        break;
                    }
                }

                // No Wolfe point: take the lowest point found below the start, as scipy does after an abnormal line search.
                if (bestAlpha > 0 && best < f0)
                {
                    for (int i = 0; i < _size; i++)
                    {
                        xNew[i] = x[i] + (bestAlpha * d[i]);
                    }

                    step = bestAlpha;
                    return Evaluate(xNew, gNew);
                }

                return double.NaN;
            }

            private double Noise(double f) => (_precise ? PreciseNoiseLevel : NoiseLevel) * Math.Abs(f);

            /// <summary>The objective at <paramref name="x"/> and its gradient into <paramref name="g"/>: one pass over the data.</summary>
            private double Evaluate(double[] x, double[] g)
            {
                _evaluations++;
                if (_precise)
                {
                    _point = x;
                }
                else
                {
                    WriteParameters(x);
                }

                int slices = _dW.Length;
                _workers.Run(_precise ? _preciseSlice : _slice);

                double f = 0;
                Array.Clear(g);
                for (int t = 0; t < slices; t++)
                {
                    f += _lossSums[t];
                    double[] sum = _sums[t];
                    for (int i = 0; i < _size; i++)
                    {
                        g[i] += sum[i];
                    }
                }

                if (double.IsFinite(_options.C))
                {
                    double penalty = 0, inverse = 1.0 / _options.C;
                    for (int i = 0; i < _weights; i++)
                    {
                        double w = _precise ? x[i] : _model.Weights[i]; // the parameters the loss was computed at
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
                    for (int i = 0; i < _weights; i++)
                    {
                        sum[i] += (double)dW[i] * n;
                    }

                    for (int c = 0; c < db.Length; c++)
                    {
                        sum[_weights + c] += (double)db[c] * n;
                    }
                }

                _lossSums[t] = loss;
            }

            private void AllocatePrecise()
            {
                _rowBuffers = new double[_dW.Length][];
                for (int t = 0; t < _rowBuffers.Length; t++)
                {
                    _rowBuffers[t] = new double[_model.Inputs + _model.Classes];
                }
            }

            /// <summary>
            /// One slice's weighted cross-entropy sum and gradient sum at <see cref="_point"/>, in double throughout (the float
            /// kernels' objective for the flat end of a solve): logits by dot products in double, the gradient row by row.
            /// </summary>
            private void PreciseSlice(int t)
            {
                int d = _model.Inputs, q = _model.Classes;
                int from = _sliceStart[t], to = _sliceStart[t + 1];
                double[] sum = _sums[t];
                Array.Clear(sum);
                Span<double> row = _rowBuffers[t].AsSpan(0, d), o = _rowBuffers[t].AsSpan(d, q);
                ReadOnlySpan<double> w = _point.AsSpan(0, _weights), b = _point.AsSpan(_weights, q);
                float[]? features = _data.Features, weights = _data.Weights;
                byte[]? pixels = _data.Pixels;
                int[] labels = _data.Labels;
                double loss = 0;
                for (int r = from; r < to; r++)
                {
                    double weight = weights?[r] ?? 1.0;
                    if (weight == 0)
                    {
                        continue;
                    }

                    for (int k = 0; k < d; k++)
                    {
                        row[k] = features is not null ? features[(r * d) + k] : pixels![(r * d) + k] / 255.0;
                    }

                    double max = double.NegativeInfinity;
                    for (int c = 0; c < q; c++)
                    {
                        o[c] = b[c] + TensorPrimitives.Dot(w.Slice(c * d, d), row);
                        max = Math.Max(max, o[c]);
                    }

                    double s = 0;
                    for (int c = 0; c < q; c++)
                    {
                        s += Math.Exp(o[c] - max);
                    }

                    double lse = max + Math.Log(s);
                    int y = labels[r];
                    loss += weight * (lse - o[y]);
                    for (int c = 0; c < q; c++)
                    {
                        double gc = weight * (Math.Exp(o[c] - lse) - (c == y ? 1 : 0));
                        Span<double> gw = sum.AsSpan(c * d, d);
                        TensorPrimitives.MultiplyAdd(row, gc, gw, gw);
                        sum[_weights + c] += gc;
                    }
                }

                _lossSums[t] = loss;
            }

            private void WriteParameters(double[] x)
            {
                IReadOnlyList<NamedTensor> p = _model.Parameters;
                using ParameterGate.WriteScope write = _model.Gate is { } gate ? gate.EnterWrite() : default;
                Span<float> w = p[0].Values, b = p[1].Values;
                for (int i = 0; i < _weights; i++)
                {
                    w[i] = (float)x[i];
                }

                for (int c = 0; c < b.Length; c++)
                {
                    b[c] = (float)x[_weights + c];
                }
            }

            private void ReadParameters(double[] x)
            {
                ReadOnlySpan<float> w = _model.Weights, b = _model.Bias;
                for (int i = 0; i < _weights; i++)
                {
                    x[i] = w[i];
                }

                for (int c = 0; c < b.Length; c++)
                {
                    x[_weights + c] = b[c];
                }
            }
        }

        private static double Dot(double[] a, double[] b)
        {
            double sum = 0;
            for (int i = 0; i < a.Length; i++)
            {
                sum += a[i] * b[i];
            }

            return sum;
        }

        private static void Axpy(double alpha, double[] x, double[] y)
        {
            for (int i = 0; i < x.Length; i++)
            {
                y[i] += alpha * x[i];
            }
        }

        private static double MaxAbs(double[] v)
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
