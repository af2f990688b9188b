using System;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using GenSoftmax.Generator.Model;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Training;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace GenSoftmax.Generator.Tests
{
    /// <summary>
    /// <c>Hypercomplex = n</c>: its three diagnostics (ID, span, message, nothing generated), the generated class
    /// (compiles clean, implements IHypercomplexModel, runs), its reserved member names, and its incremental behaviour.
    /// </summary>
    public sealed class HypercomplexTests
    {
        private static string Source(string arguments, string members = "") => $$"""
            using GenSoftmax;

            namespace Contoso.Models
            {
                [SoftmaxModel({{arguments}})]
                public sealed partial class Fashion
                {
                    {{members}}
                }
            }
            """;

        private static Diagnostic AssertOnly(string source, string id, string marker)
        {
            (GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics) = Harness.Run(source);
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal(id, d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Equal("GenSoftmax", d.Descriptor.Category);
            Assert.Equal(Descriptors.HelpBase + id.ToLowerInvariant(), d.Descriptor.HelpLinkUri);
            Assert.Equal(Harness.SpanOf(source, marker), d.Location.SourceSpan);
            Assert.Empty(Harness.Generated(driver));
            Assert.Empty(DiagnosticTests.CompilerErrors(output));
            return d;
        }

        [Theory]
        [InlineData(1)]
        [InlineData(-2)]
        public void GSM0014_fewer_than_two_factors(int n)
        {
            Diagnostic d = AssertOnly(Source($"Inputs = 784, Classes = 10, Hypercomplex = {n}"), "GSM0014", $"Hypercomplex = {n}");
            Assert.Equal(
                $"Hypercomplex = {n} is out of range: a hypercomplex layer has at least 2 factors, such as Hypercomplex = 2; leave it out (or 0) for the dense layer",
                d.GetMessage());
        }

        [Fact]
        public void GSM0015_factors_that_do_not_divide_both_sizes_name_the_ones_that_do()
        {
            Diagnostic d = AssertOnly(Source("Inputs = 784, Classes = 10, Hypercomplex = 7"), "GSM0015", "Hypercomplex = 7");
            Assert.Equal(
                "Hypercomplex = 7 must divide both Inputs = 784 and Classes = 10, since W is a sum of Kronecker products of 7 x 7 and " +
                "(Classes / 7) x (Inputs / 7) matrices: use Hypercomplex = 2",
                d.GetMessage());

            d = AssertOnly(Source("Inputs = 64, Classes = 16, Hypercomplex = 3"), "GSM0015", "Hypercomplex = 3");
            Assert.EndsWith(": use one of 2, 4, 8", d.GetMessage());

            d = AssertOnly(Source("Inputs = 5, Classes = 3, Hypercomplex = 2"), "GSM0015", "Hypercomplex = 2");
            Assert.EndsWith(": no count of factors does both for this shape, so leave Hypercomplex out", d.GetMessage());
        }

        [Fact]
        public void GSM0016_factors_no_fewer_than_the_dense_weights()
        {
            // 64 x 16 with n = 16: 16³ + 64 = 4160 factor weights for a W of 1024.
            Diagnostic d = AssertOnly(Source("Inputs = 64, Classes = 16, Hypercomplex = 16"), "GSM0016", "Hypercomplex = 16");
            Assert.Equal(
                "Hypercomplex = 16 gives 4160 factor weights (n³ + Inputs·Classes/n), not fewer than the 1024 weights of the dense layer it stands for: use one of 2, 4, 8",
                d.GetMessage());

            d = AssertOnly(Source("Inputs = 4, Classes = 4, Hypercomplex = 2"), "GSM0016", "Hypercomplex = 2");
            Assert.Contains("gives 16 factor weights", d.GetMessage());
            Assert.EndsWith(": no count of factors does both for this shape, so leave Hypercomplex out", d.GetMessage());
        }

        [Theory]
        [InlineData("Inputs = 0, Classes = 10, Hypercomplex = 2", "GSM0002", "Inputs = 0")]
        [InlineData("Inputs = 784, Classes = 1, Hypercomplex = 2", "GSM0003", "Classes = 1")]
        public void A_size_out_of_range_gets_its_own_error_and_no_second_about_the_factors(string arguments, string id, string marker)
        {
            AssertOnly(Source(arguments), id, marker);
        }

        [Fact]
        public void Advice_lists_every_common_divisor_that_shrinks_the_layer()
        {
            Assert.Equal("use Hypercomplex = 2", ModelLimits.HypercomplexAdvice(784, 10));
            Assert.Equal("use one of 2, 3, 4, 6, 8, 12, 16, 24", ModelLimits.HypercomplexAdvice(1008, 48));
        }

        [Fact]
        public void Zero_is_the_dense_layer()
        {
            var (driver, output, diagnostics) = Harness.Run(Source("Inputs = 784, Classes = 10, Hypercomplex = 0"));
            Assert.Empty(diagnostics);
            Assert.Empty(Harness.Problems(output, diagnostics));
            INamedTypeSymbol model = output.GetTypeByMetadataName("Contoso.Models.Fashion")!;
            Assert.Contains(model.AllInterfaces, i => i.Name == "ISoftmaxModel");
            Assert.DoesNotContain(model.AllInterfaces, i => i.Name == "IHypercomplexModel");
            Assert.DoesNotContain("Kronecker", Harness.Generated(driver).Values.Single(), StringComparison.Ordinal);
        }

        [Theory]
        [InlineData(784, 10, 2)]
        [InlineData(51, 9, 3)]
        [InlineData(68, 12, 4)]
        public void A_hypercomplex_model_compiles_clean_and_runs(int inputs, int classes, int n)
        {
            string source = Source($"Inputs = {inputs}, Classes = {classes}, Hypercomplex = {n}");
            var (driver, output, diagnostics) = Harness.Run(source);
            string text = Harness.Generated(driver).Values.Single();
            Assert.Contains(
                $"// GenSoftmax model Contoso.Models.Fashion: {inputs} inputs x {classes} classes, hypercomplex n = {n}.\n", text);
            Assert.Contains("partial class Fashion : global::GenSoftmax.Hypercomplex.IHypercomplexModel", text);
            Assert.Contains($"// {n * n * n + (inputs * classes / n)} factor weights instead of {inputs * classes}.\n", text);
            Assert.All(text, ch => Assert.True(ch < 128, $"non-ASCII '{ch}' in the generated file"));
            Assert.DoesNotContain(text.Split('\n'), line => line.Length > 140 || line.EndsWith(' '));

            var context = new Harness.CollectibleContext();
            try
            {
                Assembly assembly = Harness.Load(output, context, diagnostics); // throws with the source on any warning
                var model = (IHypercomplexModel)Activator.CreateInstance(assembly.GetType("Contoso.Models.Fashion")!)!;
                Exercise(model, inputs, classes, n);
            }
            finally
            {
                context.Unload();
            }
        }

        /// <summary>The layout, W from the factors, logits against a double o = W x + b, and training steps that lower the loss.</summary>
        private static void Exercise(IHypercomplexModel model, int inputs, int classes, int n)
        {
            Assert.Equal((n, inputs, classes), (model.Layout.N, model.Inputs, model.Classes));
            Assert.Equal(n * n * n, model.FactorA.Length);
            Assert.Equal(inputs * classes / n, model.FactorS.Length);

            Trainer.Initialize(model, seed: 5, stdDev: 0.1f);
            var w = new float[inputs * classes];
            model.Layout.Materialize(model.FactorA, model.FactorS, w);
            Assert.Equal(w, model.Weights.ToArray());

            var random = new Random(6);
            const int rows = 40;
            float[] x = Enumerable.Range(0, rows * inputs).Select(_ => (float)random.NextDouble()).ToArray();
            int[] labels = Enumerable.Range(0, rows).Select(i => i % classes).ToArray();
            var logits = new float[rows * classes];
            model.Forward(Batch.Of(x), logits);
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < classes; c++)
                {
                    double o = model.Bias[c];
                    for (int k = 0; k < inputs; k++)
                    {
                        o += (double)w[(c * inputs) + k] * x[(r * inputs) + k];
                    }

                    Assert.Equal(o, logits[(r * classes) + c], 3);
                }
            }

            // Rows of ~inputs/3 in squared norm: a step of 1/inputs keeps the bilinear model well inside its stable range.
            var sgd = new Sgd(model, new SgdOptions { LearningRate = 1f / inputs });
            float before = model.Loss(Batch.Of(x).WithLabels(labels)).Loss;
            for (int step = 0; step < 20; step++)
            {
                sgd.Step(Batch.Of(x).WithLabels(labels));
            }

            float after = model.Loss(Batch.Of(x).WithLabels(labels)).Loss;
            Assert.True(after < before, $"loss {before} -> {after}");
        }

        [Fact]
        public void Hypercomplex_members_are_reserved_only_in_hypercomplex_models()
        {
            string[] extra = SoftmaxGenerator.Parser.EmittedHypercomplexMembers.Except(SoftmaxGenerator.Parser.EmittedMembers).OrderBy(s => s, StringComparer.Ordinal).ToArray();
            Assert.Equal(new[] { "FactorA", "FactorS", "Layout", "LossAndFactorGradient", "ParameterGradient", "Rebuild", "SetFactors" }, extra);
            Assert.Subset(SoftmaxGenerator.Parser.EmittedHypercomplexMembers, SoftmaxGenerator.Parser.EmittedMembers);

            foreach (string name in extra)
            {
                string hyper = Source("Inputs = 784, Classes = 10, Hypercomplex = 2", $"public int {name};");
                Diagnostic d = AssertOnly(hyper, "GSM0006", name);
                Assert.Equal($"'Fashion' declares '{name}', which the generator emits for the model: rename or remove it", d.GetMessage());

                // A dense model may use the name.
                var (driver, output, diagnostics) = Harness.Run(Source("Inputs = 784, Classes = 10", $"public int {name};"));
                Assert.Empty(diagnostics);
                Assert.Single(Harness.Generated(driver));
                Assert.Empty(DiagnosticTests.CompilerErrors(output));
            }
        }

        [Theory]
        [InlineData(784, 10, 2)]
        [InlineData(51, 9, 3)]
        public void Parser_knows_every_member_the_hypercomplex_emitter_declares(int inputs, int classes, int n)
        {
            var (driver, _, diagnostics) = Harness.Run(Source($"Inputs = {inputs}, Classes = {classes}, Hypercomplex = {n}"));
            Assert.Empty(diagnostics);
            ClassDeclarationSyntax model = CSharpSyntaxTree.ParseText(Harness.Generated(driver).Values.Single()).GetRoot()
                .DescendantNodes().OfType<ClassDeclarationSyntax>().Single(c => c.Identifier.ValueText == "Fashion");
            string[] declared = model.Members.SelectMany(m => m switch
            {
                BaseFieldDeclarationSyntax f => f.Declaration.Variables.Select(v => v.Identifier.ValueText),
                MethodDeclarationSyntax me => new[] { me.Identifier.ValueText },
                PropertyDeclarationSyntax p => new[] { p.Identifier.ValueText },
                BaseTypeDeclarationSyntax t => new[] { t.Identifier.ValueText },
                _ => Array.Empty<string>(),
            }).ToArray();
            Assert.NotEmpty(declared);
            // ToString is generated only when the user's class declares none, so it is never reserved.
            Assert.All(declared.Where(name => name != nameof(ToString)), name => Assert.Contains(name, SoftmaxGenerator.Parser.EmittedHypercomplexMembers));
        }

        [Fact]
        public void Changing_Hypercomplex_is_Modified_and_regenerates_and_equal_sources_give_equal_specs()
        {
            string source = Source("Inputs = 784, Classes = 10, Hypercomplex = 2");
            Compilation compilation = Harness.Compilation(source);
            GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);
            SyntaxTree old = compilation.SyntaxTrees.Single();
            driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, Harness.Parse(source.Replace(", Hypercomplex = 2", ""), old.FilePath)));
            IncrementalStepRunReason[] reasons = driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Spec]
                .SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
            Assert.Equal(new[] { IncrementalStepRunReason.Modified }, reasons);
            Assert.DoesNotContain("IHypercomplexModel", Harness.Generated(driver).Values.Single(), StringComparison.Ordinal);

            ModelSpec Spec() => (ModelSpec)Harness.Driver().RunGenerators(Harness.Compilation(source)).GetRunResult().Results.Single()
                .TrackedSteps[TrackingNames.Spec].Single().Outputs.Single().Value;
            ModelSpec first = Spec(), second = Spec();
            Assert.Equal(2, first.Hypercomplex);
            Assert.Equal(first, second);
            Assert.Equal(first.GetHashCode(), second.GetHashCode());
            Assert.NotEqual(first, first with { Hypercomplex = 0 });
        }

        [Fact]
        public async System.Threading.Tasks.Task Passes_the_recommended_analyzers_as_if_handwritten()
        {
            (ImmutableArray<DiagnosticAnalyzer> analyzers, ImmutableDictionary<string, ReportDiagnostic> severities, _) = SdkAnalyzers.Recommended();
            Compilation input = Harness.Compilation(Source("Inputs = 784, Classes = 10, Hypercomplex = 2"), """[assembly: System.Reflection.AssemblyVersion("1.0.0.0")]""");
            GeneratorDriver driver = Harness.Driver().RunGenerators(input);
            string text = Harness.Generated(driver).Values.Single().Replace("// <auto-generated/>", "// (header removed for this test)", StringComparison.Ordinal);
            Compilation handwritten = input
                .AddSyntaxTrees(Harness.Parse(text, "Handwritten.cs"))
                .WithOptions(Harness.Options.WithSpecificDiagnosticOptions(severities));
            ImmutableArray<Diagnostic> found = (await handwritten.WithAnalyzers(analyzers).GetAllDiagnosticsAsync(System.Threading.CancellationToken.None))
                .Where(d => d.Severity >= DiagnosticSeverity.Warning)
                .ToImmutableArray();
            Assert.True(found.IsEmpty, Harness.Describe(handwritten, found));
        }
    }
}
