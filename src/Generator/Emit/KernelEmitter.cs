using System.Linq;
using GenSoftmax.Generator.Model;

namespace GenSoftmax.Generator.Emit
{
    /// <summary>
    /// Writes the shape-specialised kernels of one model for one instruction set: logits of a block of rows,
    /// the weight gradient of a block, softmax of a block and the fused loss rows. All sizes are constants in the
    /// output, and every comment about a shape is derived from the same values that decide the code.
    /// </summary>
    internal sealed class KernelEmitter
    {
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

        private int Stride => KernelLayout.ClassStride(Q);

        /// <summary>
        /// Most classes per block: as many as the registers hold (<see cref="IsaProfile.MaxClassBlock"/>), but at most
        /// <see cref="KernelLayout.MaxAliasedRows"/> when rows of W lie whole pages apart (<see cref="KernelLayout.AliasesInL1"/>):
        /// a block's rows of W and the two input rows then share one L1 set of 8 ways.
        /// </summary>
        private int MaxClassBlock => KernelLayout.AliasesInL1(D)
            ? System.Math.Min(_isa.MaxClassBlock, KernelLayout.MaxAliasedRows)
            : _isa.MaxClassBlock;

        /// <summary>Vectors per padded row of logits.</summary>
        private int RowVectors => Stride / L;

        /// <summary>Whether the row kernels keep a row in registers (few vectors) or loop over it in memory.</summary>
        private bool RowInRegisters => RowVectors <= 4;

        /// <summary>Inputs covered by whole vectors; the rest (fewer than one vector) is a scalar tail of fixed length.</summary>
        private int VectorEnd => D / L * L;

        /// <summary>Inputs covered by pairs of vectors in the gradient pass.</summary>
        private int PairEnd => D / (2 * L) * (2 * L);

        /// <summary>
        /// Whether a class block's logits are reduced by one transposing sum (<see cref="IsaProfile.TransposeSum"/>) into one
        /// vector, which is stored with the bias in one go: 39 instructions for a row of 10 classes on AVX-512, where
        /// folding each accumulator and adding horizontally took about 100.
        /// </summary>
        private bool ReducesByTranspose => VectorEnd > 0 && _isa.TransposeSum is not null;

        public void EmitAll()
        {
            EmitHelpers();
            EmitLogits(InputKind.Float);
            _w.WriteLine();
            EmitLogits(InputKind.Byte);
            _w.WriteLine();
            EmitGradient(InputKind.Float);
            _w.WriteLine();
            EmitGradient(InputKind.Byte);
            _w.WriteLine();
            EmitSoftmax();
            _w.WriteLine();
            EmitLossRows();
        }

        /// <summary>How the classes split into blocks of at most <paramref name="maxBlock"/>.</summary>
        internal static (int Size, int Full, int Remainder) ClassBlocks(int classes, int maxBlock)
        {
            int blocks = (classes + maxBlock - 1) / maxBlock;
            int size = (classes + blocks - 1) / blocks;
            return (size, classes / size, classes % size);
        }

        private static string Suffix(InputKind input) => input == InputKind.Float ? "F32" : "U8";

        private static string Elem(InputKind input) => input == InputKind.Float ? "float" : "byte";

        private static string Scalar(InputKind input, string offset) => input == InputKind.Float
            ? $"Unsafe.Add(ref x, {offset})"
            : $"(float)Unsafe.Add(ref x, {offset})";

        private string TailComment() => D % L == 0
            ? $"{D} inputs = {D / L} x {L} lanes, no tail"
            : VectorEnd == 0
                ? $"{D} inputs < {L} lanes: all {D} in a scalar loop of fixed length"
                : $"{D} inputs = {D / L} x {L} lanes + a scalar tail of {D % L}";

        private string ClassBlockComment()
        {
            (int size, int full, int rem) = ClassBlocks(Q, MaxClassBlock);
            return $"{Q} classes in {full} block{(full == 1 ? string.Empty : "s")} of {size}{(rem > 0 ? $" + 1 of {rem}" : string.Empty)}";
        }

        private void EmitHelpers()
        {
            _w.WriteLine($"private const int ClassStride = {Stride}; " +
                $"// {Q} classes padded to whole vectors of {KernelLayout.WidestLanes} lanes");
            _w.WriteLine("private const float PixelScale = 1f / 255f;");
            _w.WriteLine();
            if (VectorEnd > 0)
            {
                _w.WriteLine("// One vector of floats from as many bytes (pixels 0..255).");
                _w.WriteLine("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
                using (_w.Block("private static V LoadBytes(ref byte x, nuint offset)"))
                {
                    _w.WriteLine("return " + _isa.LoadBytesBody + ";");
                }
            }

            EmitExp();
            _w.WriteLine();
        }

        /// <summary>
        /// exp for the softmax kernels, written out so that it inlines. <c>Vec.Exp</c> calls a generic helper of the
        /// runtime's (VectorMath.ExpSingle) that the JIT does not inline and that has no precompiled code for 256- and
        /// 512-bit vectors, so in a fresh process it ran unoptimised, once per vector of every row, until the JIT
        /// replaced it after its tiering delay: the largest part of the slow first epoch (bench/README.md).
        /// </summary>
        private void EmitExp()
        {
            string Fma(string a, string b, string c) => _isa.Fma(a, b, c);
            _w.WriteLine();
            _w.WriteLine($$"""
                // exp(x) for the x = o - max(o) <= 0 of softmax (Cephes' expf): n = round(x log2 e), r = x - n ln 2 with
                // ln 2 in two parts (the first exact in 9 bits, so n * it is exact), exp(r) ~ 1 + r + r^2 p(r) on
                // |r| <= ln 2 / 2 (error about 1 ulp), times 2^n with one rounding (vscalefps with AVX-512; elsewhere 2^n in
                // the exponent bits: n, clamped to -126, plus 12583039 = 1.5 * 2^23 + 127 is exact with n + 127 in its low
                // bits, shifted into the exponent; the clamp changes only lanes replaced below). Below -87.33654
                // (exp(x) < 2^-126, the smallest normal float), and at -inf (the pad lanes), the result is 0.
                [MethodImpl(MethodImplOptions.AggressiveInlining)]
                private static V Exp(V x)
                {
                    V n = Vec.Round(x * Vec.Create(1.44269504088896341f));
                    V r = {{Fma("n", "Vec.Create(-0.693359375f)", "x")}};
                    r = {{Fma("n", "Vec.Create(2.12194440e-4f)", "r")}};
                    V p = {{Fma("Vec.Create(1.9875691500e-4f)", "r", "Vec.Create(1.3981999507e-3f)")}};
                    p = {{Fma("p", "r", "Vec.Create(8.3334519073e-3f)")}};
                    p = {{Fma("p", "r", "Vec.Create(4.1665795894e-2f)")}};
                    p = {{Fma("p", "r", "Vec.Create(1.6666665459e-1f)")}};
                    p = {{Fma("p", "r", "Vec.Create(5.0000001201e-1f)")}};
                    p = {{Fma("p", "r * r", "r + V.One")}};
                    V scaled = {{string.Format(_isa.ScaleByPow2Format, "p", "n").Replace("\n", "\n    ")}};
                    return Vec.ConditionalSelect(Vec.LessThan(x, Vec.Create(-87.33654f)), V.Zero, scaled);
                }
                """);
        }

        /// <summary>
        /// Marks a kernel to be compiled fully optimised at its first call. Without it the JIT starts every method at
        /// tier 0 (unoptimised, Vector256.Exp and the helpers not inlined) and replaces it only after 30 calls and a
        /// quiet period with no new tier-0 methods: the first epochs of a fresh process ran several times slower than
        /// the rest, longest on one CPU, where the background recompilation competes with training (bench/README.md).
        /// Kernels are the whole cost of a call and have no branches a profile could improve, so nothing is lost.
        /// </summary>
        private void EmitHot() =>
            _w.WriteLine("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");

        /// <summary>Emits one class block per full block (as a counted loop) and one for the remainder.</summary>
        private void ForEachClassBlock(string what, System.Action<int> body)
        {
            (int size, int full, int rem) = ClassBlocks(Q, MaxClassBlock);
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
            (int size, _, _) = ClassBlocks(Q, MaxClassBlock);
            string accumulators = VectorEnd > 0 ? $"{L}-lane accumulators" : "scalar accumulators";
            _w.WriteLine($$"""
                // Logits of a block of rows:
                //   o[i, c] = sum_k x[offs[i] + k] * W[c, k]{{(input == InputKind.Byte ? " / 255" : string.Empty)}} + b[c].
                // {{TailComment()}}; {{ClassBlockComment()}}.
                // Two rows share every weight load, so a block keeps 2 x {{size}} independent {{accumulators}}.
                """);
            if (Q < Stride)
            {
                _w.WriteLine($"// The pad lanes of each row (classes {Q}..{Stride - 1}) are set to -inf so max and exp ignore them.");
            }

            EmitHot();
            using (_w.Block($"internal static void Logits{Suffix(input)}(ref float w, ref float bias, ref {Elem(input)} x, ref nuint " +
                $"offs, int count, ref float blk)"))
            {
                _w.WriteLine("int i = 0;");
                using (_w.Block("for (; i + 1 < count; i += 2)"))
                {
                    EmitLogitRows(input, 2);
                }

                using (_w.Block("if (i < count)"))
                {
                    _w.WriteLine($"Logits{Suffix(input)}Last(ref w, ref bias, ref x, ref offs, i, ref blk);");
                }
            }

            // The odd last row apart: batches and evaluation blocks of an even number of rows never compile it.
            _w.WriteLine();
            _w.WriteLine("[MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]");
            using (_w.Block($"private static void Logits{Suffix(input)}Last(ref float w, ref float bias, ref {Elem(input)} x, ref nuint " +
                $"offs, int i, ref float blk)"))
            {
                EmitLogitRows(input, 1);
            }
        }

        private void EmitLogitRows(InputKind input, int rows)
        {
            bool prefetch = rows == 2 && VectorEnd > 0;
            if (prefetch)
            {
                // Prefetch two pairs ahead (measured on Zen 4: one pair ahead hides too little of DRAM latency,
                // three is no better); offs holds PrefetchRows entries past the block for it.
                _w.WriteLine($"nuint p0 = Unsafe.Add(ref offs, i + {KernelLayout.PrefetchRows});");
                _w.WriteLine($"nuint p1 = Unsafe.Add(ref offs, i + {KernelLayout.PrefetchRows + 1});");
            }

            for (int r = 0; r < rows; r++)
            {
                _w.WriteLine($"nuint x{r} = Unsafe.Add(ref offs, i + {r});");
                _w.WriteLine($"ref float o{r} = ref Unsafe.Add(ref blk, (i + {r}) * ClassStride);");
            }

            if (VectorEnd > 0)
            {
                // The rows as references, so each load and prefetch in the loop addresses [row + k] in one instruction
                // (from x + offset + k the JIT made a lea and an add first: 6 of the AVX2 step's 30 instructions).
                string elem = Elem(input);
                for (int r = 0; r < rows; r++)
                {
                    _w.WriteLine($"ref {elem} xr{r} = ref Unsafe.Add(ref x, x{r});");
                }

                if (prefetch)
                {
                    _w.WriteLine($"ref {elem} pr0 = ref Unsafe.Add(ref x, p0);");
                    _w.WriteLine($"ref {elem} pr1 = ref Unsafe.Add(ref x, p1);");
                }
            }

            ForEachClassBlock("logits", cb =>
            {
                _w.WriteLine($"ref float wb = ref Unsafe.Add(ref w, c0 * {D});");
                for (int r = 0; r < rows; r++)
                {
                    for (int c = 0; c < cb; c++)
                    {
                        if (VectorEnd > 0)
                        {
                            _w.WriteLine($"V a{r}_{c} = V.Zero;");
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
                            _w.WriteLine($"V xv{r} = {_isa.Load(input, $"xr{r}", "k")};");
                        }

                        if (prefetch)
                        {
                            // Rows arrive in shuffled order, which no hardware prefetcher predicts: fetch the next
                            // pair's lines while this pair computes. Harmless if they are already cached. Once per
                            // 64 bytes of the row when a step reads less than that (a prefetch and its address are
                            // 5 of the AVX2 step's 25 instructions).
                            int perLine = 64 / (input == InputKind.Float ? 4 : 1);
                            if (L < perLine)
                            {
                                using (_w.Block($"if ((k & {perLine - 1}) == 0)"))
                                {
                                    _w.WriteLine("Prefetch.Line(ref Unsafe.Add(ref pr0, k));");
                                    _w.WriteLine("Prefetch.Line(ref Unsafe.Add(ref pr1, k));");
                                }
                            }
                            else
                            {
                                _w.WriteLine("Prefetch.Line(ref Unsafe.Add(ref pr0, k));");
                                _w.WriteLine("Prefetch.Line(ref Unsafe.Add(ref pr1, k));");
                            }
                        }

                        for (int c = 0; c < cb; c++)
                        {
                            _w.WriteLine($"{(c == 0 ? "V " : string.Empty)}wv = Vec.LoadUnsafe(ref wb, {At(c * D)});");
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
                            _w.WriteLine($"{(c == 0 ? "float " : string.Empty)}ws = Unsafe.Add(ref wb, {At(c * D)});");
                            for (int r = 0; r < rows; r++)
                            {
                                _w.WriteLine($"t{r}_{c} += xs{r} * ws;");
                            }
                        }
                    }
                }

                string scale = input == InputKind.Byte ? " * PixelScale" : string.Empty;
                if (ReducesByTranspose)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        EmitTransposeSum(r, cb, scale);
                    }

                    return;
                }

                for (int r = 0; r < rows; r++)
                {
                    for (int c = 0; c < cb; c++)
                    {
                        string sum = VectorEnd > 0 ? $"Vec.Sum(a{r}_{c})" : string.Empty;
                        if (VectorEnd < D)
                        {
                            sum = sum.Length > 0 ? $"{sum} + t{r}_{c}" : $"t{r}_{c}";
                        }

                        string value = scale.Length > 0 ? $"(({sum}){scale})" : sum;
                        _w.WriteLine($"Unsafe.Add(ref o{r}, c0 + {c}) = {value} + Unsafe.Add(ref bias, c0 + {c});");
                    }
                }
            });

            if (Q < Stride)
            {
                using (_w.Block($"for (int c = {Q}; c < ClassStride; c++)"))
                {
                    for (int r = 0; r < rows; r++)
                    {
                        _w.WriteLine($"Unsafe.Add(ref o{r}, c) = float.NegativeInfinity;");
                    }
                }
            }
        }

        /// <summary>
        /// Row <paramref name="r"/>'s <paramref name="cb"/> accumulators of the class block at c0 reduced to one vector of
        /// their sums (lane c is class c0 + c), scaled, plus the bias, and stored. Class c goes in as input
        /// <c>c / 4 + (lanes / 4)(c % 4)</c> of the transposing sum, which puts its sum in lane c; an input no class fills
        /// is skipped, or its partner stands in for it (its lanes are then never stored as a class).
        /// </summary>
        private void EmitTransposeSum(int r, int cb, string scale)
        {
            string[] rounds = _isa.TransposeSum!;
            var inputs = new string?[L];
            for (int c = 0; c < cb; c++)
            {
                if (VectorEnd < D)
                {
                    _w.WriteLine($"a{r}_{c} += Vec.CreateScalar(t{r}_{c});"); // the scalar tail joins lane 0
                }

                inputs[(c / 4) + (L / 4 * (c % 4))] = $"a{r}_{c}";
            }

            for (int round = 0; round < rounds.Length; round++)
            {
                var sums = new string?[inputs.Length / 2];
                for (int m = 0; m < sums.Length; m++)
                {
                    string? a = inputs[2 * m], b = inputs[(2 * m) + 1];
                    if (a is null && b is null)
                    {
                        continue;
                    }

                    sums[m] = $"s{r}_{round}_{m}";
                    string sum = string.Format(System.Globalization.CultureInfo.InvariantCulture, rounds[round], a ?? b, b ?? a);
                    _w.WriteLine($"V {sums[m]} = {sum};");
                }

                inputs = sums;
            }

            string scaled = scale.Length > 0 ? $"({inputs[0]}{scale})" : inputs[0]!;
            _w.WriteLine($"V y{r} = {scaled} + Vec.LoadUnsafe(ref bias, c0);");
            if (FitsWholeVector(cb))
            {
                // Lanes past the block are the next block's (stored after this one) or pad lanes (set to -inf below).
                _w.WriteLine($"Vec.StoreUnsafe(y{r}, ref o{r}, c0);");
                return;
            }

            // The row ends less than a vector past c0: only the block's lanes are stored, in pieces of 8 and 4, then one by one.
            int p = 0;
            for (int n = L / 2; n >= 4; n /= 2)
            {
                for (; cb - p >= n; p += n)
                {
                    _w.WriteLine(n == 8
                        ? $"V256.StoreUnsafe(Vec.{(p == 0 ? "GetLower" : "GetUpper")}(y{r}), ref o{r}, c0 + {p});"
                        : $"V128.StoreUnsafe({Piece128($"y{r}", p / 4)}, ref o{r}, c0 + {p});");
                }
            }

            if (p < cb)
            {
                _w.WriteLine($"F128 y{r}_{p} = {Piece128($"y{r}", p / 4)};");
                for (int c = p; c < cb; c++)
                {
                    _w.WriteLine($"Unsafe.Add(ref o{r}, c0 + {c}) = V128.GetElement(y{r}_{p}, {c - p});");
                }
            }
        }

        /// <summary>
        /// Whether every class block of <paramref name="cb"/> classes (the remainder's size or the full blocks') starts at least
        /// one vector before the end of the row of logits, so it may store a whole vector.
        /// </summary>
        private bool FitsWholeVector(int cb)
        {
            (int size, int full, int rem) = ClassBlocks(Q, MaxClassBlock);
            int lastStart = rem > 0 && cb == rem ? full * size : (full - 1) * size;
            return lastStart + L <= Stride;
        }

        /// <summary>The 128-bit piece <paramref name="index"/> of vector <paramref name="v"/>.</summary>
        private string Piece128(string v, int index) => L == 8
            ? $"Vec.{(index == 0 ? "GetLower" : "GetUpper")}({v})"
            : $"V256.{(index % 2 == 0 ? "GetLower" : "GetUpper")}(Vec.{(index < 2 ? "GetLower" : "GetUpper")}({v}))";

        private void EmitGradient(InputKind input)
        {
            (int size, _, _) = ClassBlocks(Q, MaxClassBlock);
            int vectors = PairEnd > 0 ? 2 : VectorEnd > 0 ? 1 : 0;
            _w.WriteLine($$"""
                // Weight gradient of a block of rows: dW[c, k] = (first ? 0 : dW[c, k]) + sum_i g[i, c] * x[offs[i] + k].
                // {{TailComment()}}; {{ClassBlockComment()}}.
                """);
            if (vectors > 0)
            {
                _w.WriteLine($$"""
                    // Each step holds {{StepVectors()}} x {{size}} classes in accumulators across the block's rows,
                    // so every input vector is loaded once per row and used by all {{size}} classes.
                    // This pass reads only cached rows and leaves the memory bus idle, so the step that reads row i at
                    // input k also prefetches row i of the next block (next[i]) at input k: the next logits pass then
                    // finds its rows in cache instead of waiting for DRAM.
                    """);
            }

            string signature = $"internal static void Gradient{Suffix(input)}(ref {Elem(input)} x, ref nuint offs, ref nuint next, int " +
                $"count, ref float g, ref float dW, bool first)";
            EmitHot();
            using (_w.Block(signature))
            {
                if (vectors == 0)
                {
                    _w.WriteLine("_ = next; // rows shorter than one vector: only the scalar loop, which does not prefetch");
                }

                ForEachClassBlock("gradient", cb =>
                {
                    _w.WriteLine($"ref float dWb = ref Unsafe.Add(ref dW, c0 * {D});");
                    _w.WriteLine("ref float gb = ref Unsafe.Add(ref g, c0);");
                    if (PairEnd > 0)
                    {
                        using (_w.Block($"for (nuint k = 0; k < {PairEnd}; k += {2 * L})"))
                        {
                            EmitGradientStep(input, cb, 2);
                        }
                    }

                    if (VectorEnd > PairEnd)
                    {
                        using (_w.Block()) // the one vector left after the pairs
                        {
                            _w.WriteLine($"nuint k = {PairEnd};");
                            EmitGradientStep(input, cb, 1);
                        }
                    }

                    if (VectorEnd < D)
                    {
                        using (_w.Block($"for (nuint k = {VectorEnd}; k < {D}; k++) // scalar tail of fixed length {D - VectorEnd}"))
                        {
                            for (int c = 0; c < cb; c++)
                            {
                                _w.WriteLine($"float t{c} = first ? 0f : Unsafe.Add(ref dWb, {At(c * D)});");
                            }

                            using (_w.Block("for (int i = 0; i < count; i++)"))
                            {
                                _w.WriteLine($"float xs = {Scalar(input, "Unsafe.Add(ref offs, i) + k")};");
                                _w.WriteLine("ref float gi = ref Unsafe.Add(ref gb, i * ClassStride);");
                                for (int c = 0; c < cb; c++)
                                {
                                    _w.WriteLine($"t{c} += Unsafe.Add(ref gi, {c}) * xs;");
                                }
                            }

                            for (int c = 0; c < cb; c++)
                            {
                                _w.WriteLine($"Unsafe.Add(ref dWb, {At(c * D)}) = t{c};");
                            }
                        }
                    }
                });
            }
        }

        /// <summary>The input vectors a gradient step holds, as the comment says it: "2 input vectors (the last step 1)".</summary>
        private string StepVectors() => PairEnd > 0
            ? VectorEnd > PairEnd ? "2 input vectors (the last step 1)" : "2 input vectors"
            : "1 input vector";

        /// <summary>"k", "784 + k", "784 + k + 16": an offset into a row of W at input k, with no "0 +".</summary>
        private static string At(int rowStart, int lane = 0) =>
            (rowStart > 0 ? $"{rowStart} + k" : "k") + (lane > 0 ? $" + {lane}" : string.Empty);

        private void EmitGradientStep(InputKind input, int cb, int vectors)
        {
            for (int c = 0; c < cb; c++)
            {
                for (int j = 0; j < vectors; j++)
                {
                    _w.WriteLine($"V a{c}_{j} = first ? V.Zero : Vec.LoadUnsafe(ref dWb, {At(c * D, j * L)});");
                }
            }

            using (_w.Block("for (int i = 0; i < count; i++)"))
            {
                _w.WriteLine("nuint xo = Unsafe.Add(ref offs, i) + k;");
                _w.WriteLine("nuint po = Unsafe.Add(ref next, i) + k;");
                int elemSize = input == InputKind.Float ? 4 : 1;
                for (int b = 0; b < vectors * L * elemSize; b += 64)
                {
                    // One prefetch per cache line the step's vectors span in the next block's row.
                    string at = b == 0 ? "po" : $"po + {b / elemSize}";
                    _w.WriteLine($"Prefetch.Line(ref Unsafe.Add(ref x, {at}));");
                }

                for (int j = 0; j < vectors; j++)
                {
                    _w.WriteLine($"V xv{j} = {_isa.Load(input, "x", $"xo + {j * L}")};");
                }

                _w.WriteLine("ref float gi = ref Unsafe.Add(ref gb, i * ClassStride);");
                for (int c = 0; c < cb; c++)
                {
                    _w.WriteLine($"{(c == 0 ? "V " : string.Empty)}gv = Vec.Create(Unsafe.Add(ref gi, {c}));");
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
                    _w.WriteLine($"Vec.StoreUnsafe(a{c}_{j}, ref dWb, {At(c * D, j * L)});");
                }
            }
        }

        private string RowComment() => RowInRegisters
            ? $"{Stride} padded classes = {RowVectors} x {L} lanes, kept in registers from the max to the store."
            : $"{Stride} padded classes = {RowVectors} x {L} lanes, in passes over the row in memory (max, exponentials, scaling).";

        private void EmitSoftmax()
        {
            _w.WriteLine($$"""
                // Softmax of each row of a block, in place: m = max(o), e = exp(o - m), s = sum e, m[i] = m, sums[i] = s,
                // row = e * (scale / s). The max lanes' e is exactly 1 (exp(0) is not, in every vector library).
                // Pad lanes hold -inf, so max ignores them and exp gives them 0.
                // {{RowComment()}}
                """);
            EmitHot();
            using (_w.Block("internal static void Softmax(ref float blk, int count, ref float m, ref float sums, float scale)"))
            {
                _w.WriteLine("V one = V.One;");
                using (_w.Block("for (int i = 0; i < count; i++)"))
                {
                    EmitRowSoftmax(loss: false);
                }
            }
        }

        private void EmitLossRows()
        {
            _w.WriteLine($$"""
                // The loss's row work for hard labels, fused: per row, with y = labels[i],
                //   m = max(o), pre[i] = m - o[y], sums[i] = sum exp(o - m)   (the row's loss is pre + log sums, logged
                //   by the driver for the whole block), correct if y is the first index of the max (as Predict says),
                //   g = softmax(o) * scale - onehot(y) * scale,  db += g,  row = g * gScale.
                // The max lanes' exponential is exactly 1, so a row fitted perfectly has a loss of exactly 0.
                // {{RowComment()}}
                // Returns how many rows were correct.
                """);
            string signature = "internal static int LossRows(\n    ref float blk, int count, ref int labels, ref float pre, ref float " +
                "sums, ref float db, float scale, float gScale)";
            EmitHot();
            using (_w.Block(signature))
            {
                _w.WriteLine("int correct = 0;");
                _w.WriteLine("V one = V.One;");
                _w.WriteLine("V sv = Vec.Create(scale);");
                _w.WriteLine("V gsv = Vec.Create(gScale);");
                if (RowInRegisters)
                {
                    for (int j = 0; j < RowVectors; j++)
                    {
                        _w.WriteLine($"V d{j} = Vec.LoadUnsafe(ref db, {j * L});");
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
                        _w.WriteLine($"Vec.StoreUnsafe(d{j}, ref db, {j * L});");
                    }
                }

                _w.WriteLine("return correct;");
            }
        }

        /// <summary>
        /// The row's max as <c>mx</c> and in every lane as <c>mv</c>, from the vector of lane maxima <paramref name="lanes"/>.
        /// </summary>
        private void EmitRowMax(string lanes)
        {
            if (_isa.LanesAcross)
            {
                _w.WriteLine($"V mv = Lanes.MaxAll({lanes});");
                _w.WriteLine("float mx = Vec.ToScalar(mv);");
            }
            else
            {
                _w.WriteLine($"float mx = Lanes.Max({lanes});");
                _w.WriteLine("V mv = Vec.Create(mx);");
            }
        }

        /// <summary>
        /// The row's sum of exponentials, from the vector of lane sums <paramref name="lanes"/>, stored in <c>sums[i]</c>, and
        /// <c>inv = scale / sum</c> in every lane (a division of vectors rounds each lane as the scalar one does).
        /// </summary>
        private void EmitRowSum(string lanes)
        {
            if (_isa.LanesAcross)
            {
                _w.WriteLine($"V sAll = Lanes.SumAll({lanes});");
                _w.WriteLine("Unsafe.Add(ref sums, i) = Vec.ToScalar(sAll);");
                _w.WriteLine("V inv = Vec.Create(scale) / sAll;");
            }
            else
            {
                _w.WriteLine($"float s = Vec.Sum({lanes});");
                _w.WriteLine("Unsafe.Add(ref sums, i) = s;");
                _w.WriteLine("V inv = Vec.Create(scale / s);");
            }
        }

        /// <summary>The body of the row loop of Softmax (loss: false) or LossRows (loss: true), for row i.</summary>
        private void EmitRowSoftmax(bool loss)
        {
            int vectors = RowVectors;
            _w.WriteLine("ref float row = ref Unsafe.Add(ref blk, i * ClassStride);");
            if (loss)
            {
                _w.WriteLine("int y = Unsafe.Add(ref labels, i);");
            }

            if (RowInRegisters)
            {
                for (int j = 0; j < vectors; j++)
                {
                    _w.WriteLine($"V o{j} = Vec.LoadUnsafe(ref row, {j * L});");
                }

                string max = "o0";
                for (int j = 1; j < vectors; j++)
                {
                    max = $"Vec.MaxNative({max}, o{j})";
                }

                EmitRowMax(max);
                for (int j = 0; j < vectors; j++)
                {
                    _w.WriteLine($"V top{j} = Vec.Equals(o{j}, mv); // the lanes that hold the max");
                }

                if (loss)
                {
                    _w.WriteLine("Unsafe.Add(ref pre, i) = mx - Unsafe.Add(ref row, y);");
                    _w.WriteLine("ulong tops = (ulong)Vec.ExtractMostSignificantBits(top0);");
                    for (int j = 1; j < vectors; j++)
                    {
                        _w.WriteLine($"tops |= (ulong)Vec.ExtractMostSignificantBits(top{j}) << {j * L};");
                    }

                    _w.WriteLine("correct += Bits.TrailingZeroCount(tops) == y ? 1 : 0;");
                }
                else
                {
                    _w.WriteLine("Unsafe.Add(ref m, i) = mx;");
                }

                for (int j = 0; j < vectors; j++)
                {
                    _w.WriteLine($"V e{j} = Vec.ConditionalSelect(top{j}, one, Exp(o{j} - mv));");
                }

                EmitRowSum(string.Join(" + ", Enumerable.Range(0, vectors).Select(j => $"e{j}")));
                if (loss)
                {
                    _w.WriteLine("VI yv = Vec.Create(y);");
                }

                for (int j = 0; j < vectors; j++)
                {
                    if (loss)
                    {
                        string lanes = j == 0 ? "VI.Indices" : $"(VI.Indices + Vec.Create({j * L}))";
                        _w.WriteLine($"V g{j} = (e{j} * inv) - (Vec.AsSingle(Vec.Equals({lanes}, yv)) & sv);");
                        _w.WriteLine($"d{j} += g{j};");
                        _w.WriteLine($"Vec.StoreUnsafe(g{j} * gsv, ref row, {j * L});");
                    }
                    else
                    {
                        _w.WriteLine($"Vec.StoreUnsafe(e{j} * inv, ref row, {j * L});");
                    }
                }

                return;
            }

            _w.WriteLine("V mxv = Vec.LoadUnsafe(ref row);");
            using (_w.Block($"for (nuint j = {L}; j < {Stride}; j += {L})"))
            {
                _w.WriteLine("mxv = Vec.MaxNative(mxv, Vec.LoadUnsafe(ref row, j));");
            }

            EmitRowMax("mxv");
            if (loss)
            {
                _w.WriteLine("Unsafe.Add(ref pre, i) = mx - Unsafe.Add(ref row, y);");
                _w.WriteLine("int first = -1;");
                using (_w.Block($"for (nuint j = 0; j < {Stride}; j += {L})"))
                {
                    _w.WriteLine("ulong tops = (ulong)Vec.ExtractMostSignificantBits(Vec.Equals(Vec.LoadUnsafe(ref row, j), mv));");
                    using (_w.Block("if (tops != 0)"))
                    {
                        _w.WriteLine("first = (int)j + Bits.TrailingZeroCount(tops);");
                        _w.WriteLine("break;");
                    }
                }

                _w.WriteLine("correct += first == y ? 1 : 0;");
            }
            else
            {
                _w.WriteLine("Unsafe.Add(ref m, i) = mx;");
            }

            _w.WriteLine("V sum = V.Zero;");
            using (_w.Block($"for (nuint j = 0; j < {Stride}; j += {L})"))
            {
                _w.WriteLine("V o = Vec.LoadUnsafe(ref row, j);");
                _w.WriteLine("V e = Vec.ConditionalSelect(Vec.Equals(o, mv), one, Exp(o - mv));");
                _w.WriteLine("Vec.StoreUnsafe(e, ref row, j);");
                _w.WriteLine("sum += e;");
            }

            EmitRowSum("sum");
            if (loss)
            {
                _w.WriteLine("VI yv = Vec.Create(y);");
            }

            using (_w.Block($"for (nuint j = 0; j < {Stride}; j += {L})"))
            {
                if (loss)
                {
                    _w.WriteLine("V g = (Vec.LoadUnsafe(ref row, j) * inv) - (Vec.AsSingle(Vec.Equals(VI.Indices + " +
                        "Vec.Create((int)j), yv)) & sv);");
                    _w.WriteLine("Vec.StoreUnsafe(Vec.LoadUnsafe(ref db, j) + g, ref db, j);");
                    _w.WriteLine("Vec.StoreUnsafe(g * gsv, ref row, j);");
                }
                else
                {
                    _w.WriteLine("Vec.StoreUnsafe(Vec.LoadUnsafe(ref row, j) * inv, ref row, j);");
                }
            }
        }
    }
}
