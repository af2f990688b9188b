using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace GenSoftmax.Generator.Tests
{
    /// <summary>
    /// Every declaration the generator cannot honour gets exactly one GSM error on the offending syntax, no source,
    /// and no compiler errors besides (no CS0535 or CS0102 from a half-generated class).
    /// </summary>
    public sealed class DiagnosticTests
    {
        /// <summary>Runs the generator and checks the one diagnostic: ID, severity, exact span, and that nothing was generated.</summary>
        private static Diagnostic AssertOnly(string source, string id, string marker, int occurrence = 1, string? inner = null) =>
            AssertOnly(Harness.Compilation(source), source, id, marker, occurrence, inner);

        private static Diagnostic AssertOnly(Compilation compilation, string source, string id, string marker, int occurrence = 1, string? inner = null)
        {
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run(compilation);

            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal(id, d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Equal("GenSoftmax", d.Descriptor.Category);
            Assert.True(d.Location.IsInSource);
            Assert.Equal(Harness.SpanOf(source, marker, occurrence, inner), d.Location.SourceSpan);
            Assert.Empty(Harness.Generated(driver));

            // Our error is the only one: nothing half-generated for the compiler to trip over.
            Assert.Empty(CompilerErrors(output));
            return d;
        }

        /// <summary>Errors proper, not warnings that the test options turn into errors (an unused field is the user's business).</summary>
        internal static IEnumerable<Diagnostic> CompilerErrors(Compilation output) =>
            output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && !d.IsWarningAsError);

        [Fact]
        public void GSM0001_class_not_partial()
        {
            Diagnostic d = AssertOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public class Flower;
                """, "GSM0001", "Flower");
            Assert.Equal("'Flower' must be declared partial: add the 'partial' modifier to it and to every enclosing type", d.GetMessage());
        }

        [Fact]
        public void GSM0001_enclosing_type_not_partial_points_at_that_type()
        {
            Diagnostic d = AssertOnly("""
                using GenSoftmax;
                namespace Garden
                {
                    public partial class Outer
                    {
                        public class Middle
                        {
                            [SoftmaxModel(Inputs = 4, Classes = 3)]
                            public partial class Flower;
                        }
                    }
                }
                """, "GSM0001", "Middle");
            Assert.StartsWith("'Middle' must be declared partial", d.GetMessage());
        }

        [Theory]
        [InlineData("Inputs = 0")]
        [InlineData("Inputs = -3")]
        [InlineData("Inputs = 1048577")]
        public void GSM0002_inputs_out_of_range(string argument)
        {
            Diagnostic d = AssertOnly($$"""
                using GenSoftmax;
                [SoftmaxModel({{argument}}, Classes = 3)]
                public partial class Flower;
                """, "GSM0002", argument);
            Assert.EndsWith("is out of range: a model takes between 1 and 1048576 inputs", d.GetMessage());
        }

        [Theory]
        [InlineData("Classes = 1")]
        [InlineData("Classes = 1025")]
        public void GSM0003_classes_out_of_range(string argument)
        {
            Diagnostic d = AssertOnly($$"""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, {{argument}})]
                public partial class Flower;
                """, "GSM0003", argument);
            Assert.Contains("between 2 and 1024 classes", d.GetMessage());
        }

        [Theory]
        [InlineData("SoftmaxModel", "Inputs and Classes")]
        [InlineData("SoftmaxModel()", "Inputs and Classes")]
        [InlineData("SoftmaxModel(Inputs = 4)", "Classes")]
        [InlineData("SoftmaxModel(Classes = 3)", "Inputs")]
        public void GSM0004_size_not_set(string attribute, string missing)
        {
            Diagnostic d = AssertOnly($$"""
                using GenSoftmax;
                [{{attribute}}]
                public partial class Flower;
                """, "GSM0004", attribute);
            Assert.EndsWith("missing: " + missing, d.GetMessage());
        }

        [Fact]
        public void GSM0005_generic_class()
        {
            AssertOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public partial class Flower<T>;
                """, "GSM0005", "Flower");
        }

        [Fact]
        public void GSM0005_nested_in_generic_class()
        {
            AssertOnly("""
                using GenSoftmax;
                public partial class Outer<T>
                {
                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    public partial class Flower;
                }
                """, "GSM0005", "Flower");
        }

        public static IEnumerable<object[]> EmittedMemberNames() =>
            SoftmaxGenerator.Parser.EmittedMembers.OrderBy(n => n, System.StringComparer.Ordinal).Select(n => new object[] { n });

        [Theory]
        [MemberData(nameof(EmittedMemberNames))]
        public void GSM0006_member_named_like_a_generated_member(string name)
        {
            Diagnostic d = AssertOnly($$"""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public partial class Flower
                {
                    public int {{name}};
                }
                """, "GSM0006", "int " + name + ";", inner: name);
            Assert.Equal($"'Flower' declares '{name}', which the generator emits for the model: rename or remove it", d.GetMessage());
        }

        [Fact]
        public void Reserved_names_are_the_generated_public_API_and_the_private_engine_and_kernels()
        {
            // The model class holds only what the user calls (ISoftmaxModel and the two constants) plus one private field
            // and one private struct; the kernels live in file-local classes, so their names are not reserved.
            string[] expected =
            {
                "_engine", "Bias", "ClassCount", "Classes", "Forward", "Gate", "GenSoftmaxKernels", "InputCount", "Inputs", "Isa", "Loss",
                "LossAndGradient", "Parameters", "Predict", "Probabilities", "Weights",
            };
            Assert.Equal(expected.OrderBy(n => n, System.StringComparer.Ordinal), SoftmaxGenerator.Parser.EmittedMembers.OrderBy(n => n, System.StringComparer.Ordinal));
        }

        [Fact]
        public void GSM0006_method_and_nested_type_on_another_part()
        {
            const string Source = """
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public partial class Flower;

                public partial class Flower
                {
                    public int Predict(string text) => text.Length;
                }
                """;
            AssertOnly(Source, "GSM0006", "Predict");
        }

        [Fact]
        public void GSM0006_positional_record_parameter()
        {
            AssertOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public partial record Flower(string Bias);
                """, "GSM0006", "Bias");
        }

        [Fact]
        public void GSM0007_static_class()
        {
            Diagnostic d = AssertOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public static partial class Flower;
                """, "GSM0007", "Flower");
            Assert.Equal("'Flower' is a static class: remove the 'static' modifier, since each instance of a model holds its own weights", d.GetMessage());
        }

        [Fact]
        public void GSM0008_too_many_weights()
        {
            Diagnostic d = AssertOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 1048576, Classes = 1024)]
                public partial class Flower;
                """, "GSM0008", "SoftmaxModel(Inputs = 1048576, Classes = 1024)");
            Assert.Equal("'Flower' would have 1073741824 weights (Inputs x Classes), more than the 268435456 a model may hold: reduce Inputs or Classes", d.GetMessage());
        }

        /// <summary>
        /// One error per mistake: a size out of range gets its range error alone, never also GSM0008 for the product it
        /// implies (Inputs = 2,000,000 with Classes = 200 has 4e8 weights, over the limit, because Inputs is).
        /// </summary>
        [Theory]
        [InlineData(2_000_000, 200)]
        [InlineData(2_000_000, 5_000)]
        [InlineData(-5, 3)]
        [InlineData(0, 0)]
        [InlineData(int.MaxValue, int.MaxValue)]
        [InlineData(100, 100_000)]
        [InlineData(1_048_577, 1_024)]
        public void A_size_out_of_range_gets_its_range_error_and_no_size_error(int inputs, int classes)
        {
            string source = $$"""
                using GenSoftmax;
                [SoftmaxModel(Inputs = {{inputs}}, Classes = {{classes}})]
                public partial class Flower;
                """;
            (_, _, ImmutableArray<Diagnostic> diagnostics) = Harness.Run(Harness.Compilation(source));
            Assert.NotEmpty(diagnostics);
            Assert.DoesNotContain(diagnostics, d => d.Id == "GSM0008");
            bool inputsBad = inputs < 1 || inputs > 1 << 20, classesBad = classes < 2 || classes > 1024;
            Assert.Equal((inputsBad ? 1 : 0) + (classesBad ? 1 : 0), diagnostics.Length);
        }

        [Fact]
        public void GSM0009_file_local_class()
        {
            AssertOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                file partial class Flower;
                """, "GSM0009", "Flower");
        }

        [Fact]
        public void GSM0009_nested_in_file_local_class()
        {
            AssertOnly("""
                using GenSoftmax;
                file partial class Garden
                {
                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    public partial class Flower;
                }
                """, "GSM0009", "Garden");
        }

        [Fact]
        public void GSM0010_class_named_like_a_generated_member()
        {
            AssertOnly("""
                using GenSoftmax;
                namespace Garden
                {
                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    public partial class Forward;
                }
                """, "GSM0010", "Forward");
        }

        [Fact]
        public void GSM0011_base_class_member_would_be_hidden()
        {
            // Without the check: CS0108 ("Flower.Inputs hides inherited member Plant.Inputs") in the generated file.
            Diagnostic d = AssertOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public partial class Flower : Plant;

                public class Plant
                {
                    public int Inputs { get; set; }
                }
                """, "GSM0011", "Plant");
            Assert.Equal("'Flower' inherits 'Inputs' from 'Plant', and the generator emits a member of that name into the model: derive 'Flower' from a class without that member, or rename it there", d.GetMessage());
        }

        [Theory]
        [InlineData("protected virtual void Predict() { }", "Predict")]
        [InlineData("protected readonly object? _engine;", "_engine")]
        [InlineData("protected class GenSoftmaxKernels { }", "GenSoftmaxKernels")]
        [InlineData("public const int InputCount = 1;", "InputCount")]
        public void GSM0011_every_accessible_member_named_like_a_generated_one(string member, string name)
        {
            // Name-based on purpose: a base method with other parameters would only be an overload, but the same name
            // on a field, property, constant or type would be hidden, and an overload of Predict beside the model's is
            // more confusing than helpful. The private _engine and GenSoftmaxKernels clash with protected ones too.
            Diagnostic d = AssertOnly($$"""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public partial class Flower : Plant;

                public class Plant
                {
                    {{member}}
                }
                """, "GSM0011", "Plant");
            Assert.StartsWith($"'Flower' inherits '{name}' from 'Plant'", d.GetMessage());
        }

        [Fact]
        public void GSM0011_base_members_named_like_the_old_kernels_do_not_clash()
        {
            // Softmax, LossRows, TrainStep, ForwardAvx512 ... were model members before the kernels moved to file-local
            // classes; a base class may declare them now.
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public partial class Flower : Plant;

                public class Plant
                {
                    public virtual float Softmax(float x) => x;
                    protected static int LossRows() => 0;
                    public float TrainStep(float rate) => rate;
                    public void ForwardAvx512() { }
                    protected int Logits, Gradient, ClassStride;
                    public const string ModelKernels = "mine";
                }
                """);
            Assert.Empty(diagnostics);
            Assert.Single(Harness.Generated(driver));
            Assert.Empty(Harness.Problems(output, diagnostics));
        }

        [Fact]
        public void GSM0011_private_base_members_do_not_clash()
        {
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public partial class Flower : Plant;

                public class Plant
                {
                    private readonly float[] _weights = new float[1];
                    public float First => _weights[0];
                }
                """);
            Assert.Empty(diagnostics);
            Assert.Single(Harness.Generated(driver));
            Assert.Empty(Harness.Problems(output, diagnostics));
        }

        [Fact]
        public void GSM0012_model_derived_from_a_model()
        {
            const string Source = """
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public partial class Flower : Plant;

                [SoftmaxModel(Inputs = 4, Classes = 2)]
                public partial class Plant;
                """;
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run(Source);
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal("GSM0012", d.Id);
            Assert.Equal(Harness.SpanOf(Source, "Plant"), d.Location.SourceSpan);
            Assert.Equal("'Flower' derives from 'Plant', which is a [SoftmaxModel] too, so the two would declare the same members: derive 'Flower' from a class that is not a model", d.GetMessage());

            // The base model is fine and generated; the derived one is not.
            Assert.Equal(new[] { "Plant.g.cs" }, Harness.Generated(driver).Keys);
            Assert.Empty(CompilerErrors(output));
        }

        [Theory]
        [InlineData(LanguageVersion.CSharp10, "10.0")]
        [InlineData(LanguageVersion.CSharp8, "8.0")]
        public void GSM0013_language_version_before_CSharp_11(LanguageVersion version, string shown)
        {
            // C# 10 has no 'file' types and no static abstract interface members, both of which the kernels need.
            const string Source = """
                using GenSoftmax;
                namespace Garden
                {
                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    public partial class Flower { }
                }
                """;
            Compilation compilation = Harness.Compilation("Tests", new[] { Harness.Parse(Source, options: new CSharpParseOptions(version)) });
            Diagnostic d = AssertOnly(compilation, Source, "GSM0013", "Flower");
            Assert.Equal(
                $"'Flower' needs C# 11 or newer for its generated kernels, and the project uses C# {shown}: set <LangVersion> to 11 or later (the .NET 7+ SDK default)",
                d.GetMessage());
        }

        [Fact]
        public void GSM0013_is_reported_with_the_models_other_mistakes()
        {
            const string Source = """
                using GenSoftmax;
                [SoftmaxModel(Inputs = 0, Classes = 3)]
                public partial class Flower { }
                """;
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run(
                Harness.Compilation("Tests", new[] { Harness.Parse(Source, options: new CSharpParseOptions(LanguageVersion.CSharp10)) }));
            Assert.Equal(new[] { "GSM0002", "GSM0013" }, diagnostics.Select(d => d.Id).OrderBy(i => i));
            Assert.Empty(Harness.Generated(driver));
            Assert.Empty(CompilerErrors(output));
        }

        [Fact]
        public void Several_mistakes_on_one_model_are_each_reported_once()
        {
            const string Source = """
                using GenSoftmax;
                [SoftmaxModel(Inputs = 0, Classes = 3)]
                public class Flower<T>
                {
                    public int Isa;
                }
                """;
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run(Source);
            Assert.Equal(new[] { "GSM0001", "GSM0002", "GSM0005", "GSM0006" }, diagnostics.Select(d => d.Id).OrderBy(i => i));
            Assert.Empty(Harness.Generated(driver));
            Assert.Empty(CompilerErrors(output));
        }

        [Fact]
        public void A_bad_model_does_not_stop_a_good_one()
        {
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run("""
                using GenSoftmax;
                namespace Garden
                {
                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    public class Bad;

                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    public partial class Good;
                }
                """);
            Assert.Equal("GSM0001", Assert.Single(diagnostics).Id);
            Assert.Equal(new[] { "Garden.Good.g.cs" }, Harness.Generated(driver).Keys);
            Assert.Empty(CompilerErrors(output));
        }

        // ---- Mistakes the compiler reports itself: the user sees that one error, and the generator adds none. ----

        /// <summary>Checks that the compiler's error is the only error and nothing is generated.</summary>
        private static void AssertCompilerOnly(string source, string compilerId, string marker)
        {
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run(source);
            Assert.Empty(diagnostics);
            Assert.Empty(Harness.Generated(driver));
            Diagnostic d = Assert.Single(CompilerErrors(output));
            Assert.Equal(compilerId, d.Id);
            Assert.Equal(Harness.SpanOf(source, marker), d.Location.SourceSpan);
        }

        [Theory]
        [InlineData("partial struct")]
        [InlineData("partial record struct")]
        [InlineData("readonly partial struct")]
        [InlineData("partial interface")]
        public void Struct_or_interface_gets_the_compilers_CS0592_only(string kind)
        {
            // AttributeUsage(Class) already rejects these with "only valid on 'class' declarations"; a second error
            // from the generator would say the same thing again.
            AssertCompilerOnly($$"""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public {{kind}} Flower;
                """, "CS0592", "SoftmaxModel");
        }

        [Fact]
        public void Enum_gets_the_compilers_CS0592_only()
        {
            AssertCompilerOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public enum Flower { Rose }
                """, "CS0592", "SoftmaxModel");
        }

        [Fact]
        public void Non_constant_size_gets_the_compilers_CS0182_only()
        {
            // Without the check this was CS0182 plus GSM0004 "missing: Inputs": two errors for one mistake.
            AssertCompilerOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = Sizes.Inputs, Classes = 3)]
                public partial class Flower;

                public static class Sizes
                {
                    public static readonly int Inputs = 4;
                }
                """, "CS0182", "Sizes.Inputs");
        }

        [Fact]
        public void Positional_sizes_get_the_compilers_CS1729_only()
        {
            AssertCompilerOnly("""
                using GenSoftmax;
                [SoftmaxModel(4, 3)]
                public partial class Flower;
                """, "CS1729", "SoftmaxModel(4, 3)");
        }

        [Fact]
        public void Size_of_the_wrong_type_gets_the_compilers_CS0266_only()
        {
            AssertCompilerOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4.5, Classes = 3)]
                public partial class Flower;
                """, "CS0266", "4.5");
        }

        [Fact]
        public void Size_given_twice_gets_the_compilers_CS0643_only()
        {
            AssertCompilerOnly("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3, Inputs = 5)]
                public partial class Flower;
                """, "CS0643", "Inputs = 5");
        }

        [Fact]
        public void Contradicting_attributes_on_two_parts_get_CS0579_and_the_first_part_is_generated()
        {
            // Two parts, two shapes: the compiler rejects the second attribute; the generator emits the first part's
            // model once (it used to emit both under one hint name and crash, dropping every model of the project).
            const string Source = """
                using GenSoftmax;
                [SoftmaxModel(Inputs = 4, Classes = 3)]
                public partial class Flower;

                [SoftmaxModel(Inputs = 5, Classes = 3)]
                public partial class Flower;
                """;
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run(Source);
            Assert.Empty(diagnostics);
            Assert.Null(driver.GetRunResult().Results.Single().Exception);
            string generated = Assert.Single(Harness.Generated(driver)).Value;
            Assert.Contains("public const int InputCount = 4;", generated);
            Diagnostic d = Assert.Single(CompilerErrors(output));
            Assert.Equal("CS0579", d.Id);
            Assert.Equal(Harness.SpanOf(Source, "SoftmaxModel", 2), d.Location.SourceSpan);
        }

        /// <summary>
        /// A size out of range is one mistake and gets one error: never GSM0008 (or a hypercomplex error) about the
        /// product of sizes one of which is already wrong. Declarations of every kind of wrong size, not only the ones
        /// other tests use: negative, zero, just past a limit, huge, and both sizes wrong at once.
        /// </summary>
        [Theory]
        [InlineData("Inputs = -1, Classes = 10", "GSM0002")]
        [InlineData("Inputs = 0, Classes = 1024", "GSM0002")]
        [InlineData("Inputs = 2000000, Classes = 200", "GSM0002")]
        [InlineData("Inputs = 1048577, Classes = 1024", "GSM0002")]
        [InlineData("Inputs = 2147483647, Classes = 2147483647", "GSM0002", "GSM0003")]
        [InlineData("Inputs = 1048576, Classes = 1025", "GSM0003")]
        [InlineData("Inputs = 1048576, Classes = -2147483648", "GSM0003")]
        [InlineData("Inputs = 300000, Classes = 0", "GSM0003")]
        [InlineData("Inputs = -5, Classes = -5", "GSM0002", "GSM0003")]
        [InlineData("Inputs = 2000000, Classes = 200, Hypercomplex = 2", "GSM0002")]
        [InlineData("Inputs = 1048576, Classes = 5000, Hypercomplex = 3", "GSM0003")]
        public void A_size_out_of_range_gets_its_range_error_and_nothing_about_the_product(string arguments, params string[] expected)
        {
            string source = $$"""
                using GenSoftmax;
                [SoftmaxModel({{arguments}})]
                public partial class Flower;
                """;
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run(source);
            Assert.Equal(expected, diagnostics.Select(d => d.Id).OrderBy(i => i, System.StringComparer.Ordinal));
            Assert.Empty(Harness.Generated(driver));
            Assert.Empty(CompilerErrors(output));
        }

        /// <summary>Sizes each in range whose product is too large still get GSM0008, once.</summary>
        [Theory]
        [InlineData("Inputs = 1048576, Classes = 257")]
        [InlineData("Inputs = 262145, Classes = 1024")]
        [InlineData("Inputs = 1048576, Classes = 1024, Hypercomplex = 2")]
        public void Sizes_in_range_with_too_many_weights_get_GSM0008_alone(string arguments)
        {
            (GeneratorDriver driver, _, ImmutableArray<Diagnostic> diagnostics) = Harness.Run($$"""
                using GenSoftmax;
                [SoftmaxModel({{arguments}})]
                public partial class Flower;
                """);
            Assert.Equal("GSM0008", Assert.Single(diagnostics).Id);
            Assert.Empty(Harness.Generated(driver));
        }

        /// <summary>
        /// Every help link is docs/generator.md on the repository, at the section of its ID: the page has a heading
        /// whose GitHub anchor (lower case, spaces to hyphens, other punctuation dropped) is the link's fragment.
        /// </summary>
        [Fact]
        public void Every_help_link_points_at_its_section_of_docs_generator_md()
        {
            string page = System.IO.File.ReadAllText(System.IO.Path.Combine(Baselines.RepoRoot, "docs", "generator.md"));
            HashSet<string> anchors = page.Split('\n')
                .Where(line => line.StartsWith('#'))
                .Select(line => GitHubAnchor(line.TrimStart('#').Trim()))
                .ToHashSet(System.StringComparer.Ordinal);
            DiagnosticDescriptor[] descriptors = typeof(Descriptors)
                .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
                .ToArray();
            Assert.Equal(16, descriptors.Length);
            foreach (DiagnosticDescriptor d in descriptors)
            {
                Assert.Equal("https://github.com/gensoftmax/gensoftmax/blob/main/docs/generator.md#" + d.Id.ToLowerInvariant(), d.HelpLinkUri);
                Assert.True(anchors.Contains(d.Id.ToLowerInvariant()), $"docs/generator.md has no heading '## {d.Id}' for {d.HelpLinkUri}");
            }
        }

        private static string GitHubAnchor(string heading)
        {
            var anchor = new System.Text.StringBuilder();
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

        [Fact]
        public void Every_descriptor_is_an_error_in_the_GenSoftmax_category_with_a_help_link()
        {
            var descriptors = typeof(Descriptors)
                .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
                .OrderBy(d => d.Id, System.StringComparer.Ordinal)
                .ToArray();

            // IDs run GSM0001, GSM0002, ... without gaps; each is listed in AnalyzerReleases.Unshipped.md.
            Assert.Equal(Enumerable.Range(1, descriptors.Length).Select(i => $"GSM{i:D4}"), descriptors.Select(d => d.Id));
            string releases = System.IO.File.ReadAllText(System.IO.Path.Combine(Baselines.RepoRoot, "src", "Generator", "AnalyzerReleases.Unshipped.md"));
            foreach (DiagnosticDescriptor d in descriptors)
            {
                Assert.Equal(DiagnosticSeverity.Error, d.DefaultSeverity);
                Assert.Equal("GenSoftmax", d.Category);
                Assert.EndsWith("#" + d.Id.ToLowerInvariant(), d.HelpLinkUri);
                Assert.Contains($"{d.Id} | GenSoftmax | Error |", releases);
                Assert.Contains(":", d.MessageFormat.ToString()); // "what is wrong: what to change"
            }
        }
    }
}
