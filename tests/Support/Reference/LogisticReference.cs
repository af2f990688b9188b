using System;

namespace GenSoftmax.Reference
{
    /// <summary>
    /// Binary logistic regression in double: P(y = 1 | x) = σ(w·x + b), σ(z) = 1 / (1 + e^-z), trained by plain gradient
    /// descent on the mean log loss. The oracle for the two-class case of softmax regression, which is the same model
    /// over-parameterised: with w = w₁ - w₀ and b = b₁ - b₀, softmax gives class 1 the probability σ(w·x + b).
    /// </summary>
    /// <remarks>
    /// Gradient descent agrees too, with twice the learning rate: the softmax gradient of w₁ is (p - y) x / n and that of
    /// w₀ is its negative, so one softmax step with rate η moves w₁ - w₀ by -2η (p - y) x / n, a logistic step with rate 2η.
    /// </remarks>
    public sealed class LogisticReference
    {
        /// <summary>A logistic model of <paramref name="inputs"/> features with zero parameters.</summary>
        public LogisticReference(int inputs)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
            Inputs = inputs;
            Weights = new double[inputs];
        }

        /// <summary>Number of inputs.</summary>
        public int Inputs { get; }

        /// <summary>The weights w [inputs].</summary>
        public double[] Weights { get; }

        /// <summary>The bias b.</summary>
        public double Bias { get; set; }

        /// <summary>σ(w·x + b) of each row of <paramref name="x"/> [n, inputs]: the probability of class 1.</summary>
        public double[] Probabilities(ReadOnlySpan<float> x)
        {
            int n = x.Length / Inputs;
            var p = new double[n];
            for (int r = 0; r < n; r++)
            {
                p[r] = Sigmoid(Logit(x.Slice(r * Inputs, Inputs)));
            }

            return p;
        }

        /// <summary>
        /// One gradient-descent step on the mean log loss -(1/n) Σ [y log p + (1 - y) log(1 - p)] of the rows of
        /// <paramref name="x"/> with labels 0 or 1: w -= η (1/n) Σ (p - y) x, b -= η (1/n) Σ (p - y).
        /// </summary>
        /// <returns>The mean log loss before the step, computed stably from the logits.</returns>
        public double Step(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, double learningRate)
        {
            int n = x.Length / Inputs;
            if (labels.Length != n)
            {
                throw new ArgumentException($"There are {labels.Length} labels for {n} rows.", nameof(labels));
            }

            var dW = new double[Inputs];
            double db = 0, loss = 0;
            for (int r = 0; r < n; r++)
            {
                ReadOnlySpan<float> row = x.Slice(r * Inputs, Inputs);
                double z = Logit(row);
                int y = labels[r];
                if (y is not (0 or 1))
                {
                    throw new ArgumentException($"labels[{r}] = {y}: logistic regression has classes 0 and 1.", nameof(labels));
                }

                // -log σ(z) = log(1 + e^-z) and -log(1 - σ(z)) = log(1 + e^z), each in a form that cannot overflow.
                double s = y == 1 ? -z : z;
                loss += Math.Max(s, 0) + Math.Log(1 + Math.Exp(-Math.Abs(s)));
                double g = (Sigmoid(z) - y) / n;
                db += g;
                for (int k = 0; k < Inputs; k++)
                {
                    dW[k] += g * row[k];
                }
            }

            for (int k = 0; k < Inputs; k++)
            {
                Weights[k] -= learningRate * dW[k];
            }

            Bias -= learningRate * db;
            return loss / n;
        }

        /// <summary>σ(z) = 1 / (1 + e^-z), without overflow for large |z|.</summary>
        public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

        private double Logit(ReadOnlySpan<float> row)
        {
            double z = Bias;
            for (int k = 0; k < Inputs; k++)
            {
                z += Weights[k] * row[k];
            }

            return z;
        }
    }
}
