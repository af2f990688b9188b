using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace GenSoftmax.Docs.Tests
{
    /// <summary>Every relative link of README.md and docs/ leads to a file that exists, and to a heading that exists.</summary>
    public sealed class LinkTests
    {
        public static IEnumerable<object[]> PageNames() => Pages.All.Select(p => new object[] { p });

        [Theory]
        [MemberData(nameof(PageNames))]
        public void Every_relative_link_resolves(string page)
        {
            var broken = new List<string>();
            string directory = Path.GetDirectoryName(Path.Combine(Pages.RepoRoot, page))!;
            // [text](target) and ![alt](target); a title after the target is allowed.
            foreach (Match m in Regex.Matches(Pages.Prose(page), @"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+""[^""]*"")?\s*\)"))
            {
                string target = m.Groups[1].Value;
                if (Regex.IsMatch(target, "^[a-z][a-z0-9+.-]*:", RegexOptions.IgnoreCase))
                {
                    continue; // https:, mailto: and the like
                }

                string[] parts = target.Split('#', 2);
                string file = parts[0].Length == 0 ? Path.Combine(Pages.RepoRoot, page) : Path.GetFullPath(Path.Combine(directory, Uri.UnescapeDataString(parts[0])));
                if (!File.Exists(file) && !Directory.Exists(file))
                {
                    broken.Add($"{target}: no file {Path.GetRelativePath(Pages.RepoRoot, file)}");
                    continue;
                }

                if (parts.Length == 2 && file.EndsWith(".md", StringComparison.Ordinal)
                    && !Pages.Anchors(Path.GetRelativePath(Pages.RepoRoot, file)).Contains(parts[1]))
                {
                    broken.Add($"{target}: no heading with the anchor #{parts[1]} in {Path.GetRelativePath(Pages.RepoRoot, file)}");
                }
            }

            Assert.True(broken.Count == 0, $"{page} has broken links:\n  " + string.Join("\n  ", broken));
        }

        [Fact]
        public void The_pages_are_found()
        {
            Assert.Contains("README.md", Pages.All);
            Assert.Contains("docs/app.md", Pages.All);
            Assert.True(Pages.All.Count > 10, string.Join(", ", Pages.All));
        }
    }
}
