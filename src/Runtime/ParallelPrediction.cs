using System;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using GenSoftmax.Internal;

namespace GenSoftmax
{
    /// <summary>
    /// Prediction over many rows on several threads. The rows are cut into contiguous pieces of whole 512-row blocks
    /// (up to 8 per thread), which the threads claim as they come free and predict with the model's own single-threaded
    /// <see cref="ISoftmaxModel.Predict"/>, and every row's prediction depends on that row
    /// alone, so the result is identical, bit for bit, to one thread's.
    /// </summary>
    public static class ParallelPrediction
    {
        /// <summary>
        /// Rows per thread below which more threads cost more than they save (a thread's start-up and hand-off is
        /// worth a few hundred rows of a small model); a range is also a multiple of this, so each starts on a row block.
        /// </summary>
        internal const int MinRowsPerThread = 512;

        /// <summary>Pieces per thread at most: enough to balance a late or slowed thread, few enough that handing them out costs
        /// nothing.</summary>
        private const int PiecesPerThread = 8;

        /// <summary>
        /// The most likely class of every row of <paramref name="batch"/> into <paramref name="predictions"/> [n], on up
        /// to <paramref name="degreeOfParallelism"/> threads (the caller's and the thread pool's), with the same results
        /// as <see cref="ISoftmaxModel.Predict"/>. The call holds the read side of the model's <see cref="ISoftmaxModel.Gate"/>
        /// throughout, so all its rows are predicted with the same parameters even while a <c>Trainer</c> trains the model.
        /// </summary>
        /// <param name="model">The model; without a gate, its parameters must not change during the call.</param>
        /// <param name="batch">The rows: features or pixels, and optionally a list of row indices.</param>
        /// <param name="predictions">One class index per row of the batch.</param>
        /// <param name="degreeOfParallelism">The most threads to use, at least 1; -1 for <see cref="Environment.ProcessorCount"/>.
        /// Batches of fewer than 1,024 rows use one thread.</param>
        /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="degreeOfParallelism"/> is 0 or below -1.</exception>
        /// <exception cref="ArgumentException">The batch or <paramref name="predictions"/> has the wrong length.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A row index is out of range.</exception>
        public static void Predict(this ISoftmaxModel model, in Batch batch, Span<int> predictions, int degreeOfParallelism)
        {
            ArgumentNullException.ThrowIfNull(model);
            if (degreeOfParallelism == 0 || degreeOfParallelism < -1)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(degreeOfParallelism), degreeOfParallelism, "Pass the most threads to use (1 or more), or -1 for every core.");
            }

            int threads = degreeOfParallelism == -1 ? Environment.ProcessorCount : degreeOfParallelism;

            // The checks the model makes, made here too, so that a bad argument is one ArgumentException on the
            // caller's thread and not an AggregateException from a worker.
            int available = Guard.Rows(batch.InputLength, model.Inputs, batch.InputName);
            if (batch.HasRows)
            {
                Guard.RowIndices(batch.Rows, available, "rows");
            }

            int n = batch.HasRows ? batch.Rows.Length : available;
            Guard.Length(predictions.Length, nameof(predictions), n);
            threads = Math.Min(threads, n / MinRowsPerThread);
            if (threads <= 1)
            {
                model.Predict(batch, predictions);
                return;
            }

            // One read for the whole call, so every chunk sees the same parameters; the workers pass through it (they
            // must not queue behind a writer that waits for this call to leave).
            ParameterGate? gate = model.Gate;
            using ParameterGate.ReadScope read = gate is null ? default : gate.EnterRead();
            // More pieces than threads, claimed as the threads come free: a pool thread that starts late (it was asleep)
            // or a core taken by other work then costs one piece, not half the call. With one piece per thread, the
            // two-thread call measured 1.3-1.5x one thread's; ONNX Runtime's, 2.1x (bench/README.md).
            int pieces = Math.Min((n + MinRowsPerThread - 1) / MinRowsPerThread, threads * PiecesPerThread);
            if (batch.IsPixels)
            {
                Split(model, batch.Pixels, batch.Rows, batch.HasRows, predictions, threads, pieces);
            }
            else
            {
                Split(model, batch.Features, batch.Rows, batch.HasRows, predictions, threads, pieces);
            }
        }

        /// <summary>The most likely class of every row of <paramref name="features"/> [n, Inputs], on up to <paramref
        /// name="degreeOfParallelism"/> threads.</summary>
        /// <inheritdoc cref="Predict(ISoftmaxModel, in Batch, Span{int}, int)" path="/exception"/>
        public static void Predict(this ISoftmaxModel model, ReadOnlySpan<float> features, Span<int> predictions,
            int degreeOfParallelism) =>
            Predict(model, Batch.Of(features), predictions, degreeOfParallelism);

        /// <summary>The most likely class of every row of <paramref name="pixels"/> [n, Inputs] (scaled by 1/255), on up to <paramref
        /// name="degreeOfParallelism"/> threads.</summary>
        /// <inheritdoc cref="Predict(ISoftmaxModel, in Batch, Span{int}, int)" path="/exception"/>
        public static void Predict(this ISoftmaxModel model, ReadOnlySpan<byte> pixels, Span<int> predictions, int degreeOfParallelism) =>
            Predict(model, Batch.Of(pixels), predictions, degreeOfParallelism);

        /// <summary>
        /// Rows [start, end) of piece c of <paramref name="chunks"/>: contiguous, a multiple of <see cref="MinRowsPerThread"/>
        /// except the last, and as even as that allows.
        /// </summary>
        private static (int Start, int End) Range(int n, int chunks, int c)
        {
            int blocks = (n + MinRowsPerThread - 1) / MinRowsPerThread;
            int start = (int)((long)blocks * c / chunks) * MinRowsPerThread;
            int end = (int)((long)blocks * (c + 1) / chunks) * MinRowsPerThread;
            return (Math.Min(start, n), Math.Min(end, n));
        }

        private static Batch Of<T>(ReadOnlySpan<T> x)
            where T : unmanaged =>
            typeof(T) == typeof(byte) ? Batch.Of(MemoryMarshal.Cast<T, byte>(x)) : Batch.Of(MemoryMarshal.Cast<T, float>(x));

        // The spans are pinned for the duration of Parallel.For, which returns only when every range is done, so the
        // pointers the workers rebuild their spans from stay valid.
        private static unsafe void Split<T>(ISoftmaxModel model, ReadOnlySpan<T> x, ReadOnlySpan<int> rows, bool hasRows,
            Span<int> predictions, int threads, int chunks)
            where T : unmanaged
        {
            int inputs = model.Inputs;
            int n = predictions.Length;
            int xLength = x.Length;
            fixed (T* xp = x)
            fixed (int* rp = rows)
            fixed (int* pp = predictions)
            {
                T* xPtr = xp;
                int* rowsPtr = rp;
                int* predPtr = pp;
                ParameterGate? gate = model.Gate;
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, c =>
                {
                    using ParameterGate.PassScope pass = ParameterGate.PassThrough(gate);
                    (int start, int end) = Range(n, chunks, c);
                    var output = new Span<int>(predPtr + start, end - start);
                    Batch part = hasRows
                        ? Of(new ReadOnlySpan<T>(xPtr, xLength)).WithRows(new ReadOnlySpan<int>(rowsPtr + start, end - start))
                        : Of(new ReadOnlySpan<T>(xPtr + ((long)start * inputs), (end - start) * inputs));
                    model.Predict(part, output);
                });
            }
        }
    }
}
