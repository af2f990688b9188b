using System;
using System.Diagnostics;
using System.Linq;
using GenSoftmax.Generator.Model;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace GenSoftmax.Generator.Tests
{
    /// <summary>
    /// How long the generator takes for a 784 x 10 model, printed (run with --logger "console;verbosity=detailed"),
    /// never asserted: wall-clock time on a shared machine is no pass/fail criterion.
    /// </summary>
    public sealed class GenerationTimeTests
    {
        private const string Source = """
            namespace Contoso.Ml
            {
                [GenSoftmax.SoftmaxModel(Inputs = 784, Classes = 10)]
                public partial class FashionClassifier;
            }
            """;

        private readonly ITestOutputHelper _output;

        public GenerationTimeTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void Reports_generation_time_of_a_784x10_model()
        {
            Compilation compilation = Harness.Compilation(Source);
            var first = Stopwatch.StartNew();
            GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);
            first.Stop();
            string text = Harness.Generated(driver).Values.Single();

            // A fresh driver each time: parse, spec, emit, AddSource (what a build does once per compilation).
            double[] full = Measure(25, () => Harness.Driver().RunGenerators(compilation));

            // The same driver after an unrelated edit: parse again, spec cached, nothing emitted (what an IDE does per keystroke).
            Compilation edited = compilation.AddSyntaxTrees(Harness.Parse("class Unrelated { }", "Unrelated.cs"));
            double[] incremental = Measure(25, () => driver.RunGenerators(edited));

            // The emitter alone: spec -> text.
            var spec = new ModelSpec("Contoso.Ml", EquatableArray<string>.Empty, "partial class FashionClassifier", "FashionClassifier", "Contoso.Ml.FashionClassifier", "Contoso.Ml.FashionClassifier.g.cs", 784, 10);
            double[] emit = Measure(25, () => SoftmaxGenerator.Emitter.Emit(spec));

            string report = $"""
                784x10 model, {text.Length:N0} chars / {text.Count(c => c == '\n'):N0} lines generated; {Environment.ProcessorCount} cores, .NET {Environment.Version}
                  first run in this process (JIT included): {first.Elapsed.TotalMilliseconds:F1} ms
                  fresh driver, full run:                   median {Median(full):F2} ms, min {full.Min():F2} ms (25 runs)
                  same driver, unrelated edit:              median {Median(incremental):F3} ms, min {incremental.Min():F3} ms (25 runs)
                  Emitter.Emit alone:                       median {Median(emit):F2} ms, min {emit.Min():F2} ms (25 runs)
                """;
            _output.WriteLine(report);
            Console.WriteLine(report);
            Assert.NotEmpty(text);
        }

        private static double[] Measure(int runs, Action action)
        {
            action(); // warm-up
            var times = new double[runs];
            for (int i = 0; i < runs; i++)
            {
                long start = Stopwatch.GetTimestamp();
                action();
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            return times;
        }

        private static double Median(double[] values)
        {
            double[] sorted = values.OrderBy(v => v).ToArray();
            return sorted[sorted.Length / 2];
        }
    }
}
