using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace GenSoftmax.Docs.Tests
{
    /// <summary>One fenced code block of a page: where it is, its language, the HTML comment just above it, its text.</summary>
    public sealed record CodeBlock(string Page, int Line, string Language, string? Marker, string Code)
    {
        public override string ToString() => $"{Page}:{Line}";
    }

    /// <summary>The user documentation: README.md and docs/*.md, read from the repository.</summary>
    internal static class Pages
    {
        public static readonly string RepoRoot = Path.GetFullPath(Metadata("RepoRoot"));

        public static string AppAssembly => Path.GetFullPath(Metadata("AppAssembly").Replace('\\', Path.DirectorySeparatorChar));

        /// <summary>README.md and every page under docs/, as paths relative to the repository root.</summary>
        public static IReadOnlyList<string> All { get; } = new[] { "README.md" }
            .Concat(Directory.EnumerateFiles(Path.Combine(RepoRoot, "docs"), "*.md", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(RepoRoot, p).Replace('\\', '/'))
                .Order(StringComparer.Ordinal))
            .ToArray();

        public static string Read(string page) => File.ReadAllText(Path.Combine(RepoRoot, page));

        /// <summary>The fenced blocks of a page (``` or ~~~ fences), with the HTML comment on the line before each, if any.</summary>
        public static IEnumerable<CodeBlock> Blocks(string page)
        {
            string[] lines = Read(page).Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i].TrimEnd('\r');
                if (!line.StartsWith("```", StringComparison.Ordinal))
                {
                    continue;
                }

                string language = line[3..].Trim();
                string? marker = i > 0 && lines[i - 1].TrimStart().StartsWith("<!--", StringComparison.Ordinal) ? lines[i - 1].Trim() : null;
                var code = new StringBuilder();
                int start = i + 1;
                for (i++; i < lines.Length && !lines[i].TrimEnd('\r').StartsWith("```", StringComparison.Ordinal); i++)
                {
                    code.Append(lines[i].TrimEnd('\r')).Append('\n');
                }

                yield return new CodeBlock(page, start, language, marker, code.ToString());
            }
        }

        /// <summary>A page's text outside fenced blocks (links in code are code, not links).</summary>
        public static string Prose(string page)
        {
            var prose = new StringBuilder();
            bool inside = false;
            foreach (string line in Read(page).Split('\n'))
            {
                if (line.StartsWith("```", StringComparison.Ordinal))
                {
                    inside = !inside;
                    continue;
                }

                if (!inside)
                {
                    prose.Append(line).Append('\n');
                }
            }

            return prose.ToString();
        }

        /// <summary>The anchors GitHub gives a page's headings: lower case, spaces to hyphens, other punctuation dropped, -1, -2 for repeats.</summary>
        public static HashSet<string> Anchors(string page)
        {
            var anchors = new HashSet<string>(StringComparer.Ordinal);
            foreach (string line in Prose(page).Split('\n'))
            {
                Match m = Regex.Match(line, @"^#{1,6}\s+(.*?)\s*#*\s*$");
                if (!m.Success)
                {
                    continue;
                }

                string anchor = Anchor(m.Groups[1].Value);
                string unique = anchor;
                for (int n = 1; !anchors.Add(unique); n++)
                {
                    unique = $"{anchor}-{n}";
                }
            }

            return anchors;
        }

        public static string Anchor(string heading)
        {
            var anchor = new StringBuilder();
            foreach (char c in heading.Trim().ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    anchor.Append(c);
                }
                else if (c == ' ')
                {
                    anchor.Append('-');
                }
            }

            return anchor.ToString();
        }

        private static string Metadata(string key) => typeof(Pages).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
    }
}
