using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;

namespace GenSoftmax.Streaming
{
    /// <summary>
    /// Labelled rows that stay on disk: the trainer, evaluation and prediction read them a block at a time and never
    /// hold more of them than <see cref="MemoryBudget"/> bytes. The counterpart of <see cref="LabeledData"/> for data larger
    /// than memory; the readers (GenSoftmax.Data: .npy, raw IDX) derive from it.
    /// </summary>
    /// <remarks>
    /// <para>A source is random access by row: <see cref="ReadRows"/> fills caller-owned buffers with rows
    /// <c>[first, first + count)</c>. It may be called from a thread other than the one that created the source, but never
    /// twice at once. Which rows are read when (the block order, the shuffle buffer) is decided by the caller, so a source
    /// holds no state beyond its open files.</para>
    /// <para>The budget covers the rows in memory: features (float32, or one byte per pixel), labels and weights, the
    /// shuffle's row order, and a second buffer filled while the first is trained on. Each buffer is half the budget.</para>
    /// </remarks>
    public abstract class RowSource : IDisposable
    {
        /// <summary>The budget when none is given: 256 MiB.</summary>
        public const long DefaultMemoryBudget = 256L << 20;

        private long _bytesRead;

        /// <summary>A source that keeps at most <paramref name="memoryBudget"/> bytes of rows in memory.</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="memoryBudget"/> is not positive.</exception>
        protected RowSource(long memoryBudget)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memoryBudget);
            MemoryBudget = memoryBudget;
        }

        /// <summary>Bytes of rows the readers of this source keep in memory at most (both buffers together).</summary>
        public long MemoryBudget { get; }

        /// <summary>Number of rows.</summary>
        public abstract long Count { get; }

        /// <summary>Values per row: the input width of a model.</summary>
        public abstract int Inputs { get; }

        /// <summary>Classes the labels name: the number of class names, or the largest label + 1.</summary>
        public abstract int Classes { get; }

        /// <summary>The name of each class, indexed by label, or null.</summary>
        public abstract IReadOnlyList<string>? ClassNames { get; }

        /// <summary>Rows of each class, [<see cref="Classes"/>]: counted when the source was opened.</summary>
        public abstract IReadOnlyList<long> RowsPerClass { get; }

        /// <summary>Whether the inputs are byte pixels (scaled by 1/255 in the kernels) rather than float features.</summary>
        public abstract bool IsPixels { get; }

        /// <summary>Whether every row has a weight (<see cref="LabeledData.Weights"/>).</summary>
        public abstract bool HasWeights { get; }

        /// <summary>What the rows come from, for messages: the file names.</summary>
        public abstract string Description { get; }

        /// <summary>Bytes read from disk so far (all files), for a progress display's MB/s.</summary>
        public long BytesRead => Interlocked.Read(ref _bytesRead);

        /// <summary>Bytes one row takes in memory: its inputs (4 bytes each, 1 for pixels), its label, and its weight if any.</summary>
        public int BytesPerRow => checked((Inputs * (IsPixels ? 1 : sizeof(float))) + sizeof(int) + (HasWeights ? sizeof(float) : 0));

        /// <summary>
        /// Reads rows <c>[first, first + labels.Length)</c>: inputs into <paramref name="features"/> (float features) or
        /// <paramref name="pixels"/> (pixels), each [rows, Inputs]; labels into <paramref name="labels"/> [rows]; weights into
        /// <paramref name="weights"/> [rows] when <see cref="HasWeights"/> (otherwise it may be empty).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The rows are not all rows of the source.</exception>
        /// <exception cref="ArgumentException">A buffer has the wrong length for the rows.</exception>
        /// <exception cref="System.IO.InvalidDataException">A file changed or is damaged; the message names it.</exception>
        public void ReadRows(long first, Span<float> features, Span<byte> pixels, Span<int> labels, Span<float> weights)
        {
            int rows = labels.Length;
            if (first < 0 || first > Count - rows)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(first), first,
                        $"Rows {first}..{first + rows - 1} are not all rows of {Description}, which has {Count} (0..{Count - 1}).");
            }

            long inputs = (long)rows * Inputs;
            if ((IsPixels ? pixels.Length : features.Length) != inputs || (HasWeights && weights.Length != rows))
            {
                throw new ArgumentException(
                    $"{rows} rows need {inputs} {(IsPixels ? "pixels" : "features")}{(HasWeights ? $" and {rows} weights" : "")}.",
                        nameof(labels));
            }

            ReadRowsCore(first, features, pixels, labels, weights);
        }

        /// <summary>
        /// The file of the inputs when its rows are stored as they are trained on and may be mapped into memory in place of
        /// being copied (<see cref="RowWindows"/>); null (the default) reads every window through <see cref="ReadRows"/>.
        /// </summary>
        internal virtual PagedRows? Paged => null;

        /// <summary>
        /// What <see cref="ReadRows"/> does for rows whose inputs are mapped (<see cref="Paged"/>): checks the inputs when
        /// <paramref name="checkInputs"/> (the first time a block is mapped), reads the labels and the weights.
        /// </summary>
        internal virtual void ReadPagedRows(
            long first, ReadOnlySpan<byte> inputs, bool checkInputs, Span<int> labels, Span<float> weights) =>
            throw new NotSupportedException($"{Description} has no mappable rows.");

        /// <summary>Reads rows as <see cref="ReadRows"/> says, its arguments checked; adds the bytes it read with <see
        /// cref="CountBytesRead"/>.</summary>
        protected abstract void ReadRowsCore(long first, Span<float> features, Span<byte> pixels, Span<int> labels, Span<float> weights);

        /// <summary>Adds <paramref name="bytes"/> to <see cref="BytesRead"/>.</summary>
        protected void CountBytesRead(long bytes) => Interlocked.Add(ref _bytesRead, bytes);

        /// <summary>
        /// Rows that fit in one of the two buffers the budget allows, counting the shuffle's 4-byte row index.
        /// </summary>
        /// <exception cref="ArgumentException">The budget does not hold one row in each buffer; the message names the source and the
        /// budget that would.</exception>
        public int RowsPerBuffer()
        {
            long rowBytes = BytesPerRow + sizeof(int);
            long rows = Math.Min(MemoryBudget / 2 / rowBytes, Array.MaxLength / Math.Max(1, Inputs));
            if (rows < 1)
            {
                throw new ArgumentException(
                    $"The memory budget of {FormatBytes(MemoryBudget)} is smaller than two rows of {Description} ({rowBytes:N0} bytes " +
                        $"each, one per " +
                    $"buffer): give a budget of at least {FormatBytes(2 * rowBytes)}, or better a few hundred MB.");
            }

            return (int)Math.Min(rows, int.MaxValue);
        }

        /// <summary>"256 MiB", "1.5 GiB", "512 bytes": a byte count for messages.</summary>
        public static string FormatBytes(long bytes)
        {
            string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
            double value = bytes;
            int u = 0;
            while (value >= 1024 && u < units.Length - 1)
            {
                value /= 1024;
                u++;
            }

            return u == 0 ? $"{bytes} bytes" : value.ToString(value < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + " " + units[u];
        }

        /// <summary>Closes the files.</summary>
        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }

        /// <summary>Closes the files when <paramref name="disposing"/>.</summary>
        protected virtual void Dispose(bool disposing)
        {
        }
    }
}
