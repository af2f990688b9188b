using System.Globalization;
using System.Linq;
using GenSoftmax.Generator.Model;

namespace GenSoftmax.Generator.Emit
{
    /// <summary>
    /// Writes the shape-specialised kernels of one model for one instruction set: logits of a block of rows,
    /// softmax of a block, and the weight gradient of a block. All sizes are constants in the output.
    /// </summary>
    internal sealed class KernelEmitter
    {
        private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";

        private readonly SourceWriter _w;
        private readonly ModelSpec _spec;
        private readonly IsaProfile _isa;

        public KernelEmitter(SourceWriter writer, ModelSpec spec, IsaProfile isa)
        {
            _w = writer;
            _spec = spec;
            _isa = isa;
        }

        private int D => _spec.Inputs;

        private int Q => _spec.Classes;

        private int L => _isa.Lanes;

        /// <summary>Vectors per padded row of logits.</summary>
        private int RowVectors => PaddedClasses(Q) / L;

        /// <summary>Whether the row kernels keep a row in registers (few vectors) or loop over it in memory.</summary>
        private bool RowInRegisters => RowVectors <= 4;

        /// <summary>Inputs covered by whole vectors; the rest (fewer than one vector) is a scalar tail of fixed length.</summary>
        private int VectorEnd => D / L * L;

        /// <summary>How many rows ahead of the current pair the logits kernel prefetches.</summary>
        public const int PrefetchRows = 4;

        public static string Lit(float v) => v.ToString("R", CultureInfo.InvariantCulture) + "f";

        public void EmitAll()
        {
            EmitLogits(InputKind.Float);
            _w.WriteLine();
            EmitLogits(InputKind.Byte);
            _w.WriteLine();
            EmitGradient(InputKind.Float);
            _w.WriteLine();
            EmitGradient(InputKind.Byte);
            _w.WriteLine();
            EmitSoftmax();
        }

        /// <summary>How the classes split into blocks of at most <see cref="IsaProfile.MaxClassBlock"/>.</summary>
        internal static (int Size, int Full, int Remainder) ClassBlocks(int classes, int maxBlock)
        {
            int blocks = (classes + maxBlock - 1) / maxBlock;
            int size = (classes + blocks - 1) / blocks;
            return (size, classes / size, classes % size);
        }

        private static string Suffix(InputKind input) => input == InputKind.Float ? "F32" : "U8";

        private static string Elem(InputKind input) => input == InputKind.Float ? "float" : "byte";

        private string Scalar(InputKind input, string offset) => input == InputKind.Float
            ? $"{Unsafe}.Add(ref x, {offset})"
            : $"(float){Unsafe}.Add(ref x, {offset})";

        private string TailComment() => D % L == 0
            ? $"{D} inputs = {D / L} x {L} lanes, no tail"
            : VectorEnd == 0
                ? $"{D} inputs < {L} lanes: all {D} in a scalar loop of fixed length"
                : $"{D} inputs = {D / L} x {L} lanes + a scalar tail of {D % L}";

        /// <summary>Emits one class block per full block (as a counted loop) and one for the remainder.</summary>
        private void ForEachClassBlock(string what, System.Action<int> body)
        {
            (int size, int full, int rem) = ClassBlocks(Q, _isa.MaxClassBlock);
            if (full == 1)
            {
                using (_w.Block())
                {
                    _w.WriteLine($"nuint c0 = 0; // {what}: classes 0..{size - 1}");
                    body(size);
                }
            }
            else
            {
                using (_w.Block($"for (nuint c0 = 0; c0 < {full * size}; c0 += {size}) // {what}: {full} blocks of {size} classes"))
                {
                    body(size);
                }
            }

            if (rem > 0)
            {
                using (_w.Block())
                {
                    _w.WriteLine($"nuint c0 = {full * size}; // {what}: the last {rem} classes");
                    body(rem);
                }
            }
        }

        private void EmitLogits(InputKind input)
        {
            (int size, int full, int rem) = ClassBlocks(Q, _isa.MaxClassBlock);
            string v = _isa.VectorOfFloat;
            _w.WriteLine($$"""
                // Logits of a block of rows: o[i, c] = sum_k x[offs[i] + k] * W[c, k]{{(input == InputKind.Byte ? " / 255" : string.Empty)}} + b[c].
                // {{TailComment()}}; {{Q}} classes in {{full}} block(s) of {{size}}{{(rem > 0 ? $" + 1 of {rem}" : string.Empty)}}.
                // Two rows share every weight load, so a block keeps 2 x {{size}} independent {{_isa.Lanes}}-lane accumulators.
                // Pad lanes of each row (classes {{Q}}..ClassStride-1) are set to -inf so max and exp ignore them.
                """);
            using (_w.Block($"private static void Logits{Suffix(input)}{_isa.Name}(ref float w, ref float bias, ref {Elem(input)} x, ref nuint offs, int count, ref float blk)"))
            {
                _w.WriteLine("int i = 0;");
                using (_w.Block("for (; i + 1 < count; i += 2)"))
                {
                    EmitLogitRows(input, 2);
                }

                using (_w.Block("if (i < count)"))
                {
                    EmitLogitRows(input, 1);
                }
            }
        }

        private void EmitLogitRows(InputKind input, int rows)
        {
            string v = _isa.VectorOfFloat;
            if (rows == 2 && VectorEnd > 0)
            {
                // Prefetch two pairs ahead (measured on Zen 4: one pair ahead hides too little of DRAM latency,
                // three is no better); offs holds PrefetchRows entries past the block for it.
                _w.WriteLine($"nuint p0 = {Unsafe}.Add(ref offs, i + {PrefetchRows});");
                _w.WriteLine($"nuint p1 = {Unsafe}.Add(ref offs, i + {PrefetchRows + 1});");
            }

            for (int r = 0; r < rows; r++)
            {
                _w.WriteLine($"nuint x{r} = {Unsafe}.Add(ref offs, i + {r});");
                _w.WriteLine($"ref float o{r} = ref {Unsafe}.Add(ref blk, (i + {r}) * ClassStride);");
            }

            ForEachClassBlock("logits", cb =>
            {
                _w.WriteLine($"ref float wb = ref {Unsafe}.Add(ref w, c0 * {D});");
                for (int r = 0; r < rows; r++)
                {
                    for (int c = 0; c < cb; c++)
                    {
                        if (VectorEnd > 0)
                        {
                            _w.WriteLine($"{v} a{r}_{c} = {_isa.Vector}.Create(0f);");
                        }

                        if (VectorEnd < D)
                        {
                            _w.WriteLine($"float t{r}_{c} = 0f;");
                        }
                    }
                }

                if (VectorEnd > 0)
                {
                    using (_w.Block($"for (nuint k = 0; k < {VectorEnd}; k += {L})"))
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            _w.WriteLine($"{v} xv{r} = {_isa.Load(input, "x", $"x{r} + k")};");
                        }

                        if (rows == 2)
                        {
                            // Rows arrive in shuffled order, which no hardware prefetcher predicts: fetch the next
                            // pair's lines while this pair computes. Harmless if they are already cached.
                            _w.WriteLine($"global::GenSoftmax.Internal.Prefetch.Line(ref {Unsafe}.Add(ref x, p0 + k));");
                            _w.WriteLine($"global::GenSoftmax.Internal.Prefetch.Line(ref {Unsafe}.Add(ref x, p1 + k));");
                        }

                        for (int c = 0; c < cb; c++)
                        {
                            _w.WriteLine($"{(c == 0 ? v + " " : string.Empty)}wv = {_isa.Vector}.LoadUnsafe(ref wb, {c * D} + k);");
                            for (int r = 0; r < rows; r++)
                            {
                                _w.WriteLine($"a{r}_{c} = {_isa.Fma($"xv{r}", "wv", $"a{r}_{c}")};");
                            }
                        }
                    }
                }

                if (VectorEnd < D)
                {
                    using (_w.Block($"for (nuint k = {VectorEnd}; k < {D}; k++) // scalar tail of fixed length {D - VectorEnd}"))
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            _w.WriteLine($"float xs{r} = {Scalar(input, $"x{r} + k")};");
                        }

                        for (int c = 0; c < cb; c++)
                        {
                            _w.WriteLine($"{(c == 0 ? "float " : string.Empty)}ws = {Unsafe}.Add(ref wb, {c * D} + k);");
                            for (int r = 0; r < rows; r++)
                            {
                                _w.WriteLine($"t{r}_{c} += xs{r} * ws;");
                            }
                        }
                    }
                }

                string scale = input == InputKind.Byte ? " * PixelScale" : string.Empty;
                string v128 = "global::System.Runtime.Intrinsics.Vector128";
                int quads = VectorEnd > 0 && _isa.FoldTo128 is not null ? cb / 4 : 0;
                for (int r = 0; r < rows; r++)
                {
                    for (int q = 0; q < quads; q++)
                    {
                        // Four classes' accumulators reduced together: fold each to 128 bits, then two rounds of
                        // horizontal adds leave the four sums in one vector, stored with the bias in one go.
                        int c = q * 4;
                        for (int j = 0; j < 4; j++)
                        {
                            _w.WriteLine($"{v128}<float> f{r}_{c + j} = {_isa.FoldTo128!($"a{r}_{c + j}")};");
                        }

                        string hadd = "global::System.Runtime.Intrinsics.X86.Sse3.HorizontalAdd";
                        string sums = $"{hadd}({hadd}(f{r}_{c}, f{r}_{c + 1}), {hadd}(f{r}_{c + 2}, f{r}_{c + 3}))";
                        if (VectorEnd < D)
                        {
                            sums += $" + {v128}.Create(t{r}_{c}, t{r}_{c + 1}, t{r}_{c + 2}, t{r}_{c + 3})";
                        }

                        _w.WriteLine($"{v128}.StoreUnsafe((({sums}){scale}) + {v128}.LoadUnsafe(ref bias, c0 + {c}), ref o{r}, c0 + {c});");
                    }

                    for (int c = quads * 4; c < cb; c++)
                    {
                        string sum = VectorEnd > 0 ? $"{_isa.Vector}.Sum(a{r}_{c})" : string.Empty;
                        if (VectorEnd < D)
                        {
                            sum = sum.Length > 0 ? $"{sum} + t{r}_{c}" : $"t{r}_{c}";
                        }

                        _w.WriteLine($"{Unsafe}.Add(ref o{r}, c0 + {c}) = (({sum}){scale}) + {Unsafe}.Add(ref bias, c0 + {c});");
                    }
                }
            });

            if (Q < PaddedClasses(Q))
            {
                using (_w.Block($"for (int c = {Q}; c < ClassStride; c++)"))
                {
                    for (int r = 0; r < rows; r++)
                    {
                        _w.WriteLine($"{Unsafe}.Add(ref o{r}, c) = float.NegativeInfinity;");
                    }
                }
            }
        }

        private void EmitGradient(InputKind input)
        {
            (int size, int full, int rem) = ClassBlocks(Q, _isa.MaxClassBlock);
            int pairEnd = D / (2 * L) * (2 * L);
            _w.WriteLine($$"""
                // Weight gradient of a block of rows: dW[c, k] = (first ? 0 : dW[c, k]) + sum_i g[i, c] * x[offs[i] + k].
                // {{TailComment()}}. Each step holds 2 input vectors x {{size}} classes in accumulators across
                // the block's rows, so every input vector is loaded once per row and used by all {{size}} classes.
                // This pass reads only cached rows and leaves the memory bus idle, so the step that reads row i at
                // input k also prefetches row i of the next block (next[i]) at input k: the next logits pass then
                // finds its rows in cache instead of waiting for DRAM.
                """);
            using (_w.Block($"private static void Gradient{Suffix(input)}{_isa.Name}(ref {Elem(input)} x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first)"))
            {
                ForEachClassBlock("gradient", cb =>
                {
                    _w.WriteLine($"ref float dWb = ref {Unsafe}.Add(ref dW, c0 * {D});");
                    _w.WriteLine($"ref float gb = ref {Unsafe}.Add(ref g, c0);");
                    if (pairEnd > 0)
                    {
                        using (_w.Block($"for (nuint k = 0; k < {pairEnd}; k += {2 * L})"))
                        {
                            EmitGradientStep(input, cb, 2);
                        }
                    }

                    if (VectorEnd > pairEnd)
                    {
                        using (_w.Block()) // the one vector left after the pairs
                        {
                            _w.WriteLine($"nuint k = {pairEnd};");
                            EmitGradientStep(input, cb, 1);
                        }
                    }

                    if (VectorEnd < D)
                    {
                        using (_w.Block($"for (nuint k = {VectorEnd}; k < {D}; k++) // scalar tail of fixed length {D - VectorEnd}"))
                        {
                            for (int c = 0; c < cb; c++)
                            {
                                _w.WriteLine($"float t{c} = first ? 0f : {Unsafe}.Add(ref dWb, {c * D} + k);");
                            }

                            using (_w.Block("for (int i = 0; i < count; i++)"))
                            {
                                _w.WriteLine($"float xs = {Scalar(input, $"{Unsafe}.Add(ref offs, i) + k")};");
                                _w.WriteLine($"ref float gi = ref {Unsafe}.Add(ref gb, i * ClassStride);");
                                for (int c = 0; c < cb; c++)
                                {
                                    _w.WriteLine($"t{c} += {Unsafe}.Add(ref gi, {c}) * xs;");
                                }
                            }

                            for (int c = 0; c < cb; c++)
                            {
                                _w.WriteLine($"{Unsafe}.Add(ref dWb, {c * D} + k) = t{c};");
                            }
                        }
                    }
                });
            }
        }

        private void EmitGradientStep(InputKind input, int cb, int vectors)
        {
            string v = _isa.VectorOfFloat;
            for (int c = 0; c < cb; c++)
            {
                for (int j = 0; j < vectors; j++)
                {
                    _w.WriteLine($"{v} a{c}_{j} = first ? {_isa.Vector}.Create(0f) : {_isa.Vector}.LoadUnsafe(ref dWb, {c * D} + k + {j * L});");
                }
            }

            using (_w.Block("for (int i = 0; i < count; i++)"))
            {
                _w.WriteLine($"nuint xo = {Unsafe}.Add(ref offs, i) + k;");
                _w.WriteLine($"nuint po = {Unsafe}.Add(ref next, i) + k;");
                int elemSize = input == InputKind.Float ? 4 : 1;
                for (int b = 0; b < vectors * L * elemSize; b += 64)
                {
                    // One prefetch per cache line the step's vectors span in the next block's row.
                    string at = b == 0 ? "po" : $"po + {b / elemSize}";
                    _w.WriteLine($"global::GenSoftmax.Internal.Prefetch.Line(ref {Unsafe}.Add(ref x, {at}));");
                }

                for (int j = 0; j < vectors; j++)
                {
                    _w.WriteLine($"{v} xv{j} = {_isa.Load(input, "x", $"xo + {j * L}")};");
                }

                _w.WriteLine($"ref float gi = ref {Unsafe}.Add(ref gb, i * ClassStride);");
                for (int c = 0; c < cb; c++)
                {
                    _w.WriteLine($"{(c == 0 ? v + " " : string.Empty)}gv = {_isa.Vector}.Create({Unsafe}.Add(ref gi, {c}));");
                    for (int j = 0; j < vectors; j++)
                    {
                        _w.WriteLine($"a{c}_{j} = {_isa.Fma($"xv{j}", "gv", $"a{c}_{j}")};");
                    }
                }
            }

            for (int c = 0; c < cb; c++)
            {
                for (int j = 0; j < vectors; j++)
                {
                    _w.WriteLine($"{_isa.Vector}.StoreUnsafe(a{c}_{j}, ref dWb, {c * D} + k + {j * L});");
                }
            }
        }

        private void EmitSoftmax()
        {
            int stride = PaddedClasses(Q);
            _w.WriteLine($$"""
                // Softmax of each row of a block, in place: m = max(o), e = exp(o - m), s = sum e, m[i] = m, sums[i] = s,
                // row = e * (scale / s). Pad lanes hold -inf, so max ignores them and exp gives them 0.
                // {{stride}} padded classes = {{RowVectors}} x {{L}} lanes.
                """);
            using (_w.Block($"private static void Softmax{_isa.Name}(ref float blk, int count, ref float m, ref float sums, float scale)"))
            {
                using (_w.Block("for (int i = 0; i < count; i++)"))
                {
                    EmitRowSoftmax(loss: false);
                }
            }

            _w.WriteLine();
            _w.WriteLine($$"""
                // The loss's row work for hard labels, fused: per row, with y = labels[i],
                //   m = max(o), pre[i] = m - o[y], sums[i] = sum exp(o - m)   (the row's loss is pre + log sums, logged
                //   by the driver for the whole block), correct if y is the first index of the max (as Predict says),
                //   g = softmax(o) * scale - onehot(y) * scale,  db += g,  row = g * gScale.
                // Returns how many rows were correct.
                """);
            using (_w.Block($"private static int LossRows{_isa.Name}(ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale, float gScale)"))
            {
                string v = _isa.VectorOfFloat;
                _w.WriteLine("int correct = 0;");
                _w.WriteLine($"{v} sv = {_isa.Vector}.Create(scale);");
                _w.WriteLine($"{v} gsv = {_isa.Vector}.Create(gScale);");
                if (RowInRegisters)
                {
                    for (int j = 0; j < RowVectors; j++)
                    {
                        _w.WriteLine($"{v} d{j} = {_isa.Vector}.LoadUnsafe(ref db, {j * L});");
                    }
                }

                using (_w.Block("for (int i = 0; i < count; i++)"))
                {
                    EmitRowSoftmax(loss: true);
                }

                if (RowInRegisters)
                {
                    for (int j = 0; j < RowVectors; j++)
                    {
                        _w.WriteLine($"{_isa.Vector}.StoreUnsafe(d{j}, ref db, {j * L});");
                    }
                }

                _w.WriteLine("return correct;");
            }
        }

        /// <summary>The body of the row loop of Softmax (loss: false) or LossRows (loss: true), for row i.</summary>
        private void EmitRowSoftmax(bool loss)
        {
            int stride = PaddedClasses(Q);
            int vectors = RowVectors;
            string v = _isa.VectorOfFloat;
            string V = _isa.Vector;
            string ints = $"{V}<int>.Indices";
            string bits = "global::System.Numerics.BitOperations.TrailingZeroCount";
            _w.WriteLine($"ref float row = ref {Unsafe}.Add(ref blk, i * ClassStride);");
            if (loss)
            {
                _w.WriteLine($"int y = {Unsafe}.Add(ref labels, i);");
            }

            if (RowInRegisters)
            {
                // Few vectors: the row stays in registers from the max to the store.
                for (int j = 0; j < vectors; j++)
                {
                    _w.WriteLine($"{v} o{j} = {V}.LoadUnsafe(ref row, {j * L});");
                }

                string max = "o0";
                for (int j = 1; j < vectors; j++)
                {
                    max = $"{V}.MaxNative({max}, o{j})";
                }

                _w.WriteLine($"float mx = global::GenSoftmax.Internal.Lanes.Max({max});");
                _w.WriteLine($"{v} mv = {V}.Create(mx);");
                if (loss)
                {
                    _w.WriteLine($"{Unsafe}.Add(ref pre, i) = mx - {Unsafe}.Add(ref row, y);");
                    string eq = string.Join(" | ", Enumerable.Range(0, vectors).Select(j =>
                        j == 0 ? $"(ulong){V}.ExtractMostSignificantBits({V}.Equals(o0, mv))" : $"((ulong){V}.ExtractMostSignificantBits({V}.Equals(o{j}, mv)) << {j * L})"));
                    _w.WriteLine($"correct += {bits}({eq}) == y ? 1 : 0;");
                }
                else
                {
                    _w.WriteLine($"{Unsafe}.Add(ref m, i) = mx;");
                }

                for (int j = 0; j < vectors; j++)
                {
                    _w.WriteLine($"{v} e{j} = {V}.Exp(o{j} - mv);");
                }

                string sum = string.Join(" + ", Enumerable.Range(0, vectors).Select(j => $"e{j}"));
                _w.WriteLine($"float s = {V}.Sum({sum});");
                _w.WriteLine($"{Unsafe}.Add(ref sums, i) = s;");
                _w.WriteLine($"{v} inv = {V}.Create(scale / s);");
                if (loss)
                {
                    _w.WriteLine($"{V}<int> yv = {V}.Create(y);");
                }

                for (int j = 0; j < vectors; j++)
                {
                    if (loss)
                    {
                        string lanes = j == 0 ? ints : $"({ints} + {V}.Create({j * L}))";
                        _w.WriteLine($"{v} g{j} = (e{j} * inv) - ({V}.AsSingle({V}.Equals({lanes}, yv)) & sv);");
                        _w.WriteLine($"d{j} += g{j};");
                        _w.WriteLine($"{V}.StoreUnsafe(g{j} * gsv, ref row, {j * L});");
                    }
                    else
                    {
                        _w.WriteLine($"{V}.StoreUnsafe(e{j} * inv, ref row, {j * L});");
                    }
                }

                return;
            }

            // Many vectors: passes over the row in memory (max, exponentials, scaling).
            _w.WriteLine($"{v} mxv = {V}.LoadUnsafe(ref row);");
            using (_w.Block($"for (nuint j = {L}; j < {stride}; j += {L})"))
            {
                _w.WriteLine($"mxv = {V}.MaxNative(mxv, {V}.LoadUnsafe(ref row, j));");
            }

            _w.WriteLine("float mx = global::GenSoftmax.Internal.Lanes.Max(mxv);");
            _w.WriteLine($"{v} mv = {V}.Create(mx);");
            if (loss)
            {
                _w.WriteLine($"{Unsafe}.Add(ref pre, i) = mx - {Unsafe}.Add(ref row, y);");
                _w.WriteLine("int first = -1;");
                using (_w.Block($"for (nuint j = 0; j < {stride}; j += {L})"))
                {
                    _w.WriteLine($"ulong eq = (ulong){V}.ExtractMostSignificantBits({V}.Equals({V}.LoadUnsafe(ref row, j), mv));");
                    using (_w.Block("if (eq != 0)"))
                    {
                        _w.WriteLine($"first = (int)j + {bits}(eq);");
                        _w.WriteLine("break;");
                    }
                }

                _w.WriteLine("correct += first == y ? 1 : 0;");
            }
            else
            {
                _w.WriteLine($"{Unsafe}.Add(ref m, i) = mx;");
            }

            _w.WriteLine($"{v} sum = {V}.Create(0f);");
            using (_w.Block($"for (nuint j = 0; j < {stride}; j += {L})"))
            {
                _w.WriteLine($"{v} e = {V}.Exp({V}.LoadUnsafe(ref row, j) - mv);");
                _w.WriteLine($"{V}.StoreUnsafe(e, ref row, j);");
                _w.WriteLine("sum += e;");
            }

            _w.WriteLine($"float s = {V}.Sum(sum);");
            _w.WriteLine($"{Unsafe}.Add(ref sums, i) = s;");
            _w.WriteLine($"{v} inv = {V}.Create(scale / s);");
            if (loss)
            {
                _w.WriteLine($"{V}<int> yv = {V}.Create(y);");
            }

            using (_w.Block($"for (nuint j = 0; j < {stride}; j += {L})"))
            {
                if (loss)
                {
                    _w.WriteLine($"{v} g = ({V}.LoadUnsafe(ref row, j) * inv) - ({V}.AsSingle({V}.Equals({ints} + {V}.Create((int)j), yv)) & sv);");
                    _w.WriteLine($"{V}.StoreUnsafe({V}.LoadUnsafe(ref db, j) + g, ref db, j);");
                    _w.WriteLine($"{V}.StoreUnsafe(g * gsv, ref row, j);");
                }
                else
                {
                    _w.WriteLine($"{V}.StoreUnsafe({V}.LoadUnsafe(ref row, j) * inv, ref row, j);");
                }
            }
        }

        /// <summary>Classes padded to a whole number of the widest vector (16 lanes), so every variant can share one block layout.</summary>
        public static int PaddedClasses(int classes) => (classes + 15) / 16 * 16;
    }
}
