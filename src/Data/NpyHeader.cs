using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace GenSoftmax.Data
{
    /// <summary>The element types <see cref="NpyReader"/> understands, all little-endian.</summary>
    internal enum NpyType
    {
        Int8,
        UInt8,
        Int16,
        UInt16,
        Int32,
        UInt32,
        Int64,
        UInt64,
        Float16,
        Float32,
        Float64,
    }

    /// <summary>What a .npy header declares: element type, shape (C order), and where the data starts.</summary>
    internal readonly record struct NpyHeader(NpyType Type, string Descr, int[] Shape, long DataOffset)
    {
        /// <summary>Bytes per element.</summary>
        public int ItemSize => SizeOf(Type);

        /// <summary>Bytes per element of <paramref name="type"/>.</summary>
        public static int SizeOf(NpyType type) => type switch
        {
            NpyType.Int8 or NpyType.UInt8 => 1,
            NpyType.Int16 or NpyType.UInt16 or NpyType.Float16 => 2,
            NpyType.Int32 or NpyType.UInt32 or NpyType.Float32 => 4,
            _ => 8,
        };

        /// <summary>Number of elements, the product of the shape (at most the limit the header was read with, checked when
        /// parsed).</summary>
        public long Elements
        {
            get
            {
                long product = 1;
                foreach (int d in Shape)
                {
                    product *= d;
                }

                return product;
            }
        }

        /// <summary>Bytes of data after the header.</summary>
        public long DataBytes => Elements * ItemSize;

        /// <summary>Whether the elements are integers.</summary>
        public bool IsInteger => Type is not (NpyType.Float16 or NpyType.Float32 or NpyType.Float64);

        /// <summary>"float32 ('&lt;f4')".</summary>
        public string TypeText => $"{Type.ToString().ToLowerInvariant()} ('{Descr}')";

        /// <summary>"[3, 4]".</summary>
        public string ShapeText => ShapeToText(Shape);

        public static string ShapeToText(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";
    }

    /// <summary>
    /// Parses the header of a .npy file: a Python dict literal such as
    /// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>, padded with spaces and ending in a newline.
    /// Only what np.save writes is accepted: exactly the three keys, string descr, True/False, a tuple of integers.
    /// </summary>
    internal static class NpyHeaderParser
    {
        public static NpyHeader Parse(string text, string path, long maxElements)
        {
            var parser = new Parser(text, path, maxElements);
            return parser.Header();
        }

        private ref struct Parser
        {
            private readonly string _text;
            private readonly string _path;
            private readonly long _maxElements;
            private int _at;

            public Parser(string text, string path, long maxElements)
            {
                _text = text;
                _path = path;
                _maxElements = maxElements;
                _at = 0;
            }

            public NpyHeader Header()
            {
                string? descr = null;
                bool? fortran = null;
                List<int>? shape = null;

                SkipSpace();
                Expect('{');
                SkipSpace();
                while (Peek() != '}')
                {
                    int keyAt = _at;
                    string key = String();
                    SkipSpace();
                    Expect(':');
                    SkipSpace();
                    bool repeated;
                    switch (key)
                    {
                        case "descr":
                            repeated = descr is not null;
                            if (Peek() is '[')
                            {
                                throw Error(
                                    "it declares a structured dtype (a list of fields), which is not supported: save a plain numeric " +
                                        "array, one field at a time");
                            }

                            descr = String();
                            break;
                        case "fortran_order":
                            repeated = fortran is not null;
                            fortran = Boolean();
                            break;
                        case "shape":
                            repeated = shape is not null;
                            shape = Tuple();
                            break;
                        default:
                            throw Error($"it has the key '{key}' at character {keyAt + 1}; a .npy header has exactly 'descr', " +
                                $"'fortran_order' and 'shape'");
                    }

                    if (repeated)
                    {
                        throw Error($"the key '{key}' appears twice");
                    }

                    SkipSpace();
                    if (Peek() == ',')
                    {
                        _at++;
                        SkipSpace();
                    }
                    else if (Peek() != '}')
                    {
                        throw Expected("',' or '}'");
                    }
                }

                _at++;
                SkipSpace();
                if (_at != _text.Length)
                {
                    throw Error($"there is text after the closing '}}' at character {_at + 1}");
                }

                if (descr is null || fortran is null || shape is null)
                {
                    string missing = descr is null ? "descr" : fortran is null ? "fortran_order" : "shape";
                    throw Error($"the key '{missing}' is missing; a .npy header has 'descr', 'fortran_order' and 'shape'");
                }

                NpyType type = Type(descr);
                if (fortran.Value && shape.Count > 1)
                {
                    throw new InvalidDataException(
                        $"{_path} holds a Fortran-ordered (column-major) array of shape {NpyHeader.ShapeToText(shape)}; only C order " +
                            $"(row-major) is " +
                        "supported: save it with np.save(path, np.ascontiguousarray(a)).");
                }

                long elements = 1;
                foreach (int d in shape)
                {
                    if (d != 0 && elements > _maxElements / d)
                    {
                        string limit = _maxElements == Array.MaxLength
                            ? $"more elements than a .NET array holds ({Array.MaxLength}); split the array into several files, or the " +
                                $"header is corrupt"
                            : $"more elements than GenSoftmax reads ({_maxElements}); the header is corrupt";
                        throw new InvalidDataException($"{_path}: the header declares shape {NpyHeader.ShapeToText(shape)}, {limit}.");
                    }

                    elements *= d;
                }

                return new NpyHeader(type, descr, shape.ToArray(), 0);
            }

            private NpyType Type(string descr)
            {
                if (descr.Length < 3 || descr[0] is not ('<' or '>' or '|' or '=') ||
                    !int.TryParse(descr.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
                {
                    throw UnsupportedType(descr, "not a plain numeric dtype");
                }

                char order = descr[0], kind = descr[1];
                NpyType? type = (kind, size) switch
                {
                    ('i', 1) => NpyType.Int8,
                    ('u', 1) => NpyType.UInt8,
                    ('i', 2) => NpyType.Int16,
                    ('u', 2) => NpyType.UInt16,
                    ('i', 4) => NpyType.Int32,
                    ('u', 4) => NpyType.UInt32,
                    ('i', 8) => NpyType.Int64,
                    ('u', 8) => NpyType.UInt64,
                    ('f', 2) => NpyType.Float16,
                    ('f', 4) => NpyType.Float32,
                    ('f', 8) => NpyType.Float64,
                    _ => null,
                };
                if (type is null)
                {
                    string what = kind switch
                    {
                        'b' => "boolean",
                        'c' => "complex",
                        'f' => $"a {size * 8}-bit float",
                        'i' or 'u' => $"a {size * 8}-bit integer",
                        'O' => "Python objects (pickled)",
                        'U' or 'S' or 'a' => "strings",
                        'M' or 'm' => "dates or time spans",
                        _ => "not a numeric dtype",
                    };
                    throw UnsupportedType(descr, what);
                }

                // One-byte types have no byte order ('|'); NumPy never writes '=' but it means this machine's order.
                bool bigEndian = size > 1 && (order == '>' || order == '=' && !BitConverter.IsLittleEndian || order == '|');
                if (bigEndian)
                {
                    throw new InvalidDataException(
                        $"{_path} holds {(order == '|' ? "values without a byte order" : "big-endian values")} (dtype '{descr}'); only " +
                            $"little-endian " +
                        $"data is supported: save it with np.save(path, a.astype('<{kind}{size}')).");
                }

                return type.Value;
            }

            private InvalidDataException UnsupportedType(string descr, string what) => new InvalidDataException(
                $"{_path} holds dtype '{descr}' ({what}), which is not supported: features must be float32, " +
                    $"float64, float16 or uint8, and " +
                "labels an integer type; convert with a.astype(...) before np.save.");

            private string String()
            {
                char quote = Peek();
                if (quote is not ('\'' or '"'))
                {
                    throw Expected("a quoted string");
                }

                int start = ++_at;
                while (_at < _text.Length && _text[_at] != quote)
                {
                    if (_text[_at] == '\\')
                    {
                        throw Error($"the string at character {start} has an escape ('\\\\'), which no .npy header key or dtype contains");
                    }

                    _at++;
                }

                if (_at == _text.Length)
                {
                    throw Error($"the string at character {start} is not closed");
                }

                return _text.Substring(start, _at++ - start);
            }

            private bool Boolean()
            {
                if (Matches("True"))
                {
                    return true;
                }

                if (Matches("False"))
                {
                    return false;
                }

                throw Expected("True or False");
            }

            /// <summary>A tuple of non-negative integers: (), (3,), (3, 4). Old Python 2 files write (3L, 4L).</summary>
            private List<int> Tuple()
            {
                Expect('(');
                var values = new List<int>(3);
                SkipSpace();
                while (Peek() != ')')
                {
                    int start = _at;
                    while (_at < _text.Length && char.IsAsciiDigit(_text[_at]))
                    {
                        _at++;
                    }

                    if (_at == start)
                    {
                        throw Expected("a dimension (a whole number)");
                    }

                    if (!int.TryParse(_text.AsSpan(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out int value))
                    {
                        throw Error($"the dimension {_text.Substring(start, _at - start)} is too large for " +
                            $"an array; the header is corrupt");
                    }

                    values.Add(value);
                    if (Peek() == 'L')
                    {
                        _at++;
                    }

                    SkipSpace();
                    if (Peek() == ',')
                    {
                        _at++;
                        SkipSpace();
                    }
                    else if (Peek() != ')')
                    {
                        throw Expected("',' or ')'");
                    }
                }

                _at++;
                return values;
            }

            private bool Matches(string word)
            {
                if (string.CompareOrdinal(_text, _at, word, 0, word.Length) == 0)
                {
                    _at += word.Length;
                    return true;
                }

                return false;
            }

            private char Peek() => _at < _text.Length ? _text[_at] : '\0';

            private void Expect(char c)
            {
                if (Peek() != c)
                {
                    throw Expected($"'{c}'");
                }

                _at++;
            }

            private void SkipSpace()
            {
                while (_at < _text.Length && _text[_at] is ' ' or '\t' or '\n' or '\r')
                {
                    _at++;
                }
            }

            private InvalidDataException Expected(string what)
            {
                string found = _at >= _text.Length ? "the end of the header" : $"'{Escape(_text[_at])}'";
                return Error($"expected {what} at character {_at + 1} but found {found}");
            }

            private InvalidDataException Error(string problem) => new InvalidDataException(
                $"{_path}: the .npy header is not valid: {problem}. The header is \"{Shorten(_text.TrimEnd())}\"; " +
                    $"write the file again with np.save.");

            private static string Escape(char c) => c < ' ' ? $"\\u{(int)c:X4}" : c.ToString();

            private static string Shorten(string text)
            {
                var builder = new StringBuilder(Math.Min(text.Length, 200));
                foreach (char c in text.Length > 200 ? text.AsSpan(0, 197) : text.AsSpan())
                {
                    builder.Append(Escape(c));
                }

                return text.Length > 200 ? builder.Append("...").ToString() : builder.ToString();
            }
        }
    }
}
