using System;
using GenSoftmax.Training;

namespace GenSoftmax.Reference
{
    /// <summary>
    /// Plain scalar softmax regression for any shape, accumulating in double: the oracle the generated kernels
    /// are tested against. Same layouts as <see cref="ISoftmaxModel"/>: x [n, inputs], weights [classes, inputs],
    /// logits [n, classes].
    /// </summary>
    public sealed class SoftmaxReference
    {
        /// <summary>Creates a reference model of the given shape with zero parameters.</summary>
        public SoftmaxReference(int inputs, int classes)
        {
            if (inputs < 1 || classes < 2)
            {
                throw new ArgumentOutOfRangeException(nameof(inputs), "A softmax model needs at least 1 input and 2 classes.");
            }

            Inputs = inputs;
            Classes = classes;
            Weights = new float[checked(inputs * classes)];
            Bias = new float[classes];
        }

        /// <summary>Number of inputs.</summary>
        public int Inputs { get; }

        /// <summary>Number of classes.</summary>
        public int Classes { get; }

        /// <summary>Weights [classes, inputs].</summary>
        public float[] Weights { get; }

        /// <summary>Bias [classes].</summary>
        public float[] Bias { get; }

        /// <summary>Logits o = W x + b for each row, in double.</summary>
        public double[] Forward(ReadOnlySpan<float> x)
        {
            int n = x.Length / Inputs;
            var logits = new double[n * Classes];
            for (int r = 0; r < n; r++)
            {
                ReadOnlySpan<float> row = x.Slice(r * Inputs, Inputs);
                for (int c = 0; c < Classes; c++)
                {
                    ReadOnlySpan<float> w = Weights.AsSpan(c * Inputs, Inputs);
                    double sum = Bias[c];
                    for (int k = 0; k < Inputs; k++)
                    {
                        sum += (double)row[k] * w[k];
                    }

                    logits[r * Classes + c] = sum;
                }
            }

            return logits;
        }

        /// <summary>Row-wise softmax of the logits, max-subtracted.</summary>
        public double[] Probabilities(ReadOnlySpan<float> x)
        {
            double[] logits = Forward(x);
            int n = logits.Length / Classes;
            for (int r = 0; r < n; r++)
            {
                Span<double> row = logits.AsSpan(r * Classes, Classes);
                double lse = LogSumExp(row);
                for (int c = 0; c < Classes; c++)
                {
                    row[c] = Math.Exp(row[c] - lse);
                }
            }

            return logits;
        }

        /// <summary>Argmax of each row's logits, the first on ties.</summary>
        public int[] Predict(ReadOnlySpan<float> x)
        {
            double[] logits = Forward(x);
            int n = logits.Length / Classes;
            var predictions = new int[n];
            for (int r = 0; r < n; r++)
            {
                int best = 0;
                for (int c = 1; c < Classes; c++)
                {
                    if (logits[r * Classes + c] > logits[r * Classes + best])
                    {
                        best = c;
                    }
                }

                predictions[r] = best;
            }

            return predictions;
        }

        /// <summary>LogSumExp of a row with the max subtracted: m + log Σ exp(o - m).</summary>
        public static double LogSumExp(ReadOnlySpan<double> row)
        {
            double m = double.NegativeInfinity;
            foreach (double v in row)
            {
                m = Math.Max(m, v);
            }

            double s = 0;
            foreach (double v in row)
            {
                s += Math.Exp(v - m);
            }

            return m + Math.Log(s);
        }

        /// <summary>Mean cross-entropy against hard labels.</summary>
        public double Loss(ReadOnlySpan<float> x, ReadOnlySpan<int> labels) => LossAndGradient(x, OneHot(labels), null, null);

        /// <summary>Mean cross-entropy against soft targets [n, classes].</summary>
        public double Loss(ReadOnlySpan<float> x, ReadOnlySpan<float> targets) => LossAndGradient(x, ToDouble(targets), null, null);

        /// <summary>Mean loss and gradient (dW [classes, inputs], db [classes]) against hard labels.</summary>
        public double LossAndGradient(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, double[] dW, double[] db)
            => LossAndGradient(x, OneHot(labels), dW, db);

        /// <summary>Mean loss and gradient against soft targets [n, classes].</summary>
        public double LossAndGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> targets, double[] dW, double[] db)
            => LossAndGradient(x, ToDouble(targets), dW, db);

        /// <summary>One plain SGD step: W -= lr dW, b -= lr db, with the gradient in double. Returns the mean loss.</summary>
        /// <remarks>For momentum and weight decay, see <see cref="ReferenceSgd"/>.</remarks>
        public double TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float learningRate)
        {
            var dW = new double[Weights.Length];
            var db = new double[Classes];
            double loss = LossAndGradient(x, labels, dW, db);
            for (int i = 0; i < Weights.Length; i++)
            {
                Weights[i] = (float)(Weights[i] - learningRate * dW[i]);
            }

            for (int c = 0; c < Classes; c++)
            {
                Bias[c] = (float)(Bias[c] - learningRate * db[c]);
            }

            return loss;
        }

        /// <summary>
        /// Mean squared error of the logits against one-hot labels, (1/n) Σ_i ½ Σ_c (o_ic - y_ic)², and its gradient
        /// dW = Gᵀ X, db = column sums of G, with G = (O - Y) / n (either may be null to skip the gradient).
        /// </summary>
        public double SquaredErrorAndGradient(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, double[]? dW, double[]? db)
            => SquaredErrorAndGradient(x, OneHot(labels), dW, db);

        /// <summary>Mean squared error of the logits against targets [n, classes], and its gradient, as for one-hot labels.</summary>
        public double SquaredErrorAndGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> targets, double[]? dW, double[]? db)
            => SquaredErrorAndGradient(x, ToDouble(targets), dW, db);

        private double SquaredErrorAndGradient(ReadOnlySpan<float> x, double[] targets, double[]? dW, double[]? db)
        {
            int n = x.Length / Inputs;
            double[] logits = ForwardAndClear(x, dW, db);

            double loss = 0;
            for (int r = 0; r < n; r++)
            {
                ReadOnlySpan<float> row = x.Slice(r * Inputs, Inputs);
                for (int c = 0; c < Classes; c++)
                {
                    double e = logits[(r * Classes) + c] - targets[(r * Classes) + c];
                    loss += 0.5 * e * e;
                    double g = e / n;
                    if (db is not null)
                    {
                        db[c] += g;
                    }

                    if (dW is not null)
                    {
                        AddScaledRow(dW, c, g, row);
                    }
                }
            }

            return loss / n;
        }

        private double LossAndGradient(ReadOnlySpan<float> x, double[] targets, double[]? dW, double[]? db)
        {
            int n = x.Length / Inputs;
            double[] logits = ForwardAndClear(x, dW, db);

            double loss = 0;
            var g = new double[Classes];
            for (int r = 0; r < n; r++)
            {
                ReadOnlySpan<double> o = logits.AsSpan(r * Classes, Classes);
                ReadOnlySpan<double> t = targets.AsSpan(r * Classes, Classes);
                double lse = LogSumExp(o);
                for (int c = 0; c < Classes; c++)
                {
                    // Cross-entropy from the logits: Σ_c t_c (lse - o_c), never log of a probability.
                    loss += t[c] * (lse - o[c]);
                    g[c] = (Math.Exp(o[c] - lse) - t[c]) / n;
                }

                if (dW is null || db is null)
                {
                    continue;
                }

                ReadOnlySpan<float> row = x.Slice(r * Inputs, Inputs);
                for (int c = 0; c < Classes; c++)
                {
                    db[c] += g[c];
                    AddScaledRow(dW, c, g[c], row);
                }
            }

            return loss / n;
        }

        /// <summary>The logits of <paramref name="x"/>, with the gradients that are asked for cleared before they accumulate.</summary>
        private double[] ForwardAndClear(ReadOnlySpan<float> x, double[]? dW, double[]? db)
        {
            double[] logits = Forward(x);
            if (dW is not null)
            {
                Array.Clear(dW);
            }

            if (db is not null)
            {
                Array.Clear(db);
            }

            return logits;
        }

        /// <summary>dW[c, :] += g * row: one example's share of class <paramref name="c"/>'s weight gradient.</summary>
        private void AddScaledRow(double[] dW, int c, double g, ReadOnlySpan<float> row)
        {
            Span<double> w = dW.AsSpan(c * Inputs, Inputs);
            for (int k = 0; k < Inputs; k++)
            {
                w[k] += g * row[k];
            }
        }

        private double[] OneHot(ReadOnlySpan<int> labels)
        {
            var t = new double[labels.Length * Classes];
            for (int r = 0; r < labels.Length; r++)
            {
                t[r * Classes + labels[r]] = 1;
            }

            return t;
        }

        private static double[] ToDouble(ReadOnlySpan<float> values)
        {
            var d = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                d[i] = values[i];
            }

            return d;
        }
    }

    /// <summary>
    /// Stochastic gradient descent on a <see cref="SoftmaxReference"/>, written out element by element in double: the
    /// oracle <see cref="Sgd"/> is tested against. PyTorch's <c>SGD</c> (dampening 0, not Nesterov):
    /// g' = g + λ W for the weights and g' = g for the bias (no decay); v = μ v + g'; W -= η v.
    /// </summary>
    /// <remarks>
    /// The velocity stays in double from step to step. The parameters are the reference model's floats, as they are
    /// the model's: each step computes W - η v in double and rounds it once.
    /// With μ = 0 the velocity is simply the last step's g', so the update is W -= η g'.
    /// </remarks>
    public sealed class ReferenceSgd
    {
        /// <summary>An optimizer for <paramref name="model"/> with zero velocity.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
        public ReferenceSgd(SoftmaxReference model, SgdOptions options)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(options);
            options.Validate();
            Model = model;
            LearningRate = options.LearningRate;
            Momentum = options.Momentum;
            WeightDecay = options.WeightDecay;
            VelocityWeights = new double[model.Weights.Length];
            VelocityBias = new double[model.Classes];
        }

        /// <summary>The model whose parameters it updates.</summary>
        public SoftmaxReference Model { get; }

        /// <summary>Step size η.</summary>
        public double LearningRate { get; set; }

        /// <summary>Momentum μ.</summary>
        public double Momentum { get; }

        /// <summary>Weight decay λ, applied to the weights only.</summary>
        public double WeightDecay { get; }

        /// <summary>Velocity of the weights [classes, inputs], in double.</summary>
        public double[] VelocityWeights { get; }

        /// <summary>Velocity of the bias [classes], in double.</summary>
        public double[] VelocityBias { get; }

        /// <summary>One step on a batch with hard labels: the loss and gradient at the current parameters, then the update.</summary>
        /// <returns>The batch's mean loss before the update.</returns>
        public double Step(ReadOnlySpan<float> x, ReadOnlySpan<int> labels)
        {
            var dW = new double[Model.Weights.Length];
            var db = new double[Model.Classes];
            double loss = Model.LossAndGradient(x, labels, dW, db);
            Update(dW, db);
            return loss;
        }

        /// <summary>One step on a batch with soft targets [n, classes].</summary>
        /// <returns>The batch's mean loss before the update.</returns>
        public double Step(ReadOnlySpan<float> x, ReadOnlySpan<float> targets)
        {
            var dW = new double[Model.Weights.Length];
            var db = new double[Model.Classes];
            double loss = Model.LossAndGradient(x, targets, dW, db);
            Update(dW, db);
            return loss;
        }

        /// <summary>Applies a gradient: <paramref name="dW"/> [classes, inputs], <paramref name="db"/> [classes].</summary>
        public void Update(ReadOnlySpan<double> dW, ReadOnlySpan<double> db)
        {
            if (dW.Length != Model.Weights.Length || db.Length != Model.Classes)
            {
                throw new ArgumentException(
                    $"The gradient has {dW.Length} + {db.Length} elements but the model needs [{Model.Classes}, {Model.Inputs}] + [{Model.Classes}].");
            }

            Apply(Model.Weights, dW, VelocityWeights, WeightDecay);
            Apply(Model.Bias, db, VelocityBias, weightDecay: 0);
        }

        private void Apply(float[] parameters, ReadOnlySpan<double> gradient, double[] velocity, double weightDecay)
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                double g = gradient[i] + (weightDecay * parameters[i]);
                velocity[i] = (Momentum * velocity[i]) + g;
                parameters[i] = (float)(parameters[i] - (LearningRate * velocity[i]));
            }
        }
    }
}
