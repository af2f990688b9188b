using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace GenSoftmax.Fuzz
{
    /// <summary>
    /// What a CSV file holds by the rules <c>CsvReader</c> documents, worked out the plain way, character by character and
    /// independently of the reader and of Sep: strict UTF-8 (a UTF-8 byte-order mark skipped), the separator detected from
    /// the first line that holds more than spaces and tabs (the most frequent of ',', ';' and tab outside quotes; ties go to
    /// tab, then ';'), RFC 4180 quoting with spaces allowed around a quoted field, a line break inside quotes only in a field
    /// that holds no separator, lines ending at LF, CR LF or CR, lines of nothing but white space skipped, and the first
    /// remaining record the header.
    /// </summary>
    internal sealed class CsvOracle
    {
        private CsvOracle(string? problem, int problemLine, char separator, List<List<string>> records)
        {
            Problem = problem;
            ProblemLine = problemLine;
            Separator = separator;
            Records = records;
        }

        /// <summary>Why the reader must refuse the file whatever its values, or null when its text and quotes are valid.</summary>
        public string? Problem { get; }

        /// <summary>
        /// The line the reader's message must name for <see cref="Problem"/>: where the first bad byte or the first bad quote
        /// is (for a quoted field left open, or running onto the next line with a separator, the line where it starts); 0
        /// when there is no problem or it is the separator's.
        /// </summary>
        public int ProblemLine { get; }

        /// <summary>The detected separator.</summary>
        public char Separator { get; }

        /// <summary>The records that are not blank, header first, each field unquoted (surrounding spaces kept).</summary>
        public List<List<string>> Records { get; }

        /// <summary>Data rows: the records after the header.</summary>
        public int Rows => Math.Max(0, Records.Count - 1);

        /// <summary>Null when the file starts with a UTF-16 or UTF-32 byte-order mark, which this oracle does not judge.</summary>
        public static CsvOracle? Of(byte[] file)
        {
            if (file is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..] or [0, 0, 0xFE, 0xFF, ..])
            {
                return null;
            }

            int start = file is [0xEF, 0xBB, 0xBF, ..] ? 3 : 0;
            byte[] bytes = file[start..];

            // Replacement characters are as good as any for finding the separators of line 1.
            char? separator = Detect(Encoding.UTF8.GetString(bytes));
            if (separator is not char sep)
            {
                return new CsvOracle("no separator on the first line", 0, ',', []);
            }

            // The text up to the first byte that is not UTF-8 (all of it when there is none), and the first problem in it.
            int bad = FirstInvalid(bytes);
            string text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, bad < 0 ? bytes.Length : bad);
            (string? problem, int line, bool open, List<List<string>> records) = Parse(text, sep);
            if (bad >= 0 && (problem is null || open))
            {
                // Still inside the text, or inside a quoted field that the bad byte interrupts.
                return new CsvOracle($"not UTF-8 at byte {start + bad}", Lines(text), sep, records);
            }

            records.RemoveAll(r => r.Count == 1 && r[0].All(char.IsWhiteSpace));
            return new CsvOracle(problem, problem is null ? 0 : line, sep, records);
        }

        /// <summary>The offset of the first byte that does not begin a whole UTF-8 character, or -1.</summary>
        private static int FirstInvalid(byte[] bytes)
        {
            for (int i = 0; i < bytes.Length;)
            {
                if (Rune.DecodeFromUtf8(bytes.AsSpan(i), out _, out int consumed) != System.Buffers.OperationStatus.Done)
                {
                    return i;
                }

                i += consumed;
            }

            return -1;
        }

        /// <summary>The line at the end of <paramref name="text"/>: 1 plus its line ends (LF, CR LF, CR).</summary>
        private static int Lines(string text)
        {
            int line = 1;
            for (int i = 0; i < text.Length; i++)
            {
                line += text[i] == '\n' || (text[i] == '\r' && !(i + 1 < text.Length && text[i + 1] == '\n')) ? 1 : 0;
            }

            return line;
        }

        private static char? Detect(string text)
        {
            int tabs = 0, semicolons = 0, commas = 0;
            bool quoted = false, started = false;
            foreach (char c in text)
            {
                if (c == '"')
                {
                    quoted = !quoted;
                    started = true;
                    continue;
                }

                if (quoted)
                {
                    continue;
                }

                if (c is '\r' or '\n')
                {
                    if (started)
                    {
                        break;
                    }

                    continue;
                }

                started |= c is not (' ' or '\t');
                tabs += c == '\t' ? 1 : 0;
                semicolons += c == ';' ? 1 : 0;
                commas += c == ',' ? 1 : 0;
            }

            int best = Math.Max(tabs, Math.Max(semicolons, commas));
            return best == 0 ? null : tabs == best ? '\t' : semicolons == best ? ';' : ',';
        }

        /// <summary>Records by the strict rules; the first problem ends the parse.</summary>
        private static (string? Problem, int Line, bool Open, List<List<string>> Records) Parse(string text, char sep)
        {
            var records = new List<List<string>>();
            var record = new List<string>();
            var field = new StringBuilder();
            int line = 1;
            int i = 0;
            while (true)
            {
                // One field: spaces, then a quoted field with spaces after it, or an unquoted one.
                int fieldStart = i;
                while (i < text.Length && text[i] == ' ' && sep != ' ')
                {
                    i++;
                }

                if (i < text.Length && text[i] == '"')
                {
                    i++;
                    int quoteLine = line;
                    field.Clear();
                    while (true)
                    {
                        if (i == text.Length)
                        {
                            string open = field.ToString();
                            return open.Contains(sep) && open.AsSpan().IndexOfAny('\r', '\n') >= 0
                                ? ("a quoted field runs onto the next line and holds the separator", quoteLine, false, records)
                                : ("a quote not closed", quoteLine, true, records);
                        }

                        char c = text[i++];
                        if (c == '"')
                        {
                            if (i < text.Length && text[i] == '"')
                            {
                                field.Append('"');
                                i++;
                                continue;
                            }

                            break;
                        }

                        if (c == '\n' || (c == '\r' && !(i < text.Length && text[i] == '\n')))
                        {
                            line++;
                        }

                        field.Append(c);
                    }

                    string value = field.ToString();
                    if (value.Contains(sep) && value.AsSpan().IndexOfAny('\r', '\n') >= 0)
                    {
                        return ("a quoted field runs onto the next line and holds the separator", quoteLine, false, records);
                    }

                    while (i < text.Length && text[i] == ' ' && sep != ' ')
                    {
                        i++;
                    }

                    if (i < text.Length && text[i] != sep && text[i] is not ('\r' or '\n'))
                    {
                        return ("text after a closing quote", line, false, records);
                    }

                    record.Add(value);
                }
                else
                {
                    i = fieldStart;
                    while (i < text.Length && text[i] != sep && text[i] is not ('\r' or '\n'))
                    {
                        if (text[i] == '"')
                        {
                            return ("a quote inside an unquoted field", line, false, records);
                        }

                        i++;
                    }

                    record.Add(text[fieldStart..i]);
                }

                if (i == text.Length)
                {
                    if (!(record.Count == 1 && record[0].Length == 0))
                    {
                        records.Add(record); // the last line, without a line break
                    }

                    return (null, 0, false, records);
                }

                char end = text[i++];
                if (end == sep)
                {
                    continue;
                }

                if (end == '\r' && i < text.Length && text[i] == '\n')
                {
                    i++;
                }

                line++;
                records.Add(record);
                record = [];
            }
        }
    }
}
