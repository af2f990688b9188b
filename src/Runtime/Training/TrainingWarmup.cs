using System;
using GenSoftmax.Internal;

namespace GenSoftmax.Training
{
    /// <summary>
    /// The trainer's own loops that a first epoch meets, each compiled fully optimised at its first call (the epoch's
    /// shuffle and row list, the batch's row and label checks, the optimizer's update and the divergence check, the
    /// two-thread step's gradient sum), called here on a few elements so that a fresh process's training threads find them
    /// compiled. <see cref="Kernels.KernelWarmup{TKernels}"/> runs it on its thread-pool thread after the engine's per-batch
    /// methods, so only where code is compiled at run time and a second CPU can do it. Touches nothing but its own arrays.
    /// </summary>
    /// <remarks>
    /// 2 CPUs, interleaved fresh processes: first epoch median 20.6 -> 19.8 ms with two training threads (15 each), 20.6 ->
    /// 20.1 ms with one (10 each) (bench/results/2026-12-06-two-thread-placement).
    /// </remarks>
    internal static class TrainingWarmup
    {
        private static volatile bool s_pixelTraining;

        /// <summary>
        /// Whether a trainer of this process has started on pixel rows: the warm-up then leaves the float kernels to their
        /// first call, instead of compiling them on a CPU the training threads want (two threads on two CPUs: the run-time-
        /// shaped model's float kernels took 9 ms of compile during its first epoch).
        /// </summary>
        public static bool PixelTraining => s_pixelTraining;

        /// <summary>Records that a trainer is starting, on pixel rows or not (<see cref="PixelTraining"/>).</summary>
        public static void TrainingStarts(bool pixels)
        {
            if (pixels)
            {
                s_pixelTraining = true;
            }
        }

        /// <summary>Clears <see cref="PixelTraining"/>, for a test that runs alone to see a trainer set it.</summary>
        internal static void ForgetPixelTraining() => s_pixelTraining = false;

        /// <summary>Calls each loop once; returns 0.5f, two quarters of the ones it made, so the calls stay observable.</summary>
        public static float Compile()
        {
            var order = new int[2];
            Blas.Iota(order);
            Trainer.Shuffle(new Random(0), order);
            Guard.RowIndices(order, order.Length, "rows");
            Guard.Labels(order, order, hasRows: true, order.Length, order.Length, "labels");

            var v = new float[64]; // enough floats to reach the vector loops
            for (int i = 0; i < v.Length; i++)
            {
                v[i] = 0.5f;
            }

            Blas.MultiplyAdd(v, 1f, v, v); // 0.5 * 1 + 0.5
            bool finite = Blas.AllFinite(v);
            var sum = new float[1];
            DataParallelStep.SumSlices([v, v], [1, 1], 4, 0, sum); // 1/4 + 1/4
            return finite ? sum[0] : float.NaN;
        }
    }
}
