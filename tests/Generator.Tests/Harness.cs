using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace GenSoftmax.Generator.Tests
{
    /// <summary>Builds compilations the way the SDK would, runs the generator on them, and loads what they produce.</summary>
    internal static class Harness
    {
        public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.Latest);

        /// <summary>net10.0 reference assemblies plus the GenSoftmax runtime, as a project with one PackageReference sees them.</summary>
        public static readonly ImmutableArray<MetadataReference> References = Net100.References.All
            .Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(ISoftmaxModel).Assembly.Location))
            .ToImmutableArray();

        /// <summary>What a new project has: nullable on, every warning wave, and (like TreatWarningsAsErrors) every warning an error.</summary>
        public static readonly CSharpCompilationOptions Options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            warningLevel: 9999,
            generalDiagnosticOption: ReportDiagnostic.Error,
            deterministic: true);

        public static SyntaxTree Parse(string source, string path = "Model.cs", CSharpParseOptions? options = null) =>
            CSharpSyntaxTree.ParseText(source, options ?? ParseOptions, path, Encoding.UTF8);

        public static CSharpCompilation Compilation(params string[] sources) =>
            Compilation("Tests", sources.Select((s, i) => Parse(s, $"Model{i}.cs")));

        public static CSharpCompilation Compilation(string assemblyName, IEnumerable<SyntaxTree> trees, IEnumerable<MetadataReference>? extra = null) =>
            CSharpCompilation.Create(assemblyName, trees, References.AddRange(extra ?? Array.Empty<MetadataReference>()), Options);

        /// <summary>A driver that parses what it generates with <paramref name="options"/>, as the SDK uses the project's own.</summary>
        public static GeneratorDriver Driver(CSharpParseOptions? options = null) => CSharpGeneratorDriver.Create(
            new[] { new SoftmaxGenerator().AsSourceGenerator() },
            parseOptions: options ?? ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

        /// <summary>Runs the generator once; returns the driver (for a second run), the compilation with the generated files, and the generator's diagnostics.</summary>
        public static (GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(Compilation compilation)
        {
            // The generated files get the parse options of the user's files, as in a build.
            var options = compilation.SyntaxTrees.FirstOrDefault()?.Options as CSharpParseOptions;
            GeneratorDriver driver = Driver(options).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            return (driver, output, diagnostics);
        }

        public static (GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(params string[] sources) =>
            Run(Compilation(sources));

        /// <summary>The generated files of the driver's last run, by hint name.</summary>
        public static IReadOnlyDictionary<string, string> Generated(GeneratorDriver driver) =>
            driver.GetRunResult().Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());

        /// <summary>Every error and warning of the final compilation (generator diagnostics included), or none.</summary>
        public static ImmutableArray<Diagnostic> Problems(Compilation output, ImmutableArray<Diagnostic> generatorDiagnostics) =>
            generatorDiagnostics.Concat(output.GetDiagnostics())
                .Where(d => d.Severity >= DiagnosticSeverity.Warning)
                .ToImmutableArray();

        /// <summary>Emits <paramref name="compilation"/> into <paramref name="context"/>; a failure shows the diagnostics and the generated sources with line numbers.</summary>
        public static Assembly Load(Compilation compilation, AssemblyLoadContext context, IEnumerable<Diagnostic>? generatorDiagnostics = null)
        {
            using var pe = new MemoryStream();
            Microsoft.CodeAnalysis.Emit.EmitResult result = compilation.Emit(pe);
            ImmutableArray<Diagnostic> problems = Problems(compilation, (generatorDiagnostics ?? Array.Empty<Diagnostic>()).ToImmutableArray());
            if (!result.Success || !problems.IsEmpty)
            {
                throw new InvalidOperationException(Describe(compilation, result.Diagnostics.Concat(problems)));
            }

            pe.Position = 0;
            return context.LoadFromStream(pe);
        }

        /// <summary>The diagnostics, then every source of the compilation with line numbers.</summary>
        public static string Describe(Compilation compilation, IEnumerable<Diagnostic> diagnostics)
        {
            var sb = new StringBuilder();
            foreach (Diagnostic d in diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Distinct().Take(50))
            {
                sb.AppendLine(d.ToString());
            }

            foreach (SyntaxTree tree in compilation.SyntaxTrees)
            {
                sb.AppendLine().AppendLine($"==== {tree.FilePath}");
                string[] lines = tree.GetText().ToString().Split('\n');
                for (int i = 0; i < lines.Length; i++)
                {
                    sb.Append((i + 1).ToString().PadLeft(5)).Append(": ").AppendLine(lines[i].TrimEnd('\r'));
                }
            }

            return sb.ToString();
        }

        /// <summary>
        /// The span of the <paramref name="occurrence"/>-th <paramref name="marker"/> in <paramref name="source"/>, or of
        /// <paramref name="inner"/> inside that marker ("int Isa;", "Isa") when the bare name occurs earlier too.
        /// </summary>
        public static Microsoft.CodeAnalysis.Text.TextSpan SpanOf(string source, string marker, int occurrence = 1, string? inner = null)
        {
            int at = -1;
            for (int i = 0; i < occurrence; i++)
            {
                at = source.IndexOf(marker, at + 1, StringComparison.Ordinal);
                Assert.True(at >= 0, $"'{marker}' (occurrence {occurrence}) is not in the source");
            }

            if (inner is null)
            {
                return new Microsoft.CodeAnalysis.Text.TextSpan(at, marker.Length);
            }

            int offset = marker.IndexOf(inner, StringComparison.Ordinal);
            Assert.True(offset >= 0, $"'{inner}' is not in '{marker}'");
            return new Microsoft.CodeAnalysis.Text.TextSpan(at + offset, inner.Length);
        }

        /// <summary>A collectible context that loads the runtime (and everything else) from the default context, so ISoftmaxModel is one type.</summary>
        public sealed class CollectibleContext : AssemblyLoadContext
        {
            public CollectibleContext()
                : base("GenSoftmax.Generator.Tests", isCollectible: true)
            {
            }

            protected override Assembly? Load(AssemblyName assemblyName) => null;
        }
    }
}
