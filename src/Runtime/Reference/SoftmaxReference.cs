using System;

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

        /// <summary>One SGD step: W -= lr dW, b -= lr db, with the gradient in double. Returns the mean loss.</summary>
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

        private double LossAndGradient(ReadOnlySpan<float> x, double[] targets, double[]? dW, double[]? db)
        {
            int n = x.Length / Inputs;
            double[] logits = Forward(x);
            if (dW is not null)
            {
                Array.Clear(dW);
            }

            if (db is not null)
            {
                Array.Clear(db);
            }

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
                    Span<double> w = dW.AsSpan(c * Inputs, Inputs);
                    for (int k = 0; k < Inputs; k++)
                    {
                        w[k] += g[c] * row[k];
                    }
                }
            }

            return loss / n;
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
}
