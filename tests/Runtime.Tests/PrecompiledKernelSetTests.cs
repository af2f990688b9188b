using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Runtime.Intrinsics;
using GenSoftmax.Dynamic;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>
    /// The x86 rows' kernels run their kernel assembly's precompiled copy while a first call compiles nothing, until this
    /// library's own copy is compiled in the background; and this library's copy at once for a kernel whose first call was
    /// compiled from the image's build (which would run at tier 0). Both copies give the same bits. What a first call
    /// compiled is simulated here; tests/Package/run.sh checks in a real process that the package's images hold every
    /// kernel.
    /// </summary>
    public sealed class PrecompiledKernelSetTests
    {
        // Odd sizes: a scalar tail of inputs, and a class pass that ends past the row's last class.
        private const int Inputs = 37, Classes = 7, Rows = 5;

        public static TheoryData<KernelIsa> Variants => new() { KernelIsa.Avx512, KernelIsa.Avx2 };

        [SkippableTheory]
        [MemberData(nameof(Variants))]
        public void Every_kernel_stays_on_the_image_while_first_calls_compile_nothing(KernelIsa isa)
        {
            PrecompiledKernelSet kernels = Create(isa, compiledMethods: () => 0, precompiled: () => true);

            Assert.Equal(Run(Library(isa)), Run(kernels));
            Assert.Equal(6, kernels.KernelsFromImage); // the four block kernels for this shape's class block, and the two row kernels
            Assert.Equal(0, kernels.KernelsCompiled);
        }

        [SkippableTheory]
        [MemberData(nameof(Variants))]
        public void A_kernel_compiled_from_the_image_build_at_its_first_call_moves_to_the_library_copy(KernelIsa isa)
        {
            long compiled = 0;
            PrecompiledKernelSet kernels = Create(isa, compiledMethods: () => compiled++, precompiled: () => true);
            float[] expected = Run(Library(isa));

            Assert.Equal(expected, Run(kernels)); // first calls: the image's copy, then the decision
            Assert.Equal(0, kernels.KernelsFromImage);
            Assert.Equal(6, kernels.KernelsCompiled);
            long decided = compiled;
            Assert.Equal(expected, Run(kernels)); // the library's copy, and no more counting
            Assert.Equal(decided, compiled);
        }

        [SkippableTheory]
        [MemberData(nameof(Variants))]
        public void An_il_build_of_the_kernel_assembly_is_kept_when_its_first_calls_compile(KernelIsa isa)
        {
            // Its kernels are compiled fully optimised, as this library's are: compiling the library's copy too would be waste.
            long compiled = 0;
            PrecompiledKernelSet kernels =
                Create(isa, compiledMethods: () => compiled++, precompiled: () => false, handover: TimeSpan.Zero);

            Assert.Equal(Run(Library(isa)), Run(kernels));
            Assert.Equal(Run(Library(isa)), Run(kernels)); // no handover either
            Assert.Equal(6, kernels.KernelsFromImage);
        }

        [SkippableTheory]
        [MemberData(nameof(Variants))]
        public void The_library_copy_takes_over_once_compiled_in_the_background(KernelIsa isa)
        {
            PrecompiledKernelSet kernels = Create(isa, compiledMethods: () => 0, precompiled: () => true, handover: TimeSpan.Zero);
            float[] expected = Run(Library(isa));

            Assert.Equal(expected, Run(kernels)); // first calls: the image's copy
            Assert.Equal(expected, Run(kernels)); // the handover is due: each kernel's library copy compiles on the thread pool
            var waited = Stopwatch.StartNew();
            while (kernels.KernelsCompiled < 6 && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(10);
            }

            Assert.Equal(6, kernels.KernelsCompiled);
            Assert.Equal(expected, Run(kernels));
        }

        [SkippableTheory]
        [MemberData(nameof(Variants))]
        public void A_library_copy_that_fails_to_compile_leaves_the_image_copy_running_and_warns(KernelIsa isa)
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            string reason = "no code for this test " + Guid.NewGuid().ToString("N");
            RuntimeKernelSet image = isa == KernelIsa.Avx512 ? new Avx512ImageKernels() : new Avx2ImageKernels();
            int lanes = isa == KernelIsa.Avx512 ? Avx512Ops.Count : Avx2Ops.Count;
            var kernels = new PrecompiledKernelSet(
                image, new FailingKernels(reason), lanes, () => true, () => 0, handover: TimeSpan.Zero);
            float[] expected = Run(Library(isa));

            Assert.Equal(expected, Run(kernels));
            Assert.Equal(expected, Run(kernels)); // the handovers start, and fail on the thread pool
            var waited = Stopwatch.StartNew();
            while (!PerformanceWarnings.All.Any(w => w.Contains(reason, StringComparison.Ordinal)) &&
                   waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(10);
            }

            Thread.Sleep(200); // the other five handovers fail too, and are not reported again
            string warning = Assert.Single(PerformanceWarnings.All, w => w.Contains(reason, StringComparison.Ordinal));
            Assert.Contains("keeps running its precompiled code", warning);
            Assert.Equal(6, kernels.KernelsFromImage);
            Assert.Equal(expected, Run(kernels)); // the process goes on, on the image's copies
        }

        /// <summary>A kernel set whose every kernel throws.</summary>
        private sealed class FailingKernels(string reason) : RuntimeKernelSet
        {
            public override void LogitsF32(
                in RuntimeShape shape, ref float w, ref float bias, ref float x, ref nuint offs, int count, ref float blk) =>
                throw new InvalidOperationException(reason);

            public override void LogitsU8(
                in RuntimeShape shape, ref float w, ref float bias, ref byte x, ref nuint offs, int count, ref float blk) =>
                throw new InvalidOperationException(reason);

            public override void GradientF32(
                in RuntimeShape shape, ref float x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
                throw new InvalidOperationException(reason);

            public override void GradientU8(
                in RuntimeShape shape, ref byte x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first) =>
                throw new InvalidOperationException(reason);

            public override void Softmax(in RuntimeShape shape, ref float blk, int count, ref float m, ref float sums, float scale) =>
                throw new InvalidOperationException(reason);

            public override int LossRows(
                in RuntimeShape shape, ref float blk, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
                float gScale) =>
                throw new InvalidOperationException(reason);
        }

        /// <summary>The row's precompiled kernel set, learning what first calls compiled from the arguments (skipped when the
        /// CPU lacks the variant).</summary>
        private static PrecompiledKernelSet Create(
            KernelIsa isa, Func<long> compiledMethods, Func<bool> precompiled, TimeSpan? handover = null)
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            RuntimeKernelSet image = isa == KernelIsa.Avx512 ? new Avx512ImageKernels() : new Avx2ImageKernels();
            int lanes = isa == KernelIsa.Avx512 ? Avx512Ops.Count : Avx2Ops.Count;
            return new PrecompiledKernelSet(image, Library(isa), lanes, precompiled, compiledMethods, handover ?? Timeout.InfiniteTimeSpan);
        }

        /// <summary>This library's own kernels of the variant.</summary>
        private static RuntimeKernelSet Library(KernelIsa isa) => isa == KernelIsa.Avx512
            ? new RuntimeKernelSet<Avx512Ops, Vector512<float>>()
            : new RuntimeKernelSet<Avx2Ops, Vector256<float>>();

        /// <summary>Every kernel of <paramref name="kernels"/> once on the same rows (floats and bytes): all their outputs.</summary>
        private static float[] Run(RuntimeKernelSet kernels)
        {
            RuntimeShape shape = RuntimeShape.Of(Inputs, Classes);
            var random = new Random(7);
            float[] w = Enumerable.Range(0, Classes * Inputs).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            float[] bias = new float[KernelLayout.BiasLength(Classes)];
            for (int c = 0; c < Classes; c++)
            {
                bias[c] = c * 0.1f;
            }

            byte[] pixels = Enumerable.Range(0, Rows * Inputs).Select(_ => (byte)random.Next(256)).ToArray();
            float[] features = pixels.Select(p => p / 255f).ToArray();
            nuint[] offs = Enumerable.Range(0, Rows + KernelLayout.PrefetchRows).Select(i => (nuint)(i % Rows * Inputs)).ToArray();
            int[] labels = Enumerable.Range(0, Rows).Select(i => i % Classes).ToArray();

            var outputs = new System.Collections.Generic.List<float>();
            foreach (bool bytes in new[] { false, true })
            {
                float[] logits = new float[Rows * shape.ClassStride];
                if (bytes)
                {
                    kernels.LogitsU8(shape, ref w[0], ref bias[0], ref pixels[0], ref offs[0], Rows, ref logits[0]);
                }
                else
                {
                    kernels.LogitsF32(shape, ref w[0], ref bias[0], ref features[0], ref offs[0], Rows, ref logits[0]);
                }

                float[] probabilities = (float[])logits.Clone(), m = new float[Rows], sums = new float[Rows];
                kernels.Softmax(shape, ref probabilities[0], Rows, ref m[0], ref sums[0], 1f);

                float[] pre = new float[Rows], lossSums = new float[Rows], db = new float[shape.ClassStride];
                int hits = kernels.LossRows(
                    shape, ref logits[0], Rows, ref labels[0], ref pre[0], ref lossSums[0], ref db[0], 1f / Rows, 1f);

                float[] dW = new float[Classes * Inputs];
                if (bytes)
                {
                    kernels.GradientU8(shape, ref pixels[0], ref offs[0], ref offs[0], Rows, ref logits[0], ref dW[0], first: true);
                }
                else
                {
                    kernels.GradientF32(shape, ref features[0], ref offs[0], ref offs[0], Rows, ref logits[0], ref dW[0], first: true);
                }

                Assert.Contains(dW, v => v != 0); // the rows reached the gradient
                outputs.AddRange(probabilities.Concat(m).Concat(sums).Concat(pre).Concat(lossSums).Concat(db).Concat(dW).Append(hits));
            }

            return outputs.ToArray();
        }
    }
}
