using System;
using System.IO;
using System.IO.Compression;
using System.IO.Hashing;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Decompresses a gzip file (RFC 1952) and verifies everything the format lets a reader verify: each member's header
    /// (and its CRC-16 when present), that its deflate data ends where its 8-byte trailer begins, and the trailer's CRC-32
    /// and length against the data that came out.
    /// </summary>
    /// <remarks>
    /// <para>.NET's <see cref="GZipStream"/> checks a trailer that is there, but a file cut inside its trailer or its
    /// compressed data ends without an error. This stream reports each of those as an <see cref="InvalidDataException"/>
    /// naming the file.</para>
    /// <para>Members are read as gzip reads them: several members (as <c>cat a.gz b.gz</c> makes) give their data one
    /// after the other, and zero bytes after the last member are padding (as tape archives leave). Any other bytes after
    /// a member are an error. The end of a member's deflate data is where its trailer, whose CRC-32 and length the
    /// decoded data give, is found (the decoder reads ahead of it).</para>
    /// <para>The verification happens when the data is read to its end: a caller must read until <c>Read</c> returns
    /// 0 before trusting what it read.</para>
    /// </remarks>
    internal sealed class GzipMemberStream : ReadOnlyStream
    {
        private const int TrailerLength = 8;

        /// <summary>How far before the decoder's read position a member's deflate data may end (its look-ahead).</summary>
        private const int LookBehind = 1 << 16;

        private readonly Stream _file;
        private readonly long _fileLength;
        private readonly string _described;
        private readonly Crc32 _crc = new();
        private CompressedFeed _feed;
        private DeflateStream _deflate;
        private long _memberStart;
        private long _memberLength;
        private int _members = 1;
        private long _length;
        private bool _verified;

        /// <summary>Reads and checks the gzip header from the start of <paramref name="file"/>.</summary>
        /// <param name="file">The whole gzip file, positioned at its first byte.</param>
        /// <param name="fileLength">Its length in bytes.</param>
        /// <param name="described">The file, as messages name it.</param>
        public GzipMemberStream(Stream file, long fileLength, string described)
        {
            _file = file;
            _fileLength = fileLength;
            _described = described;
            (_feed, _deflate) = OpenMember(0);
        }

        /// <summary>Reads the header of the member at <paramref name="start"/> (the file's position) and opens its deflate data.</summary>
        private (CompressedFeed Feed, DeflateStream Deflate) OpenMember(long start)
        {
            long headerLength = ReadHeader(_file, _fileLength, _described);
            long compressedLength = _fileLength - start - headerLength - TrailerLength;
            if (compressedLength <= 0)
            {
                throw new InvalidDataException(
                    $"{_described} is truncated: after its {headerLength}-byte gzip header it has " +
                        $"{_fileLength - start - headerLength} bytes, " +
                    $"too few for any compressed data and the {TrailerLength}-byte trailer (CRC-32 and length).");
            }

            _memberStart = start + headerLength;
            _memberLength = 0;
            _crc.Reset();
            var feed = new CompressedFeed(_file, compressedLength);
            return (feed, new DeflateStream(feed, CompressionMode.Decompress, leaveOpen: true));
        }

        /// <summary>Bytes decompressed so far.</summary>
        public long UncompressedLength => _length;

        public override int Read(Span<byte> buffer)
        {
            while (!_verified && !buffer.IsEmpty)
            {
                if (ReadMember(buffer) is > 0 and int n)
                {
                    return n;
                }

                _verified = !NextMember();
            }

            return 0;
        }

        private int ReadMember(Span<byte> buffer)
        {
            int n;
            try
            {
                n = _deflate.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw _feed.ReadPastEnd
                    ? Truncated()
                    : new InvalidDataException(
                        // Not e.Message: for any damage zlib reports, .NET says "unsupported compression method".
                        $"{_described}: the compressed data is damaged: the deflate decoder found an invalid code after " +
                        $"{_length} uncompressed bytes. The file is corrupt: download or copy it again.", e);
            }

            _crc.Append(buffer.Slice(0, n));
            _length += n;
            _memberLength += n;
            return n;
        }

        /// <summary>
        /// At the end of a member's deflate data: checks its trailer, then opens the member that follows (true) or checks
        /// that the file ends, after zero padding at most (false).
        /// </summary>
        private bool NextMember()
        {
            if (_feed.ReadPastEnd)
            {
                throw Truncated();
            }

            if (_feed.Remaining == 0)
            {
                VerifyLastTrailer();
                return false;
            }

            // The decoder stopped before the file's last 8 bytes: the member's trailer is inside what it read ahead.
            long next = FindTrailer();
            _deflate.Dispose();
            _file.Position = next;
            int first = _file.ReadByte();
            if (first < 0)
            {
                return false;
            }

            if (first == 0x1f)
            {
                _file.Position = next;
                _members++;
                (_feed, _deflate) = OpenMember(next);
                return true;
            }

            for (long at = next; first >= 0; first = _file.ReadByte(), at++)
            {
                if (first != 0)
                {
                    throw new InvalidDataException(
                        $"{_described}: after gzip member {_members} (ending at byte {next:N0}) byte {at:N0} " +
                            $"is 0x{first:X2}, which starts " +
                        "neither another gzip member nor zero padding: bytes were appended to the file or it is damaged. Get an " +
                        "undamaged copy, or decompress the file and compress it again (gunzip -c FILE | gzip > NEW).");
                }
            }

            return false;
        }

        /// <summary>
        /// Where the current member's trailer ends: the first place, from where the decoder's look-ahead can have begun,
        /// holding the CRC-32 and length of the data the member gave.
        /// </summary>
        private long FindTrailer()
        {
            long readTo = _file.Position;
            long from = Math.Max(_memberStart, readTo - LookBehind);
            int window = (int)(Math.Min(_fileLength, readTo + TrailerLength) - from);
            byte[] bytes = new byte[window];
            _file.Position = from;
            _file.ReadExactly(bytes);
            Span<byte> trailer = stackalloc byte[TrailerLength];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc.GetCurrentHashAsUInt32());
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer.Slice(4), unchecked((uint)_memberLength));
            int at = bytes.AsSpan().IndexOf(trailer);
            if (at < 0)
            {
                throw new InvalidDataException(
                    $"{_described}: the compressed data of gzip member {_members} ends before the file does " +
                        $"({_feed.Remaining + TrailerLength:N0} " +
                    $"bytes before its end), but no trailer with the CRC-32 0x{_crc.GetCurrentHashAsUInt32():X8} and length " +
                        $"{_memberLength} " +
                    "of its data follows it: the file is damaged or truncated, or bytes were appended to it. Get an undamaged copy.");
            }

            return from + at + TrailerLength;
        }

        private void VerifyLastTrailer()
        {
            Span<byte> trailer = stackalloc byte[TrailerLength];
            int got = _file.ReadAtLeast(trailer, TrailerLength, throwOnEndOfStream: false);
            if (got < TrailerLength)
            {
                throw new InvalidDataException($"{_described} became shorter while it was read: its gzip trailer is missing.");
            }

            uint storedCrc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            uint storedLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer.Slice(4));
            uint actualCrc = _crc.GetCurrentHashAsUInt32();
            if (storedCrc != actualCrc)
            {
                throw new InvalidDataException(
                    $"{_described}: checksum mismatch: the gzip trailer's CRC-32 is 0x{storedCrc:X8}, but " +
                        $"the {_memberLength} decompressed " +
                    $"bytes have CRC-32 0x{actualCrc:X8}. The file is damaged or truncated: download or copy it again.");
            }

            if (storedLength != unchecked((uint)_memberLength))
            {
                throw new InvalidDataException(
                    $"{_described}: the gzip trailer declares {storedLength} uncompressed bytes (modulo 2^32), " +
                        $"but {_memberLength} came out. " +
                    "The file is damaged: download or copy it again.");
            }

            if (_file.ReadByte() >= 0)
            {
                throw new InvalidDataException($"{_described} grew while it was read: it has bytes after its gzip trailer.");
            }
        }

        private InvalidDataException Truncated() => new(
            $"{_described} is truncated: the file ends inside its compressed data, after {_length} uncompressed bytes, so " +
            "the gzip trailer (CRC-32 and length) that must follow is missing or incomplete. Download or copy the file again.");

        /// <summary>Parses the gzip member header; returns its length. The stream is left at the compressed data.</summary>
        private static long ReadHeader(Stream file, long fileLength, string described)
        {
            var crc = new Crc32();
            long read = 0;

            int Next(string where)
            {
                int b = file.ReadByte();
                if (b < 0)
                {
                    throw new InvalidDataException(
                        $"{described} is truncated inside its gzip header ({where}), after {read} of {fileLength} bytes.");
                }

                crc.Append([(byte)b]);
                read++;
                return b;
            }

            Span<byte> fixedPart = stackalloc byte[10];
            for (int i = 0; i < fixedPart.Length; i++)
            {
                fixedPart[i] = (byte)Next("its 10 fixed bytes");
            }

            if (fixedPart[0] != 0x1f || fixedPart[1] != 0x8b)
            {
                throw new InvalidDataException($"{described} does not start with the gzip magic bytes 1f 8b.");
            }

            if (fixedPart[2] != 8)
            {
                throw new InvalidDataException(
                    $"{described}: its gzip header names compression method {fixedPart[2]}; gzip defines only 8 (deflate). " +
                    "The file is damaged, or not gzip.");
            }

            const int FHCRC = 0x02, FEXTRA = 0x04, FNAME = 0x08, FCOMMENT = 0x10, Reserved = 0xE0;
            int flags = fixedPart[3];
            if ((flags & Reserved) != 0)
            {
                throw new InvalidDataException(
                    $"{described}: its gzip header sets reserved flag bits (flags 0x{flags:X2}); the file is damaged, or not gzip.");
            }

            if ((flags & FEXTRA) != 0)
            {
                int extraLength = Next("the extra field's length") | (Next("the extra field's length") << 8);
                for (int i = 0; i < extraLength; i++)
                {
                    Next("the extra field");
                }
            }

            if ((flags & FNAME) != 0)
            {
                while (Next("the original file name") != 0)
                {
                }
            }

            if ((flags & FCOMMENT) != 0)
            {
                while (Next("the comment") != 0)
                {
                }
            }

            if ((flags & FHCRC) != 0)
            {
                uint expected = crc.GetCurrentHashAsUInt32() & 0xFFFF;
                int stored = Next("the header CRC") | (Next("the header CRC") << 8);
                if (stored != expected)
                {
                    throw new InvalidDataException(
                        $"{described}: checksum mismatch in the gzip header: its CRC-16 is 0x{stored:X4}, the header's bytes give " +
                            $"0x{expected:X4}. " +
                        "The file is damaged: download or copy it again.");
                }
            }

            return read;
        }


        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _deflate.Dispose();
            }

            base.Dispose(disposing);
        }

        /// <summary>
        /// Hands the deflate decoder the compressed bytes, and nothing past them, holding back the last one so that it is
        /// fed alone. The decoder asks for input only when it has used all it was given, so: it finished with bytes left
        /// over means the compressed data ended early; it asked after the last byte means the data was cut short; it
        /// finished having taken exactly the last byte means the data ends where the trailer begins.
        /// </summary>
        private sealed class CompressedFeed : ReadOnlyStream
        {
            private readonly Stream _file;

            public CompressedFeed(Stream file, long length)
            {
                _file = file;
                Remaining = length;
            }

            public long Remaining { get; private set; }

            /// <summary>The decoder asked for more after the last compressed byte (or the file ended early).</summary>
            public bool ReadPastEnd { get; private set; }

            public override int Read(Span<byte> buffer)
            {
                if (buffer.IsEmpty)
                {
                    return 0;
                }

                if (Remaining == 0)
                {
                    ReadPastEnd = true;
                    return 0;
                }

                int max = Remaining > 1 ? (int)Math.Min(buffer.Length, Remaining - 1) : 1;
                int n = _file.Read(buffer.Slice(0, max));
                if (n == 0)
                {
                    // The file became shorter than it was when opened.
                    ReadPastEnd = true;
                    return 0;
                }

                Remaining -= n;
                return n;
            }

        }
    }
}
