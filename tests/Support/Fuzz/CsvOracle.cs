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
        private CsvOracle(string? problem, char separator, List<List<string>> records)
        {
            Problem = problem;
            Separator = separator;
            Records = records;
        }

        /// <summary>Why the reader must refuse the file whatever its values, or null when its text and quotes are valid.</summary>
        public string? Problem { get; }

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
            string text;
            try
            {
                text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(file, start, file.Length - start);
            }
            catch (DecoderFallbackException e)
            {
                return new CsvOracle($"not UTF-8 ({e.Message})", ',', []);
            }

            char? separator = Detect(text);
            if (separator is not char sep)
            {
                return new CsvOracle("no separator on the first line", ',', []);
            }

            (string? problem, List<List<string>> records) = Parse(text, sep);
            records.RemoveAll(r => r.Count == 1 && r[0].All(char.IsWhiteSpace));
            return new CsvOracle(problem, sep, records);
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
        private static (string? Problem, List<List<string>> Records) Parse(string text, char sep)
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
                            return ($"line {quoteLine}: a quote not closed", records);
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
                        return ($"line {quoteLine}: a quoted field runs onto the next line and holds the separator", records);
                    }

                    while (i < text.Length && text[i] == ' ' && sep != ' ')
                    {
                        i++;
                    }

                    if (i < text.Length && text[i] != sep && text[i] is not ('\r' or '\n'))
                    {
                        return ($"line {line}: text after a closing quote", records);
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
                            return ($"line {line}: a quote inside an unquoted field", records);
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

                    return (null, records);
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
