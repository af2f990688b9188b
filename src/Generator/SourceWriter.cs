using System;
using System.Text;

namespace GenSoftmax.Generator
{
    /// <summary>
    /// Writes C# with consistent four-space indentation. Multi-line strings are re-indented line by line,
    /// blank lines carry no whitespace, and newlines are always "\n" so output is byte-identical on every OS.
    /// </summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _sb = new StringBuilder(16 * 1024);
        private int _indent;

        public void WriteLine() => _sb.Append('\n');

        /// <summary>Writes each line of <paramref name="text"/> at the current indentation.</summary>
        public void WriteLine(string text)
        {
            int start = 0;
            while (true)
            {
                int end = text.IndexOf('\n', start);
                string line = (end < 0 ? text.Substring(start) : text.Substring(start, end - start)).TrimEnd('\r', ' ');
                if (line.Length > 0)
                {
                    _sb.Append(' ', _indent * 4).Append(line);
                }

                _sb.Append('\n');
                if (end < 0)
                {
                    break;
                }

                start = end + 1;
            }
        }

        /// <summary>Writes <paramref name="header"/>, an opening brace, and indents until the returned scope is disposed.</summary>
        public Scope Block(string header)
        {
            WriteLine(header);
            return Block();
        }

        /// <summary>Writes an opening brace and indents until the returned scope is disposed.</summary>
        public Scope Block()
        {
            WriteLine("{");
            _indent++;
            return new Scope(this);
        }

        public override string ToString() => _sb.ToString();

        internal readonly struct Scope : IDisposable
        {
            private readonly SourceWriter _writer;

            public Scope(SourceWriter writer)
            {
                _writer = writer;
            }

            public void Dispose()
            {
                _writer._indent--;
                _writer.WriteLine("}");
            }
        }
    }
}
