using System;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Threading;
using GenSoftmax.Kernels;
using static GenSoftmax.Training.ObjectivePass;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Fits a dense model exactly, minimising the same objective as <see cref="LbfgsSolver"/> (scikit-learn's multinomial
    /// logistic regression: the rows' weighted cross-entropies plus ‖W‖² / (2C), the bias not penalised), by a trust-region
    /// Newton method as LIBLINEAR's TRON: each iteration solves the Newton system approximately by conjugate gradients inside
    /// a trust region, each conjugate-gradient step one Hessian-vector product, which is one pass over the data through the
    /// model's logits and gradient kernels. It needs far fewer passes than L-BFGS to reach a tight objective.
    /// </summary>
    /// <remarks>
    /// <para>Settings, warm start, stopping rules, result, progress and cancellation are L-BFGS's (<see cref="LbfgsOptions"/>;
    /// <see cref="LbfgsOptions.History"/> is not used); an iteration is an accepted Newton step,
    /// <see cref="SolverResult.HessianProducts"/> counts the conjugate-gradient steps, and <see cref="SolverResult.Evaluations"/>
    /// includes one pass at the start: the sample of rows that whitens the conjugate gradients' variables
    /// (<see cref="LbfgsOptions.Precondition"/>, where it pays), or else the features' means that centre them.
    /// <see cref="SolverStop.LineSearchFailed"/> means that a step too small for the objective's rounding in double to judge
    /// did not lower the gradient either.</para>
    /// <para>Like L-BFGS it computes the objective and gradient through the float kernels. A step whose predicted decrease is
    /// within the objective's rounding is taken when it lowers the gradient; when it does not, the solve continues in double.
    /// The Hessian-vector products stay in float: they steer the steps, the gradient decides convergence. Products, objective
    /// and gradient all run on the model's own kernels (a generated model's, or the run-time-shaped ones).</para>
    /// </remarks>
    public static class NewtonSolver
    {
        // TRON's constants (Lin and Moré 1999; LIBLINEAR's tron.cpp): a step is taken when the objective fell by more than
        // Eta0 of the decrease the quadratic model predicted; the radius shrinks below Eta1, grows above Eta2.
        private const double Eta0 = 1e-4, Eta1 = 0.25, Eta2 = 0.75;
        private const double Sigma1 = 0.25, Sigma2 = 0.5, Sigma3 = 4;
        private const double PreciseFactor = 10; // a predicted decrease within this many roundings is judged by the gradients
        // Conjugate gradients stop at a residual of min(0.5, max(ForcingFloor, √max|g|)) of the gradient or after MaxSteps: the
        // float products make a tighter residual cost steps that gain little (bench/solver/README.md). In double, neither limit.
        private const double ForcingFloor = 0.1;
        private const int MaxSteps = 100;

        /// <summary>Fits <paramref name="model"/> to <paramref name="data"/>.</summary>
        /// <exception cref="ArgumentException">The data does not fit the model, or the model is not dense.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
        /// <exception cref="TrainingDivergedException">The objective at the starting parameters is not finite.</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the model holds the
        /// parameters of the last completed iteration.</exception>
        public static SolverResult Fit(
            ISoftmaxModel model, LabeledData data, LbfgsOptions? options = null, IProgress<SolverProgress>? progress = null,
            CancellationToken cancellationToken = default)
        {
            options ??= new LbfgsOptions();
            Check(model, data, options);
            using var run = new Run(model, data, options);
            return run.Solve(progress, cancellationToken);
        }

        /// <summary>One solve: its buffers, allocated once.</summary>
        private sealed class Run : IDisposable
        {
            private readonly ObjectivePass _pass;
            private readonly ICurvatureModel _curvature;
            private readonly LabeledData _data;
            private readonly LbfgsOptions _options;
            private readonly int _size;
            private readonly int _weightCount;
            private readonly int _classes;
            private readonly Action<int> _productSlice;
            private readonly Action<int> _preciseProductSlice;
            private readonly float[] _w; // the point of the stored probabilities, in float
            private readonly float[] _b;
            private readonly float[] _vW; // the direction, in float
            private readonly float[] _vb;
            private readonly float[] _probabilities; // [Count, Classes] at the current point
            private readonly float[][] _hW; // per slice: a chunk's product
            private readonly float[][] _hb;
            private readonly double[][] _sums; // per slice: the product's sum over its rows, in double
            private readonly double[] _mean; // [Inputs] the features' (weighted) means: the preconditioner's change of variables
            private readonly double[][] _moments; // per slice: Σ w x over its rows, then Σ w
            private readonly Action<int> _momentSlice;
            private readonly double[] _gu; // conjugate gradients, in the preconditioned variables u
            private readonly double[] _su;
            private readonly double[] _ru;
            private readonly double[] _d;
            private readonly double[] _hd;
            private readonly double[] _v; // a direction and its product in the model's variables
            private readonly double[] _hv;
            private bool _refresh; // the point moved since the probabilities were stored
            private double[] _point = []; // the current point, for products in double
            private double[]? _preciseProbabilities; // [Count, Classes] in double, once the solve continues in double
            private double[][] _rowBuffers = []; // per slice: a row of inputs and its two logit rows, in double
            private int _products;
            private InputPreconditioner? _whitening; // while it pays and the solve is in float: u whitened, not only centred
            private readonly double[] _classFactor; // with the whitening: R, lower, R Rᵀ = K (A + δ I) (UpdateClassFactor)
            private bool _classesFactored; // whether R holds a factor (else the classes are not mixed)
            private bool _classesStale; // probabilities stored since the classes' factor was last taken from them

            public Run(ISoftmaxModel model, LabeledData data, LbfgsOptions options)
            {
                _data = data;
                _options = options;
                _pass = new ObjectivePass(model, data, options.C, options.Threads);
                // A generated model's engine is reached through its gate (the products then run on its generated kernels); a
                // model without one gets the run-time kernels of its shape.
                _curvature = model as ICurvatureModel
                    ?? model.Gate?.Curvature
                    ?? new RuntimeSoftmaxModel(model.Inputs, model.Classes) { Isa = model.Isa };
                _size = _pass.Size;
                _weightCount = _pass.WeightCount;
                _classes = model.Classes;
                _w = new float[_weightCount];
                _b = new float[_classes];
                _vW = new float[_weightCount];
                _vb = new float[_classes];
                _probabilities = new float[checked(data.Count * _classes)];
                int slices = _pass.Workers.Count;
                _hW = new float[slices][];
                _hb = new float[slices][];
                _sums = new double[slices][];
                for (int t = 0; t < slices; t++)
                {
                    _hW[t] = new float[_weightCount];
                    _hb[t] = new float[_classes];
                    _sums[t] = new double[_size];
                }

                _mean = new double[model.Inputs];
                _moments = new double[slices][];
                for (int t = 0; t < slices; t++)
                {
                    _moments[t] = new double[model.Inputs + 1];
                }

                _momentSlice = MomentSlice;

                _gu = new double[_size];
                _su = new double[_size];
                _ru = new double[_size];
                _d = new double[_size];
                _hd = new double[_size];
                _v = new double[_size];
                _hv = new double[_size];
                _productSlice = ProductSlice;
                _preciseProductSlice = PreciseProductSlice;
                _classFactor = new double[model.Classes * model.Classes];
                if (options.Precondition && InputPreconditioner.Pays(data.Count, model.Inputs, model.Classes))
                {
                    _whitening = InputPreconditioner.Create(model, data, options.C, _pass.Workers);
                }
            }

            public void Dispose() => _pass.Dispose();

            public SolverResult Solve(IProgress<SolverProgress>? progress, CancellationToken cancellationToken)
            {
                long start = Stopwatch.GetTimestamp();
                var x = new double[_size];
                var g = new double[_size];
                var s = new double[_size];
                var xNew = new double[_size];
                var gNew = new double[_size];
                _pass.ReadParameters(x);
                double f = _pass.Evaluate(x, g);
                CheckStart(f);
                Moved(x);
                if (_whitening is null)
                {
                    Moments();
                }
                else
                {
                    _pass.CountPass(); // the whitening's sample of rows
                }

                int iteration = 0;
                SolverStop stop = SolverStop.IterationLimit;
                Pull(g, _gu);
                double delta = Math.Sqrt(Dot(_gu, _gu));
                bool first = true;
                while (MaxAbs(g) > _options.Tolerance)
                {
                    if (iteration >= _options.MaxIterations)
                    {
                        break;
                    }

                    bool boundary;
                    double predicted, sNorm;
                    try
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        boundary = ConjugateGradient(delta, g, s, out predicted, out sNorm, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        _pass.WriteParameters(x); // not a rejected trial's
                        throw;
                    }

                    for (int i = 0; i < _size; i++)
                    {
                        xNew[i] = x[i] + s[i];
                    }

                    double gs = Dot(g, s);
                    double fNew = _pass.Evaluate(xNew, gNew);
                    double actual = double.IsFinite(fNew) ? f - fNew : double.NegativeInfinity;
                    bool accept;
                    if (predicted > PreciseFactor * _pass.Noise(f) || !double.IsFinite(fNew))
                    {
                        delta = Radius(first ? Math.Min(delta, sNorm) : delta, sNorm, boundary, f, fNew, gs, actual, predicted);
                        first = false;
                        accept = actual > Eta0 * predicted;
                    }
                    else if (!_pass.Precise)
                    {
                        // The objective's rounding hides a decrease this small: take the step if it lowers the gradient, which
                        // the kernels give more precisely, else continue from the same point in double.
                        accept = fNew <= f + _pass.Noise(f) && MaxAbs(gNew) < MaxAbs(g);
                        if (!accept)
                        {
                            UsePrecise();
                            f = _pass.Evaluate(x, g);
                            if (_whitening is not null)
                            {
                                // In double the whitened variables stalled the flat minima of the parity tests (C = 100) in
                                // thousands of tiny steps; the centred ones reach them. The radius starts again in them.
                                _whitening = null;
                                Moments();
                                Pull(g, _gu);
                                delta = Math.Sqrt(Dot(_gu, _gu));
                                first = true;
                            }

                            continue;
                        }
                    }
                    else
                    {
                        // In double the gradients measure the decrease by the trapezoid rule (exact for the quadratic model).
                        actual = 0;
                        for (int i = 0; i < _size; i++)
                        {
                            actual -= 0.5 * (g[i] + gNew[i]) * s[i];
                        }

                        delta = Radius(delta, sNorm, boundary, f, f - actual, gs, actual, predicted);
                        accept = actual > Eta0 * predicted;
                        if (!accept && predicted <= 1e-20 * Math.Abs(f))
                        {
                            stop = SolverStop.LineSearchFailed;
                            break;
                        }
                    }

                    if (accept)
                    {
                        iteration++;
                        xNew.AsSpan().CopyTo(x);
                        gNew.AsSpan().CopyTo(g);
                        f = fNew;
                        Moved(x);
                        progress?.Report(new SolverProgress(iteration, _pass.Evaluations, f, MaxAbs(g)) { HessianProducts = _products });
                    }
                }

                if (MaxAbs(g) <= _options.Tolerance)
                {
                    stop = SolverStop.Converged;
                }

                // The model holds the parameters of the last evaluation, which may be a rejected trial: put back the best point.
                _pass.WriteParameters(x);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                return new SolverResult(stop, iteration, _pass.Evaluations, f, MaxAbs(g), seconds) { HessianProducts = _products };
            }

            /// <summary>TRON's radius update from the actual and predicted decrease of a step of length <paramref name="sNorm"/>.</summary>
            private static double Radius(
                double delta, double sNorm, bool boundary, double f, double fNew, double gs, double actual, double predicted)
            {
                // The step that minimises the quadratic through f, its slope gs along s and fNew, as a multiple of s.
                double curve = fNew - f - gs;
                double alpha = !double.IsFinite(fNew) ? Sigma1 : curve <= 0 ? Sigma3 : Math.Max(Sigma1, -0.5 * (gs / curve));
                if (actual < Eta0 * predicted)
                {
                    return Math.Min(alpha * sNorm, Sigma2 * delta);
                }

                if (actual < Eta1 * predicted)
                {
                    return Math.Max(Sigma1 * delta, Math.Min(alpha * sNorm, Sigma2 * delta));
                }

                if (actual < Eta2 * predicted)
                {
                    return Math.Max(Sigma1 * delta, Math.Min(alpha * sNorm, Sigma3 * delta));
                }

                return boundary ? Sigma3 * delta : Math.Max(delta, Math.Min(alpha * sNorm, Sigma3 * delta));
            }

            /// <summary>
            /// Steihaug's conjugate gradients for H s = -g inside the trust region ‖u‖ ≤ <paramref name="delta"/>, in the
            /// preconditioned variables u (<see cref="Lift"/>): <paramref name="s"/> the step in the model's variables, the
            /// decrease the quadratic model predicts for it and ‖u‖. Stops when the residual is below a forcing term of the
            /// gradient (min(0.5, √max|g|) of it, as scikit-learn's newton-cg: loose far away, tightening to superlinear
            /// convergence), or at the boundary (returns true).
            /// </summary>
            private bool ConjugateGradient(
                double delta, double[] g, double[] s, out double predicted, out double sNorm, CancellationToken cancellationToken)
            {
                double[] gu = _gu, su = _su, r = _ru, d = _d, hd = _hd;
                if (_whitening is not null && _classesStale) // fixed for the whole solve: the variables of this iteration's system
                {
                    UpdateClassFactor();
                }

                Pull(g, gu);
                for (int i = 0; i < _size; i++)
                {
                    su[i] = 0;
                    r[i] = -gu[i];
                    d[i] = r[i];
                }

                double rr = Dot(r, r);
                double tolerance = Math.Clamp(Math.Sqrt(MaxAbs(g)), _pass.Precise ? 0 : ForcingFloor, 0.5) * Math.Sqrt(rr);
                int steps = _pass.Precise ? _size : Math.Min(MaxSteps, _size);
                bool boundary = false;
                for (int step = 0; step < steps && Math.Sqrt(rr) > tolerance; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Lift(d, _v);
                    HessianVector(_v, _hv);
                    Pull(_hv, hd);
                    double dhd = Dot(d, hd);
                    if (!(dhd > 1e-16))
                    {
                        break;
                    }

                    double alpha = rr / dhd;
                    Axpy(alpha, d, su);
                    if (Dot(su, su) > delta * delta)
                    {
                        // Back to the last step inside, then along d to the boundary: τ solves ‖u + τ d‖ = delta.
                        Axpy(-alpha, d, su);
                        double sd = Dot(su, d), ss = Dot(su, su), dd = Dot(d, d), dsq = delta * delta;
                        double rad = Math.Sqrt((sd * sd) + (dd * (dsq - ss)));
                        double tau = sd >= 0 ? (dsq - ss) / (sd + rad) : (rad - sd) / dd;
                        Axpy(tau, d, su);
                        Axpy(-tau, hd, r);
                        boundary = true;
                        break;
                    }

                    Axpy(-alpha, hd, r);
                    double rrNew = Dot(r, r);
                    double beta = rrNew / rr;
                    for (int i = 0; i < _size; i++)
                    {
                        d[i] = r[i] + (beta * d[i]);
                    }

                    rr = rrNew;
                }

                predicted = -0.5 * (Dot(gu, su) - Dot(su, r)); // -(gᵀu + ½ uᵀHu), with r = -g - H u
                sNorm = Math.Sqrt(Dot(su, su));
                Lift(su, s);
                return boundary;
            }

            /// <summary>
            /// The classes' factor of the whitened variables, from the probabilities stored at the last point: the Hessian is
            /// about A ⊗ X̃ᵀX̃ + I/C with A the rows' mean of diag(p) - p pᵀ (the classes' softmax covariance), and the
            /// whitening assumed A = I/K, so the classes are mixed by R⁻ᵀ with R Rᵀ = K (A + δ I), δ a hundredth of A's mean
            /// diagonal (A is singular along the all-ones direction). A is measured on at most <see cref="ClassRows"/> rows.
            /// </summary>
            private void UpdateClassFactor()
            {
                int n = _data.Count, k = _classes, sample = Math.Min(n, ClassRows);
                double[] a = _classFactor;
                Array.Clear(a);
                float[]? weights = _data.Weights;
                double total = 0;
                for (int j = 0; j < sample; j++)
                {
                    int r = (int)((long)j * n / sample);
                    double w = weights?[r] ?? 1.0;
                    total += w;
                    ReadOnlySpan<float> p = _probabilities.AsSpan(r * k, k);
                    for (int c = 0; c < k; c++) // the lower triangle of w (diag(p) - p pᵀ)
                    {
                        double wp = w * p[c];
                        a[(c * k) + c] += wp;
                        for (int e = 0; e <= c; e++)
                        {
                            a[(c * k) + e] -= wp * p[e];
                        }
                    }
                }

                if (!(total > 0))
                {
                    _classesFactored = false;
                    return;
                }

                double trace = 0;
                for (int c = 0; c < k; c++)
                {
                    trace += a[(c * k) + c] / total;
                }

                double delta = 0.01 * trace / k;
                for (int c = 0; c < k; c++)
                {
                    for (int e = 0; e <= c; e++)
                    {
                        a[(c * k) + e] = k * ((a[(c * k) + e] / total) + (c == e ? delta : 0));
                    }
                }

                _classesFactored = InputPreconditioner.Factor(a, k);
                _classesStale = false;
            }

            /// <summary>Rows whose probabilities measure the classes' covariance.</summary>
            private const int ClassRows = 2048;

            /// <summary>Per input column of v (classes d apart): forward (R⁻¹) or backward (R⁻ᵀ) solve, a class's row of
            /// inputs at a time.</summary>
            private void ClassSolve(double[] v, bool forward)
            {
                int d = _mean.Length, k = _classes;
                double[] r = _classFactor;
                Span<double> bias = v.AsSpan(_weightCount, k);
                if (forward)
                {
                    for (int i = 0; i < k; i++)
                    {
                        Span<double> vi = v.AsSpan(i * d, d);
                        for (int e = 0; e < i; e++)
                        {
                            double f = -r[(i * k) + e];
                            TensorPrimitives.MultiplyAdd(v.AsSpan(e * d, d), f, vi, vi);
                            bias[i] += f * bias[e];
                        }

                        double inverse = 1.0 / r[(i * k) + i];
                        TensorPrimitives.Multiply(vi, inverse, vi);
                        bias[i] *= inverse;
                    }
                }
                else
                {
                    for (int i = k - 1; i >= 0; i--)
                    {
                        Span<double> vi = v.AsSpan(i * d, d);
                        double inverse = 1.0 / r[(i * k) + i];
                        TensorPrimitives.Multiply(vi, inverse, vi);
                        bias[i] *= inverse;
                        for (int e = 0; e < i; e++) // take z_i's share out of the rows above: Rᵀ[e, i] = R[i, e]
                        {
                            double f = -r[(i * k) + e];
                            TensorPrimitives.MultiplyAdd(vi, f, v.AsSpan(e * d, d), v.AsSpan(e * d, d));
                            bias[e] += f * bias[i];
                        }
                    }
                }
            }

            /// <summary>
            /// The preconditioner, as a change of variables θ = T u; products with H in u are Tᵀ H T, one product in θ. Where
            /// the inputs' second moments are factored (<see cref="InputPreconditioner"/>, M = L Lᵀ), T = R⁻ᵀ ⊗ L⁻ᵀ: u
            /// are whitened variables, the classes mixed by their softmax covariance (<see cref="UpdateClassFactor"/>), in
            /// which the linear probe of bench/solver reached scikit-learn's converged objective in 92 passes instead of 482 (169
            /// without the classes' factor, 118 with each class only scaled). Otherwise T moves the bias by -W μ, so that in u
            /// the features are centred and the bias no longer couples to every weight through their means (which makes the
            /// Hessian's largest eigenvalue, along the mean row, far larger than the rest). Scaling each feature by its inverse
            /// spread, or by the Hessian's diagonal as LIBLINEAR does, as well was tried and took more passes on Fashion-MNIST
            /// (bench/solver/README.md).
            /// </summary>
            private void Lift(double[] u, double[] theta)
            {
                if (_whitening is not null)
                {
                    u.AsSpan().CopyTo(theta);
                    if (_classesFactored)
                    {
                        ClassSolve(theta, forward: false);
                    }

                    _whitening.Apply(theta, theta, InputPreconditioner.Halves.Upper);
                    return;
                }

                int d = _mean.Length;
                for (int c = 0; c < _classes; c++)
                {
                    ReadOnlySpan<double> w = u.AsSpan(c * d, d);
                    w.CopyTo(theta.AsSpan(c * d, d));
                    theta[_weightCount + c] = u[_weightCount + c] - TensorPrimitives.Dot(w, _mean);
                }
            }

            /// <summary>The transpose of <see cref="Lift"/>: a gradient or product in θ to u, Tᵀ.</summary>
            private void Pull(double[] theta, double[] u)
            {
                if (_whitening is not null)
                {
                    _whitening.Apply(theta, u, InputPreconditioner.Halves.Lower);
                    if (_classesFactored)
                    {
                        ClassSolve(u, forward: true);
                    }

                    return;
                }

                int d = _mean.Length;
                for (int c = 0; c < _classes; c++)
                {
                    double b = theta[_weightCount + c];
                    TensorPrimitives.MultiplyAdd(_mean, -b, theta.AsSpan(c * d, d), u.AsSpan(c * d, d));
                    u[_weightCount + c] = b;
                }
            }

            /// <summary>The features' weighted means, for <see cref="Lift"/>: one pass over the data, counted as an evaluation.</summary>
            private void Moments()
            {
                _pass.CountPass();
                _pass.Workers.Run(_momentSlice);
                int d = _mean.Length;
                double total = 0;
                Array.Clear(_mean);
                foreach (double[] m in _moments)
                {
                    total += m[d];
                    for (int k = 0; k < d; k++)
                    {
                        _mean[k] += m[k];
                    }
                }

                for (int k = 0; k < d; k++)
                {
                    _mean[k] = total > 0 ? _mean[k] / total : 0;
                }
            }

            private void MomentSlice(int t)
            {
                int d = _mean.Length;
                double[] m = _moments[t];
                Array.Clear(m);
                float[]? features = _data.Features, weights = _data.Weights;
                byte[]? pixels = _data.Pixels;
                for (int r = _pass.SliceStart(t); r < _pass.SliceStart(t + 1); r++)
                {
                    double w = weights?[r] ?? 1.0;
                    m[d] += w;
                    for (int k = 0; k < d; k++)
                    {
                        m[k] += w * (features is not null ? features[(r * d) + k] : pixels![(r * d) + k] / 255.0);
                    }
                }
            }

            /// <summary>The point moved to <paramref name="x"/>: the next product stores the probabilities there.</summary>
            private void Moved(double[] x)
            {
                for (int i = 0; i < _weightCount; i++)
                {
                    _w[i] = (float)x[i];
                }

                for (int c = 0; c < _classes; c++)
                {
                    _b[c] = (float)x[_weightCount + c];
                }

                _point = x;
                _refresh = true;
            }

            /// <summary>The objective's Hessian at the current point times <paramref name="v"/>, into <paramref name="hv"/>: one
            /// pass.</summary>
            private void HessianVector(double[] v, double[] hv)
            {
                _products++;
                for (int i = 0; i < _weightCount; i++)
                {
                    _vW[i] = (float)v[i];
                }

                for (int c = 0; c < _classes; c++)
                {
                    _vb[c] = (float)v[_weightCount + c];
                }

                _pass.Workers.Run(_pass.Precise ? _preciseProductSlice : _productSlice);
                _classesStale |= _refresh;
                _refresh = false;
                Array.Clear(hv);
                foreach (double[] sum in _sums)
                {
                    for (int i = 0; i < _size; i++)
                    {
                        hv[i] += sum[i];
                    }
                }

                if (double.IsFinite(_options.C))
                {
                    double inverse = 1.0 / _options.C; // on W only: the bias is not penalised
                    for (int i = 0; i < _weightCount; i++)
                    {
                        hv[i] += inverse * v[i];
                    }
                }
            }

            /// <summary>
            /// From now on objectives, gradients and products run in double: float products steer a flat minimum (large C, no
            /// penalty) too coarsely for the last digits.
            /// </summary>
            private void UsePrecise()
            {
                _pass.UsePrecise();
                _preciseProbabilities = new double[_probabilities.Length];
                _rowBuffers = new double[_sums.Length][];
                for (int t = 0; t < _rowBuffers.Length; t++)
                {
                    _rowBuffers[t] = new double[_mean.Length + (2 * _classes)];
                }

                _refresh = true;
            }

            /// <summary>One slice's product at <see cref="_point"/> in double, row by row (the engine's formula).</summary>
            private void PreciseProductSlice(int t)
            {
                int d = _mean.Length, q = _classes;
                double[] sum = _sums[t], p = _preciseProbabilities!;
                Array.Clear(sum);
                Span<double> row = _rowBuffers[t].AsSpan(0, d), o = _rowBuffers[t].AsSpan(d, q), z = _rowBuffers[t].AsSpan(d + q, q);
                ReadOnlySpan<double> w = _point.AsSpan(0, _weightCount), b = _point.AsSpan(_weightCount, q);
                ReadOnlySpan<double> vW = _v.AsSpan(0, _weightCount), vb = _v.AsSpan(_weightCount, q);
                float[]? features = _data.Features, weights = _data.Weights;
                byte[]? pixels = _data.Pixels;
                for (int r = _pass.SliceStart(t); r < _pass.SliceStart(t + 1); r++)
                {
                    double weight = weights?[r] ?? 1.0;
                    for (int k = 0; k < d; k++)
                    {
                        row[k] = features is not null ? features[(r * d) + k] : pixels![(r * d) + k] / 255.0;
                    }

                    Span<double> pr = p.AsSpan(r * q, q);
                    if (_refresh)
                    {
                        for (int c = 0; c < q; c++)
                        {
                            o[c] = b[c] + TensorPrimitives.Dot(w.Slice(c * d, d), row);
                        }

                        TensorPrimitives.SoftMax(o, pr);
                    }

                    double pz = 0;
                    for (int c = 0; c < q; c++)
                    {
                        z[c] = vb[c] + TensorPrimitives.Dot(vW.Slice(c * d, d), row);
                        pz += pr[c] * z[c];
                    }

                    for (int c = 0; c < q; c++)
                    {
                        double rc = weight * pr[c] * (z[c] - pz);
                        Span<double> h = sum.AsSpan(c * d, d);
                        TensorPrimitives.MultiplyAdd(row, rc, h, h);
                        sum[_weightCount + c] += rc;
                    }
                }
            }

            private void ProductSlice(int t)
            {
                int from = _pass.SliceStart(t), to = _pass.SliceStart(t + 1);
                double[] sum = _sums[t];
                Array.Clear(sum);
                float[] hW = _hW[t], hb = _hb[t];
                for (int r0 = from; r0 < to; r0 += Chunk)
                {
                    int n = Math.Min(Chunk, to - r0);
                    _curvature.HessianVector(
                        _data.Rows(_pass.Rows.Slice(r0, n)), _w, _b, _probabilities.AsSpan(r0 * _classes, n * _classes), _refresh,
                        _vW, _vb, hW, hb);
                    for (int i = 0; i < _weightCount; i++)
                    {
                        sum[i] += hW[i];
                    }

                    for (int c = 0; c < _classes; c++)
                    {
                        sum[_weightCount + c] += hb[c];
                    }
                }
            }
        }
    }
}
