using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Reference;
using GenSoftmax.Tests.Models;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>The test project's generated models by name, and helpers to compare them with the reference.</summary>
    internal static class TestModels
    {
        /// <summary>
        /// The one tolerance of the kernel tests: float kernels against the double reference agree within 1e-4
        /// relative to the largest magnitude in the compared array (or 1, whichever is larger).
        /// </summary>
        public const double Tolerance = 1e-4;

        public static readonly IReadOnlyDictionary<string, Func<ISoftmaxModel>> All = new Dictionary<string, Func<ISoftmaxModel>>
        {
            ["1x2"] = () => new M1x2(),
            ["1x17"] = () => new M1x17(),
            ["3x3"] = () => new M3x3(),
            ["3x33"] = () => new M3x33(),
            ["15x10"] = () => new M15x10(),
            ["15x2"] = () => new M15x2(),
            ["16x16"] = () => new M16x16(),
            ["16x3"] = () => new M16x3(),
            ["17x17"] = () => new M17x17(),
            ["17x10"] = () => new M17x10(),
            ["784x10"] = () => new M784x10(),
            ["784x2"] = () => new M784x2(),
            ["784x33"] = () => new M784x33(),
            ["1000x16"] = () => new M1000x16(),
            ["1000x33"] = () => new M1000x33(),
            ["1000x3"] = () => new M1000x3(),
            ["20x100"] = () => new M20x100(),
        };

        public static readonly KernelIsa[] Variants = Enum.GetValues<KernelIsa>();

        /// <summary>Every model with every variant; unsupported variants are reported skipped by the test.</summary>
        public static IEnumerable<object[]> ModelsAndVariants() =>
            from name in All.Keys from isa in Variants select new object[] { name, isa };

        public static ISoftmaxModel Create(string name, KernelIsa isa)
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            ISoftmaxModel model = All[name]();
            model.Isa = isa;
            return model;
        }

        public static float[] Uniform(Random random, int count, float low, float high)
        {
            var values = new float[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = low + ((high - low) * random.NextSingle());
            }

            return values;
        }

        /// <summary>Random class labels [count], 0..classes-1.</summary>
        public static int[] Labels(Random random, int count, int classes)
        {
            var labels = new int[count];
            for (int i = 0; i < count; i++)
            {
                labels[i] = random.Next(classes);
            }

            return labels;
        }

        /// <summary>Random soft targets [rows, classes], each row a probability distribution.</summary>
        public static float[] Targets(Random random, int rows, int classes)
        {
            float[] targets = Uniform(random, rows * classes, 0f, 1f);
            for (int r = 0; r < rows; r++)
            {
                Span<float> t = targets.AsSpan(r * classes, classes);
                float sum = 0;
                foreach (float v in t)
                {
                    sum += v;
                }

                for (int c = 0; c < t.Length; c++)
                {
                    t[c] /= sum;
                }
            }

            return targets;
        }

        /// <summary>Random pixels [count] and the same values as features, pixel / 255f.</summary>
        public static (byte[] Pixels, float[] Features) Pixels(Random random, int count)
        {
            var pixels = new byte[count];
            random.NextBytes(pixels);
            return (pixels, pixels.Select(p => p / 255f).ToArray());
        }

        /// <summary>The rows <paramref name="rows"/> of <paramref name="data"/> [n, width], copied in that order: [rows.Length, width].</summary>
        public static T[] Gather<T>(T[] data, int width, int[] rows) =>
            rows.SelectMany(r => data.AsSpan(r * width, width).ToArray()).ToArray();

        /// <summary>A reference model with the same parameters as <paramref name="model"/>.</summary>
        public static SoftmaxReference ReferenceOf(ISoftmaxModel model)
        {
            var reference = new SoftmaxReference(model.Inputs, model.Classes);
            model.Weights.CopyTo(reference.Weights);
            model.Bias.CopyTo(reference.Bias);
            return reference;
        }

        /// <summary>Random parameters of a size that keeps logits in a few units whatever the input count.</summary>
        public static void Randomize(ISoftmaxModel model, Random random)
        {
            float scale = 3f / MathF.Sqrt(model.Inputs);
            Uniform(random, model.Weights.Length, -scale, scale).CopyTo(model.W);
            Uniform(random, model.Bias.Length, -1f, 1f).CopyTo(model.B);
        }

        public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, string what)
        {
            Assert.Equal(expected.Length, actual.Length);
            double magnitude = 1;
            foreach (double e in expected)
            {
                magnitude = Math.Max(magnitude, Math.Abs(e));
            }

            int worst = -1;
            double worstError = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(expected[i] - actual[i]);
                if (!(error <= worstError))
                {
                    worst = i;
                    worstError = error;
                }
            }

            Assert.True(
                worstError <= Tolerance * magnitude,
                $"{what}: element {worst} is {(worst >= 0 ? actual[worst] : float.NaN)}, expected {(worst >= 0 ? expected[worst] : double.NaN)} " +
                $"(error {worstError:G3} > {Tolerance} x {magnitude:G3}). Generated source: tests/Runtime.Tests/obj/*/net10.0/generated.");
        }

        public static void AssertClose(double expected, float actual, string what) =>
            AssertClose(new[] { expected }, new[] { actual }, what);
    }
}
