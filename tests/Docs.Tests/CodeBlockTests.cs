using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Basic.Reference.Assemblies;
using GenSoftmax.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace GenSoftmax.Docs.Tests
{
    /// <summary>
    /// Every ```csharp block of README.md and docs/ compiles on its own, as the Program.cs of a default console app (or a
    /// library file when it has no top-level statements) referencing the three packages, with the generator run on it.
    /// Two markers on the line before a block change that: <c>&lt;!-- fragment --&gt;</c> skips it (keep those few), and
    /// <c>&lt;!-- error GSM0001 --&gt;</c> requires the generator to report that error for it.
    /// </summary>
    public sealed class CodeBlockTests
    {
        /// <summary>What a project made by `dotnet new console` imports implicitly.</summary>
        private const string ImplicitUsings = """
            global using global::System;
            global using global::System.Collections.Generic;
            global using global::System.IO;
            global using global::System.Linq;
            global using global::System.Net.Http;
            global using global::System.Threading;
            global using global::System.Threading.Tasks;
            """;

        private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

        /// <summary>net10.0's reference assemblies plus the packages' assemblies and their dependencies from bin/.</summary>
        private static readonly ImmutableArray<MetadataReference> References = BuildReferences();

        public static IEnumerable<object[]> CSharpBlocks() => Pages.All
            .SelectMany(Pages.Blocks)
            .Where(b => b.Language is "csharp" or "cs" or "c#")
            .Select(b => new object[] { b });

        [Theory]
        [MemberData(nameof(CSharpBlocks))]
        public void Compiles(CodeBlock block)
        {
            if (IsFragment(block))
            {
                return;
            }

            Match expected = Regex.Match(block.Marker ?? "", @"^<!-- error (GSM\d{4}) -->$");
            Assert.True(block.Marker is null || expected.Success || !block.Marker.StartsWith("<!-- error", StringComparison.Ordinal),
                $"{block}: malformed marker {block.Marker} (use <!-- error GSMnnnn -->)");

            SyntaxTree code = CSharpSyntaxTree.ParseText(block.Code, ParseOptions, "Program.cs", Encoding.UTF8);
            bool program = code.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any();
            var compilation = CSharpCompilation.Create(
                "DocBlock",
                [code, CSharpSyntaxTree.ParseText(ImplicitUsings, ParseOptions, "GlobalUsings.g.cs", Encoding.UTF8)],
                References,
                new CSharpCompilationOptions(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            GeneratorDriver driver = CSharpGeneratorDriver.Create([new SoftmaxGenerator().AsSourceGenerator()], parseOptions: ParseOptions);
            driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);

            if (expected.Success)
            {
                string id = expected.Groups[1].Value;
                Assert.True(generatorDiagnostics.Any(d => d.Id == id), $"{block}: expected the generator to report {id}; it reported: "
                    + string.Join("; ", generatorDiagnostics.Select(d => d.ToString())) + "\n" + Numbered(block.Code));
                return;
            }

            Diagnostic[] problems = generatorDiagnostics
                .Concat(output.GetDiagnostics())
                .Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.WarningLevel <= 4))
                .ToArray();
            Assert.True(problems.Length == 0, $"{block} does not compile cleanly:\n  "
                + string.Join("\n  ", problems.Select(d => d.ToString())) + "\n" + Numbered(block.Code));
        }

        [Fact]
        public void The_blocks_are_found_and_few_are_skipped()
        {
            CodeBlock[] blocks = CSharpBlocks().Select(b => (CodeBlock)b[0]).ToArray();
            Assert.True(blocks.Length >= 20, $"only {blocks.Length} C# blocks found");
            CodeBlock[] skipped = blocks.Where(IsFragment).ToArray();
            Assert.True(skipped.Length <= 6, "more than 6 fragments: " + string.Join(", ", skipped.Select(b => b.ToString())));
        }

        /// <summary><c>&lt;!-- fragment --&gt;</c>, or with the reason: <c>&lt;!-- fragment: needs embeddings.csv --&gt;</c>.</summary>
        private static bool IsFragment(CodeBlock block) => block.Marker?.StartsWith("<!-- fragment", StringComparison.Ordinal) == true;

        private static string Numbered(string code) =>
            string.Join("\n", code.Split('\n').Select((line, i) => $"{i + 1,4}  {line}"));

        private static ImmutableArray<MetadataReference> BuildReferences()
        {
            var names = new HashSet<string>(Net100.References.All.Select(r => Path.GetFileName(r.FilePath ?? "")), StringComparer.OrdinalIgnoreCase);
            string[] packages = ["GenSoftmax.dll", "GenSoftmax.Data.dll", "GenSoftmax.Onnx.dll", "Sep.dll", "OnnxSharp.dll", "Google.Protobuf.dll",
                "System.IO.Hashing.dll", "System.Numerics.Tensors.dll"];
            return Net100.References.All.Cast<MetadataReference>()
                .Concat(packages
                    .Select(p => Path.Combine(AppContext.BaseDirectory, p))
                    .Where(p => File.Exists(p) && (p.Contains("GenSoftmax", StringComparison.Ordinal) || !names.Contains(Path.GetFileName(p))))
                    .Select(p => MetadataReference.CreateFromFile(p)))
                .ToImmutableArray();
        }
    }
}
