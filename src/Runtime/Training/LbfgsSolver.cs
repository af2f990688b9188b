using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Threading;
using static GenSoftmax.Training.ObjectivePass;

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
        private const int StallIterations = 20; // a window of iterations that together gain less than
        private const double StallFactor = 10; // StallFactor x the rounding per iteration: double takes over

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
            options ??= new LbfgsOptions();
            return Fit(model, data, options, progress, cancellationToken, continueInDouble: true, moments: null);
        }

        /// <summary><see cref="Fit(ISoftmaxModel, LabeledData, LbfgsOptions?, IProgress{SolverProgress}?, CancellationToken)"/>;
        /// without <paramref name="continueInDouble"/> the fit ends (<see cref="SolverStop.RoundingLimit"/>) where the float
        /// objective's rounding hides further progress, instead of going on in double. <paramref name="moments"/>: the
        /// preconditioner's second moments of <paramref name="data"/>, when already measured.</summary>
        private static SolverResult Fit(
            ISoftmaxModel model, LabeledData data, LbfgsOptions options, IProgress<SolverProgress>? progress,
            CancellationToken cancellationToken, bool continueInDouble, double[]? moments)
        {
            ObjectivePass.Check(model, data, options);
            using var solver = new Run(model, data, options, moments);
            return solver.Solve(progress, cancellationToken, continueInDouble);
        }

        /// <summary>
        /// Chooses C on a held-out split: fits the training rows for each value of <see cref="CSearchOptions.Cs"/> from the
        /// smallest up, each fit starting from the last one's answer (a warm start along the regularisation path), measures
        /// the held-out loss and accuracy, then refits every row with the C of the lowest held-out loss, starting from that
        /// C's fit. The grid's fits end where the float objective's rounding hides further progress
        /// (<see cref="SolverStop.RoundingLimit"/>) rather than going on in double; the final refit goes on as
        /// <see cref="Fit(ISoftmaxModel, LabeledData, LbfgsOptions?, IProgress{SolverProgress}?, CancellationToken)"/>
        /// does. The model ends with that final fit. Deterministic for a seed and thread count.
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
            // The preconditioner's second moments depend on the rows, not on C: measured once for the grid, on as many
            // threads as each fit's pass uses (so the same sums as a fit's own).
            double[]? moments = null;
            if (options.Solver.Precondition && InputPreconditioner.Pays(train.Count, model.Inputs, model.Classes))
            {
                int threads = ObjectivePass.SliceCount(options.Solver.Threads, train.Count);
                using var workers = new Internal.SliceWorkers(threads, "GenSoftmax solver");
                moments = InputPreconditioner.Moments(model, train, workers);
            }

            double bestLoss = double.PositiveInfinity, bestC = cs[0];
            foreach (double c in cs)
            {
                // The grid's fits stay in float: their held-out loss cannot tell a float minimum from a double one, and the
                // double passes (2.7 times a float one) cost the linear probe's search half its time.
                SolverResult fit = Fit(
                    model, train, options.Solver with { C = c }, null, cancellationToken, continueInDouble: false, moments);
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
            private readonly ObjectivePass _pass;
            private readonly LbfgsOptions _options;
            private readonly int _size; // W then b
            private readonly double[][] _s; // the history: steps
            private readonly double[][] _y; // and gradient changes
            private readonly double[] _rho;
            private readonly double[] _alpha;
            private readonly InputPreconditioner? _preconditioner;
            private readonly double[][] _py; // with a preconditioner P: P y of each stored pair (P g's change)
            private double[] _pg; // P g at the current point
            private double[] _pgNew; // and at the line search's point

            public Run(ISoftmaxModel model, LabeledData data, LbfgsOptions options, double[]? moments)
            {
                _options = options;
                _pass = new ObjectivePass(model, data, options.C, options.Threads);
                _size = _pass.Size;
                _s = new double[options.History][];
                _y = new double[options.History][];
                for (int k = 0; k < options.History; k++)
                {
                    _s[k] = new double[_size];
                    _y[k] = new double[_size];
                }

                _rho = new double[options.History];
                _alpha = new double[options.History];
                if (options.Precondition && InputPreconditioner.Pays(data.Count, model.Inputs, model.Classes))
                {
                    _preconditioner = InputPreconditioner.Create(model, data, options.C, _pass.Workers, moments);
                    _pass.CountPass(); // its sample of rows, at most a pass's worth of reading
                }

                // P applied once an iteration, to the new gradient: P y is the change of P g, and P q (the two-loop
                // recursion's middle) is P g less the stored P y's, since P is linear.
                _py = new double[_preconditioner is null ? 0 : options.History][];
                for (int k = 0; k < _py.Length; k++)
                {
                    _py[k] = new double[_size];
                }

                _pg = _preconditioner is null ? [] : new double[_size];
                _pgNew = _preconditioner is null ? [] : new double[_size];
            }

            public void Dispose() => _pass.Dispose();

            public SolverResult Solve(IProgress<SolverProgress>? progress, CancellationToken cancellationToken, bool continueInDouble)
            {
                long start = Stopwatch.GetTimestamp();
                var x = new double[_size];
                var g = new double[_size];
                var d = new double[_size];
                var xNew = new double[_size];
                var gNew = new double[_size];
                _pass.ReadParameters(x);
                double f = _pass.Evaluate(x, g);
                ObjectivePass.CheckStart(f);
                _preconditioner?.Apply(g, _pg);

                int stored = 0, newest = -1, iteration = 0, windowStart = 0;
                double windowF = f;
                SolverStop stop = SolverStop.IterationLimit;
                if (MaxAbs(g) <= _options.Tolerance)
                {
                    double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    return new SolverResult(SolverStop.Converged, 0, _pass.Evaluations, f, MaxAbs(g), seconds);
                }

                while (iteration < _options.MaxIterations)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Direction(g, d, stored, newest);
                    double slope = Dot(g, d);
                    if (!(slope < 0))
                    {
                        // Not a descent direction (the history went stale): restart from the (preconditioned) gradient.
                        stored = 0;
                        Direction(g, d, stored, newest);
                        slope = Dot(g, d);
                    }

                    double step = iteration == 0 && stored == 0 ? Math.Min(1.0, 1.0 / Math.Sqrt(Dot(d, d))) : 1.0;
                    double fNew = LineSearch(x, f, d, slope, ref step, xNew, gNew);
                    bool stalled = false;
                    if (iteration - windowStart >= StallIterations)
                    {
                        // Over the last window, the objective gained little more than its own rounding.
                        stalled = windowF - f <= StallFactor * StallIterations * _pass.Noise(f);
                        windowStart = iteration;
                        windowF = f;
                    }

                    if (!_pass.Precise && (double.IsNaN(fNew) || stalled))
                    {
                        if (!continueInDouble)
                        {
                            if (!double.IsNaN(fNew))
                            {
                                // The last step is taken: it lowered the objective, if by little more than its rounding.
                                iteration++;
                                xNew.AsSpan().CopyTo(x);
                                gNew.AsSpan().CopyTo(g);
                                f = fNew;
                            }

                            stop = SolverStop.RoundingLimit;
                            break;
                        }

                        // The float objective's rounding hides further progress: continue from the best point in double.
                        _pass.UsePrecise();
                        if (!double.IsNaN(fNew))
                        {
                            xNew.AsSpan().CopyTo(x);
                        }

                        f = _pass.Evaluate(x, g);
                        _preconditioner?.Apply(g, _pg);
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
                    if (_preconditioner is not null)
                    {
                        _preconditioner.Apply(gNew, _pgNew);
                        TensorPrimitives.Subtract(_pgNew, _pg, _py[newest]);
                        (_pg, _pgNew) = (_pgNew, _pg);
                    }

                    xNew.AsSpan().CopyTo(x);
                    gNew.AsSpan().CopyTo(g);
                    f = fNew;
                    double norm = MaxAbs(g);
                    progress?.Report(new SolverProgress(iteration, _pass.Evaluations, f, norm));
                    if (norm <= _options.Tolerance)
                    {
                        stop = SolverStop.Converged;
                        break;
                    }
                }

                // The model holds the parameters of the last evaluation, which may be a rejected trial: put back the best point.
                _pass.WriteParameters(x);
                return new SolverResult(stop, iteration, _pass.Evaluations, f, MaxAbs(g), Stopwatch.GetElapsedTime(start).TotalSeconds);
            }

            /// <summary>d = -H g by the two-loop recursion over the stored pairs, newest first. H0 is the preconditioner P, if any,
            /// scaled by s'y / y'Py (without one, P = I: s'y / y'y), or P alone before the first pair.</summary>
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

                if (_preconditioner is not null)
                {
                    // d = -P q: the loop above took alpha_j y_j from -g, so take alpha_j P y_j from -P g.
                    for (int i = 0; i < _size; i++)
                    {
                        d[i] = -_pg[i];
                    }

                    for (int k = 0; k < stored; k++)
                    {
                        int j = ((newest - k) % m + m) % m;
                        Axpy(-_alpha[j], _py[j], d);
                    }
                }

                if (stored > 0)
                {
                    double[] py = _preconditioner is null ? _y[newest] : _py[newest];
                    double yy = Dot(_y[newest], py);
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
                double noise = _pass.Noise(f0);
                double lo = 0, hi = double.NaN, alpha = step;
                double best = f0, bestAlpha = 0;
                for (int k = 0; k < MaxLineSearch; k++)
                {
                    for (int i = 0; i < _size; i++)
                    {
                        xNew[i] = x[i] + (alpha * d[i]);
                    }

                    double f = _pass.Evaluate(xNew, gNew);
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
                    return _pass.Evaluate(xNew, gNew);
                }

                return double.NaN;
            }
        }
    }
}
