using System;

namespace GenSoftmax.Tests.Hypercomplex
{
    /// <summary>
    /// The hypercomplex model in double, straight from the definitions and sharing no code with the runtime:
    /// W = Σ_i kron(A_i, S_i) through a literal Kronecker product, and the gradients by the chain rule summed over
    /// rows (dA_i[r, c] = Σ_rows Σ_{a,b} g[row, r q/n + a] x[row, c d/n + b] S_i[a, b] and so on), never through dW.
    /// </summary>
    internal sealed class PhmOracle
    {
        public PhmOracle(int n, int inputs, int classes, float[] a, float[] s, float[] bias)
        {
            N = n;
            Inputs = inputs;
            Classes = classes;
            A = a;
            S = s;
            Bias = bias;
        }

        public int N { get; }

        public int Inputs { get; }

        public int Classes { get; }

        public int Rows => Classes / N;

        public int Cols => Inputs / N;

        public float[] A { get; }

        public float[] S { get; }

        public float[] Bias { get; }

        public double Ai(int i, int r, int c) => A[(((i * N) + r) * N) + c];

        public double Si(int i, int a, int b) => S[(((i * Rows) + a) * Cols) + b];

        /// <summary>kron(X, Y) for X [xr, xc] and Y [yr, yc], row-major: [xr yr, xc yc].</summary>
        public static double[,] Kron(double[,] x, double[,] y)
        {
            int xr = x.GetLength(0), xc = x.GetLength(1), yr = y.GetLength(0), yc = y.GetLength(1);
            var k = new double[xr * yr, xc * yc];
            for (int i = 0; i < xr; i++)
            {
                for (int j = 0; j < xc; j++)
                {
                    for (int p = 0; p < yr; p++)
                    {
                        for (int q = 0; q < yc; q++)
                        {
                            k[(i * yr) + p, (j * yc) + q] = x[i, j] * y[p, q];
                        }
                    }
                }
            }

            return k;
        }

        /// <summary>W = Σ_i kron(A_i, S_i), [Classes, Inputs].</summary>
        public double[,] Weights()
        {
            var w = new double[Classes, Inputs];
            for (int i = 0; i < N; i++)
            {
                var ai = new double[N, N];
                var si = new double[Rows, Cols];
                for (int r = 0; r < N; r++)
                {
                    for (int c = 0; c < N; c++)
                    {
                        ai[r, c] = Ai(i, r, c);
                    }
                }

                for (int p = 0; p < Rows; p++)
                {
                    for (int q = 0; q < Cols; q++)
                    {
                        si[p, q] = Si(i, p, q);
                    }
                }

                double[,] k = Kron(ai, si);
                for (int p = 0; p < Classes; p++)
                {
                    for (int q = 0; q < Inputs; q++)
                    {
                        w[p, q] += k[p, q];
                    }
                }
            }

            return w;
        }

        /// <summary>Logits [rows, Classes].</summary>
        public double[] Forward(ReadOnlySpan<float> x)
        {
            double[,] w = Weights();
            int n = x.Length / Inputs;
            var logits = new double[n * Classes];
            for (int row = 0; row < n; row++)
            {
                for (int p = 0; p < Classes; p++)
                {
                    double sum = Bias[p];
                    for (int k = 0; k < Inputs; k++)
                    {
                        sum += w[p, k] * x[(row * Inputs) + k];
                    }

                    logits[(row * Classes) + p] = sum;
                }
            }

            return logits;
        }

        /// <summary>Mean cross-entropy and, when asked, the gradients dA [n, n, n], dS [n, q/n, d/n], db [q] by the chain rule.</summary>
        public double LossAndGradient(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, double[]? dA, double[]? dS, double[]? db)
        {
            double[] logits = Forward(x);
            int n = labels.Length;
            var g = new double[n * Classes];
            double loss = 0;
            for (int row = 0; row < n; row++)
            {
                double m = double.NegativeInfinity;
                for (int p = 0; p < Classes; p++)
                {
                    m = Math.Max(m, logits[(row * Classes) + p]);
                }

                double sum = 0;
                for (int p = 0; p < Classes; p++)
                {
                    sum += Math.Exp(logits[(row * Classes) + p] - m);
                }

                double lse = m + Math.Log(sum);
                loss += lse - logits[(row * Classes) + labels[row]];
                for (int p = 0; p < Classes; p++)
                {
                    g[(row * Classes) + p] = (Math.Exp(logits[(row * Classes) + p] - lse) - (p == labels[row] ? 1 : 0)) / n;
                }
            }

            if (dA is not null && dS is not null && db is not null)
            {
                Array.Clear(dA);
                Array.Clear(dS);
                Array.Clear(db);
                for (int row = 0; row < n; row++)
                {
                    for (int r = 0; r < N; r++)
                    {
                        for (int c = 0; c < N; c++)
                        {
                            for (int a = 0; a < Rows; a++)
                            {
                                double gr = g[(row * Classes) + (r * Rows) + a];
                                for (int b = 0; b < Cols; b++)
                                {
                                    double xv = x[(row * Inputs) + (c * Cols) + b];
                                    for (int i = 0; i < N; i++)
                                    {
                                        dA[(((i * N) + r) * N) + c] += gr * xv * Si(i, a, b);
                                        dS[(((i * Rows) + a) * Cols) + b] += gr * xv * Ai(i, r, c);
                                    }
                                }
                            }
                        }
                    }

                    for (int p = 0; p < Classes; p++)
                    {
                        db[p] += g[(row * Classes) + p];
                    }
                }
            }

            return loss / n;
        }
    }
}
