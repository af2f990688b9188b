using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using GenSoftmax.IO;
using GenSoftmax.Streaming;
using Microsoft.Win32.SafeHandles;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Rows read in place from files of any size, a block at a time (<see cref="RowSource"/>): NumPy .npy features with
    /// labels and optional weights in companion .npy files (<see cref="OpenNpy"/>), or raw IDX images and labels
    /// (<see cref="OpenIdx"/>).
    /// </summary>
    /// <remarks>
    /// <para>The headers are checked as the in-memory readers check them (<see cref="NpyReader"/>, <see cref="IdxReader"/>), and
    /// the labels are read once when the source is opened: counted per class and checked, so a bad label is an error before
    /// training starts. Features are checked as each block is read (NaN and infinite values), and so are weights (finite,
    /// at least 0).</para>
    /// <para>A file whose length changes after it was opened (another program writing it) is an
    /// <see cref="InvalidDataException"/> at the next read, naming the file: rows from a file being rewritten are not data.</para>
    /// </remarks>
    public sealed class FileRowSource : RowSource
    {
        /// <summary>Bytes converted at a time when the file's type is not the type in memory (float16, float64, integer labels).</summary>
        private const int ScratchBytes = 1 << 20;

        private readonly Part _features;
        private readonly Part _labels;
        private readonly Part? _weights;
        private readonly long[] _rowsPerClass;
        private readonly byte[] _scratch = new byte[ScratchBytes];
        private readonly DirectReader? _direct; // the features around the page cache, for a file larger than half the memory
        private PagedRows? _paged;              // the features as training windows page them in, made when first asked for

        private FileRowSource(
            Part features, Part labels, Part? weights, long count, int inputs, IReadOnlyList<string>? classNames, long memoryBudget)
            : base(memoryBudget)
        {
            _features = features;
            _labels = labels;
            _weights = weights;
            Count = count;
            Inputs = inputs;
            ClassNames = classNames is null ? null : Array.AsReadOnly(new List<string>(classNames).ToArray());
            try
            {
                if (features.Length > DirectReadThreshold)
                {
                    _direct = DirectReader.TryOpen(features.Path);
                }

                _rowsPerClass = ScanLabels(classNames?.Count ?? ModelLimits.MaxClasses, classNames is not null);
                Classes = Math.Max(classNames?.Count ?? 0, LastClass(_rowsPerClass) + 1);
                RowsPerBuffer(); // a budget smaller than a row is an error now, not at the first read
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>
        /// Features files longer than this are read around the page cache (<see cref="DirectReader"/>): half the memory the
        /// process may use. Such a file cannot stay cached, and reading it through the cache costs the kernel a copy and an
        /// eviction per page; a smaller one may be cached already (a second epoch, a file just written). Tests lower it.
        /// </summary>
        internal static long DirectReadThreshold { get; set; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;

        /// <summary>Whether the features are read around the page cache.</summary>
        internal bool ReadsDirect => _direct is not null;

        /// <summary>Whether training windows may be filled page by page instead of copied (tests turn it off to compare).</summary>
        internal static bool PagedWindows { get; set; } = true;

        /// <inheritdoc/>
        /// <remarks>Features stored as trained on (float32 little-endian, or bytes): mapped from a file read through the page
        /// cache, read around the cache from a larger one (<see cref="DirectReadThreshold"/>).</remarks>
        internal override PagedRows? Paged
        {
            get
            {
                bool stored = IsPixels || (_features.Type == NpyType.Float32 && BitConverter.IsLittleEndian);
                if (_paged is null && PagedWindows && stored && OperatingSystem.IsLinux() && _features.DataOffset % _features.ItemSize == 0)
                {
                    SafeFileHandle handle = _direct?.Handle ?? _features.Handle;
                    _paged = new PagedRows(handle, _features.DataOffset, Inputs * _features.ItemSize, IsPixels, _direct is not null);
                }

                return PagedWindows ? _paged : null;
            }
        }

        /// <inheritdoc/>
        public override long Count { get; }

        /// <inheritdoc/>
        public override int Inputs { get; }

        /// <inheritdoc/>
        public override int Classes { get; }

        /// <inheritdoc/>
        public override IReadOnlyList<string>? ClassNames { get; }

        /// <inheritdoc/>
        public override IReadOnlyList<long> RowsPerClass => new ArraySegment<long>(_rowsPerClass, 0, Classes);

        /// <inheritdoc/>
        public override bool IsPixels => _features.Type == NpyType.UInt8;

        /// <inheritdoc/>
        public override bool HasWeights => _weights is not null;

        /// <inheritdoc/>
        public override string Description => _features.Path;

        /// <summary>
        /// Opens .npy features [n, d] (float32, float16, float64, or uint8 pixels; or uint8 images [n, h, w]) with labels [n] (any
        /// integer type) and optionally weights [n] (float), as <c>np.save</c> writes them, in C order.
        /// </summary>
        /// <param name="featuresPath">The features.</param>
        /// <param name="labelsPath">The labels, one per row.</param>
        /// <param name="weightsPath">Weights, one per row, or null.</param>
        /// <param name="classNames">The name of each class in class-index order, or null. When given, every label must be below their
        /// count.</param>
        /// <param name="memoryBudget">Bytes of rows to hold in memory at most (<see cref="RowSource.MemoryBudget"/>).</param>
        /// <exception cref="InvalidDataException">A file is not a supported .npy array, its length does not match its header, the
        /// row counts differ, or a label is not a class; the message names the file and the fix.</exception>
        /// <exception cref="ArgumentException">The budget does not hold two rows (the message says which budget would).</exception>
        /// <exception cref="FileNotFoundException">A file does not exist.</exception>
        public static FileRowSource OpenNpy(
            string featuresPath, string labelsPath, string? weightsPath = null, IReadOnlyList<string>? classNames = null,
            long memoryBudget = DefaultMemoryBudget)
        {
            ArgumentException.ThrowIfNullOrEmpty(featuresPath);
            ArgumentException.ThrowIfNullOrEmpty(labelsPath);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memoryBudget);
            var parts = new List<Part>(3);
            try
            {
                Part labels = OpenNpyPart(labelsPath, parts, out NpyHeader labelsHeader);
                NpyReader.CheckLabels(labelsPath, labelsHeader);
                Part features = OpenNpyPart(featuresPath, parts, out NpyHeader header);
                int inputs = NpyReader.CheckFeatures(featuresPath, header, labelsPath, labelsHeader);
                long rows = header.Shape[0];
                Part? weights = null;
                if (weightsPath is not null)
                {
                    weights = OpenNpyPart(weightsPath, parts, out NpyHeader w);
                    if (!(w.Shape.Length == 1 || (w.Shape.Length == 2 && w.Shape[1] == 1)) || w.IsInteger || w.Shape[0] != rows)
                    {
                        throw new InvalidDataException(
                            $"{weightsPath} holds {w.TypeText} of shape {w.ShapeText}, but weights are float32, float64 or float16 " +
                                $"[{rows}]: one weight per row.");
                    }
                }

                return new FileRowSource(features, labels, weights, rows, inputs, classNames, memoryBudget);
            }
            catch
            {
                parts.ForEach(p => p.File.Dispose());
                throw;
            }
        }

        /// <summary>Opens raw (uncompressed) IDX files: images (magic 0x00000803, unsigned bytes [n, h, w]) and labels (0x00000801,
        /// [n]).</summary>
        /// <param name="imagesPath">The images.</param>
        /// <param name="labelsPath">The labels, one per image.</param>
        /// <param name="classNames">The name of each class in class-index order, or null.</param>
        /// <param name="memoryBudget">Bytes of rows to hold in memory at most.</param>
        /// <exception cref="InvalidDataException">A file is not a raw IDX file of its kind (a gzip file must be decompressed first),
        /// its length does not match its header, the counts differ, or a label is not a class.</exception>
        /// <exception cref="ArgumentException">The budget does not hold two rows.</exception>
        /// <exception cref="FileNotFoundException">A file does not exist.</exception>
        public static FileRowSource OpenIdx(
            string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null, long memoryBudget = DefaultMemoryBudget)
        {
            ArgumentException.ThrowIfNullOrEmpty(imagesPath);
            ArgumentException.ThrowIfNullOrEmpty(labelsPath);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memoryBudget);
            var parts = new List<Part>(2);
            try
            {
                Span<int> dims = stackalloc int[3];
                Part images = OpenIdxPart(imagesPath, "images", dims, parts);
                Span<int> count = stackalloc int[1];
                Part labels = OpenIdxPart(labelsPath, "labels", count, parts);
                if (dims[0] != count[0])
                {
                    throw new InvalidDataException(
                        $"{imagesPath} holds {dims[0]} images but {labelsPath} holds {count[0]} labels: the two files must have one " +
                            $"label per image.");
                }

                return new FileRowSource(images, labels, null, dims[0], dims[1] * dims[2], classNames, memoryBudget);
            }
            catch
            {
                parts.ForEach(p => p.File.Dispose());
                throw;
            }
        }

        /// <summary>
        /// Opens the training and test splits of an IDX directory (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-...,
        /// uncompressed), which share <paramref name="memoryBudget"/>: with a test split the training rows get three quarters of
        /// it and the test rows (read in order, for evaluation) a quarter. The test split is null when its files are absent.
        /// </summary>
        /// <exception cref="FileNotFoundException">The training files are missing.</exception>
        /// <exception cref="InvalidDataException">A file is gzip-compressed (the message says how to decompress it) or damaged.</exception>
        public static (FileRowSource Train, FileRowSource? Test) OpenIdxDirectory(
            string directory, IReadOnlyList<string>? classNames = null, long memoryBudget = DefaultMemoryBudget)
        {
            ArgumentException.ThrowIfNullOrEmpty(directory);
            string Find(string name) => FileKinds.Of(Path.Combine(directory, name), followLinks: true) == FileKind.Regular
                ? Path.Combine(directory, name)
                : IdxReader.Resolve(directory, name) ?? Path.Combine(directory, name);
            bool hasTest = IdxReader.Resolve(directory, IdxReader.TestImagesFile) is not null;
            (long trainBudget, long testBudget) = hasTest ? SplitBudget(memoryBudget) : (memoryBudget, 0);
            FileRowSource train = OpenIdx(Find(IdxReader.TrainImagesFile), Find(IdxReader.TrainLabelsFile), classNames, trainBudget);
            try
            {
                FileRowSource? test = hasTest
                    ? OpenIdx(Find(IdxReader.TestImagesFile), Find(IdxReader.TestLabelsFile), classNames, testBudget)
                    : null;
                return (train, test);
            }
            catch
            {
                train.Dispose();
                throw;
            }
        }

        /// <summary>
        /// A budget shared by training rows and test rows read beside them: three quarters for training (its buffers set the
        /// shuffle's reach), a quarter for the test rows, which are read in order.
        /// </summary>
        public static (long Train, long Test) SplitBudget(long memoryBudget) => (memoryBudget - (memoryBudget / 4), memoryBudget / 4);

        private static Part OpenNpyPart(string path, List<Part> parts, out NpyHeader header)
        {
            FileStream file = FileKinds.OpenData(path, "a .npy file", 1);
            parts.Add(new Part(path, file, 0, NpyType.UInt8, 0));
            header = NpyReader.ReadHeader(file, path, long.MaxValue / 8);
            var part = new Part(path, file, header.DataOffset, header.Type, file.Length);
            parts[^1] = part;
            return part;
        }

        private static Part OpenIdxPart(string path, string kind, Span<int> dims, List<Part> parts)
        {
            FileStream file = FileKinds.OpenData(path, $"an IDX {kind} file", 1);
            parts.Add(new Part(path, file, 0, NpyType.UInt8, 0));
            int offset = IdxReader.ReadRawHeader(file, path, dims, kind);
            var part = new Part(path, file, offset, NpyType.UInt8, file.Length);
            parts[^1] = part;
            return part;
        }

        /// <inheritdoc/>
        protected override void ReadRowsCore(long first, Span<float> features, Span<byte> pixels, Span<int> labels, Span<float> weights)
        {
            long element = first * Inputs;
            if (IsPixels)
            {
                Read(_features, element, pixels);
            }
            else if (_features.Type == NpyType.Float32 && BitConverter.IsLittleEndian)
            {
                Read(_features, element, MemoryMarshal.AsBytes(features));
                CheckFinite(_features, element, features);
            }
            else
            {
                Convert(_features, element, features);
                CheckFinite(_features, element, features);
            }

            ReadLabelsAndWeights(first, labels, weights);
        }

        /// <inheritdoc/>
        internal override void ReadPagedRows(
            long first, ReadOnlySpan<byte> inputs, bool checkInputs, Span<int> labels, Span<float> weights)
        {
            CheckLength(_features); // before the mapped pages are touched: a page past the end of the file is SIGBUS
            CountBytesRead(inputs.Length);
            if (checkInputs && !IsPixels)
            {
                CheckFinite(_features, first * Inputs, MemoryMarshal.Cast<byte, float>(inputs));
            }

            ReadLabelsAndWeights(first, labels, weights);
        }

        private void ReadLabelsAndWeights(long first, Span<int> labels, Span<float> weights)
        {
            ReadLabels(first, labels, Classes, ClassNames is not null);
            if (_weights is { } w)
            {
                Convert(w, first, weights);
                for (int i = 0; i < labels.Length; i++)
                {
                    if (!(weights[i] >= 0f && float.IsFinite(weights[i])))
                    {
                        throw new InvalidDataException(
                            $"{w.Path}: the weight of row {first + i} is {weights[i]}: a row's weight must be finite and at least 0 (0 " +
                                $"leaves the row out).");
                    }
                }
            }
        }

        /// <summary>Labels of rows <c>[first, first + labels.Length)</c>, each checked against <paramref name="classLimit"/>.</summary>
        private void ReadLabels(long first, Span<int> labels, int classLimit, bool namesGiven)
        {
            int size = _labels.ItemSize;
            int perChunk = ScratchBytes / size;
            for (int at = 0; at < labels.Length; at += perChunk)
            {
                int n = Math.Min(perChunk, labels.Length - at);
                Span<byte> bytes = _scratch.AsSpan(0, n * size);
                Read(_labels, first + at, bytes);
                for (int i = 0; i < n; i++)
                {
                    long value = NpyReader.LabelValue(_labels.Type, bytes.Slice(i * size, size));
                    if (value < 0 || value >= classLimit)
                    {
                        throw NpyReader.BadLabel(_labels.Path, first + at + i, value, classLimit, namesGiven);
                    }

                    labels[at + i] = (int)value;
                }
            }
        }

        /// <summary>Reads every label once: the rows of each class, each label checked.</summary>
        private long[] ScanLabels(int classLimit, bool namesGiven)
        {
            long[] counts = new long[classLimit];
            int[] chunk = ArrayPool<int>.Shared.Rent(ScratchBytes / 8);
            try
            {
                for (long first = 0; first < Count; first += chunk.Length)
                {
                    Span<int> labels = chunk.AsSpan(0, (int)Math.Min(chunk.Length, Count - first));
                    ReadLabels(first, labels, classLimit, namesGiven);
                    foreach (int label in labels)
                    {
                        counts[label]++;
                    }
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(chunk);
            }

            return counts;
        }

        private static int LastClass(long[] counts)
        {
            int last = counts.Length - 1;
            while (last >= 0 && counts[last] == 0)
            {
                last--;
            }

            return last;
        }

        /// <summary>Elements <c>[element, element + destination.Length)</c> of <paramref name="part"/> as float32, through the scratch
        /// buffer.</summary>
        private void Convert(Part part, long element, Span<float> destination)
        {
            int size = part.ItemSize;
            int perChunk = ScratchBytes / size;
            for (int at = 0; at < destination.Length; at += perChunk)
            {
                int n = Math.Min(perChunk, destination.Length - at);
                Span<byte> bytes = _scratch.AsSpan(0, n * size);
                Read(part, element + at, bytes);
                NpyReader.ToFloats(part.Type, bytes, destination.Slice(at, n));
            }
        }

        private void CheckFinite(Part part, long element, ReadOnlySpan<float> values)
        {
            if (NpyReader.FindNonFinite(values) is int bad)
            {
                throw NpyReader.NonFinite(part.Path, part.Type, element + bad, Inputs, values[bad]);
            }
        }

        /// <summary>
        /// Reads the bytes of elements from <paramref name="element"/> on, checking first that the file still has the length it
        /// had when opened.
        /// </summary>
        private void Read(Part part, long element, Span<byte> destination)
        {
            CheckLength(part);
            long offset = part.DataOffset + (element * part.ItemSize);
            if (_direct is not null && ReferenceEquals(part, _features))
            {
                int read = _direct.Read(destination, offset);
                CountBytesRead(read);
                if (read < destination.Length)
                {
                    throw Truncated(part, offset + read);
                }

                return;
            }

            while (!destination.IsEmpty)
            {
                int chunk = Math.Min(destination.Length, 1 << 30);
                int read = RandomAccess.Read(part.Handle, destination.Slice(0, chunk), offset);
                if (read == 0)
                {
                    throw Truncated(part, offset);
                }

                CountBytesRead(read);
                offset += read;
                destination = destination.Slice(read);
            }
        }

        private static void CheckLength(Part part)
        {
            long length = RandomAccess.GetLength(part.Handle);
            if (length != part.Length)
            {
                throw new InvalidDataException(
                    $"{part.Path} changed size while it was read: it had {part.Length} bytes when opened and has {length} now. Another " +
                        $"program " +
                    "is writing it: let it finish (or convert the data again), then start over.");
            }
        }

        private static InvalidDataException Truncated(Part part, long offset) =>
            new(
                $"{part.Path} ended at byte {offset} while it was read, but its header declares data up to byte {part.Length}: " +
                "the file was truncated after it was opened. Write it again, then start over.");

        /// <inheritdoc/>
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _direct?.Dispose();
                _features.File.Dispose();
                _labels.File.Dispose();
                _weights?.File.Dispose();
            }
        }

        /// <summary>One open file (read at offsets through its handle): where its data starts, its element type, its length when
        /// opened.</summary>
        private sealed record Part(string Path, FileStream File, long DataOffset, NpyType Type, long Length)
        {
            public SafeFileHandle Handle => File.SafeFileHandle;

            public int ItemSize => NpyHeader.SizeOf(Type);
        }
    }
}
