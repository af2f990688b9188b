using System;
using System.IO;
using System.Linq;
using Xunit;

namespace GenSoftmax.Docs.Tests
{
    /// <summary>The source follows the line length its .editorconfig states (max_line_length = 140).</summary>
    public sealed class SourceLineTests
    {
        private const int MaxLength = 140;

        [Fact]
        public void No_line_of_src_is_longer_than_the_editorconfig_allows()
        {
            string src = Path.Combine(Pages.RepoRoot, "src");
            string[] files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .ToArray();
            Assert.True(files.Length > 50, $"only {files.Length} source files under {src}");
            string[] longLines = files
                .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, line.Length)))
                .Where(l => l.Length > MaxLength)
                .Select(l => $"{Path.GetRelativePath(Pages.RepoRoot, l.File)}:{l.Line} ({l.Length} characters)")
                .ToArray();
            Assert.True(longLines.Length == 0, $"{longLines.Length} lines over {MaxLength} characters:\n" + string.Join('\n', longLines.Take(20)));
        }
    }
}
