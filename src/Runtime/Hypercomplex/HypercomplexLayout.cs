using System;
using System.Numerics.Tensors;
using GenSoftmax.Internal;

namespace GenSoftmax.Hypercomplex
{
    /// <summary>
    /// The shape of a parameterised hypercomplex multiplication (PHM) layer, d inputs -> q classes with n factors
    /// (Zhang, Tay, Zhang et al., ICLR 2021): the weights are W = Σ_{i=1..n} A_i ⊗ S_i, a sum of n Kronecker
    /// products of an n x n matrix A_i and a (q/n) x (d/n) matrix S_i, so n³ + dq/n numbers stand for the dq of W.
    /// It maps the factors to W (<see cref="Materialize"/>) and a gradient with respect to W to the factors'
    /// gradients (<see cref="Project"/>).
    /// </summary>
    /// <remarks>
    /// <para>Layouts, row-major: A is [n, n, n] (A_i[r, c] at <c>(i n + r) n + c</c>); S is [n, q/n, d/n]
    /// (S_i[a, b] at <c>(i q/n + a) d/n + b</c>); W is class-major [q, d] as in <see cref="ISoftmaxModel"/>. Block (r, c) of
    /// W, rows r q/n .. (r + 1) q/n - 1 and columns c d/n .. (c + 1) d/n - 1, is Σ_i A_i[r, c] S_i.</para>
    /// <para>Both maps add in a fixed order (i = 0 .. n-1; blocks in row order), so they are reproducible run to run.</para>
    /// </remarks>
    public sealed class HypercomplexLayout
    {
        private const string Dense = "use the dense model";

        /// <summary>The layout of a d -> q layer with <paramref name="n"/> factors.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A size is out of range, or <paramref name="n"/> does not divide both
        /// sizes.</exception>
        public HypercomplexLayout(int n, int inputs, int classes)
        {
            if (inputs < ModelLimits.MinInputs || inputs > ModelLimits.MaxInputs)
            {
                throw new ArgumentOutOfRangeException(nameof(inputs), inputs,
                    $"Inputs must be between {ModelLimits.MinInputs} and {ModelLimits.MaxInputs}.");
            }

            if (classes < ModelLimits.MinClasses || classes > ModelLimits.MaxClasses)
            {
                throw new ArgumentOutOfRangeException(nameof(classes), classes,
                    $"Classes must be between {ModelLimits.MinClasses} and {ModelLimits.MaxClasses}.");
            }

            if (n < ModelLimits.MinHypercomplex)
            {
                throw new ArgumentOutOfRangeException(nameof(n), n,
                    "A hypercomplex layer has at least 2 factors (n = 1 is the dense layer with one extra scale).");
            }

            // The same rules, and the same advice, as the generator's GSM0015 and GSM0016 (src/Shared/ModelLimits.cs).
            if (!ModelLimits.HypercomplexDivides(n, inputs, classes))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(n), n, $"n = {n} must divide both Inputs = {inputs} and Classes = {classes}: " +
                        $"{ModelLimits.HypercomplexAdvice(inputs, classes, "n", Dense)}.");
            }

            if (!ModelLimits.HypercomplexIsSmaller(n, inputs, classes))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(n), n,
                    $"n = {n} gives {ModelLimits.HypercomplexFactorWeights(n, inputs, classes)} factor weights " +
                        $"(n³ + dq/n), not fewer than the " +
                    $"{(long)inputs * classes} of the dense layer: {ModelLimits.HypercomplexAdvice(inputs, classes, "n", Dense)}.");
            }

            N = n;
            Inputs = inputs;
            Classes = classes;
        }

        /// <summary>Number of factors n: W is a sum of n Kronecker products.</summary>
        public int N { get; }

        /// <summary>Number of inputs d.</summary>
        public int Inputs { get; }

        /// <summary>Number of classes q.</summary>
        public int Classes { get; }

        /// <summary>Rows of each S_i: q / n.</summary>
        public int BlockRows => Classes / N;

        /// <summary>Columns of each S_i: d / n.</summary>
        public int BlockColumns => Inputs / N;

        /// <summary>Elements of A, [n, n, n]: n³.</summary>
        public int FactorALength => N * N * N;

        /// <summary>Elements of S, [n, q/n, d/n]: dq / n.</summary>
        public int FactorSLength => N * BlockRows * BlockColumns;

        /// <summary>Trained numbers: n³ + dq/n + q (A, S and the bias).</summary>
        public int ParameterCount => FactorALength + FactorSLength + Classes;

        /// <summary>Trained numbers of the dense layer of the same shape: dq + q.</summary>
        public int DenseParameterCount => (Inputs * Classes) + Classes;

        /// <summary>W = Σ_i A_i ⊗ S_i into <paramref name="weights"/> [q, d], overwritten.</summary>
        /// <exception cref="ArgumentException">A span's length does not match the layout.</exception>
        public void Materialize(ReadOnlySpan<float> a, ReadOnlySpan<float> s, Span<float> weights)
        {
            CheckFactors(a.Length, s.Length);
            Guard.Length(weights.Length, nameof(weights), Classes, Inputs);
            int n = N, rows = BlockRows, cols = BlockColumns;
            for (int r = 0; r < n; r++)
            {
                for (int c = 0; c < n; c++)
                {
                    for (int row = 0; row < rows; row++)
                    {
                        // Row `row` of block (r, c): W[r q/n + row, c d/n ..] = Σ_i A_i[r, c] S_i[row, ..].
                        Span<float> w = weights.Slice(((r * rows) + row) * Inputs + (c * cols), cols);
                        TensorPrimitives.Multiply(s.Slice(row * cols, cols), a[(r * n) + c], w);
                        for (int i = 1; i < n; i++)
                        {
                            TensorPrimitives.MultiplyAdd(s.Slice(((i * rows) + row) * cols, cols), a[(((i * n) + r) * n) + c], w, w);
                        }
                    }
                }
            }
        }

        /// <summary>
        /// The factors' gradients from a gradient with respect to W: dA_i[r, c] = ⟨block (r, c) of dW, S_i⟩ and
        /// dS_i = Σ_{r,c} A_i[r, c] · block (r, c) of dW, into <paramref name="dA"/> [n, n, n] and <paramref name="dS"/> [n, q/n, d/n],
        /// overwritten.
        /// </summary>
        /// <exception cref="ArgumentException">A span's length does not match the layout.</exception>
        public void Project(ReadOnlySpan<float> a, ReadOnlySpan<float> s, ReadOnlySpan<float> dW, Span<float> dA, Span<float> dS)
        {
            CheckFactors(a.Length, s.Length);
            Guard.Length(dW.Length, nameof(dW), Classes, Inputs);
            Guard.Length(dA.Length, nameof(dA), FactorALength);
            Guard.Length(dS.Length, nameof(dS), FactorSLength);
            int n = N, rows = BlockRows, cols = BlockColumns;
            dS.Clear();
            for (int r = 0; r < n; r++)
            {
                for (int c = 0; c < n; c++)
                {
                    for (int i = 0; i < n; i++)
                    {
                        float air = a[(((i * n) + r) * n) + c];
                        double dot = 0; // a block can hold up to dq/n² products: sum the row dot products in double
                        for (int row = 0; row < rows; row++)
                        {
                            ReadOnlySpan<float> g = dW.Slice(((r * rows) + row) * Inputs + (c * cols), cols);
                            Span<float> si = dS.Slice(((i * rows) + row) * cols, cols);
                            dot += TensorPrimitives.Dot(g, s.Slice(((i * rows) + row) * cols, cols));
                            TensorPrimitives.MultiplyAdd(g, air, si, si);
                        }

                        dA[(((i * n) + r) * n) + c] = (float)dot;
                    }
                }
            }
        }

        /// <summary>"n = 2: W = Σ A_i ⊗ S_i, A [2, 2, 2], S [2, 5, 392]; 3938 parameters instead of 7850".</summary>
        public override string ToString() =>
            $"n = {N}: W = Σ A_i ⊗ S_i, A [{N}, {N}, {N}], S [{N}, {BlockRows}, {BlockColumns}]; {ParameterCount} parameters instead of " +
                $"{DenseParameterCount}";

        internal void CheckFactors(int aLength, int sLength)
        {
            Guard.Length(aLength, "A", FactorALength);
            Guard.Length(sLength, "S", FactorSLength);
        }
    }
}
