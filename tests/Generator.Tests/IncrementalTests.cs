using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using GenSoftmax.Generator.Model;
using Microsoft.CodeAnalysis;
using Xunit;

namespace GenSoftmax.Generator.Tests
{
    /// <summary>Roslyn may skip the emitter only if the spec compares by value; these runs show it does.</summary>
    public sealed class IncrementalTests
    {
        private const string FashionModelSource = """
            using GenSoftmax;

            namespace Contoso.Ml
            {
                [SoftmaxModel(Inputs = 784, Classes = 10)]
                public partial class FashionClassifier;
            }
            """;

        private static IncrementalStepRunReason[] Reasons(GeneratorDriver driver, string step) =>
            driver.GetRunResult().Results.Single().TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

        /// <summary>Why each generated file was (or was not) produced again on the last run.</summary>
        private static IncrementalStepRunReason[] SourceOutputReasons(GeneratorDriver driver) =>
            driver.GetRunResult().Results.Single().TrackedOutputSteps
                .SelectMany(kv => kv.Value)
                .SelectMany(s => s.Outputs)
                .Select(o => o.Reason)
                .ToArray();

        private static void AssertAllCachedOrUnchanged(IncrementalStepRunReason[] reasons)
        {
            Assert.NotEmpty(reasons); // an empty step would make the next line pass vacuously
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{r}"));
        }

        [Fact]
        public void Unrelated_file_added_does_not_reemit()
        {
            Compilation compilation = Harness.Compilation(FashionModelSource);
            GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);
            Assert.Equal(new[] { IncrementalStepRunReason.New }, Reasons(driver, TrackingNames.Spec));

            driver = driver.RunGenerators(compilation.AddSyntaxTrees(Harness.Parse("class Unrelated { }", "Unrelated.cs")));

            AssertAllCachedOrUnchanged(Reasons(driver, TrackingNames.Spec));
            Assert.DoesNotContain(IncrementalStepRunReason.Modified, SourceOutputReasons(driver));
            Assert.DoesNotContain(IncrementalStepRunReason.New, SourceOutputReasons(driver));
        }

        [Fact]
        public void Edit_in_the_models_own_file_that_moves_it_does_not_reemit()
        {
            // Moving the declaration changes every location, so Parse runs again; the spec holds no location, so it
            // comes out equal and the kernels are not emitted again.
            Compilation compilation = Harness.Compilation(FashionModelSource);
            GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);
            SyntaxTree old = compilation.SyntaxTrees.Single();
            SyntaxTree edited = Harness.Parse("// a comment\n\nusing System;\n" + FashionModelSource + "\nclass Helper { int Answer() => 42; }\n", old.FilePath);

            driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, edited));

            Assert.Contains(IncrementalStepRunReason.Modified, Reasons(driver, TrackingNames.Parse));
            AssertAllCachedOrUnchanged(Reasons(driver, TrackingNames.Spec));
        }

        [Fact]
        public void Changing_Inputs_is_Modified_and_regenerates()
        {
            Compilation compilation = Harness.Compilation(FashionModelSource);
            GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);
            string before = Harness.Generated(driver).Values.Single();
            SyntaxTree old = compilation.SyntaxTrees.Single();

            driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, Harness.Parse(FashionModelSource.Replace("Inputs = 784", "Inputs = 785"), old.FilePath)));

            Assert.Equal(new[] { IncrementalStepRunReason.Modified }, Reasons(driver, TrackingNames.Spec));
            Assert.Contains(IncrementalStepRunReason.Modified, SourceOutputReasons(driver));
            string after = Harness.Generated(driver).Values.Single();
            Assert.Contains("public const int InputCount = 784;", before);
            Assert.Contains("public const int InputCount = 785;", after);
        }

        [Fact]
        public void Adding_a_model_emits_only_that_model()
        {
            Compilation compilation = Harness.Compilation(FashionModelSource);
            GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);

            driver = driver.RunGenerators(compilation.AddSyntaxTrees(Harness.Parse(
                "namespace Contoso.Ml { [GenSoftmax.SoftmaxModel(Inputs = 4, Classes = 3)] public partial class Iris; }", "Iris.cs")));

            IncrementalStepRunReason[] reasons = Reasons(driver, TrackingNames.Spec);
            Assert.Equal(2, reasons.Length);
            Assert.Single(reasons, IncrementalStepRunReason.New);
            Assert.Single(reasons, r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
            Assert.Equal(2, Harness.Generated(driver).Count);
        }

        [Fact]
        public void Diagnostics_are_reported_again_after_an_unrelated_edit_and_not_twice()
        {
            const string Bad = "[GenSoftmax.SoftmaxModel(Inputs = 0, Classes = 3)] public partial class Bad;";
            Compilation compilation = Harness.Compilation(Bad);
            GeneratorDriver driver = Harness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out _, out ImmutableArray<Diagnostic> first);
            driver.RunGeneratorsAndUpdateCompilation(compilation.AddSyntaxTrees(Harness.Parse("class Unrelated { }", "Unrelated.cs")), out _, out ImmutableArray<Diagnostic> second);
            Assert.Equal("GSM0002", Assert.Single(first).Id);
            Assert.Equal("GSM0002", Assert.Single(second).Id);
        }

        [Fact]
        public void Lowering_LangVersion_removes_the_file_and_reports_GSM0013_and_raising_it_brings_the_file_back()
        {
            // The parser reads the version from the tree's parse options, which change with the project's LangVersion
            // (every tree is parsed again), so no compilation-wide input is needed to notice it.
            Compilation compilation = Harness.Compilation(FashionModelSource);
            GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);
            Assert.Single(Harness.Generated(driver));
            SyntaxTree tree = compilation.SyntaxTrees.Single();

            var old = new Microsoft.CodeAnalysis.CSharp.CSharpParseOptions(Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp10);
            SyntaxTree older = tree.WithRootAndOptions(tree.GetRoot(), old);
            driver = driver.WithUpdatedParseOptions(old).RunGeneratorsAndUpdateCompilation(
                compilation.ReplaceSyntaxTree(tree, older), out _, out ImmutableArray<Diagnostic> diagnostics);
            Assert.Equal("GSM0013", Assert.Single(diagnostics).Id);
            Assert.Empty(Harness.Generated(driver));

            driver = driver.WithUpdatedParseOptions(Harness.ParseOptions).RunGeneratorsAndUpdateCompilation(
                compilation, out _, out diagnostics);
            Assert.Empty(diagnostics);
            Assert.Contains("public const int InputCount = 784;", Harness.Generated(driver).Values.Single());
        }

        private static ModelSpec SpecOf(string source)
        {
            GeneratorDriver driver = Harness.Driver().RunGenerators(Harness.Compilation(source));
            return (ModelSpec)driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Spec].Single().Outputs.Single().Value;
        }

        [Fact]
        public void Same_source_parsed_twice_gives_equal_specs_with_equal_hashes()
        {
            const string Nested = """
                namespace Contoso.Ml
                {
                    public partial class Outer
                    {
                        internal partial record struct Holder
                        {
                            [GenSoftmax.SoftmaxModel(Inputs = 17, Classes = 10)]
                            public sealed partial class Model;
                        }
                    }
                }
                """;
            ModelSpec a = SpecOf(Nested);
            ModelSpec b = SpecOf(Nested);
            Assert.NotSame(a, b);
            Assert.Equal(a, b);
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
            Assert.Equal(a.ContainingTypes.GetHashCode(), b.ContainingTypes.GetHashCode());
            Assert.Equal(new[] { "partial class Outer", "partial record struct Holder" }, a.ContainingTypes);

            // ... and a different shape is a different spec.
            Assert.NotEqual(a, SpecOf(Nested.Replace("Classes = 10", "Classes = 11")));
        }

        [Fact]
        public void Spec_holds_no_symbols_syntax_locations_or_compilations()
        {
            Type[] forbidden =
            {
                typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Location), typeof(Compilation), typeof(SemanticModel),
                typeof(AttributeData), typeof(Diagnostic),
            };

            // By type: every field of the spec, recursively, through generic arguments.
            var seen = new HashSet<Type>();
            void WalkType(Type t, string path)
            {
                if (!seen.Add(t))
                {
                    return;
                }

                Assert.False(forbidden.Any(f => f.IsAssignableFrom(t)), $"{path} is a {t}");
                Assert.False(t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ImmutableArray<>), $"{path} is an ImmutableArray, which compares by reference");
                Assert.False(t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>), $"{path} is a List, which compares by reference");
                Assert.False(t == typeof(object), $"{path} is typed object, which could hold anything");
                foreach (Type arg in t.IsGenericType ? t.GetGenericArguments() : Type.EmptyTypes)
                {
                    WalkType(arg, $"{path}<{arg.Name}>");
                }

                if (t.IsPrimitive || t.IsEnum || t == typeof(string))
                {
                    return;
                }

                foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                {
                    WalkType(f.FieldType.IsArray ? f.FieldType.GetElementType()! : f.FieldType, $"{path}.{f.Name}");
                }
            }

            WalkType(typeof(ModelSpec), nameof(ModelSpec));
            Assert.Contains(typeof(EquatableArray<string>), seen);

            // By value: an actual spec, every object reachable from it.
            var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
            void WalkValue(object? value, string path)
            {
                if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !visited.Add(value))
                {
                    return;
                }

                Assert.False(forbidden.Any(f => f.IsInstanceOfType(value)), $"{path} holds a {value.GetType()}");
                if (value is IEnumerable items)
                {
                    int i = 0;
                    foreach (object? item in items)
                    {
                        WalkValue(item, $"{path}[{i++}]");
                    }
                }

                foreach (FieldInfo f in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                {
                    WalkValue(f.GetValue(value), $"{path}.{f.Name}");
                }
            }

            WalkValue(SpecOf("namespace N { public partial class Outer { [GenSoftmax.SoftmaxModel(Inputs = 3, Classes = 2)] public partial class Inner; } }"), "spec");
            Assert.NotEmpty(visited);
        }
    }
}
