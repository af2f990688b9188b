using System;
using System.Buffers;
using System.IO;
using System.Text;
using System.Text.Unicode;

namespace GenSoftmax.Data
{
    /// <summary>
    /// One pass over a CSV file's text before Sep parses it, refusing what Sep would read in a way the file may not mean:
    /// text that is not valid in its encoding (Sep would decode it to U+FFFD, so labels differing only there would become
    /// one class), a <c>'"'</c> inside an unquoted field (Sep would open a quoted field there that swallows every line up
    /// to the next quote), text after a closing quote, a quoted field that runs onto the next line and holds the separator
    /// (it would take in what look like rows; unless <see cref="CsvOptions.AllowLineBreaksInQuotes"/>), and a quote still
    /// open at the end of the file.
    /// </summary>
    /// <remarks>The quoting rules are RFC 4180's, with spaces allowed around a quoted field (Sep trims them): a field is
    /// either quoted from its first character that is not a space to its closing quote, a quote inside it doubled
    /// (<c>"5"" screen"</c>), or holds no quote at all. Lines end at LF, CR LF or CR, as an editor counts them.</remarks>
    internal sealed class CsvTextCheck
    {
        private const int BufferSize = 1 << 16;

        private readonly string _path;
        private readonly char _separator;
        private readonly bool _allowLineBreaks;
        private readonly SearchValues<char> _stops; // what changes the state, inside quotes or not
        private State _state = State.FieldStart;
        private bool _afterCr;
        private int _line = 1;
        private int _column = 1;
        private int _quoteLine;
        private int _quoteColumn;
        private int _breakLine;          // the line of the open quoted field's first line break, or 0
        private bool _separatorInQuotes; // whether the open quoted field holds the separator

        private CsvTextCheck(string path, char separator, bool allowLineBreaks)
        {
            _path = path;
            _separator = separator;
            _allowLineBreaks = allowLineBreaks;
            _stops = SearchValues.Create([separator, '"', '\r', '\n']);
        }

        private enum State
        {
            FieldStart,    // nothing but spaces read of this field
            Unquoted,      // inside a field that did not start with a quote
            Quoted,        // inside a quoted field
            QuoteInQuoted, // a quote read inside a quoted field: the closing one, or the first of a doubled pair
            AfterQuoted,   // spaces after a closing quote
        }

        /// <summary>Reads <paramref name="file"/> from its current position to its end and throws at the first problem.</summary>
        /// <exception cref="InvalidDataException">The text is not valid, or its quotes are not; the message names the
        /// file, the line and, for bytes that are not UTF-8, their offset in the file.</exception>
        public static void Check(Stream file, string path, char separator, bool allowLineBreaks)
        {
            var check = new CsvTextCheck(path, separator, allowLineBreaks);
            Span<byte> start = stackalloc byte[4];
            int n = file.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
            Encoding? other = OtherEncoding(start.Slice(0, n));
            file.Seek(-n, SeekOrigin.Current);
            if (other is null)
            {
                check.ScanUtf8(file); // checks the end too
            }
            else
            {
                check.ScanDecoded(file, other);
                check.Finish();
            }
        }

        /// <summary>The encoding a UTF-16 or UTF-32 byte-order mark names, throwing on invalid text; null for UTF-8.</summary>
        private static Encoding? OtherEncoding(ReadOnlySpan<byte> start) => start switch
        {
            [0xFF, 0xFE, 0, 0, ..] => new UTF32Encoding(bigEndian: false, byteOrderMark: true, throwOnInvalidCharacters: true),
            [0, 0, 0xFE, 0xFF, ..] => new UTF32Encoding(bigEndian: true, byteOrderMark: true, throwOnInvalidCharacters: true),
            [0xFF, 0xFE, ..] => new UnicodeEncoding(bigEndian: false, byteOrderMark: true, throwOnInvalidBytes: true),
            [0xFE, 0xFF, ..] => new UnicodeEncoding(bigEndian: true, byteOrderMark: true, throwOnInvalidBytes: true),
            _ => null,
        };

        private void ScanUtf8(Stream file)
        {
            byte[] bytes = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                int n;
                do
                {
                    n = file.Read(bytes, 0, BufferSize);
                    FeedUtf8(bytes.AsSpan(0, n), final: n == 0);
                }
                while (n > 0);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
                ReturnUtf8Buffers();
            }
        }

        // The UTF-8 scan's state between chunks: bytes of a character split by a chunk's end, and where the next chunk starts.
        private byte[]? _carry;
        private int _carried;
        private char[]? _chars;
        private long _offset;

        /// <summary>Checks the next <paramref name="bytes"/> of UTF-8 text (<paramref name="final"/>: the end of the file, then checks the
        /// end).</summary>
        private void FeedUtf8(ReadOnlySpan<byte> bytes, bool final)
        {
            _carry ??= ArrayPool<byte>.Shared.Rent(BufferSize + 4);
            _chars ??= ArrayPool<char>.Shared.Rent(BufferSize + 4);
            while (!bytes.IsEmpty || final)
            {
                int take = Math.Min(bytes.Length, BufferSize);
                bytes.Slice(0, take).CopyTo(_carry.AsSpan(_carried));
                bytes = bytes.Slice(take);
                int have = _carried + take;
                bool last = final && bytes.IsEmpty;
                int first = _offset == 0 && _carry.AsSpan(0, have).StartsWith("\uFEFF"u8) ? 3 : 0; // a UTF-8 byte-order mark is not text
                if (_offset == 0 && first == 0 && !last && have < 3 && "\uFEFF"u8.StartsWith(_carry.AsSpan(0, have)))
                {
                    _carried = have; // maybe the start of a byte-order mark: wait for more
                    continue;
                }

                OperationStatus status = Utf8.ToUtf16(
                    _carry.AsSpan(first, have - first), _chars, out int read, out int written, replaceInvalidSequences: false,
                        isFinalBlock: last);
                Scan(_chars.AsSpan(0, written));
                if (status == OperationStatus.InvalidData)
                {
                    int bad = first + read;
                    throw new InvalidDataException(
                        $"{_path}, line {_line}, byte offset {_offset + bad}: invalid UTF-8 (byte 0x{_carry[bad]:X2}). The file must be " +
                            $"UTF-8, " +
                        "or start with a byte-order mark naming its encoding: save it as UTF-8 (labels that differed only in such bytes " +
                        "would otherwise read as one class).");
                }

                if (last)
                {
                    Finish();
                    return;
                }

                int used = first + read;
                _carried = have - used;
                _carry.AsSpan(used, _carried).CopyTo(_carry);
                _offset += used;
            }
        }

        private void ReturnUtf8Buffers()
        {
            if (_carry is not null)
            {
                ArrayPool<byte>.Shared.Return(_carry);
                ArrayPool<char>.Shared.Return(_chars!);
                _carry = null;
                _chars = null;
            }
        }

        /// <summary>
        /// <paramref name="file"/> as a stream whose bytes are checked as they are read, so a file is read once: UTF-8 text is
        /// checked chunk by chunk before the reader sees it, and the end of the file (an open quote) when it is reached. Text in
        /// another encoding (a UTF-16 or UTF-32 byte-order mark) is checked whole first, and <paramref name="file"/> returned.
        /// </summary>
        public static Stream Checking(Stream file, string path, char separator, bool allowLineBreaks)
        {
            long start = file.Position;
            Span<byte> head = stackalloc byte[4];
            int n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            file.Position = start;
            if (OtherEncoding(head.Slice(0, n)) is not null)
            {
                Check(file, path, separator, allowLineBreaks);
                file.Position = start;
                return file;
            }

            return new CheckingStream(file, new CsvTextCheck(path, separator, allowLineBreaks));
        }

        /// <summary>Reads through to the file, checking each chunk before handing it on.</summary>
        private sealed class CheckingStream(Stream file, CsvTextCheck check) : Stream
        {
            private bool _ended;

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => file.Length;

            public override long Position
            {
                get => file.Position;
                set => throw new NotSupportedException();
            }

            public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

            public override int Read(Span<byte> buffer)
            {
                if (_ended || buffer.IsEmpty)
                {
                    return 0;
                }

                int n = file.Read(buffer);
                _ended = n == 0;
                check.FeedUtf8(buffer.Slice(0, n), final: _ended);
                return n;
            }

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                check.ReturnUtf8Buffers();
                base.Dispose(disposing);
            }
        }

        private void ScanDecoded(Stream file, Encoding encoding)
        {
            char[] chars = ArrayPool<char>.Shared.Rent(BufferSize);
            try
            {
                // The reader skips the encoding's byte-order mark.
                using var reader = new StreamReader(file, encoding, detectEncodingFromByteOrderMarks: false, BufferSize, leaveOpen: true);
                int n;
                while ((n = ReadChars(reader, chars)) > 0)
                {
                    Scan(chars.AsSpan(0, n));
                }
            }
            finally
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }

        private int ReadChars(StreamReader reader, char[] chars)
        {
            try
            {
                return reader.Read(chars, 0, BufferSize);
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException(
                    $"{_path}, after line {_line}: invalid {reader.CurrentEncoding.EncodingName} text " +
                        $"({e.Message}). Save the file as UTF-8.", e);
            }
        }

        /// <summary>Advances the state over <paramref name="text"/>, which continues the text scanned so far.</summary>
        private void Scan(ReadOnlySpan<char> text)
        {
            int i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (_afterCr)
                {
                    _afterCr = false;
                    if (c == '\n')
                    {
                        i++; // CR LF: the CR ended the line
                        continue;
                    }
                }

                if (_state is State.FieldStart or State.Unquoted)
                {
                    // Outside quotes only a quote needs a closer look: the text before the next one is taken in bulk.
                    int quote = text.Slice(i).IndexOf('"');
                    ReadOnlySpan<char> unquoted = quote < 0 ? text.Slice(i) : text.Slice(i, quote);
                    if (!unquoted.IsEmpty)
                    {
                        Advance(unquoted);
                    }

                    if (quote < 0)
                    {
                        return;
                    }

                    i += quote;
                    if (_state == State.Unquoted)
                    {
                        throw new InvalidDataException(
                            $"{_path}, line {_line}, column {_column}: a '\"' inside a field that does not " +
                                $"start with one. A field holding a " +
                            "quote must be quoted as a whole with the quote doubled (\"5\"\" screen\" for 5\" " +
                                "screen); otherwise remove the quote.");
                    }

                    _afterCr = false;
                    _state = State.Quoted;
                    _quoteLine = _line;
                    _quoteColumn = _column;
                    _breakLine = 0;
                    _separatorInQuotes = false;
                    i++;
                    continue;
                }

                switch (_state)
                {
                    case State.Quoted:
                        int stop = text.Slice(i).IndexOfAny(_stops);
                        if (stop < 0)
                        {
                            return;
                        }

                        i += stop;
                        c = text[i];
                        if (c == '"')
                        {
                            _state = State.QuoteInQuoted;
                        }
                        else if (c == _separator)
                        {
                            _separatorInQuotes = true;
                            CheckLineBreaks();
                        }
                        else
                        {
                            _breakLine = _breakLine == 0 ? _line : _breakLine;
                            CheckLineBreaks();
                            NewLine(c);
                        }

                        break;
                    case State.QuoteInQuoted:
                        if (c == '"')
                        {
                            _state = State.Quoted; // a doubled quote: one quote of text
                            break;
                        }

                        goto case State.AfterQuoted;
                    case State.AfterQuoted:
                        if (c == _separator || c is '\r' or '\n')
                        {
                            EndField(c);
                        }
                        else if (c == ' ')
                        {
                            _state = State.AfterQuoted;
                        }
                        else
                        {
                            throw new InvalidDataException(
                                $"{_path}, line {_line}, column {_column}: text after the closing '\"' of the " +
                                    $"quoted field that starts on line " +
                                $"{_quoteLine}. Double a '\"' that is part of the text (\"a\"\"b\"), or end " +
                                    $"the field at its closing quote.");
                        }

                        break;
                }

                i++;
            }
        }

        /// <summary>
        /// Advances the state over text outside quotes that holds no quote, with vectorised counts rather than a loop per
        /// character: the line (LF, CR LF and CR each end one), the column, whether the field open at its end has begun
        /// (anything but spaces), and whether it ends in a CR whose LF may come next.
        /// </summary>
        private void Advance(ReadOnlySpan<char> text)
        {
            int crs = text.Count('\r');
            _line += text.Count('\n') + crs - (crs == 0 ? 0 : text.Count("\r\n"));
            int lineEnd = text.LastIndexOfAny('\r', '\n');
            ReadOnlySpan<char> line = text.Slice(lineEnd + 1);
            if (lineEnd >= 0)
            {
                _column = 1;
                _state = State.FieldStart;
            }

            int separator = line.LastIndexOf(_separator);
            if (separator >= 0)
            {
                _column += line.Count(_separator);
                _state = State.FieldStart;
            }

            // The text of the field still open: spaces before a quote are allowed, anything else begins an unquoted field.
            if (line.Slice(separator + 1).ContainsAnyExcept(' '))
            {
                _state = State.Unquoted;
            }

            _afterCr = text[^1] == '\r';
        }

        /// <summary>
        /// A quoted field may run onto the next line when it holds no separator: every row has one, so such a field takes
        /// in no row whatever its quotes were meant to be. One that holds both could be a closing quote that is missing.
        /// </summary>
        private void CheckLineBreaks()
        {
            if (_breakLine != 0 && _separatorInQuotes && !_allowLineBreaks)
            {
                throw new InvalidDataException(
                    $"{_path}, line {_quoteLine}, column {_quoteColumn}: the quoted field that starts here runs onto line " +
                        $"{_breakLine + 1} and " +
                    $"holds a '{CsvOptions.Escape(_separator)}', so it would take in what look like rows; " +
                        $"probably its closing '\"' is missing. " +
                    $"Close the quote on line {_breakLine} (double a '\"' that is part of the text); if the " +
                        $"field really holds line breaks " +
                    "and separators, set CsvOptions.AllowLineBreaksInQuotes = true.");
            }
        }

        private void EndField(char c)
        {
            _state = State.FieldStart;
            if (c == _separator)
            {
                _column++;
            }
            else
            {
                NewLine(c);
                _column = 1;
            }
        }

        private void NewLine(char c)
        {
            _line++;
            _afterCr = c == '\r';
        }

        private void Finish()
        {
            if (_state == State.Quoted)
            {
                throw new InvalidDataException(
                    $"{_path}, line {_quoteLine}, column {_quoteColumn}: the quoted field that starts here is " +
                        $"not closed before the end of the " +
                    "file. Add its closing '\"', or double a '\"' that is part of the text.");
            }
        }
    }
}
