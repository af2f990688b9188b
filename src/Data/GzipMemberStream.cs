using System;
using System.IO;
using System.IO.Compression;
using System.IO.Hashing;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Decompresses a gzip file (RFC 1952) as gzip does: every member in turn (a file made by <c>cat a.gz b.gz</c> holds two),
    /// with zero bytes after the last member taken as padding (tape blocks, preallocated files). It verifies everything the
    /// format lets a reader verify: each header (and its CRC-16 when present), that each member's deflate data is followed by
    /// its 8-byte trailer, and the trailer's CRC-32 and length against the data that came out of that member.
    /// </summary>
    /// <remarks>
    /// <para>.NET's <see cref="GZipStream"/> checks a trailer that is there, but a file cut inside its trailer or its
    /// compressed data ends without an error. This stream reports that, a damaged member, and bytes after the last member
    /// that are neither another member nor zero padding, each as an <see cref="InvalidDataException"/> naming the file.</para>
    /// <para>Where a member's deflate data ends is found from its trailer: the decoder reads ahead, so the bytes it was handed
    /// last are searched for the CRC-32 and length that the member's data must carry (8 bytes, a false match has odds of
    /// 2^-64); the next member, padding or the end of the file follows them. The file must be seekable.</para>
    /// <para>The verification happens when the data is read to its end: a caller must read until <c>Read</c> returns
    /// 0 before trusting what it read.</para>
    /// </remarks>
    internal sealed class GzipMemberStream : Stream
    {
        private const int TrailerLength = 8;

        private readonly Stream _file;
        private readonly long _fileLength;
        private readonly string _described;
        private CompressedFeed _feed;
        private DeflateStream _deflate;
        private readonly Crc32 _crc = new();
        private long _memberLength;
        private long _length;
        private int _members = 1;
        private bool _verified;

        /// <summary>Reads and checks the gzip header from the start of <paramref name="file"/>.</summary>
        /// <param name="file">The whole gzip file, positioned at its first byte; seekable.</param>
        /// <param name="fileLength">Its length in bytes.</param>
        /// <param name="described">The file, as messages name it.</param>
        public GzipMemberStream(Stream file, long fileLength, string described)
        {
            _file = file;
            _fileLength = fileLength;
            _described = described;
            (_feed, _deflate) = StartMember();
        }

        /// <summary>Bytes decompressed so far.</summary>
        public long UncompressedLength => _length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (!_verified && !buffer.IsEmpty)
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

                if (n > 0)
                {
                    _crc.Append(buffer.Slice(0, n));
                    _memberLength += n;
                    _length += n;
                    return n;
                }

                if (_feed.ReadPastEnd)
                {
                    throw Truncated();
                }

                FinishMember();
                if (!NextMember())
                {
                    _verified = true;
                }
            }

            return 0;
        }

        /// <summary>The header at the file's position and a decoder for the member's data after it.</summary>
        private (CompressedFeed Feed, DeflateStream Deflate) StartMember()
        {
            long start = _file.Position;
            long headerLength = ReadHeader(_file, _fileLength, _described);
            if (_fileLength - start - headerLength < TrailerLength + 1)
            {
                throw new InvalidDataException(
                    $"{_described} is truncated: after the {headerLength}-byte gzip header of member {_members} it has " +
                    $"{_fileLength - start - headerLength} bytes, too few for any compressed data and the {TrailerLength}-byte trailer " +
                    "(CRC-32 and length).");
            }

            var feed = new CompressedFeed(_file, _fileLength - _file.Position);
            return (feed, new DeflateStream(feed, CompressionMode.Decompress, leaveOpen: true));
        }

        /// <summary>
        /// Finds the member's trailer after its deflate data, checks it, and leaves the file after it. The decoder consumed a
        /// prefix of the bytes it was handed last, so the trailer starts inside them or right after them.
        /// </summary>
        private void FinishMember()
        {
            Span<byte> expected = stackalloc byte[TrailerLength];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(expected, _crc.GetCurrentHashAsUInt32());
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(expected.Slice(4), unchecked((uint)_memberLength));
            long after = _feed.Position; // the file position after the bytes the decoder was handed last
            ReadOnlySpan<byte> last = _feed.LastChunk;
            byte[] window = new byte[last.Length + TrailerLength];
            last.CopyTo(window);
            _file.Position = after;
            int tail = _file.ReadAtLeast(window.AsSpan(last.Length), TrailerLength, throwOnEndOfStream: false);
            int at = window.AsSpan(0, last.Length + tail).IndexOf(expected);
            if (at < 0)
            {
                throw TrailerMismatch(window.AsSpan(0, last.Length + tail), last.Length);
            }

            _file.Position = after - last.Length + at + TrailerLength;
        }

        /// <summary>Starts the next member if one follows; false at the end of the file or before zero padding.</summary>
        private bool NextMember()
        {
            long position = _file.Position;
            Span<byte> probe = stackalloc byte[4096];
            int n = _file.ReadAtLeast(probe.Slice(0, 2), 2, throwOnEndOfStream: false);
            if (n == 0)
            {
                return false;
            }

            if (n == 2 && probe[0] == 0x1f && probe[1] == 0x8b)
            {
                _file.Position = position;
                _members++;
                _deflate.Dispose();
                _crc.Reset();
                _memberLength = 0;
                (_feed, _deflate) = StartMember();
                return true;
            }

            // gzip -t accepts zero bytes after the last member (padding); anything else is not gzip.
            _file.Position = position;
            long offset = position;
            while ((n = _file.Read(probe)) > 0)
            {
                int bad = probe.Slice(0, n).IndexOfAnyExcept((byte)0);
                if (bad >= 0)
                {
                    throw new InvalidDataException(
                        $"{_described}: after its gzip data ({_members} member{(_members == 1 ? "" : "s")}, ending at byte {position}) byte " +
                        $"{offset + bad} is 0x{probe[bad]:X2}, neither the start of another member (1f 8b) nor zero padding. Bytes were " +
                        "appended to the file or damaged: decompress what is valid and compress it again (gunzip -c FILE | gzip > NEW), " +
                        "or get an undamaged copy.");
                }

                offset += n;
            }

            return false;
        }

        /// <summary>
        /// No trailer carries the member's CRC-32 and length. For the last member of a file without padding the trailer is the
        /// file's last 8 bytes, and the message says which of its numbers is wrong.
        /// </summary>
        private InvalidDataException TrailerMismatch(ReadOnlySpan<byte> window, int lastLength)
        {
            if (window.Length < lastLength + TrailerLength && window.Length >= TrailerLength && _file.Position == _fileLength)
            {
                ReadOnlySpan<byte> trailer = window.Slice(window.Length - TrailerLength);
                uint storedCrc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
                uint storedLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer.Slice(4));
                uint actualCrc = _crc.GetCurrentHashAsUInt32();
                if (storedCrc != actualCrc)
                {
                    return new InvalidDataException(
                        $"{_described}: checksum mismatch: the gzip trailer's CRC-32 is 0x{storedCrc:X8}, but the {_memberLength} decompressed " +
                        $"bytes have CRC-32 0x{actualCrc:X8}. The file is damaged or truncated: download or copy it again.");
                }

                if (storedLength != unchecked((uint)_memberLength))
                {
                    return new InvalidDataException(
                        $"{_described}: the gzip trailer declares {storedLength} uncompressed bytes (modulo 2^32), but {_memberLength} came out. " +
                        "The file is damaged: download or copy it again.");
                }
            }

            return new InvalidDataException(
                $"{_described}: checksum mismatch: the compressed data of gzip member {_members} is not followed by a trailer with its " +
                $"CRC-32 (0x{_crc.GetCurrentHashAsUInt32():X8}) and length ({_memberLength} bytes). The file is damaged or truncated: " +
                "download or copy it again.");
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
                        $"{described}: checksum mismatch in the gzip header: its CRC-16 is 0x{stored:X4}, the header's bytes give 0x{expected:X4}. " +
                        "The file is damaged: download or copy it again.");
                }
            }

            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _deflate.Dispose();
            }

            base.Dispose(disposing);
        }

        /// <summary>
        /// Hands the deflate decoder the bytes of the file from the member's compressed data on, keeping the chunk it handed out
        /// last (the decoder consumes a prefix of it when its data ends) and noting when the decoder asked after the file's end.
        /// </summary>
        private sealed class CompressedFeed : Stream
        {
            private readonly Stream _file;
            private byte[] _last = [];
            private int _lastLength;

            public CompressedFeed(Stream file, long length)
            {
                _file = file;
                Remaining = length;
                Position = file.Position;
            }

            public long Remaining { get; private set; }

            /// <summary>The decoder asked for more after the last byte of the file (or the file ended early).</summary>
            public bool ReadPastEnd { get; private set; }

            /// <summary>The bytes handed out last.</summary>
            public ReadOnlySpan<byte> LastChunk => _last.AsSpan(0, _lastLength);

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            /// <summary>The file position after the bytes handed out so far.</summary>
            public override long Position { get; set; }

            public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

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

                int n = _file.Read(buffer.Slice(0, (int)Math.Min(buffer.Length, Remaining)));
                if (n == 0)
                {
                    // The file became shorter than it was when opened.
                    ReadPastEnd = true;
                    return 0;
                }

                if (_last.Length < n)
                {
                    _last = new byte[n];
                }

                buffer.Slice(0, n).CopyTo(_last);
                _lastLength = n;
                Remaining -= n;
                Position += n;
                return n;
            }

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
