using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using GenSoftmax.IO;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Reads NumPy <c>.npy</c> arrays (what <c>np.save</c> writes) into <see cref="LabeledData"/>: a features file
    /// [n, d] (or images [n, h, w]) and a labels file [n].
    /// </summary>
    /// <remarks>
    /// <para>Format versions 1.0, 2.0 and 3.0; little-endian; C order (<c>fortran_order: False</c>). Features may be
    /// float32, float64 or float16 (read as float32; a float64 value outside float32's range is an error) or uint8,
    /// kept as pixels 0..255 (<see cref="LabeledData.FromPixels(byte[], int[], int, IReadOnlyList{string})"/>, or
    /// <see cref="LabeledData.FromImages(byte[], int[], int, int, IReadOnlyList{string})"/> for [n, h, w]). Labels may be any integer type
    /// (int32 and int64 are the usual), shape [n] or [n, 1].</para>
    /// <para>The header (magic, version, header length, the dictionary's syntax, dtype, order, shape) is checked, and the
    /// shape against the file's size, before any array is allocated. Every problem is an <see cref="InvalidDataException"/>
    /// whose message names the file, the problem and how to fix it (in NumPy terms): another dtype or byte order, a
    /// Fortran-ordered array, a truncated file, a NaN or infinite feature, a negative label.</para>
    /// </remarks>
    public static class NpyReader
    {
        private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

        // NumPy itself refuses headers over 10,000 bytes unless told otherwise; this is generous and still stops a
        // corrupt length from allocating gigabytes.
        private const int MaxHeaderLength = 1 << 20;

        private const int FileBufferSize = 1 << 16;

        /// <summary>Reads a features file and a labels file written by <c>np.save</c>.</summary>
        /// <param name="featuresPath">Features [n, d] (float32, float64, float16 or uint8) or images [n, h, w] (uint8).</param>
        /// <param name="labelsPath">Class numbers [n] or [n, 1], any integer dtype.</param>
        /// <param name="classNames">The name of each class in class-index order, or null. When given, every label must be
        /// below their count.</param>
        /// <returns>The data set: float features, or pixels when the features are uint8.</returns>
        /// <exception cref="InvalidDataException">A file is not a supported .npy array, is truncated or longer than its
        /// header declares, the row counts differ, a feature is NaN or infinite, or a label is not a class.</exception>
        /// <exception cref="ArgumentException"><paramref name="classNames"/> has an empty or repeated name.</exception>
        /// <exception cref="FileNotFoundException">A file does not exist.</exception>
        /// <exception cref="IOException">A path names a directory, FIFO, device or socket, not a regular file.</exception>
        public static LabeledData Read(string featuresPath, string labelsPath, IReadOnlyList<string>? classNames = null)
        {
            ArgumentException.ThrowIfNullOrEmpty(featuresPath);
            ArgumentException.ThrowIfNullOrEmpty(labelsPath);
            if (classNames is { Count: 0 })
            {
                throw new ArgumentException("classNames is empty: give the name of every class in class-index order, or null.",
                    nameof(classNames));
            }

            // Both headers are checked before either array is allocated.
            using FileStream labelsFile = Open(labelsPath);
            NpyHeader labelsHeader = ReadHeader(labelsFile, labelsPath);
            CheckLabels(labelsPath, labelsHeader);

            using FileStream file = Open(featuresPath);
            NpyHeader header = ReadHeader(file, featuresPath);
            int inputs = CheckFeatures(featuresPath, header, labelsPath, labelsHeader);
            int rows = header.Shape[0];

            int classLimit = classNames?.Count ?? ModelLimits.MaxClasses;
            int[] labels = ReadLabels(labelsFile, labelsPath, labelsHeader, classLimit, classNames is not null);

            if (header.Type == NpyType.UInt8)
            {
                byte[] pixels = GC.AllocateUninitializedArray<byte>((int)header.Elements);
                ReadData(file, featuresPath, header, pixels);
                return header.Shape.Length == 3
                    ? LabeledData.FromImages(pixels, labels, header.Shape[1], header.Shape[2], classNames)
                    : LabeledData.FromPixels(pixels, labels, inputs, classNames);
            }

            float[] features = ReadFloats(file, featuresPath, header);
            return LabeledData.FromFeatures(features, labels, inputs, classNames);
        }

        /// <summary>
        /// Reads one weight per row (scikit-learn's <c>sample_weight</c>, saved with <c>np.save</c>): a float array of shape
        /// [rows] or [rows, 1]; the values are checked when they are given to <c>LabeledData.WithWeights</c>.
        /// </summary>
        /// <param name="path">The .npy file.</param>
        /// <param name="rows">The rows of the data the weights belong to.</param>
        /// <exception cref="InvalidDataException">The file is not a float array of one value per row, or is damaged.</exception>
        /// <exception cref="FileNotFoundException">The file does not exist.</exception>
        public static float[] ReadWeights(string path, int rows)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            using FileStream file = Open(path);
            NpyHeader header = ReadHeader(file, path);
            if (!(header.Shape.Length == 1 || header.Shape.Length == 2 && header.Shape[1] == 1))
            {
                throw new InvalidDataException(
                    $"{path} holds an array of shape {header.ShapeText}, but weights must be [rows] (or [rows, 1]): one weight per row.");
            }

            if (header.Type is not (NpyType.Float16 or NpyType.Float32 or NpyType.Float64))
            {
                throw new InvalidDataException(
                    $"{path} holds {header.TypeText} values, but weights must be float32, float64 or float16: convert with " +
                        $"a.astype(np.float32).");
            }

            if (header.Shape[0] != rows)
            {
                throw new InvalidDataException($"{path} holds {header.Shape[0]} weights but the data has {rows} " +
                    $"rows: give one weight per row.");
            }

            return ReadFloats(file, path, header);
        }

        /// <summary>
        /// Checks a features header against its labels header: [n, d] or images [n, h, w], as many rows as labels, at least one
        /// value, a type features can have. Returns the values per row.
        /// </summary>
        internal static int CheckFeatures(string featuresPath, in NpyHeader header, string labelsPath, in NpyHeader labelsHeader)
        {
            if (header.Shape.Length is not (2 or 3))
            {
                throw new InvalidDataException(
                    $"{featuresPath} holds an array of shape {header.ShapeText}, but features must be [rows, features] (2 dimensions) or " +
                    "images [rows, height, width] (3): reshape it with a.reshape(len(a), -1) before np.save.");
            }

            int rows = header.Shape[0];
            if (rows != labelsHeader.Shape[0])
            {
                throw new InvalidDataException(
                    $"{featuresPath} holds {rows} rows but {labelsPath} holds {labelsHeader.Shape[0]} labels: the two files must have " +
                        $"one label per row.");
            }

            if (header.Elements == 0)
            {
                throw new InvalidDataException($"{featuresPath} holds no data (shape {header.ShapeText}): a data set needs at least one " +
                    $"row and one feature.");
            }

            if (header.Type is not (NpyType.UInt8 or NpyType.Float16 or NpyType.Float32 or NpyType.Float64))
            {
                throw new InvalidDataException(
                    $"{featuresPath} holds {header.TypeText} values, but features must be float32, float64, float16 or uint8 (pixels): " +
                    "convert with a.astype(np.float32) before np.save.");
            }

            long inputs = header.Elements / rows;
            if (inputs > ModelLimits.MaxInputs)
            {
                throw new InvalidDataException(
                    $"{featuresPath} holds {header.ShapeText}: {inputs} features per row, more than a model takes " +
                        $"({ModelLimits.MaxInputs}).");
            }

            return (int)inputs;
        }

        /// <summary>Checks a labels header: any integer dtype, [n] or [n, 1].</summary>
        internal static void CheckLabels(string path, in NpyHeader header)
        {
            if (!(header.Shape.Length == 1 || header.Shape.Length == 2 && header.Shape[1] == 1))
            {
                throw new InvalidDataException(
                    $"{path} holds an array of shape {header.ShapeText}, but labels must be [rows] (or [rows, " +
                        $"1]): one class number per row. " +
                    "If it holds one-hot rows, save a.argmax(axis=1) instead.");
            }

            if (!header.IsInteger)
            {
                string hint = header.Type is NpyType.Float16 or NpyType.Float32 or NpyType.Float64
                    ? "convert whole-number labels with a.astype(np.int64)"
                    : "map class names to numbers first (np.unique(a, return_inverse=True) gives the numbers)";
                throw new InvalidDataException(
                    $"{path} holds {header.TypeText} values, but labels must be integers (class numbers 0, 1, " +
                        $"2, ...): {hint}, then np.save.");
            }
        }

        /// <summary>Reads the labels after their header, every value in 0..classLimit-1.</summary>
        private static int[] ReadLabels(FileStream file, string path, in NpyHeader header, int classLimit, bool namesGiven)
        {
            int count = header.Shape[0];
            int[] labels = GC.AllocateUninitializedArray<int>(count);
            int size = header.ItemSize;
            NpyType type = header.Type;
            ReadChunks(file, path, header, count, (start, bytes) =>
            {
                int n = bytes.Length / size;
                for (int i = 0; i < n; i++)
                {
                    long value = LabelValue(type, bytes.Slice(i * size, size));
                    if (value < 0 || value >= classLimit)
                    {
                        throw BadLabel(path, start + i, value, classLimit, namesGiven);
                    }

                    labels[start + i] = (int)value;
                }
            });

            CheckEnd(file, path, header);
            return labels;
        }

        /// <summary>One little-endian integer label of <paramref name="type"/> (a uint64 beyond long's range reads as
        /// long.MaxValue).</summary>
        internal static long LabelValue(NpyType type, ReadOnlySpan<byte> item) => type switch
        {
            NpyType.Int8 => (sbyte)item[0],
            NpyType.UInt8 => item[0],
            NpyType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(item),
            NpyType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(item),
            NpyType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(item),
            NpyType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(item),
            NpyType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(item),
            _ => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(item), long.MaxValue),
        };

        /// <summary>The error for label <paramref name="row"/> of <paramref name="path"/>, which is not in 0..classLimit-1.</summary>
        internal static InvalidDataException BadLabel(string path, long row, long value, int classLimit, bool namesGiven)
        {
            string problem = value < 0
                ? "is negative, but class numbers are 0, 1, 2, ..."
                : namesGiven
                    ? $"is not a class: classNames has {classLimit} names (classes 0..{classLimit - 1})"
                    : $"is too large to be a class number: a model has at most {classLimit} classes (0..{classLimit - 1})";
            return new InvalidDataException($"{path}: label {row} (row {row} of the array) = {value} {problem}.");
        }

        /// <summary>Converts little-endian float16/32/64 <paramref name="bytes"/> of <paramref name="type"/> to float32.</summary>
        internal static void ToFloats(NpyType type, ReadOnlySpan<byte> bytes, Span<float> destination)
        {
            int size = NpyHeader.SizeOf(type);
            int n = bytes.Length / size;
            switch (type)
            {
                case NpyType.Float16 when BitConverter.IsLittleEndian:
                    TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), destination);
                    break;
                case NpyType.Float32 when BitConverter.IsLittleEndian:
                    MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                    break;
                case NpyType.Float64 when BitConverter.IsLittleEndian:
                    ReadOnlySpan<double> doubles = MemoryMarshal.Cast<byte, double>(bytes);
                    for (int i = 0; i < n; i++)
                    {
                        destination[i] = (float)doubles[i];
                    }

                    break;
                default:
                    for (int i = 0; i < n; i++)
                    {
                        ReadOnlySpan<byte> item = bytes.Slice(i * size, size);
                        destination[i] = type switch
                        {
                            NpyType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(item),
                            NpyType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(item),
                            _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(item),
                        };
                    }

                    break;
            }
        }

        /// <summary>Reads float16/32/64 data as float32, checking that every value is finite.</summary>
        private static float[] ReadFloats(FileStream file, string path, in NpyHeader header)
        {
            int count = (int)header.Elements;
            float[] result = GC.AllocateUninitializedArray<float>(count);
            if (header.Type == NpyType.Float32 && BitConverter.IsLittleEndian)
            {
                ReadInPlace(file, path, header, result, DirectChunkFloats);
            }
            else
            {
                NpyType type = header.Type;
                int size = header.ItemSize;
                ReadChunks(file, path, header, count, (start, bytes) => ToFloats(type, bytes, result.AsSpan(start, bytes.Length / size)));
            }

            CheckEnd(file, path, header);
            int columns = header.Elements == 0 ? 1 : (int)(header.Elements / header.Shape[0]);
            if (FindNonFinite(result) is int bad)
            {
                throw NonFinite(path, header.Type, bad, columns, result[bad]);
            }

            return result;
        }

        /// <summary>The index of the first value that is not finite, or null.</summary>
        internal static int? FindNonFinite(ReadOnlySpan<float> values)
        {
            for (int i = FiniteScan.Start(values); i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                {
                    return i;
                }
            }

            return null;
        }

        /// <summary>The error for element <paramref name="element"/> of the features in <paramref name="path"/>, which is not
        /// finite.</summary>
        internal static InvalidDataException NonFinite(string path, NpyType type, long element, int columns, float value)
        {
            string what = float.IsNaN(value) ? "NaN" : type == NpyType.Float64 ? "infinite or outside float32's range (about ±3.4e38)"
                : "infinite";
            return new InvalidDataException(
                $"{path}: the feature at row {element / columns}, column {element % columns} (element {element}) is {what}. Features " +
                    $"must be finite: " +
                "replace or drop such rows (np.isfinite(a).all(axis=1) finds the good ones), or scale the features.");
        }

        /// <summary>The first item's index and the bytes of whole items that follow it, one buffer-full at a time.</summary>
        private delegate void ChunkReader(int start, ReadOnlySpan<byte> bytes);

        /// <summary>
        /// Hands the <paramref name="count"/> items after the header to <paramref name="read"/> in chunks of whole items, through one
        /// pooled buffer, so a large array is never held twice.
        /// </summary>
        private static void ReadChunks(FileStream file, string path, in NpyHeader header, int count, ChunkReader read)
        {
            int size = header.ItemSize;
            byte[] buffer = ArrayPool<byte>.Shared.Rent(FileBufferSize);
            try
            {
                int perChunk = FileBufferSize / size;
                for (int start = 0; start < count; start += perChunk)
                {
                    int n = Math.Min(perChunk, count - start);
                    Span<byte> bytes = buffer.AsSpan(0, n * size);
                    Fill(file, bytes, path, header, (long)start * size);
                    read(start, bytes);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private static void ReadData(FileStream file, string path, in NpyHeader header, Span<byte> destination)
        {
            Fill(file, destination, path, header, 0);
            CheckEnd(file, path, header);
        }

        /// <summary>Floats per read straight into the result: their bytes must fit a span (int) with room to spare.</summary>
        internal const int DirectChunkFloats = 1 << 28;

        /// <summary>
        /// Reads little-endian float32 data straight into <paramref name="destination"/>, <paramref name="chunkFloats"/> at a
        /// time: the bytes of more than 2^29 floats (2 GiB) are more than one span of bytes can index.
        /// </summary>
        internal static void ReadInPlace(FileStream file, string path, in NpyHeader header, Span<float> destination, int chunkFloats)
        {
            for (int start = 0; start < destination.Length; start += chunkFloats)
            {
                int n = Math.Min(chunkFloats, destination.Length - start);
                Fill(file, MemoryMarshal.AsBytes(destination.Slice(start, n)), path, header, (long)start * sizeof(float));
            }
        }

        /// <summary>Reads exactly <paramref name="destination"/>'s length; a shorter read means the file shrank after it was
        /// checked.</summary>
        private static void Fill(FileStream file, Span<byte> destination, string path, in NpyHeader header, long dataOffset)
        {
            int read = file.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
            if (read < destination.Length)
            {
                throw SizeMismatch(path, header, header.DataOffset + dataOffset + read);
            }
        }

        private static void CheckEnd(FileStream file, string path, in NpyHeader header)
        {
            Span<byte> probe = stackalloc byte[1];
            if (file.Read(probe) != 0)
            {
                throw SizeMismatch(path, header, Math.Max(file.Length, header.DataOffset + header.DataBytes + 1));
            }
        }

        private static FileStream Open(string path) => FileKinds.OpenData(path, "a .npy file", FileBufferSize);

        /// <summary>
        /// Reads and checks the magic, version, header length and header dictionary, and checks the shape against the
        /// file's length. Leaves the stream at the first byte of data.
        /// </summary>
        internal static NpyHeader ReadHeader(Stream file, string path) => ReadHeader(file, path, Array.MaxLength);

        /// <summary>As <see cref="ReadHeader(Stream, string)"/>, for an array of up to <paramref name="maxElements"/> elements
        /// (more than an array holds when it is read a block at a time).</summary>
        internal static NpyHeader ReadHeader(Stream file, string path, long maxElements)
        {
            long fileLength = file.Length;
            Span<byte> prefix = stackalloc byte[12];
            int read = file.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
            if (read < 8 || !prefix.StartsWith(Magic))
            {
                string hint = read >= 4 && prefix.StartsWith("PK\u0003\u0004"u8)
                    ? " It is a zip archive: an .npz file holds several arrays; take one out with np.load(file)['name'] and np.save it."
                    : "";
                string start = read == 0 ? "it is empty" : $"it starts with {Convert.ToHexString(prefix.Slice(0, Math.Min(read, 6)))}";
                throw new InvalidDataException(
                    $"{path} is not a NumPy .npy file: {start}, but a .npy file starts with the magic bytes 93 4E 55 4D 50 59 " +
                        $"(\"\\x93NUMPY\") " +
                    $"that np.save writes.{hint}");
            }

            byte major = prefix[6], minor = prefix[7];
            if (major is not (1 or 2 or 3) || minor != 0)
            {
                throw new InvalidDataException(
                    $"{path} is .npy format version {major}.{minor}, which is not supported: versions 1.0, 2.0 and 3.0 are " +
                    "(np.save writes 1.0 unless the header needs more).");
            }

            int lengthSize = major == 1 ? 2 : 4;
            int prefixLength = 8 + lengthSize;
            if (read < prefixLength)
            {
                throw new InvalidDataException($"{path} is truncated inside its header: it has {fileLength} bytes, " +
                    $"and the header alone needs more.");
            }

            long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(prefix.Slice(8))
                : BinaryPrimitives.ReadUInt32LittleEndian(prefix.Slice(8));
            if (headerLength > MaxHeaderLength)
            {
                throw new InvalidDataException(
                    $"{path}: the header length field says {headerLength} bytes, more than a .npy header can sensibly be " +
                        $"({MaxHeaderLength}); the file is corrupt.");
            }

            long dataOffset = prefixLength + headerLength;
            if (dataOffset > fileLength)
            {
                throw new InvalidDataException(
                    $"{path} is truncated inside its header: the header declares {headerLength} bytes (data from byte {dataOffset}), but " +
                        $"the file has {fileLength} bytes.");
            }

            byte[] text = new byte[headerLength];
            file.Position = prefixLength;
            file.ReadExactly(text);
            string dictionary = major == 3 ? System.Text.Encoding.UTF8.GetString(text) : System.Text.Encoding.Latin1.GetString(text);
            NpyHeader header = NpyHeaderParser.Parse(dictionary, path, maxElements) with { DataOffset = dataOffset };

            long found = fileLength - dataOffset;
            if (found != header.DataBytes)
            {
                throw SizeMismatch(path, header, fileLength);
            }

            return header;
        }

        private static InvalidDataException SizeMismatch(string path, in NpyHeader header, long fileLength)
        {
            long expected = header.DataOffset + header.DataBytes;
            string what = fileLength < expected
                ? $"is truncated: its header declares {header.TypeText} {header.ShapeText}, {header.DataBytes} bytes of data after a " +
                  $"{header.DataOffset}-byte header ({expected} bytes in all), but the file has {fileLength}"
                : $"is longer than its header declares: {header.TypeText} {header.ShapeText} is {header.DataBytes} bytes of data after a " +
                  $"{header.DataOffset}-byte header ({expected} bytes in all), but the file has {fileLength} " +
                      $"({fileLength - expected} extra)";
            return new InvalidDataException($"{path} {what}. Write it again with np.save.");
        }
    }
}
