using System;
using System.IO;
using System.Linq;
using System.Text;
using GenSoftmax.Data;
using Xunit;

namespace GenSoftmax.Data.Tests
{
    /// <summary>
    /// Quotes and text encoding in CSV files (issue 20, items 4 and 5): nothing a loose reading would lose or merge is
    /// accepted. Each refusal names the file and the line (and the column, or for bad bytes the byte offset).
    /// </summary>
    public sealed class CsvQuotingTests : IDisposable
    {
        private readonly TempDirectory _temp = new TempDirectory();

        public void Dispose() => _temp.Dispose();

        private string Write(byte[] bytes)
        {
            string path = _temp.File("data.csv");
            File.WriteAllBytes(path, bytes);
            return path;
        }

        private string Write(string text) => Write(new UTF8Encoding(false).GetBytes(text));

        private static string Error(string path, CsvOptions? options = null)
        {
            var e = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path, options));
            Assert.StartsWith(path, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            return e.Message;
        }

        // ---- quotes ----

        [Fact]
        public void StrayQuote_InAnUnquotedField_IsRefusedWithItsLineAndColumn()
        {
            // Six rows; read loosely the quote on line 3 opened a field that ran to the quote on line 6 (3 rows trained on).
            string path = Write("a,b,label\n1,2,x\n3,4\",y\n5,6,x\n7,8,y\n9,1,x\n2,3,\"y\"\n");

            string message = Error(path);

            Assert.Contains("line 3, column 2: a '\"' inside a field that does not start with one", message);
            Assert.Contains("\"5\"\" screen\"", message);
        }

        [Theory]
        [InlineData("\r\n")]
        [InlineData("\r")]
        [InlineData("\n")]
        public void StrayQuote_LineNumbersCountEveryLineEnding(string newline)
        {
            string path = Write(string.Join(newline, "a,b,label", "1,2,x", "", "3,4,y\"", "5,6,x") + newline);

            Assert.Contains("line 4, column 3:", Error(path));
        }

        [Fact]
        public void LinesAndColumns_AreCountedAcrossTheReadBuffer()
        {
            // CR LF line ends, one of them split by the 64 KiB buffer for some padding; then a stray quote in column 3.
            for (int pad = 0; pad < 8; pad++)
            {
                var text = new StringBuilder("a,b,label\r\n").Append(' ', pad).Append("1,2,x\r\n");
                int line = 3;
                while (text.Length < (1 << 16) + 64)
                {
                    text.Append("1,2,x\r\n");
                    line++;
                }

                text.Append("3,4,y\"\r\n");
                Assert.Contains($"line {line}, column 3: a '\"' inside a field", Error(Write(text.ToString())));
            }
        }

        [Fact]
        public void UnterminatedQuote_AtTheEndOfTheFile_IsRefused()
        {
            string path = Write("a,b,label\n1,2,x\n3,4,\"y");

            Assert.Contains("line 3, column 3: the quoted field that starts here is not closed before the end of the file", Error(path));
        }

        [Fact]
        public void UnterminatedQuote_AtTheEndOfTheFile_IsRefusedWhenLineBreaksAreAllowed()
        {
            string path = Write("a,b,label\n1,2,x\n3,4,\"y\n5,6,x\n");

            Assert.Contains("line 3, column 3: the quoted field that starts here is not closed",
                Error(path, new CsvOptions { AllowLineBreaksInQuotes = true }));
        }

        [Fact]
        public void TextAfterAClosingQuote_IsRefused()
        {
            string path = Write("a,b,label\n1,2,\"x\"y\n");

            Assert.Contains("line 2, column 3: text after the closing '\"'", Error(path));
        }

        [Fact]
        public void QuotedFieldOverLines_HoldingTheSeparator_IsRefusedByDefault_AndReadWhenAllowed()
        {
            // Read on, such a field joins the rows after it into one label.
            string path = Write("a,b,label\n1,2,\"black,\nwhite\"\n3,4,x\n");

            Assert.Contains("line 2, column 3: the quoted field that starts here runs onto line 3 and holds a ','", Error(path));
            Assert.Contains("AllowLineBreaksInQuotes", Error(path));

            LabeledData data = CsvReader.Read(path, new CsvOptions { AllowLineBreaksInQuotes = true });
            Assert.Equal(2, data.Count);
            Assert.Equal(new[] { "black,\nwhite", "x" }, data.ClassNames);
        }

        [Fact]
        public void QuotedFieldOverLines_WithoutTheSeparator_IsRead_ForItTakesInNoRow()
        {
            string path = Write("a,b,label\r\n1,2,\"two\r\nlines\"\r\n3,4,\"three\rlines\nhere\"\r\n5,6\",x\r\n");

            var e = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path));

            // The line numbers after the fields that span lines count their line breaks.
            Assert.Contains("line 7, column 2: a '\"' inside a field that does not start with one", e.Message);
            File.WriteAllText(path, "a,b,label\r\n1,2,\"two\r\nlines\"\r\n3,4,\"three\rlines\nhere\"\r\n5,6,x\r\n");
            LabeledData data = CsvReader.Read(path);
            Assert.Equal(3, data.Count);
            Assert.Equal(new[] { "three\rlines\nhere", "two\r\nlines", "x" }, data.ClassNames);
        }

        [Fact]
        public void TheSixRowFileOfTheIssue_WithAQuoteLeftOpen_IsRefused()
        {
            // A missing closing quote on line 3: read loosely, lines 4 and 5 became part of line 3's label.
            string path = Write("a,b,label\n1,2,x\n3,4,\"y\n5,6,x\n7,8,\"y\"\n9,1,x\n2,3,y\n");

            Assert.Contains("line 3, column 3: the quoted field that starts here runs onto line 4 and holds a ','", Error(path));
        }

        [Fact]
        public void DoubledQuotes_SpacesAroundQuotes_AndQuotedSeparators_AreRead()
        {
            string path = Write("\uFEFF\"a\",b,label\n1, 2 , \"5\"\" screen\" \n3,4,\"x,y\"\n5,\"6\",\"\"\"\"\n");

            LabeledData data = CsvReader.Read(path);

            Assert.Equal(3, data.Count);
            Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, data.Features);
            Assert.Equal(new[] { "\"", "5\" screen", "x,y" }, data.ClassNames);
        }

        // ---- encoding ----

        [Fact]
        public void InvalidUtf8_InLabels_IsRefusedWithLineAndByteOffset_SoNoTwoLabelsMerge()
        {
            // Latin-1 "café" and "cafè": read as UTF-8 with replacement, both were "caf\uFFFD", one class.
            byte[] head = Encoding.ASCII.GetBytes("a,label\n1,caf");
            byte[] bytes = [.. head, 0xE9, .. "\n2,caf"u8, 0xE8, (byte)'\n'];
            string path = Write(bytes);

            string message = Error(path);

            Assert.Contains($"line 2, byte offset {head.Length}: invalid UTF-8 (byte 0xE9)", message);
        }

        [Fact]
        public void InvalidUtf8_InTheHeader_IsRefused()
        {
            byte[] bytes = [.. "a,lab"u8, 0xC3, 0x28, .. "el\n1,x\n"u8];

            Assert.Contains("line 1, byte offset 5: invalid UTF-8 (byte 0xC3)", Error(Write(bytes)));
        }

        [Fact]
        public void TruncatedUtf8_AtTheEndOfTheFile_IsRefused()
        {
            byte[] bytes = [.. "a,label\n1,x"u8, 0xE2, 0x82];

            Assert.Contains("line 2, byte offset 11: invalid UTF-8", Error(Write(bytes)));
        }

        [Fact]
        public void Utf8_SplitAcrossTheReadBuffer_IsValid()
        {
            // Put a 3-byte character across every position near the 64 KiB buffer boundary.
            for (int shift = 0; shift < 3; shift++)
            {
                var text = new StringBuilder("a,label\n");
                while (text.Length < (1 << 16) - 8 + shift)
                {
                    text.Append("1,x\n");
                }

                text.Append("2,€uro\n3,x\n");
                LabeledData data = CsvReader.Read(Write(text.ToString()));
                Assert.Equal(new[] { "x", "€uro" }, data.ClassNames);
            }
        }

        [Fact]
        public void Utf16_WithAByteOrderMark_IsRead_AndInvalidUtf16IsRefused()
        {
            string path = _temp.File("data.csv");
            File.WriteAllText(path, "a,label\n1,\"é, è\"\n2,x\n", new UnicodeEncoding(bigEndian: false, byteOrderMark: true));
            Assert.Equal(new[] { "x", "é, è" }, CsvReader.Read(path).ClassNames);

            // A lone high surrogate, then "x".
            byte[] bytes = [.. new UnicodeEncoding(false, true).GetPreamble(), .. Encoding.Unicode.GetBytes("a,label\n1,"), 0x00, 0xD8, (byte)'x', 0];
            File.WriteAllBytes(path, bytes);
            Assert.Contains("invalid Unicode", Error(path));
        }
    }
}
