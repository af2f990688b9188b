using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace GenSoftmax.App
{
    /// <summary>
    /// Text from a file, made safe to print on a terminal: control characters (ESC, CR, LF, NUL, ...) are shown as
    /// <c>\e</c>, <c>\r</c>, <c>\n</c>, <c>\0</c> or <c>\uXXXX</c> instead of moving the cursor, clearing the screen or
    /// starting an escape sequence. A backslash is doubled so an escape cannot be faked.
    /// </summary>
    internal static class Printable
    {
        public static string Of(string text)
        {
            if (!text.Any(c => char.IsControl(c) || c == '\\'))
            {
                return text;
            }

            var sb = new StringBuilder(text.Length + 8);
            foreach (char c in text)
            {
                sb.Append(c switch
                {
                    '\\' => "\\\\",
                    '\u001b' => "\\e",
                    '\r' => "\\r",
                    '\n' => "\\n",
                    '\t' => "\\t",
                    '\0' => "\\0",
                    _ when char.IsControl(c) => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
                    _ => c.ToString(),
                });
            }

            return sb.ToString();
        }

        public static IReadOnlyList<string> Of(IReadOnlyList<string> names) => names.Select(Of).ToArray();
    }
}
