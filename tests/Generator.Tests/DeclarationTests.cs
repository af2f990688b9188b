using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using GenSoftmax.Training;
using Microsoft.CodeAnalysis;
using Xunit;

namespace GenSoftmax.Generator.Tests
{
    /// <summary>
    /// Any reasonable declaration compiles with zero warnings and runs: each test generates, compiles with every
    /// warning as an error, loads the assembly into a collectible context, and drives the models through ISoftmaxModel.
    /// </summary>
    public sealed class DeclarationTests
    {
        /// <summary>Generates, compiles and loads <paramref name="sources"/>, then exercises each named model.</summary>
        private static void CompileAndRun(string[] sources, params (string TypeName, int Inputs, int Classes)[] models) =>
            CompileAndRun(Harness.Compilation(sources), models);

        private static void CompileAndRun(Compilation compilation, params (string TypeName, int Inputs, int Classes)[] models)
        {
            var (driver, output, diagnostics) = Harness.Run(compilation);
            Assert.Equal(models.Length, Harness.Generated(driver).Count);
            var context = new Harness.CollectibleContext();
            try
            {
                Assembly assembly = Harness.Load(output, context, diagnostics);
                foreach ((string typeName, int inputs, int classes) in models)
                {
                    Type? type = assembly.GetType(typeName);
                    Assert.True(type is not null, $"{typeName} is not in the compiled assembly");
                    var model = (ISoftmaxModel)Activator.CreateInstance(type!)!;
                    Exercise(model, inputs, classes);
                }
            }
            finally
            {
                context.Unload();
            }
        }

        private static void CompileAndRun(string source, params (string TypeName, int Inputs, int Classes)[] models) =>
            CompileAndRun(new[] { source }, models);

        /// <summary>
        /// Shape; for every variant the CPU supports, Forward against a double-precision o = W x + b, Predict as argmax and
        /// Probabilities as softmax; then SGD steps that lower the loss.
        /// </summary>
        internal static void Exercise(ISoftmaxModel model, int inputs, int classes)
        {
            Assert.Equal(inputs, model.Inputs);
            Assert.Equal(classes, model.Classes);
            Assert.Equal(inputs * classes, model.Weights.Length);
            Assert.Equal(classes, model.Bias.Length);

            var random = new Random(inputs * 31 + classes);
            Assert.Equal(["W", "b"], model.Parameters.Select(p => p.Name));
            Span<float> w = model.Parameters[0].Values;
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = (float)(random.NextDouble() - 0.5);
            }

            Span<float> bias = model.Parameters[1].Values;
            for (int c = 0; c < classes; c++)
            {
                bias[c] = (float)(random.NextDouble() - 0.5);
            }

            const int Rows = 5;
            float[] x = Enumerable.Range(0, Rows * inputs).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            foreach (KernelIsa isa in IsaSelection.Supported)
            {
                model.Isa = isa;
                float[] logits = new float[Rows * classes];
                float[] probabilities = new float[Rows * classes];
                int[] predictions = new int[Rows];
                model.Forward(Batch.Of(x), logits);
                model.Probabilities(Batch.Of(x), probabilities);
                model.Predict(Batch.Of(x), predictions);
                for (int r = 0; r < Rows; r++)
                {
                    var o = new double[classes];
                    int best = 0;
                    for (int c = 0; c < classes; c++)
                    {
                        o[c] = model.Bias[c];
                        for (int k = 0; k < inputs; k++)
                        {
                            o[c] += (double)model.Weights[(c * inputs) + k] * x[(r * inputs) + k];
                        }

                        float actual = logits[(r * classes) + c];
                        Assert.True(Math.Abs(o[c] - actual) <= 1e-4 * (1 + Math.Abs(o[c])), $"{isa}: logit [{r}, {c}]: {actual} vs {o[c]}");
                        best = logits[(r * classes) + c] > logits[(r * classes) + best] ? c : best;
                    }

                    Assert.Equal(best, predictions[r]);
                    double max = o.Max();
                    double sum = o.Sum(v => Math.Exp(v - max));
                    for (int c = 0; c < classes; c++)
                    {
                        double p = Math.Exp(o[c] - max) / sum;
                        Assert.True(Math.Abs(p - probabilities[(r * classes) + c]) <= 1e-4, $"{isa}: probability [{r}, {c}]: {probabilities[(r * classes) + c]} vs {p}");
                    }
                }
            }

            model.Isa = IsaSelection.Best;
            int[] labels = Enumerable.Range(0, Rows).Select(r => r % classes).ToArray();
            var sgd = new Sgd(model, new SgdOptions { LearningRate = 0.5f });
            float before = sgd.Step(Batch.Of(x).WithLabels(labels)).Loss;
            for (int step = 0; step < 20; step++)
            {
                sgd.Step(Batch.Of(x).WithLabels(labels));
            }

            BatchResult after = model.Loss(Batch.Of(x).WithLabels(labels));
            Assert.Equal(Rows, after.Count);
            Assert.True(float.IsFinite(before) && after.Loss < before, $"loss {before} -> {after.Loss}");
        }

        [Fact]
        public void ToString_is_generated_unless_the_class_or_a_base_declares_one()
        {
            Compilation compilation = Harness.Compilation("""
                using GenSoftmax;
                namespace Shapes
                {
                    [SoftmaxModel(Inputs = 5, Classes = 3)]
                    public partial class Plain;

                    [SoftmaxModel(Inputs = 5, Classes = 3)]
                    public partial class Own { public override string ToString() => "own"; }

                    public abstract class Named { public override string ToString() => "base"; }

                    [SoftmaxModel(Inputs = 5, Classes = 3)]
                    public partial class Derived : Named;
                }
                """);
            var (driver, output, diagnostics) = Harness.Run(compilation);
            Assert.Equal(3, Harness.Generated(driver).Count);
            var context = new Harness.CollectibleContext();
            try
            {
                Assembly assembly = Harness.Load(output, context, diagnostics);
                string Describe(string name) => Activator.CreateInstance(assembly.GetType("Shapes." + name)!)!.ToString()!;
                Assert.Matches(@"^Plain\(5 inputs x 3 classes, (Avx512|Avx2|Portable)\)$", Describe("Plain"));
                Assert.Equal("own", Describe("Own"));
                Assert.Equal("base", Describe("Derived"));
            }
            finally
            {
                context.Unload();
            }
        }

        [Fact]
        public void Global_namespace()
        {
            CompileAndRun("""
                using GenSoftmax;
                [SoftmaxModel(Inputs = 5, Classes = 3)]
                public partial class GlobalModel;
                """, ("GlobalModel", 5, 3));
        }

        [Fact]
        public void Block_namespace_nested_namespaces_and_file_scoped_namespace()
        {
            CompileAndRun(
                new[]
                {
                    """
                    using GenSoftmax;
                    namespace Contoso
                    {
                        namespace Ml.Vision
                        {
                            [SoftmaxModel(Inputs = 5, Classes = 3)]
                            public partial class BlockModel;
                        }
                    }
                    """,
                    """
                    using GenSoftmax;
                    namespace Contoso.Ml.Text;

                    [SoftmaxModel(Inputs = 7, Classes = 2)]
                    internal partial class FileScopedModel;
                    """,
                },
                ("Contoso.Ml.Vision.BlockModel", 5, 3),
                ("Contoso.Ml.Text.FileScopedModel", 7, 2));
        }

        [Fact]
        public void Nested_partial_classes_several_levels_in_classes_records_and_structs()
        {
            CompileAndRun("""
                using GenSoftmax;
                namespace Contoso
                {
                    public static partial class Outer
                    {
                        internal sealed partial record Middle(int Unused)
                        {
                            private partial struct Holder
                            {
                                [SoftmaxModel(Inputs = 3, Classes = 4)]
                                public sealed partial class Deep;
                            }

                            public static object Make() => new Holder.Deep();
                        }

                        [SoftmaxModel(Inputs = 2, Classes = 2)]
                        internal partial class Shallow;
                    }

                    public partial interface IHasModels
                    {
                        [SoftmaxModel(Inputs = 6, Classes = 2)]
                        public partial class InInterface;
                    }
                }
                """,
                ("Contoso.Outer+Middle+Holder+Deep", 3, 4),
                ("Contoso.Outer+Shallow", 2, 2),
                ("Contoso.IHasModels+InInterface", 6, 2));
        }

        [Fact]
        public void Public_internal_sealed_and_abstract_classes()
        {
            CompileAndRun("""
                using GenSoftmax;
                namespace Contoso
                {
                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    public partial class PublicModel;

                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    internal partial class InternalModel;

                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    public sealed partial class SealedModel;

                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    partial class DefaultAccessModel;

                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    public abstract partial class AbstractModel
                    {
                        public abstract string Name { get; }
                    }

                    // A non-model class may derive from a model.
                    public sealed class Concrete : AbstractModel
                    {
                        public override string Name => "concrete";
                    }

                }
                """,
                ("Contoso.PublicModel", 4, 3),
                ("Contoso.InternalModel", 4, 3),
                ("Contoso.SealedModel", 4, 3),
                ("Contoso.DefaultAccessModel", 4, 3),
                ("Contoso.Concrete", 4, 3));
        }

        [Fact]
        public void Unsafe_class_in_a_project_that_allows_unsafe_code()
        {
            CompileAndRun(
                Harness.Compilation("""
                    namespace Contoso
                    {
                        [GenSoftmax.SoftmaxModel(Inputs = 4, Classes = 3)]
                        public unsafe partial class UnsafeModel
                        {
                            public float* Scratch;
                        }
                    }
                    """).WithOptions(Harness.Options.WithAllowUnsafe(true)),
                ("Contoso.UnsafeModel", 4, 3));
        }

        [Fact]
        public void Project_on_CSharp_11_the_oldest_version_supported()
        {
            // GSM0013 says C# 11 is enough: file-local kernel classes and static abstract members, nothing newer.
            const string Source = """
                using GenSoftmax;
                namespace Contoso
                {
                    [SoftmaxModel(Inputs = 17, Classes = 10)]
                    public sealed partial class Eleven { }

                    public static partial class Outer
                    {
                        [SoftmaxModel(Inputs = 3, Classes = 33)]
                        internal partial record Nested { }
                    }
                }
                """;
            var options = new Microsoft.CodeAnalysis.CSharp.CSharpParseOptions(Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp11);
            CompileAndRun(
                Harness.Compilation("Tests", new[] { Harness.Parse(Source, options: options) }),
                ("Contoso.Eleven", 17, 10),
                ("Contoso.Outer+Nested", 3, 33));
        }

        [Fact]
        public void Model_may_declare_members_named_like_the_old_generated_methods()
        {
            // Softmax, TrainStep, LossRows, ForwardAvx512 ... were generated into the model before the kernels moved to
            // file-local classes. Only the public API, _engine and GenSoftmaxKernels are reserved now; a user may keep
            // a TrainStep of their own, written against the new optimizer.
            const string Source = """
                using System;
                using GenSoftmax;
                using GenSoftmax.Training;
                namespace Contoso
                {
                    [SoftmaxModel(Inputs = 6, Classes = 4)]
                    public sealed partial class Legacy
                    {
                        private Sgd? _sgd;

                        public float TrainStep(float[] x, int[] labels, float learningRate) =>
                            (_sgd ??= new Sgd(this, new SgdOptions { LearningRate = learningRate })).Step(Batch.Of(x).WithLabels(labels)).Loss;

                        public static float Softmax(float logit) => MathF.Exp(logit);

                        public int LossRows => 4;

                        public string ForwardAvx512() => nameof(ForwardAvx512);

                        public void Logits() { }

                        public void Gradient() { }

                        public const int ClassStride = 99;

                        private sealed class ModelKernels { }

                        public static object Kernels() => new ModelKernels();
                    }
                }
                """;
            var (driver, output, diagnostics) = Harness.Run(Source);
            Assert.Single(Harness.Generated(driver));
            var context = new Harness.CollectibleContext();
            try
            {
                Type type = Harness.Load(output, context, diagnostics).GetType("Contoso.Legacy")!;
                var model = (ISoftmaxModel)Activator.CreateInstance(type)!;
                Exercise(model, 6, 4);

                // The user's own members are the ones called.
                Assert.Equal(MathF.Exp(0.5f), (float)type.GetMethod("Softmax")!.Invoke(null, new object[] { 0.5f })!);
                Assert.Equal(99, (int)type.GetField("ClassStride")!.GetRawConstantValue()!);
                float[] x = Enumerable.Range(0, 12).Select(i => (float)Math.Sin(i)).ToArray();
                object[] args = { x, new[] { 1, 3 }, 0.5f };
                float first = (float)type.GetMethod("TrainStep")!.Invoke(model, args)!;
                float last = first;
                for (int i = 0; i < 10; i++)
                {
                    last = (float)type.GetMethod("TrainStep")!.Invoke(model, args)!;
                }

                Assert.True(last < first, $"loss {first} -> {last}");
            }
            finally
            {
                context.Unload();
            }
        }

        [Fact]
        public void Record_classes()
        {
            CompileAndRun("""
                using GenSoftmax;
                namespace Contoso
                {
                    [SoftmaxModel(Inputs = 4, Classes = 3)]
                    public partial record RecordModel;

                    [SoftmaxModel(Inputs = 4, Classes = 2)]
                    public sealed partial record class RecordClassModel
                    {
                        public string Label { get; init; } = "iris";
                    }
                }
                """,
                ("Contoso.RecordModel", 4, 3),
                ("Contoso.RecordClassModel", 4, 2));
        }

        [Fact]
        public void Several_models_in_one_file_and_one_class_over_several_parts()
        {
            CompileAndRun(
                new[]
                {
                    """
                    using GenSoftmax;
                    namespace Contoso
                    {
                        [SoftmaxModel(Inputs = 1, Classes = 2)] public partial class A;
                        [SoftmaxModel(Inputs = 16, Classes = 3)] public partial class B;
                        [SoftmaxModel(Inputs = 17, Classes = 10)] public partial class C;
                        [SoftmaxModel(Inputs = 33, Classes = 17)] public partial class D;

                        public partial class Split
                        {
                            public string Describe() => $"{InputCount}x{ClassCount}";
                        }
                    }
                    """,
                    """
                    namespace Contoso
                    {
                        [GenSoftmax.SoftmaxModel(Inputs = 9, Classes = 5)]
                        public partial class Split;
                    }
                    """,
                },
                ("Contoso.A", 1, 2),
                ("Contoso.B", 16, 3),
                ("Contoso.C", 17, 10),
                ("Contoso.D", 33, 17),
                ("Contoso.Split", 9, 5));
        }

        [Fact]
        public void Same_class_name_in_two_namespaces()
        {
            CompileAndRun(
                new[]
                {
                    "namespace Contoso.Vision { [GenSoftmax.SoftmaxModel(Inputs = 4, Classes = 3)] public partial class Classifier; }",
                    "namespace Contoso.Text { [GenSoftmax.SoftmaxModel(Inputs = 6, Classes = 2)] public partial class Classifier; }",
                    "namespace Contoso { public partial class Outer { [GenSoftmax.SoftmaxModel(Inputs = 2, Classes = 2)] public partial class Classifier; } }",
                },
                ("Contoso.Vision.Classifier", 4, 3),
                ("Contoso.Text.Classifier", 6, 2),
                ("Contoso.Outer+Classifier", 2, 2));
        }

        [Fact]
        public void Two_models_whose_names_differ_only_in_case()
        {
            // Hint names compare ignoring case: without a disambiguator the second AddSource would throw and the
            // generator would drop every model of the project (CS8785).
            var (driver, _, _) = Harness.Run("namespace Contoso { [GenSoftmax.SoftmaxModel(Inputs = 2, Classes = 2)] public partial class Plain; }");
            Assert.Equal(new[] { "Contoso.Plain.g.cs" }, Harness.Generated(driver).Keys);

            const string Source = """
                namespace Contoso
                {
                    [GenSoftmax.SoftmaxModel(Inputs = 4, Classes = 3)] public partial class Model;
                    [GenSoftmax.SoftmaxModel(Inputs = 5, Classes = 2)] public partial class MoDeL;
                }
                namespace contoso
                {
                    [GenSoftmax.SoftmaxModel(Inputs = 6, Classes = 2)] public partial class MODEL;
                }
                """;
            (driver, _, _) = Harness.Run(Source);
            Assert.Equal(3, Harness.Generated(driver).Keys.Distinct(StringComparer.OrdinalIgnoreCase).Count());
            Assert.All(Harness.Generated(driver).Keys, k => Assert.Matches(@"^(Contoso\.Model|Contoso\.MoDeL|contoso\.MODEL)\.[0-9a-f]{8}\.g\.cs$", k));
            CompileAndRun(Source, ("Contoso.Model", 4, 3), ("Contoso.MoDeL", 5, 2), ("contoso.MODEL", 6, 2));
        }

        [Fact]
        public void Lower_case_names_warn_only_where_the_user_wrote_them()
        {
            // CS8981 ("only lower-cased ascii characters") belongs to the user's declaration; the generated part
            // spells the names with '@' so the warning is not repeated in a file the user cannot edit.
            CompileAndRun("""
                namespace contoso
                {
                #pragma warning disable CS8981
                    public partial class outer
                    {
                        [GenSoftmax.SoftmaxModel(Inputs = 3, Classes = 2)]
                        public partial class model;
                    }
                #pragma warning restore CS8981
                }
                """, ("contoso.outer+model", 3, 2));
        }

        [Fact]
        public void Keywords_as_names_and_a_user_type_named_like_the_runtime()
        {
            // The generated code says global::GenSoftmax and global::System everywhere, so user types called System,
            // GenSoftmax or ISoftmaxModel change nothing.
            CompileAndRun("""
                namespace @event.Models
                {
                    public class System { }
                    public class GenSoftmax { }
                    public interface ISoftmaxModel { }
                    public struct Span<T> { }

                    [global::GenSoftmax.SoftmaxModel(Inputs = 3, Classes = 2)]
                    public partial class @class;
                }
                """, ("event.Models.class", 3, 2));
        }

        [Fact]
        public void Model_in_a_library_used_from_another_project()
        {
            // The library: a model and a factory, compiled with the generator into an image.
            var (libDriver, libOutput, libDiagnostics) = Harness.Run(Harness.Compilation("Contoso.Library", new[]
            {
                Harness.Parse("""
                    using GenSoftmax;
                    namespace Contoso.Library
                    {
                        [SoftmaxModel(Inputs = 12, Classes = 4)]
                        public sealed partial class SharedModel;
                    }
                    """),
            }));
            Assert.Single(Harness.Generated(libDriver));
            byte[] libImage = Emit(libOutput, libDiagnostics);

            // The app references the library as metadata (as a ProjectReference does) and uses the model's
            // generated members directly: the constants, the ISA setting, and the interface.
            var (appDriver, appOutput, appDiagnostics) = Harness.Run(Harness.Compilation(
                "Contoso.App",
                new[]
                {
                    Harness.Parse("""
                        using GenSoftmax;
                        using Contoso.Library;
                        namespace Contoso.App
                        {
                            public static class Use
                            {
                                public const int Inputs = SharedModel.InputCount;
                                public static ISoftmaxModel Make()
                                {
                                    var model = new SharedModel();
                                    float[] x = new float[Inputs];
                                    float[] logits = new float[SharedModel.ClassCount];
                                    model.Isa = KernelIsa.Portable;
                                    model.Forward(Batch.Of(x), logits);
                                    return model;
                                }
                            }
                        }
                        """),
                },
                new[] { MetadataReference.CreateFromImage(libImage) }));
            Assert.Empty(Harness.Generated(appDriver));
            byte[] appImage = Emit(appOutput, appDiagnostics);

            var context = new InMemoryContext(new[] { libImage, appImage });
            try
            {
                Assembly app = context.LoadFromAssemblyName(new AssemblyName("Contoso.App"));
                Type use = app.GetType("Contoso.App.Use")!;
                Assert.Equal(12, (int)use.GetField("Inputs")!.GetRawConstantValue()!);
                var model = (ISoftmaxModel)use.GetMethod("Make")!.Invoke(null, null)!;
                Assert.Equal("Contoso.Library.SharedModel", model.GetType().FullName);
                Exercise(model, 12, 4);
            }
            finally
            {
                context.Unload();
            }
        }

        [Fact]
        public void Model_deriving_from_a_library_model_gets_GSM0012()
        {
            var (_, libOutput, libDiagnostics) = Harness.Run(Harness.Compilation("Contoso.Library", new[]
            {
                Harness.Parse("namespace Contoso.Library { [GenSoftmax.SoftmaxModel(Inputs = 12, Classes = 4)] public partial class SharedModel; }"),
            }));
            const string Source = "namespace Contoso.App { [GenSoftmax.SoftmaxModel(Inputs = 12, Classes = 4)] public partial class Mine : Contoso.Library.SharedModel; }";
            var (driver, _, diagnostics) = Harness.Run(Harness.Compilation(
                "Contoso.App", new[] { Harness.Parse(Source) }, new[] { MetadataReference.CreateFromImage(Emit(libOutput, libDiagnostics)) }));
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal("GSM0012", d.Id);
            Assert.Equal(Harness.SpanOf(Source, "Contoso.Library.SharedModel"), d.Location.SourceSpan);
            Assert.Empty(Harness.Generated(driver));
        }

        private static byte[] Emit(Compilation compilation, ImmutableArray<Diagnostic> generatorDiagnostics)
        {
            using var pe = new MemoryStream();
            Microsoft.CodeAnalysis.Emit.EmitResult result = compilation.Emit(pe);
            ImmutableArray<Diagnostic> problems = Harness.Problems(compilation, generatorDiagnostics);
            Assert.True(result.Success && problems.IsEmpty, Harness.Describe(compilation, result.Diagnostics.Concat(problems)));
            return pe.ToArray();
        }

        /// <summary>A collectible context that resolves the in-memory assemblies by name and everything else from the default context.</summary>
        private sealed class InMemoryContext : AssemblyLoadContext
        {
            private readonly Dictionary<string, byte[]> _images = new(StringComparer.Ordinal);

            public InMemoryContext(IEnumerable<byte[]> images)
                : base("GenSoftmax.Generator.Tests.Projects", isCollectible: true)
            {
                foreach (byte[] image in images)
                {
                    using var reader = new System.Reflection.PortableExecutable.PEReader(ImmutableArray.Create(image));
                    System.Reflection.Metadata.MetadataReader md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(reader);
                    _images[md.GetString(md.GetAssemblyDefinition().Name)] = image;
                }
            }

            protected override Assembly? Load(AssemblyName assemblyName) =>
                assemblyName.Name is { } name && _images.TryGetValue(name, out byte[]? image) ? LoadFromStream(new MemoryStream(image)) : null;
        }
    }
}
