using System;
using System.Runtime.CompilerServices;
using System.Threading;
using GenSoftmax.Internal;

namespace GenSoftmax.Kernels
{
    /// <summary>
    /// Compiles a model's kernels on two thread-pool threads as soon as the first model of a kernel struct is created, so
    /// that a fresh process's first batch does not wait for them: under the JIT they are several milliseconds each
    /// (compiled fully optimised at their first call), and a program usually builds its trainer, checks its data and
    /// shuffles it between creating a model and training it. Each kernel is called with zero rows, which compiles it and
    /// touches nothing; the gradient kernel writes its zero-row result into a scratch array of the model's size, so models
    /// over <see cref="MaxScratchWeights"/> weights skip it. One item compiles the byte logits kernel, which a step calls
    /// first; the other, at the same time, the byte gradient and loss kernels, then runs the engine's loss and gradient (its
    /// driver precompiled in the package's image, <see cref="BatchLoss"/>), the trainer's loops
    /// (<see cref="Training.TrainingWarmup"/>), the engine's predictions, and the float kernels unless a trainer has started
    /// on pixels by then (bench/results/2026-12-06-readytorun, bench/results/2026-12-06-cross-module). Only where code is
    /// compiled at run time and a second core can do it (on one core it would only take turns with the training thread);
    /// best effort: a failure only leaves the compilation to the first call, as without it.
    /// </summary>
    /// <typeparam name="TKernels">The model's kernel struct.</typeparam>
    internal static class KernelWarmup<TKernels>
        where TKernels : struct, ISoftmaxKernels
    {
        /// <summary>The largest model whose gradient kernel is compiled ahead (4 MB of scratch).</summary>
        internal const int MaxScratchWeights = 1 << 20;

        private static int _started;

        /// <summary>Starts compiling <paramref name="kernels"/>' variant <paramref name="isa"/>, once per kernel struct.</summary>
        public static void Start(TKernels kernels, KernelIsa isa)
        {
            if (!RuntimeFeature.IsDynamicCodeCompiled || Environment.ProcessorCount < 2 || Interlocked.Exchange(ref _started, 1) != 0)
            {
                return;
            }

            // Two items, so two CPUs compile at once and about half each: the logits kernel (the largest) on one, the
            // gradient and loss kernels on the other, which then runs the engine and finds the logits compiled or being so.
            ThreadPool.UnsafeQueueUserWorkItem(
                static state => Quietly(() => CompileBackwardThenTrainer(state.Kernels, state.Isa)), (Kernels: kernels, Isa: isa),
                preferLocal: false);
            ThreadPool.UnsafeQueueUserWorkItem(
                static state => Quietly(() => CompileForward(state.Kernels, state.Isa)), (Kernels: kernels, Isa: isa),
                preferLocal: false);
        }

        private static void Quietly(Action compile)
        {
            try
            {
                compile();
            }
#pragma warning disable CA1031 // best effort: whatever fails here is compiled at its first real call instead
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        private static void CompileBackwardThenTrainer(TKernels kernels, KernelIsa isa)
        {
            CompileBackward(kernels, isa);
            _ = CompileEngine(kernels, isa);
            _ = Training.TrainingWarmup.Compile(); // the trainer's loops (a later warm-up finds them compiled)
            _ = CompilePredictions(kernels, isa); // what a program calls after training
            if (!Training.TrainingWarmup.PixelTraining)
            {
                Compile(kernels, isa);
            }
        }

        /// <summary>
        /// A throwaway engine's loss and gradient over two rows of zero pixels: the engine's per-batch methods for this
        /// kernel struct (the loss driver itself, <see cref="BatchLoss"/>, where no ReadyToRun image holds it) and the byte
        /// kernels they call, compiled in the order a training step needs them (the training
        /// thread, which reaches them a few milliseconds later, then finds them compiled or waits for the rest of their
        /// compilation instead of starting it). Returns the loss, ln(classes) with zero weights; NaN for models over
        /// <see cref="MaxScratchWeights"/> weights, which it skips.
        /// </summary>
        internal static float CompileEngine(TKernels k, KernelIsa isa)
        {
            if ((long)k.Inputs * k.Classes > MaxScratchWeights)
            {
                return float.NaN;
            }

            var engine = new SoftmaxEngine<TKernels>(k) { Isa = isa };
            var pixels = new byte[2 * k.Inputs];
            var dW = new float[k.Inputs * k.Classes];
            var db = new float[k.Classes];
            return engine.LossAndGradient(Batch.Of(pixels).WithLabels(new int[2]), dW, db).Loss;
        }

        /// <summary>A throwaway engine's predictions over two rows of zero pixels; returns the first, class 0 with zero
        /// weights; -1 for models over <see cref="MaxScratchWeights"/> weights, which it skips (the engine would copy
        /// their weights).</summary>
        internal static int CompilePredictions(TKernels k, KernelIsa isa)
        {
            if ((long)k.Inputs * k.Classes > MaxScratchWeights)
            {
                return -1;
            }

            var engine = new SoftmaxEngine<TKernels>(k) { Isa = isa };
            var predictions = new int[2];
            engine.Predict(Batch.Of(new byte[2 * k.Inputs]), predictions);
            return predictions[0];
        }

        /// <summary>The byte logits kernel, which a training step calls first, with zero rows.</summary>
        internal static void CompileForward(TKernels k, KernelIsa isa) => CompileForward(k, isa, new ZeroRows(k));

        /// <summary>The byte gradient kernel and the loss kernel, which a training step calls after the logits, with zero rows.</summary>
        internal static void CompileBackward(TKernels k, KernelIsa isa) => CompileBackward(k, isa, new ZeroRows(k));

        /// <summary>Calls every kernel of the variant with zero rows, and the engine's logarithm on one value.</summary>
        internal static void Compile(TKernels k, KernelIsa isa)
        {
            // Byte pixels (the images' own type) before floats.
            var z = new ZeroRows(k);
            CompileForward(k, isa, z);
            CompileBackward(k, isa, z);
            Blas.Log([1f]);
            var rows = new float[2];
            k.Logits(isa, ref z.Floats[0], ref z.Bias[0], ref z.Floats[0], ref z.Offs[0], 0, ref z.Block[0]);
            if (z.Gradient is not null)
            {
                k.Gradient(isa, ref z.Floats[0], ref z.Offs[0], ref z.Offs[0], 0, ref z.Block[0], ref z.Gradient[0], true);
            }

            k.Softmax(isa, ref z.Block[0], 0, ref rows[0], ref rows[1], 1f);
        }

        private static void CompileForward(TKernels k, KernelIsa isa, ZeroRows z) =>
            k.Logits(isa, ref z.Floats[0], ref z.Bias[0], ref z.Bytes[0], ref z.Offs[0], 0, ref z.Block[0]);

        private static void CompileBackward(TKernels k, KernelIsa isa, ZeroRows z)
        {
            if (z.Gradient is not null)
            {
                k.Gradient(isa, ref z.Bytes[0], ref z.Offs[0], ref z.Offs[0], 0, ref z.Block[0], ref z.Gradient[0], true);
            }

            var labels = new int[1];
            var rows = new float[2];
            k.LossRows(isa, ref z.Block[0], 0, ref labels[0], ref rows[0], ref rows[1], ref z.Bias[0], 1f, 1f);
        }

        /// <summary>
        /// The arguments of a kernel call with zero rows: nothing is read or written but the gradient kernel's scratch of the
        /// model's size (null for models over <see cref="MaxScratchWeights"/> weights, whose gradient kernel is skipped).
        /// </summary>
        private sealed class ZeroRows(TKernels k)
        {
            public readonly float[] Block = new float[k.ClassStride * 2];
            public readonly float[] Bias = new float[k.BiasLength];
            public readonly nuint[] Offs = new nuint[KernelLayout.PrefetchRows + 2];
            public readonly byte[] Bytes = new byte[1];
            public readonly float[] Floats = new float[1];
            public readonly float[]? Gradient = (long)k.Inputs * k.Classes <= MaxScratchWeights ? new float[k.Inputs * k.Classes] : null;
        }
    }
}
