using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using GenSoftmax.IO;
using nietras.SeparatedValues;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Reads a CSV or TSV file of labelled rows into <see cref="LabeledData"/>: one column holds the label (a class
    /// number, or a class name mapped to a class number and kept in <see cref="LabeledData.ClassNames"/>), every other
    /// column a float feature. Parsed with Sep; what is read and how is set by <see cref="CsvOptions"/>.
    /// </summary>
    /// <remarks>
    /// <para>Nothing is guessed silently and nothing is dropped or filled in. Every row must have as many fields as the
    /// first; every feature must be a finite number written with a <c>'.'</c> decimal point (<c>0.25</c>, <c>-3</c>,
    /// <c>1e-5</c>); an empty field, <c>NaN</c>, infinity, a value outside float's range, or a decimal comma is an
    /// error. Class numbers must be whole and 0 or more. Every such problem is an <see cref="InvalidDataException"/>
    /// whose message names the file, the line (1-based, as an editor shows it), the column (1-based, and its name
    /// when there is a header), the text found and how to fix it.</para>
    /// <para>Blank lines hold no values and are skipped. Fields may be quoted (<c>"cat, black"</c>); spaces around a
    /// value are ignored. Quoting is strict (RFC 4180), because a loose reading loses rows silently: a quote may only
    /// open a field (spaces before it aside) and close it (spaces after it aside), and a quote inside a quoted field is
    /// doubled (<c>"5"" screen"</c>). A quote inside an unquoted field (<c>5" screen</c>), text after a closing quote,
    /// a quote still open at the end of the file, and (unless <see cref="CsvOptions.AllowLineBreaksInQuotes"/>) a
    /// quoted field that runs onto the next line and holds the separator are errors naming the line and column where
    /// the problem is. A quoted field may hold line breaks when it holds no separator: every row has one, so such a field
    /// takes in no row, whereas one holding both is usually a closing quote that is missing, and reading on would join
    /// the following rows into one field.</para>
    /// <para>The file is read as UTF-8 (a UTF-16 or UTF-32 byte-order mark selects that encoding). Bytes that are not
    /// valid in the encoding are an error naming the line and the byte offset, never replaced by U+FFFD: two class names
    /// that differ only in such bytes would otherwise become one class.</para>
    /// </remarks>
    public static class CsvReader
    {
        // Features are gathered in chunks that double from 64 KiB up to 4 MiB, then copied once into one array of the
        // exact size: the peak is about twice the data, never the 3x of a doubling array, and a small file stays small.
        private const int FirstChunkFloats = 1 << 14;
        private const int MaxChunkFloats = 1 << 20;

        private const int FileBufferSize = 1 << 16;

        // Longest row Sep reads (its RowLengthMax); separator detection looks no further for the end of line 1.
        private const int MaxFirstLineBytes = 1 << 24;

        /// <summary>Reads a CSV or TSV file of labelled rows.</summary>
        /// <param name="path">The file.</param>
        /// <param name="options">How to read it; null for the defaults (header line, label in the last column,
        /// separator detected, class numbers or names decided by the first row).</param>
        /// <returns>Float features [rows, columns - 1] and labels; <see cref="LabeledData.ClassNames"/> is set when the
        /// labels are names (or when <see cref="CsvOptions.ClassNames"/> was given).</returns>
        /// <exception cref="InvalidDataException">The file is empty, has no data rows, has fewer than two columns, a
        /// row has the wrong number of fields, a feature is not a finite number, a label is not a class, a quote is
        /// misplaced or not closed, or the text is not valid UTF-8; the message names the file, line and column (or
        /// byte offset).</exception>
        /// <exception cref="ArgumentException">An option is invalid, or names a label column the file does not have.</exception>
        /// <exception cref="FileNotFoundException">The file does not exist.</exception>
        /// <exception cref="IOException">The path names a directory, FIFO, device or socket, not a regular file.</exception>
        public static LabeledData Read(string path, CsvOptions? options = null)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            options ??= new CsvOptions();
            options.Validate();

            using FileStream file = FileKinds.OpenData(path, "a CSV file", FileBufferSize);
            (SepReader reader, char separator) = OpenReader(file, path, options);
            using (reader)
            {
                return ReadRows(reader, path, separator, options, null).Finish();
            }
        }

        /// <summary>
        /// Checks the text of <paramref name="file"/> (<see cref="CsvTextCheck"/>) and opens Sep on it from the start, with the
        /// separator given or detected.
        /// </summary>
        /// <remarks>With <paramref name="oneRead"/> the text is checked as Sep reads it (each chunk before Sep sees it, UTF-8 text only),
        /// so the file is read once: conversion of files of any size. Otherwise it is checked whole first.</remarks>
        internal static (SepReader Reader, char Separator) OpenReader(FileStream file, string path, CsvOptions options,
            bool oneRead = false)
        {
            char separator = options.Separator ?? DetectSeparator(file, path);
            file.Position = 0;
            Stream text = file;
            if (oneRead)
            {
                text = CsvTextCheck.Checking(file, path, separator, options.AllowLineBreaksInQuotes);
            }
            else
            {
                CsvTextCheck.Check(file, path, separator, options.AllowLineBreaksInQuotes);
                file.Position = 0;
            }

            try
            {
                // Sep reads every line as data (HasHeader = false): the header is checked here, with messages that name the
                // file, and so is the number of fields per row (DisableColCountCheck), which Sep would report without them.
                SepReader reader = Sep.New(separator).Reader(o => o with
                {
                    HasHeader = false,
                    DisableColCountCheck = true,
                    Unescape = true,
                    Trim = SepTrim.All, // spaces around a value, and inside its quotes
                    CultureInfo = CultureInfo.InvariantCulture,
                }).From(text, leaveOpen: text == file); // a checking stream is Sep's to close; the file is the caller's
                return (reader, separator);
            }
            catch (Exception e) when (e is NotSupportedException or InvalidDataException or DecoderFallbackException)
            {
                throw new InvalidDataException($"{path}: cannot read it as CSV ({e.Message}).", e);
            }
        }

        /// <summary>Reads every row into the returned state, or hands each to <paramref name="sink"/> when given.</summary>
        internal static ReadState ReadRows(SepReader reader, string path, char separator, CsvOptions options, RowSink? sink)
        {
            var state = new ReadState(path, separator, options, sink);
            try
            {
                foreach (SepReader.Row row in reader)
                {
                    if (row.ColCount == 1 && row[0].Span.IsWhiteSpace())
                    {
                        continue; // a blank line
                    }

                    if (state.Columns == 0)
                    {
                        state.Start(row);
                        if (options.HasHeader)
                        {
                            continue;
                        }
                    }

                    state.Add(row);
                }
            }
            catch (Exception e) when (e is NotSupportedException or DecoderFallbackException)
            {
                // Sep's limit on the length of a row (usually an unterminated quote), or text that is not valid.
                throw new InvalidDataException($"{path}, after line {state.LastLine}: cannot read it as CSV ({e.Message}).", e);
            }

            return state;
        }

        /// <summary>Takes the rows of a CSV file one at a time instead of gathering them (conversion to .npy).</summary>
        internal abstract class RowSink
        {
            /// <summary>
            /// One data row: its features, its label (with names: the provisional number, see <see cref="ReadState.FinishNames"/>)
            /// and its weight (1 without a weight column).
            /// </summary>
            public abstract void Row(ReadOnlySpan<float> features, int label, float weight, int line);
        }

        /// <summary>
        /// The most frequent of ',', ';' and tab outside quotes on the first line that is not blank; ties go to tab,
        /// then ';'. The separators are ASCII, so the bytes of UTF-8 text can be scanned as they are.
        /// </summary>
        private static char DetectSeparator(Stream file, string path)
        {
            ReadOnlySpan<char> candidates = ['\t', ';', ','];
            Span<int> counts = stackalloc int[3];
            byte[] buffer = ArrayPool<byte>.Shared.Rent(FileBufferSize);
            try
            {
                bool quoted = false, started = false;
                long scanned = 0;
                int line = 1;
                int n;
                while (scanned < MaxFirstLineBytes && (n = file.Read(buffer, 0, buffer.Length)) > 0)
                {
                    // A UTF-8 byte-order mark is not text.
                    int first = scanned == 0 && buffer.AsSpan(0, n).StartsWith("\uFEFF"u8) ? 3 : 0;
                    for (int i = first; i < n; i++)
                    {
                        byte b = buffer[i];
                        if (b == '"')
                        {
                            quoted = !quoted;
                            started = true;
                        }
                        else if (!quoted)
                        {
                            if (b is (byte)'\n' or (byte)'\r')
                            {
                                if (started)
                                {
                                    return Choose(candidates, counts, path, line);
                                }

                                line += b == '\n' ? 1 : 0;
                                continue;
                            }

                            started |= b is not ((byte)' ' or (byte)'\t');
                            int k = candidates.IndexOf((char)b);
                            if (k >= 0)
                            {
                                counts[k]++;
                            }
                        }
                    }

                    scanned += n;
                }

                // An empty file, or one line without an end: Read reports the empty file with its own message.
                return started ? Choose(candidates, counts, path, line) : ',';
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            static char Choose(ReadOnlySpan<char> candidates, ReadOnlySpan<int> counts, string path, int line)
            {
                int best = -1;
                for (int k = 0; k < candidates.Length; k++)
                {
                    if (counts[k] > 0 && (best < 0 || counts[k] > counts[best]))
                    {
                        best = k;
                    }
                }

                if (best < 0)
                {
                    throw new InvalidDataException(
                        $"{path}, line {line}: cannot detect the separator: the line has no ',', ';' or tab " +
                            $"outside quotes, so it would be one " +
                        "column, but a data file needs a label column and at least one feature column. If the file uses another " +
                        "separator, set CsvOptions.Separator.");
                }

                return candidates[best];
            }
        }

        /// <summary>Everything gathered while reading rows, and the messages that name where a problem is.</summary>
        internal sealed class ReadState
        {
            private readonly RowSink? _sink;
            private float[] _row = []; // a row's features on their way to the sink
            private readonly string _path;
            private readonly char _separator;
            private readonly CsvOptions _options;
            private string[]? _header;
            private int _labelColumn;
            private CsvLabels _labels;
            private int _firstLabelLine;
            private string _firstLabel = "";
            private int _shapeLine;

            // Names: the given classes, or the names seen so far with the order of first appearance as provisional class
            // numbers (sorted at the end). The span lookup finds a name without allocating a string for it.
            private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
            private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
            private readonly bool _fixedNames;
            private readonly int _classLimit;

            private readonly List<float[]> _chunks = new();
            private float[] _chunk = Array.Empty<float>();
            private int _chunkUsed;
            private int[] _rowLabels = new int[1024];
            private float[]? _rowWeights;
            private int _weightColumn = -1;
            private int _rows;

            public ReadState(string path, char separator, CsvOptions options, RowSink? sink)
            {
                _sink = sink;
                _path = path;
                _separator = separator;
                _options = options;
                _lookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();
                if (options.ClassNames is { } names)
                {
                    _fixedNames = true;
                    for (int i = 0; i < names.Count; i++)
                    {
                        _names.Add(names[i], i);
                    }
                }

                _classLimit = options.Classes ?? options.ClassNames?.Count ?? ModelLimits.MaxClasses;
            }

            /// <summary>Fields per row, from the first row; 0 before it.</summary>
            public int Columns { get; private set; }

            /// <summary>The first line of the last row read, for messages.</summary>
            public int LastLine { get; private set; } = 1;

            private int Inputs => Columns - (_weightColumn >= 0 ? 2 : 1);

            /// <summary>Takes the shape from the first row: its field count, the header if there is one, the label column.</summary>
            public void Start(SepReader.Row row)
            {
                int line = Line(row);
                LastLine = line;
                _shapeLine = line;
                if (row.ColCount < 2)
                {
                    throw new InvalidDataException(
                        $"{_path}, line {line}: the line has one field, but a data file needs a label column and at least one feature " +
                        $"column. The separator is '{CsvOptions.Escape(_separator)}'{(_options.Separator is null ? " (detected)" : "")}; " +
                        "if the file uses another one, set CsvOptions.Separator.");
                }

                Columns = row.ColCount;
                if (_options.HasHeader)
                {
                    _header = new string[Columns];
                    for (int c = 0; c < Columns; c++)
                    {
                        _header[c] = row[c].Span.Trim().ToString();
                    }
                }

                _labelColumn = ResolveLabelColumn();
                if (_options.WeightColumnName is { } weights)
                {
                    _weightColumn = Array.IndexOf(_header!, weights);
                    if (_weightColumn < 0 || _weightColumn == _labelColumn || Columns < 3)
                    {
                        throw new ArgumentException(
                            _weightColumn < 0 ? $"{_path} has no column named '{weights}' (WeightColumnName). Its columns (line " +
                                $"{_shapeLine}) are {ListNames(_header!)}."
                            : _weightColumn == _labelColumn
                                ? $"{_path}: the weight column '{weights}' is the label column; they must differ."
                            : $"{_path} has {Columns} columns: with a label and a weight column there is no feature left.",
                            "options");
                    }

                    _rowWeights = _sink is null ? new float[1024] : null;
                }

                if (_header is not null)
                {
                    CheckHeader(line);
                }

                if (_sink is null)
                {
                    _chunk = GC.AllocateUninitializedArray<float>(Math.Max(1, FirstChunkFloats / Inputs) * Inputs);
                }
                else
                {
                    _row = new float[Inputs];
                }
            }

            /// <summary>Parses one data row: its features into the current chunk, its label into the labels.</summary>
            public void Add(SepReader.Row row)
            {
                int line = Line(row);
                LastLine = line;
                if (row.ColCount != Columns)
                {
                    throw WrongFieldCount(row);
                }

                if (_sink is null && _chunkUsed == _chunk.Length)
                {
                    _chunks.Add(_chunk);
                    if ((long)_rows * Inputs + (long)_chunk.Length * 2 > Array.MaxLength)
                    {
                        throw new InvalidDataException(
                            $"{_path}, line {line}: the file has more than {Array.MaxLength} feature values, " +
                                $"more than one .NET array holds. " +
                            "Split it into smaller files.");
                    }

                    int chunkRows = _chunk.Length / Inputs;
                    if ((long)_chunk.Length * 2 <= MaxChunkFloats)
                    {
                        chunkRows *= 2;
                    }

                    _chunk = GC.AllocateUninitializedArray<float>(chunkRows * Inputs);
                    _chunkUsed = 0;
                }

                Span<float> features = _sink is null ? _chunk.AsSpan(_chunkUsed, Inputs) : _row;
                int f = 0;
                float weight = 1f;
                for (int c = 0; c < Columns; c++)
                {
                    if (c == _labelColumn)
                    {
                        continue;
                    }

                    if (c == _weightColumn)
                    {
                        weight = Weight(row[c], line);
                        continue;
                    }

                    SepReader.Col col = row[c];
                    ReadOnlySpan<char> text = col.Span;

                    // A ',' is refused before parsing: .NET's parser would take "1,5" as fifteen (a thousands separator).
                    if (text.IsEmpty || text.Contains(',') || !col.TryParse(out float value))
                    {
                        throw BadFeature(line, c, text, parsed: false, 0f);
                    }

                    if (!float.IsFinite(value))
                    {
                        throw BadFeature(line, c, text, parsed: true, value);
                    }

                    features[f++] = value;
                }

                int label = Label(row[_labelColumn].Span.Trim(), line);
                if (_sink is not null)
                {
                    _sink.Row(features, label, weight, line);
                    _rows = checked(_rows + 1);
                    return;
                }

                _chunkUsed += Inputs;
                if (_rows == _rowLabels.Length)
                {
                    Array.Resize(ref _rowLabels, (int)Math.Min((long)_rowLabels.Length * 2, Array.MaxLength));
                }

                if (_rowWeights is not null)
                {
                    if (_rows == _rowWeights.Length)
                    {
                        Array.Resize(ref _rowWeights, _rowLabels.Length);
                    }

                    _rowWeights[_rows] = weight;
                }

                _rowLabels[_rows++] = label;
            }

            /// <summary>The data set: features copied once into an array of the exact size, class names sorted.</summary>
            public LabeledData Finish()
            {
                CheckRows();
                _chunks.Add(_chunk);
                float[] features = GC.AllocateUninitializedArray<float>(_rows * Inputs);
                int offset = 0;
                for (int i = 0; i < _chunks.Count; i++)
                {
                    int used = i == _chunks.Count - 1 ? _chunkUsed : _chunks[i].Length;
                    _chunks[i].AsSpan(0, used).CopyTo(features.AsSpan(offset));
                    offset += used;
                }

                int[] labels = _rowLabels.AsSpan(0, _rows).ToArray();
                (IReadOnlyList<string>? names, int[]? remap) = FinishNames();
                if (remap is not null)
                {
                    for (int i = 0; i < labels.Length; i++)
                    {
                        labels[i] = remap[labels[i]];
                    }
                }

                LabeledData data = LabeledData.FromFeatures(features, labels, Inputs, names);
                return _rowWeights is null ? data : data.WithWeights(_rowWeights.AsSpan(0, _rows).ToArray());
            }

            /// <summary>Whether the rows have a weight column.</summary>
            public bool HasWeights => _weightColumn >= 0;

            /// <summary>A row's weight: a finite number, at least 0.</summary>
            private float Weight(SepReader.Col col, int line)
            {
                ReadOnlySpan<char> text = col.Span;
                if (!text.IsEmpty && !text.Contains(',') && col.TryParse(out float weight) && weight >= 0f && float.IsFinite(weight))
                {
                    return weight;
                }

                throw new InvalidDataException(
                    $"{Where(line, _weightColumn)}: {Show(text)} is not a weight: a row's weight is a finite number of at least 0 " +
                    "(0 leaves the row out), such as 1 or 2.5.");
            }

            /// <summary>Rows read (handed to the sink, or gathered).</summary>
            public int Rows => _rows;

            /// <summary>Values per row.</summary>
            public int Features => Inputs;

            /// <summary>
            /// After the last row: the class names (null for class numbers) and, when they were found in the rows, the map from
            /// the provisional numbers the rows were given (order of first appearance) to the sorted names' numbers.
            /// </summary>
            public (IReadOnlyList<string>? Names, int[]? Remap) FinishNames()
            {
                CheckRows();
                if (_labels == CsvLabels.Numbers || _fixedNames)
                {
                    return (_options.ClassNames, null);
                }

                // Sorted names, so the class numbers do not depend on the order of the rows.
                string[] names = new string[_names.Count];
                foreach (KeyValuePair<string, int> pair in _names)
                {
                    names[pair.Value] = pair.Key;
                }

                string[] sorted = (string[])names.Clone();
                Array.Sort(sorted, StringComparer.Ordinal);
                int[] remap = new int[names.Length];
                for (int i = 0; i < sorted.Length; i++)
                {
                    remap[_names[sorted[i]]] = i;
                }

                return (sorted, remap);
            }

            private void CheckRows()
            {
                if (Columns == 0)
                {
                    throw new InvalidDataException(
                        $"{_path} is empty: a data file needs {(_options.HasHeader ? "a header line, then " : "")}one line per row, " +
                        "each with the features and a label.");
                }

                if (_rows == 0)
                {
                    throw new InvalidDataException(
                        $"{_path} has a header (line {_shapeLine}) but no rows of data. If line {_shapeLine} is data rather than a " +
                            $"header, set " +
                        "CsvOptions.HasHeader = false.");
                }
            }

            private int ResolveLabelColumn()
            {
                if (_options.LabelColumnName is { } name)
                {
                    int index = Array.IndexOf(_header!, name);
                    if (index < 0)
                    {
                        string? near = Array.Find(_header!, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
                        throw new ArgumentException(
                            $"{_path} has no column named '{name}' " +
                                $"(LabelColumnName){(near is null ? "" : $"; there is '{near}' (names are case-sensitive)")}. " +
                            $"Its columns (line {_shapeLine}) are {ListNames(_header!)}.", "options");
                    }

                    return index;
                }

                int offset = _options.LabelColumn.GetOffset(Columns);
                if ((uint)offset >= (uint)Columns)
                {
                    throw new ArgumentException(
                        $"LabelColumn is {_options.LabelColumn}, but {_path} has {Columns} columns (line {_shapeLine}): use " +
                            $"0..{Columns - 1} " +
                        $"or ^1..^{Columns} (^1 is the last column).", "options");
                }

                return offset;
            }

            /// <summary>A header must have unique names and must not be a row of numbers (a file without a header read with one).</summary>
            private void CheckHeader(int line)
            {
                string[] header = _header!;
                var seen = new Dictionary<string, int>(header.Length, StringComparer.Ordinal);
                for (int c = 0; c < header.Length; c++)
                {
                    if (!seen.TryAdd(header[c], c))
                    {
                        throw new InvalidDataException(
                            $"{_path}, line {line}: the header names column {seen[header[c]] + 1} and column {c + 1} both '{header[c]}'; " +
                            "column names must be unique. If line " + line
                                + " is data rather than a header, set CsvOptions.HasHeader = false.");
                    }
                }

                // pandas numbers unnamed columns 0, 1, 2, ...: that whole sequence is a header, and so are numbered columns
                // beside a label name; fractions, or numbers everywhere, are data.
                bool numbered = true;
                for (int c = 0; c < header.Length && numbered; c++)
                {
                    numbered = header[c] == c.ToString(CultureInfo.InvariantCulture);
                }

                bool allNumbers = !numbered, anyFraction = false;
                for (int c = 0; c < header.Length && allNumbers; c++)
                {
                    if (c == _labelColumn)
                    {
                        continue;
                    }

                    allNumbers = double.TryParse(header[c], NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                        && double.IsFinite(value);
                    anyFraction |= allNumbers && value != Math.Floor(value);
                }

                bool labelNumber = double.TryParse(header[_labelColumn], NumberStyles.Float, CultureInfo.InvariantCulture,
                    out double label) && double.IsFinite(label);
                if (allNumbers && (labelNumber || anyFraction))
                {
                    throw new InvalidDataException(
                        $"{_path}, line {line} looks like a row of data, not a header: its fields are numbers ({ListNames(header)}). " +
                        "If the file has no header line, set CsvOptions.HasHeader = false; if it has one, give " +
                            "its columns names that are not numbers.");
                }
            }

            private int Label(ReadOnlySpan<char> text, int line)
            {
                if (_rows == 0)
                {
                    _labels = Decide(text, line);
                }

                if (_labels == CsvLabels.Numbers)
                {
                    ClassNumber result = ParseClassNumber(text, out int value);
                    if (result != ClassNumber.Valid || value >= _classLimit)
                    {
                        throw BadClassNumber(line, text, result, value);
                    }

                    return value;
                }

                if (text.IsEmpty)
                {
                    throw new InvalidDataException(
                        $"{Where(line, _labelColumn)}: the label is empty. Every row needs its class; fill it in or remove the row.");
                }

                if (_lookup.TryGetValue(text, out int index))
                {
                    return index;
                }

                if (_fixedNames || _names.Count == _classLimit)
                {
                    throw UnknownClassName(line, text);
                }

                index = _names.Count;
                _names.Add(text.ToString(), index);
                return index;
            }

            /// <summary>Decides, at the first data row, whether labels are class numbers or names.</summary>
            private CsvLabels Decide(ReadOnlySpan<char> text, int line)
            {
                _firstLabelLine = line;
                _firstLabel = text.ToString();
                if (_options.Labels != CsvLabels.Auto)
                {
                    return _options.Labels;
                }

                if (_fixedNames)
                {
                    return CsvLabels.Names;
                }

                ClassNumber result = ParseClassNumber(text, out int value);
                return result switch
                {
                    ClassNumber.Valid => CsvLabels.Numbers,
                    ClassNumber.NotANumber => CsvLabels.Names,
                    _ => throw BadClassNumber(line, text, result, value),
                };
            }

            private InvalidDataException WrongFieldCount(SepReader.Row row)
            {
                int line = Line(row);
                int found = row.ColCount;

                // Not the last line's number: Sep counts one line too many when a quote is still open at the end of the file.
                string spans = row.LineNumberToExcl - line > 1
                    ? " (a quoted field makes the row span several lines; check for a quote that is not closed)"
                    : "";
                string what = found < Columns
                    ? Columns - found == 1
                        ? $"{Describe(found)} is missing"
                        : $"{Describe(found)} to {Describe(Columns - 1)} are missing"
                    : $"{found - Columns} too many, from column {Columns + 1} on; a value that contains " +
                        $"'{CsvOptions.Escape(_separator)}' must be quoted";
                return new InvalidDataException(
                    $"{_path}, line {line}: the row has {found} field{(found == 1 ? "" : "s")} but the file has {Columns} columns (as on " +
                        $"line {_shapeLine}){spans}: " +
                    $"{what}. Every row needs one value per column; fix the row or remove it.");
            }

            private InvalidDataException BadFeature(int line, int column, ReadOnlySpan<char> text, bool parsed, float value)
            {
                ReadOnlySpan<char> trimmed = text.Trim();
                string problem;
                if (trimmed.IsEmpty)
                {
                    problem = "is empty: every feature needs a value (missing values are not filled in); fill it in or remove the row";
                }
                else if (trimmed.Contains(','))
                {
                    problem = $"{Show(trimmed)} is not a number: the decimal point must be '.', and ',' is neither a decimal point nor a " +
                        $"thousands separator here";
                }
                else if (parsed)
                {
                    // Infinity written as such, or a number too large for float, which the parser rounds to infinity.
                    bool written = float.IsNaN(value) || trimmed.Contains("inf", StringComparison.OrdinalIgnoreCase)
                        || trimmed.Contains('∞');
                    problem = written
                        ? $"{Show(trimmed)} is not a finite number: features must be finite (NaN or infinity makes the loss NaN); " +
                            $"replace it or remove the row"
                        : $"{Show(trimmed)} is outside the range of float (about ±3.4e38); scale the feature";
                }
                else
                {
                    problem = $"{Show(trimmed)} is not a number: every feature must be a number such as 0.25, -3 or 1e-5";
                    if (_rows == 0 && !_options.HasHeader)
                    {
                        problem += $". If line {line} is a header, set CsvOptions.HasHeader = true";
                    }
                    else if (_rows == 0 && _options.LabelColumnName is null)
                    {
                        problem += $". If this column holds the labels, set CsvOptions.LabelColumn (now {_options.LabelColumn}) or " +
                            $"LabelColumnName";
                    }
                }

                return new InvalidDataException($"{Where(line, column)}: {problem}.");
            }

            private InvalidDataException BadClassNumber(int line, ReadOnlySpan<char> text, ClassNumber result, int value)
            {
                string how = _options.Labels == CsvLabels.Numbers
                    ? "CsvOptions.Labels is Numbers"
                    : _rows == 0
                        ? "it is the first label and a number, so the labels are read as class numbers"
                        : $"the first label, {Show(_firstLabel)} on line {_firstLabelLine}, is a number, so the " +
                            $"labels are read as class numbers";
                string names = "; to read every label as a class name, set CsvOptions.Labels = CsvLabels.Names";
                string problem = result switch
                {
                    ClassNumber.Empty => "the label is empty. Every row needs its class; fill it in or remove the row",
                    ClassNumber.NotANumber => $"{Show(text)} is not a class number ({how}){names}",
                    ClassNumber.Negative => $"{Show(text)} is negative, but class numbers are 0, 1, 2, ... ({how}){names}",
                    ClassNumber.NotWhole =>
                        $"{Show(text)} is not a whole number, so it is not a class ({how}). Is column {_labelColumn + 1} the " +
                        "label column? If not, set CsvOptions.LabelColumn or LabelColumnName" + names,
                    _ when _options.Classes is int classes =>
                        $"{Show(text)} is not a class of the model, which has {classes} (0..{classes - 1})",
                    _ when _options.ClassNames is { } given =>
                        $"{Show(text)} is not a class: CsvOptions.ClassNames has {given.Count} (0..{given.Count - 1})",
                    _ => $"{Show(text)} is too large to be a class number: a model has at most {ModelLimits.MaxClasses} classes " +
                        $"(0..{ModelLimits.MaxClasses - 1})",
                };
                return new InvalidDataException($"{Where(line, _labelColumn)}: {problem}.");
            }

            private InvalidDataException UnknownClassName(int line, ReadOnlySpan<char> text)
            {
                string problem = _fixedNames
                    ? $"{Show(text)} is not one of the {_names.Count} classes of CsvOptions.ClassNames " +
                        $"({ListNames(_options.ClassNames!)}); " +
                      "add it to the classes (a model with more classes), or fix or remove the row"
                    : _options.Classes is int classes
                        ? $"{Show(text)} would be class number {classes + 1}, but the model has {classes} classes " +
                            $"({ListNames(SortedNames())} so far)"
                        : $"{Show(text)} would be the {_names.Count + 1}th class, but a model has at most {ModelLimits.MaxClasses}. " +
                          $"Is column {_labelColumn + 1} the label column? If not, set CsvOptions.LabelColumn or LabelColumnName";
                return new InvalidDataException($"{Where(line, _labelColumn)}: {problem}.");
            }

            private List<string> SortedNames()
            {
                var names = new List<string>(_names.Keys);
                names.Sort(StringComparer.Ordinal);
                return names;
            }

            /// <summary>
            /// The row's first line. Sep 0.17.1 reports the first row of a file read without a header as starting on line 2;
            /// the first row always starts on line 1 (a blank first line is a row of its own).
            /// </summary>
            private static int Line(SepReader.Row row) => row.RowIndex == 0 ? 1 : row.LineNumberFrom;

            /// <summary>"file, line 7, column 3 ('height')".</summary>
            private string Where(int line, int column) => $"{_path}, line {line}, {Describe(column)}";

            private string Describe(int column) =>
                _header is null ? $"column {column + 1}" : $"column {column + 1} ('{_header[column]}')";
        }

        private enum ClassNumber
        {
            Valid,
            Empty,
            NotANumber,
            Negative,
            NotWhole,
        }

        /// <summary>A class number: a whole number ≥ 0, written as an integer (<c>3</c>) or a float with no fraction
        /// (<c>3.0</c>).</summary>
        private static ClassNumber ParseClassNumber(ReadOnlySpan<char> text, out int value)
        {
            value = 0;
            if (text.IsEmpty)
            {
                return ClassNumber.Empty;
            }

            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            {
                return value < 0 ? ClassNumber.Negative : ClassNumber.Valid;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || !double.IsFinite(number))
            {
                return ClassNumber.NotANumber;
            }

            if (number < 0)
            {
                return ClassNumber.Negative;
            }

            if (number != Math.Floor(number))
            {
                return ClassNumber.NotWhole;
            }

            // Too large for an int: above every class limit, which the caller reports.
            value = number > int.MaxValue ? int.MaxValue : (int)number;
            return ClassNumber.Valid;
        }

        /// <summary>A field as quoted in a message: at most 40 characters.</summary>
        private static string Show(ReadOnlySpan<char> text) =>
            text.Length <= 40 ? $"'{text}'" : $"'{text.Slice(0, 37)}...'";

        private static string ListNames(IReadOnlyList<string> names)
        {
            var list = new StringBuilder();
            int shown = Math.Min(names.Count, 10);
            for (int i = 0; i < shown; i++)
            {
                list.Append(i == 0 ? "" : ", ").Append(Show(names[i]));
            }

            return names.Count > shown ? list.Append($", ... ({names.Count} in all)").ToString() : list.ToString();
        }
    }
}
