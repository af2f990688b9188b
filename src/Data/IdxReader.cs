using System;
using System.Buffers.Binary;
using System.IO;
using GenSoftmax.IO;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian header (magic number, then one 32-bit
    /// size per dimension) followed by the row-major data. Only unsigned-byte data is supported: images
    /// (magic <c>0x00000803</c>, [count, rows, cols]) and labels (magic <c>0x00000801</c>, [count]), read as a pair
    /// into <see cref="LabeledData"/>, one file pair or a directory of a training and a test pair at a time.
    /// </summary>
    /// <remarks>
    /// A file may be gzip-compressed or raw; compression is detected from the gzip magic bytes <c>1f 8b</c>, not from
    /// the file name. Every format problem is reported as an <see cref="InvalidDataException"/> that names the file.
    /// <para>A gzip file must be one complete member: its trailer's CRC-32 and length are checked against the data, so
    /// a file cut anywhere (its trailer included) or damaged is rejected ("checksum mismatch", "truncated"), and bytes
    /// after the member (a second member, or anything appended) are rejected too. Memory for the data is allocated as
    /// the data arrives: a small file whose header declares gigabytes costs what the file holds, not what it declares.
    /// A raw file is read to exactly the length its header declares; one that shrinks or grows while read is an error.</para>
    /// </remarks>
    public static partial class IdxReader
    {
        /// <summary>Magic number of an unsigned-byte IDX file with one dimension (labels).</summary>
        internal const int LabelsMagic = 0x00000801;

        /// <summary>Magic number of an unsigned-byte IDX file with three dimensions (images).</summary>
        internal const int ImagesMagic = 0x00000803;

        private const byte UnsignedByte = 0x08;

        // Deflate cannot expand data by more than about 1032:1; a header that declares more data than the compressed
        // file could possibly hold is caught before allocating for it.
        private const long MaxDeflateRatio = 1032;

        private const int FileBufferSize = 1 << 16;

        /// <summary>Reads an IDX images file (magic <c>0x00000803</c>: unsigned bytes, [count, rows, cols]).</summary>
        /// <param name="path">The file, gzip-compressed or raw.</param>
        /// <returns>The pixels, [count, rows * cols] row-major, and the three dimensions from the header.</returns>
        /// <exception cref="InvalidDataException">The file is not an unsigned-byte, three-dimensional IDX file, or its
        /// size does not match its header (truncated or with trailing bytes), or its gzip data is corrupt.</exception>
        /// <exception cref="FileNotFoundException">The file does not exist, or is a symlink that leads nowhere.</exception>
        /// <exception cref="IOException">The path names a directory, FIFO, device or socket, not a regular file (checked
        /// before opening, so a FIFO never blocks the reader).</exception>
        internal static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string path)
        {
            Span<int> dims = stackalloc int[3];
            byte[] pixels = Read(path, dims, "images");
            return (pixels, dims[0], dims[1], dims[2]);
        }

        /// <summary>Reads an IDX labels file (magic <c>0x00000801</c>: unsigned bytes, [count]).</summary>
        /// <param name="path">The file, gzip-compressed or raw.</param>
        /// <returns>The labels, one byte each.</returns>
        /// <exception cref="InvalidDataException">The file is not an unsigned-byte, one-dimensional IDX file, or its
        /// size does not match its header (truncated or with trailing bytes), or its gzip data is corrupt.</exception>
        /// <exception cref="FileNotFoundException">The file does not exist, or is a symlink that leads nowhere.</exception>
        /// <exception cref="IOException">The path names a directory, FIFO, device or socket, not a regular file (checked
        /// before opening, so a FIFO never blocks the reader).</exception>
        internal static byte[] ReadLabels(string path)
        {
            Span<int> dims = stackalloc int[1];
            return Read(path, dims, "labels");
        }

        private static byte[] Read(string path, Span<int> dims, string kind)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            using FileStream file = FileKinds.OpenData(path, $"an IDX {kind} file", FileBufferSize);
            return Read(file, file.Length, path, dims, kind);
        }

        /// <summary>
        /// Reads and checks only the header of an IDX file into <paramref name="dims"/>, with the errors a full read gives
        /// for it: a gzip file inflates its first bytes, never its body; a raw file's length is checked against the header.
        /// </summary>
        internal static void ReadDeclared(string path, Span<int> dims, string kind)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            using FileStream file = FileKinds.OpenData(path, $"an IDX {kind} file", 4096);
            long fileLength = file.Length;
            if (IsGzip(file))
            {
                string described = $"{path} (gzip)";
                using var gzip = new GzipMemberStream(file, fileLength, described);
                ReadHeader(gzip, described, dims, kind);
                CheckDimensions(described, dims, kind);
                return;
            }

            int headerLength = ReadHeader(file, path, dims, kind);
            long expected = CheckDimensions(path, dims, kind);
            if (fileLength - headerLength != expected)
            {
                throw SizeMismatch(path, dims, kind, headerLength, expected, fileLength - headerLength, compressed: false);
            }
        }

        /// <summary>
        /// Reads and checks the header of a raw (uncompressed) IDX file for reading its data in place, a block at a time: the
        /// dimensions into <paramref name="dims"/>, the file's length against them (any size a file can have). Returns the
        /// header's length, where the data starts.
        /// </summary>
        /// <exception cref="InvalidDataException">The file is gzip-compressed (it cannot be read in place), is not an IDX file of
        /// this kind, or its length does not match its header.</exception>
        internal static int ReadRawHeader(FileStream file, string path, Span<int> dims, string kind)
        {
            long fileLength = file.Length;
            if (IsGzip(file))
            {
                throw new InvalidDataException(
                    $"{path} is gzip-compressed, and streamed data is read in place, a block at a time: decompress it first " +
                    $"(gunzip -k '{path}') and pass the raw file, or load it into memory (no memory budget).");
            }

            int headerLength = ReadHeader(file, path, dims, kind);
            long expected = CheckDimensions(path, dims, kind, long.MaxValue);
            if (fileLength - headerLength != expected)
            {
                throw SizeMismatch(path, dims, kind, headerLength, expected, fileLength - headerLength, compressed: false);
            }

            return headerLength;
        }

        /// <summary>Reads an IDX file from <paramref name="file"/>, which held <paramref name="fileLength"/> bytes when opened.</summary>
        internal static byte[] Read(Stream file, long fileLength, string path, Span<int> dims, string kind)
        {
            bool compressed = IsGzip(file);
            return compressed
                ? ReadGzip(file, fileLength, $"{path} (gzip)", dims, kind)
                : ReadRaw(file, fileLength, path, dims, kind);
        }

        private static byte[] ReadRaw(Stream file, long fileLength, string described, Span<int> dims, string kind)
        {
            int headerLength = ReadHeader(file, described, dims, kind);
            long expected = CheckDimensions(described, dims, kind);
            long found = fileLength - headerLength;
            if (found != expected)
            {
                throw SizeMismatch(described, dims, kind, headerLength, expected, found, compressed: false);
            }

            // The file's length matched the header, so the array is no larger than the file.
            byte[] data = GC.AllocateUninitializedArray<byte>((int)expected);
            int read = file.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (read < data.Length)
            {
                throw new InvalidDataException(
                    $"{described} became shorter while it was read: it had {fileLength} bytes when opened, but its data ended after " +
                    $"{headerLength + read}. Is another program writing it? Read it again once it is complete.");
            }

            if (file.ReadByte() >= 0)
            {
                throw new InvalidDataException(
                    $"{described} grew while it was read: it had {fileLength} bytes when opened, and more followed. " +
                    "Is another program writing it? Read it again once it is complete.");
            }

            return data;
        }

        private static byte[] ReadGzip(Stream file, long fileLength, string described, Span<int> dims, string kind)
        {
            using var gzip = new GzipMemberStream(file, fileLength, described);
            int headerLength = ReadHeader(gzip, described, dims, kind);
            long expected = CheckDimensions(described, dims, kind);

            if (expected > fileLength * MaxDeflateRatio + 1024)
            {
                // Cannot be there: count what is (verifying the gzip data on the way), allocating nothing for it.
                throw SizeMismatch(described, dims, kind, headerLength, expected, Drain(gzip), compressed: true);
            }

            // Allocated as the data arrives, never more than twice what has arrived (or a first guess from the compressed
            // size): a header that declares gigabytes costs only what the file really holds.
            int capacity = (int)Math.Min(expected, Math.Max(1 << 16, Math.Min(fileLength * 4, Array.MaxLength)));
            byte[] data = GC.AllocateUninitializedArray<byte>(capacity);
            int filled = 0;
            while (true)
            {
                int n = gzip.ReadAtLeast(data.AsSpan(filled), data.Length - filled, throwOnEndOfStream: false);
                filled += n;
                if (filled < data.Length || filled == expected)
                {
                    break;
                }

                byte[] larger = GC.AllocateUninitializedArray<byte>((int)Math.Min(expected, (long)data.Length * 2));
                data.AsSpan(0, filled).CopyTo(larger);
                data = larger;
            }

            // Read to the end even when the data is short or complete: the trailer is checked there, so a damaged file is
            // reported as damaged rather than as a size mismatch, and trailing bytes are counted.
            long trailing = Drain(gzip);
            if (filled < expected)
            {
                throw SizeMismatch(described, dims, kind, headerLength, expected, filled, compressed: true);
            }

            if (trailing != 0)
            {
                throw SizeMismatch(described, dims, kind, headerLength, expected, expected + trailing, compressed: true);
            }

            return data;
        }

        /// <summary>
        /// Checks the dimensions: an image has at least one row and one column, and the data fits an array. A count of 0
        /// is a valid, empty file. Returns the data length.
        /// </summary>
        private static long CheckDimensions(string described, ReadOnlySpan<int> dims, string kind) =>
            CheckDimensions(described, dims, kind, Array.MaxLength);

        /// <summary>As <see cref="CheckDimensions(string, ReadOnlySpan{int}, string)"/>, with at most <paramref name="maxBytes"/> of
        /// data.</summary>
        private static long CheckDimensions(string described, ReadOnlySpan<int> dims, string kind, long maxBytes)
        {
            if (dims.Length == 3 && (dims[1] == 0 || dims[2] == 0))
            {
                throw new InvalidDataException(
                    $"{described}: its header declares {Shape(dims, kind)} pixels, but an image needs at least one row and one " +
                    "column (a count of 0 images would be a valid empty file; 0 rows or columns is not). The header is damaged.");
            }

            if (dims.Length == 3 && (long)dims[1] * dims[2] > Array.MaxLength)
            {
                throw new InvalidDataException(
                    $"{described}: its header declares images of {dims[1]}x{dims[2]} pixels, more pixels per image than a .NET " +
                    $"array can hold ({Array.MaxLength}); the header is probably corrupt.");
            }

            long total = TotalBytes(dims);
            if (total > maxBytes)
            {
                throw new InvalidDataException(
                    $"{described}: the header declares {Shape(dims, kind)}, which is {total} bytes of data, " +
                    $"more than a .NET array can hold ({Array.MaxLength}); the header is probably corrupt.");
            }

            return total;
        }

        private static bool IsGzip(Stream file)
        {
            Span<byte> magic = stackalloc byte[2];
            int n = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
            file.Position = 0;
            return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        }

        private static int ReadHeader(Stream stream, string described, Span<int> dims, string kind)
        {
            int expectedMagic = dims.Length == 1 ? LabelsMagic : ImagesMagic;
            int headerLength = 4 + 4 * dims.Length;
            Span<byte> header = stackalloc byte[4 + 4 * 3];
            header = header.Slice(0, headerLength);

            int read = Fill(stream, header.Slice(0, 4));
            if (read < 4)
            {
                throw new InvalidDataException(
                    $"{described} is too short to be an IDX {kind} file: expected a {headerLength}-byte header, found {read} bytes.");
            }

            int magic = BinaryPrimitives.ReadInt32BigEndian(header);
            if (header[0] != 0 || header[1] != 0)
            {
                throw new InvalidDataException(
                    $"{described} is not an IDX file: it starts with 0x{magic:X8}, expected the magic number 0x{expectedMagic:X8} " +
                    $"(unsigned bytes, {dims.Length} dimension{(dims.Length == 1 ? "" : "s")}) of an IDX {kind} file.");
            }

            if (header[2] != UnsignedByte)
            {
                throw new InvalidDataException(
                    $"{described} has magic number 0x{magic:X8}, whose data type 0x{header[2]:X2} is {TypeName(header[2])}; " +
                    $"expected 0x{expectedMagic:X8}: an IDX {kind} file holds unsigned bytes (type 0x08).");
            }

            if (header[3] != dims.Length)
            {
                string hint = header[3] switch
                {
                    1 => " (that is a labels file)",
                    3 => " (that is an images file)",
                    _ => "",
                };
                throw new InvalidDataException(
                    $"{described} has magic number 0x{magic:X8}, which declares {header[3]} " +
                        $"dimension{(header[3] == 1 ? "" : "s")}{hint}; " +
                    $"expected 0x{expectedMagic:X8}: an IDX {kind} file has {dims.Length} dimension{(dims.Length == 1 ? "" : "s")}.");
            }

            read += Fill(stream, header.Slice(4));
            if (read < headerLength)
            {
                throw new InvalidDataException(
                    $"{described} is truncated inside its header: expected {headerLength} header bytes, found {read}.");
            }

            for (int i = 0; i < dims.Length; i++)
            {
                uint size = BinaryPrimitives.ReadUInt32BigEndian(header.Slice(4 + 4 * i));
                if (size > int.MaxValue)
                {
                    throw new InvalidDataException(
                        $"{described}: dimension {i} of the header is {size}, which is too large; the header is probably corrupt.");
                }

                dims[i] = (int)size;
            }

            return headerLength;
        }

        /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
        private static int Fill(Stream stream, Span<byte> buffer) =>
            stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);

        /// <summary>Reads the rest of the stream (verifying gzip data to its end) and returns how many bytes it held.</summary>
        private static long Drain(Stream stream)
        {
            Span<byte> scratch = stackalloc byte[4096];
            long total = 0;
            int n;
            while ((n = stream.Read(scratch)) > 0)
            {
                total += n;
            }

            return total;
        }

        private static InvalidDataException SizeMismatch(
            string described, Span<int> dims, string kind, int headerLength, long expected, long found, bool compressed)
        {
            string unit = compressed ? " uncompressed" : "";
            long expectedFile = headerLength + expected;
            long foundFile = headerLength + found;
            string what = found < expected
                ? $"is truncated: expected {expectedFile}{unit} bytes, found {foundFile}"
                : $"is longer than its header declares: expected {expectedFile}{unit} bytes, found {foundFile} " +
                  $"({found - expected} trailing bytes; the dimension counts in the header do not match the data)";
            return new InvalidDataException(
                $"{described} {what}. Its header declares {Shape(dims, kind)}: a {headerLength}-byte header and {expected} data bytes.");
        }

        private static string Shape(ReadOnlySpan<int> dims, string kind) => dims.Length == 3
            ? $"{dims[0]} {kind} of {dims[1]}x{dims[2]}"
            : $"{dims[0]} {kind}";

        private static long TotalBytes(ReadOnlySpan<int> dims)
        {
            // Exact for any three 32-bit sizes (decimal holds 96 bits); saturates at long.MaxValue.
            decimal total = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                total *= dims[i];
            }

            return total > long.MaxValue ? long.MaxValue : (long)total;
        }

        private static string TypeName(byte type) => type switch
        {
            0x08 => "unsigned byte",
            0x09 => "signed byte",
            0x0B => "16-bit integer",
            0x0C => "32-bit integer",
            0x0D => "32-bit float",
            0x0E => "64-bit float",
            _ => "not a valid IDX data type",
        };
    }
}
