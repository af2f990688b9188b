using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian header (magic number, then one 32-bit
    /// size per dimension) followed by the row-major data. Only unsigned-byte data is supported: images
    /// (magic <c>0x00000803</c>, [count, rows, cols]) and labels (magic <c>0x00000801</c>, [count]).
    /// </summary>
    /// <remarks>
    /// A file may be gzip-compressed or raw; compression is detected from the gzip magic bytes <c>1f 8b</c>, not from
    /// the file name. Every format problem is reported as an <see cref="InvalidDataException"/> that names the file.
    /// </remarks>
    public static class IdxReader
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
        /// <exception cref="FileNotFoundException">The file does not exist.</exception>
        public static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string path)
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
        /// <exception cref="FileNotFoundException">The file does not exist.</exception>
        public static byte[] ReadLabels(string path)
        {
            Span<int> dims = stackalloc int[1];
            return Read(path, dims, "labels");
        }

        private static byte[] Read(string path, Span<int> dims, string kind)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);

            using FileStream file = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.Read, FileBufferSize, FileOptions.SequentialScan);
            long fileLength = file.Length;
            bool compressed = IsGzip(file);
            using Stream stream = compressed ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            string described = compressed ? $"{path} (gzip)" : path;

            int headerLength = ReadHeader(stream, described, dims, kind, compressed);

            long expected = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                expected *= dims[i];
                if (expected > Array.MaxLength)
                {
                    throw new InvalidDataException(
                        $"{described}: the header declares {Shape(dims, kind)}, which is {TotalBytes(dims)} bytes of data, " +
                        $"more than a .NET array can hold ({Array.MaxLength}); the header is probably corrupt.");
                }
            }

            if (!compressed)
            {
                long found = fileLength - headerLength;
                if (found != expected)
                {
                    throw SizeMismatch(described, dims, kind, headerLength, expected, found, compressed);
                }

                byte[] raw = GC.AllocateUninitializedArray<byte>((int)expected);
                Fill(stream, raw, described, compressed);
                return raw;
            }

            if (expected > fileLength * MaxDeflateRatio + 1024)
            {
                // Cannot be there: count what is, without allocating what the header asks for.
                throw SizeMismatch(described, dims, kind, headerLength, expected, Drain(stream, described), compressed);
            }

            byte[] data = GC.AllocateUninitializedArray<byte>((int)expected);
            int read = Fill(stream, data, described, compressed);
            if (read < data.Length)
            {
                throw SizeMismatch(described, dims, kind, headerLength, expected, read, compressed);
            }

            long trailing = Drain(stream, described);
            if (trailing != 0)
            {
                throw SizeMismatch(described, dims, kind, headerLength, expected, expected + trailing, compressed);
            }

            return data;
        }

        private static bool IsGzip(FileStream file)
        {
            Span<byte> magic = stackalloc byte[2];
            int n = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
            file.Position = 0;
            return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        }

        private static int ReadHeader(Stream stream, string described, Span<int> dims, string kind, bool compressed)
        {
            int expectedMagic = dims.Length == 1 ? LabelsMagic : ImagesMagic;
            int headerLength = 4 + 4 * dims.Length;
            Span<byte> header = stackalloc byte[4 + 4 * 3];
            header = header.Slice(0, headerLength);

            int read = Fill(stream, header.Slice(0, 4), described, compressed);
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
                    $"{described} has magic number 0x{magic:X8}, which declares {header[3]} dimension{(header[3] == 1 ? "" : "s")}{hint}; " +
                    $"expected 0x{expectedMagic:X8}: an IDX {kind} file has {dims.Length} dimension{(dims.Length == 1 ? "" : "s")}.");
            }

            read += Fill(stream, header.Slice(4), described, compressed);
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
        private static int Fill(Stream stream, Span<byte> buffer, string described, bool compressed)
        {
            try
            {
                return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (InvalidDataException e) when (compressed)
            {
                throw new InvalidDataException($"{described}: the gzip data is corrupt or truncated ({e.Message}).", e);
            }
        }

        /// <summary>Reads the rest of the stream and returns how many bytes it held.</summary>
        private static long Drain(Stream stream, string described)
        {
            Span<byte> scratch = stackalloc byte[4096];
            long total = 0;
            int n;
            while ((n = Fill(stream, scratch, described, compressed: true)) > 0)
            {
                total += n;
                if (n < scratch.Length)
                {
                    break;
                }
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
            // Saturates instead of overflowing; only used for messages.
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
