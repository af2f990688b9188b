using System.Globalization;
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
                """);
            using (_w.Block($"private static void Gradient{Suffix(input)}{_isa.Name}(ref {Elem(input)} x, ref nuint offs, int count, ref float g, ref float dW, bool first)"))
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
                _w.WriteLine("nuint xo = Unsafe_Add(offs, i) + k;".Replace("Unsafe_Add(offs, i)", $"{Unsafe}.Add(ref offs, i)"));
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
            int vectors = stride / L;
            string v = _isa.VectorOfFloat;
            _w.WriteLine($$"""
                // Softmax of each row of a block, in place, given its max m: e = exp(o - m), s = sum e,
                // sums[i] = s, row = e * (scale / s). Pad lanes hold -inf, so exp gives them 0.
                // {{stride}} padded classes = {{vectors}} x {{L}} lanes.
                """);
            using (_w.Block($"private static void Softmax{_isa.Name}(ref float blk, int count, ref float m, ref float sums, float scale)"))
            {
                using (_w.Block("for (int i = 0; i < count; i++)"))
                {
                    _w.WriteLine($"ref float row = ref {Unsafe}.Add(ref blk, i * ClassStride);");
                    _w.WriteLine($"{v} mv = {_isa.Vector}.Create({Unsafe}.Add(ref m, i));");
                    _w.WriteLine($"{v} sum = {_isa.Vector}.Create(0f);");
                    if (vectors <= 4)
                    {
                        // Few vectors: keep the exponentials in registers between the two passes.
                        for (int j = 0; j < vectors; j++)
                        {
                            _w.WriteLine($"{v} e{j} = {_isa.Vector}.Exp({_isa.Vector}.LoadUnsafe(ref row, {j * L}) - mv);");
                            _w.WriteLine($"sum += e{j};");
                        }

                        _w.WriteLine("float s = " + _isa.Vector + ".Sum(sum);");
                        _w.WriteLine($"{Unsafe}.Add(ref sums, i) = s;");
                        _w.WriteLine($"{v} inv = {_isa.Vector}.Create(scale / s);");
                        for (int j = 0; j < vectors; j++)
                        {
                            _w.WriteLine($"{_isa.Vector}.StoreUnsafe(e{j} * inv, ref row, {j * L});");
                        }
                    }
                    else
                    {
                        using (_w.Block($"for (nuint j = 0; j < {stride}; j += {L})"))
                        {
                            _w.WriteLine($"{v} e = {_isa.Vector}.Exp({_isa.Vector}.LoadUnsafe(ref row, j) - mv);");
                            _w.WriteLine($"{_isa.Vector}.StoreUnsafe(e, ref row, j);");
                            _w.WriteLine("sum += e;");
                        }

                        _w.WriteLine("float s = " + _isa.Vector + ".Sum(sum);");
                        _w.WriteLine($"{Unsafe}.Add(ref sums, i) = s;");
                        _w.WriteLine($"{v} inv = {_isa.Vector}.Create(scale / s);");
                        using (_w.Block($"for (nuint j = 0; j < {stride}; j += {L})"))
                        {
                            _w.WriteLine($"{_isa.Vector}.StoreUnsafe({_isa.Vector}.LoadUnsafe(ref row, j) * inv, ref row, j);");
                        }
                    }
                }
            }
        }

        /// <summary>Classes padded to a whole number of the widest vector (16 lanes), so every variant can share one block layout.</summary>
        public static int PaddedClasses(int classes) => (classes + 15) / 16 * 16;
    }
}
