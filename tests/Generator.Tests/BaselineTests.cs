using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Xunit;

namespace GenSoftmax.Generator.Tests
{
    /// <summary>Where the test sources live, and the baselines beside them.</summary>
    internal static class Baselines
    {
        /// <summary>tests/Generator.Tests, as MSBuild saw it when the tests were built.</summary>
        public static readonly string TestsDirectory = typeof(Baselines).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "TestsDirectory").Value!;

        public static readonly string Directory = Path.Combine(TestsDirectory, "Baselines");

        public static readonly string RepoRoot = Path.GetFullPath(Path.Combine(TestsDirectory, "..", ".."));

        /// <summary>GENSOFTMAX_UPDATE_BASELINES=1 rewrites the baselines instead of comparing against them.</summary>
        public static bool Update => Environment.GetEnvironmentVariable("GENSOFTMAX_UPDATE_BASELINES") == "1";

        public const string VersionPlaceholder = "{GENERATOR_VERSION}";
    }

    /// <summary>
    /// Two generated files compared as text: one tidy shape (16 inputs = whole vectors of every width, 3 classes) and one
    /// with tails everywhere (17 inputs, 10 classes). They catch readability regressions; to accept an intended change:
    ///   GENSOFTMAX_UPDATE_BASELINES=1 dotnet test tests/Generator.Tests -c Release --filter BaselineTests
    /// and review the diff of tests/Generator.Tests/Baselines/ before committing it.
    /// </summary>
    public sealed class BaselineTests
    {
        [Theory]
        [InlineData("Tidy16x3", 16, 3)]
        [InlineData("Tails17x10", 17, 10)]
        public void Generated_source_matches_baseline(string name, int inputs, int classes)
        {
            string source = $$"""
                using GenSoftmax;

                namespace Contoso.Models;

                [SoftmaxModel(Inputs = {{inputs}}, Classes = {{classes}})]
                public sealed partial class {{name}};
                """;
            var (driver, _, diagnostics) = Harness.Run(source);
            Assert.Empty(diagnostics);
            string actual = Harness.Generated(driver)[$"Contoso.Models.{name}.g.cs"]
                .Replace(SoftmaxGenerator.Emitter.Version, Baselines.VersionPlaceholder, StringComparison.Ordinal);
            string path = Path.Combine(Baselines.Directory, $"Contoso.Models.{name}.g.cs.txt");

            if (Baselines.Update)
            {
                System.IO.Directory.CreateDirectory(Baselines.Directory);
                File.WriteAllText(path, actual);
                return;
            }

            Assert.True(File.Exists(path), $"No baseline at {path}: run with GENSOFTMAX_UPDATE_BASELINES=1 to create it.");
            string expected = File.ReadAllText(path).ReplaceLineEndings("\n");
            if (expected != actual)
            {
                Assert.Fail($"""
                    The generated source for {name} differs from {path}
                    {FirstDifference(expected, actual)}
                    If the change is intended: GENSOFTMAX_UPDATE_BASELINES=1 dotnet test tests/Generator.Tests -c Release --filter BaselineTests
                    and review the baseline diff before committing it.
                    """);
            }
        }

        /// <summary>The first differing line with two lines of context each side, numbered.</summary>
        private static string FirstDifference(string expected, string actual)
        {
            string[] e = expected.Split('\n');
            string[] a = actual.Split('\n');
            int line = 0;
            while (line < e.Length && line < a.Length && e[line] == a[line])
            {
                line++;
            }

            string Show(string[] lines, string label)
            {
                var from = Math.Max(0, line - 2);
                var to = Math.Min(lines.Length, line + 3);
                return $"  {label} ({lines.Length} lines):\n" + string.Join("\n", Enumerable.Range(from, to - from).Select(i => $"  {(i == line ? ">" : " ")}{i + 1,5}: {lines[i]}"));
            }

            return $"First difference at line {line + 1}.\n{Show(e, "baseline")}\n{Show(a, "generated")}";
        }
    }
}
