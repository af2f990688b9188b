using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Dynamic;
using GenSoftmax.Internal;
using GenSoftmax.Reference;
using Xunit;
using static GenSoftmax.Tests.TestModels;

namespace GenSoftmax.Tests
{
    /// <summary>
    /// The runtime's table of variants (<see cref="KernelVariant.All"/>) enumerated against the <see cref="KernelIsa"/>
    /// members: every member has one row, every list of <see cref="IsaSelection"/> is the table's, every name parses
    /// back to its variant, and every variant this CPU runs is reached by both the generated and the run-time-shaped
    /// kernels and matches the reference. A member added without its row, or a row no path reaches, fails here.
    /// </summary>
    public sealed class KernelVariantTests
    {
        public static TheoryData<KernelIsa> EveryMember() => new(Enum.GetValues<KernelIsa>());

        [Fact]
        public void The_table_has_one_row_per_KernelIsa_member_in_preference_order()
        {
            KernelIsa[] rows = KernelVariant.All.Select(v => v.Isa).ToArray();
            Assert.Equal(Enum.GetValues<KernelIsa>().Order(), rows.Order());
            Assert.Equal(rows, IsaSelection.Preference);
            Assert.Equal(rows.Where(IsaSelection.IsSupported), IsaSelection.Supported);
            Assert.Equal(KernelVariant.All.Where(v => v.Runs).Select(v => v.Isa), IsaSelection.Supported);
        }

        [Fact]
        public void The_fallback_is_the_last_row_and_runs_everywhere()
        {
            KernelVariant fallback = KernelVariant.Fallback;
            Assert.Same(KernelVariant.All[^1], fallback);
            Assert.Equal(KernelIsa.Portable, fallback.Isa);
            Assert.True(fallback.Runs);
            Assert.Empty(fallback.CpuExtensions);
            Assert.True(fallback.CpuHas);
            Assert.Null(fallback.InstructionSet);

            // A value that names no variant: not supported, and a kernel call with it runs the fallback's kernels,
            // as the generated dispatch's default arm does.
            Assert.Same(fallback, KernelVariant.Of((KernelIsa)7));
            Assert.Same(fallback, KernelVariant.Of((KernelIsa)(-1)));
            Assert.False(KernelVariant.IsDefined((KernelIsa)7));
            Assert.False(IsaSelection.IsSupported((KernelIsa)7));
        }

        [Theory]
        [MemberData(nameof(EveryMember))]
        public void Every_member_has_its_own_row_and_kernels(KernelIsa isa)
        {
            KernelVariant row = KernelVariant.Of(isa);
            Assert.Equal(isa, row.Isa);
            Assert.True(KernelVariant.IsDefined(isa));
            Assert.Equal(isa.ToString(), row.Name);

            // Each row has kernels of its own vector width: no two rows share a kernel set. The x86 rows' are those
            // precompiled in their kernel assemblies, with this library's generic set of that width behind them.
            static Type Width(RuntimeKernelSet set) => (set is PrecompiledKernelSet p ? p.Compiled : set).GetType();
            Type kernels = Width(row.Kernels);
            Assert.Equal(typeof(RuntimeKernelSet<,>), kernels.GetGenericTypeDefinition());
            Assert.Single(KernelVariant.All, v => Width(v.Kernels) == kernels);
            Type? image = isa switch
            {
                KernelIsa.Avx512 => typeof(Avx512ImageKernels),
                KernelIsa.Avx2 => typeof(Avx2ImageKernels),
                _ => null,
            };
            Assert.Equal(image, (row.Kernels as PrecompiledKernelSet)?.Image.GetType());
        }

        [Fact]
        public void Names_are_the_members_in_enum_order_and_each_parses_back_in_any_case()
        {
            Assert.Equal(Enum.GetNames<KernelIsa>(), IsaSelection.Names);
            foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
            {
                string name = isa.ToString();
                foreach (string text in new[] { name, name.ToUpperInvariant(), name.ToLowerInvariant(), $" {name}\t" })
                {
                    Assert.True(IsaSelection.TryParse(text, out KernelIsa parsed), text);
                    Assert.Equal(isa, parsed);
                    if (IsaSelection.IsSupported(isa))
                    {
                        Assert.Equal((isa, (string?)null), IsaSelection.Choose(text)); // GENSOFTMAX_ISA reads names the same way
                    }
                }
            }
        }

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData(" ")]
        [InlineData("0")]
        [InlineData("2")]
        [InlineData("+2")]
        [InlineData("-1")]
        [InlineData("avx")]
        [InlineData("Avx2,Avx512")]
        [InlineData("Avx 2")]
        public void Anything_but_a_name_is_refused(string? text)
        {
            Assert.False(IsaSelection.TryParse(text, out KernelIsa isa));
            Assert.Equal(default, isa);
        }

        [Fact]
        public void Every_CPU_requirement_is_an_extension_the_decoder_knows_and_what_runs_the_CPU_has()
        {
            string[] known = CpuId.Known.ToArray();
            Assert.Equal(known.Distinct(), known);
            foreach (KernelVariant variant in KernelVariant.All)
            {
                Assert.All(variant.CpuExtensions, e => Assert.Contains(e, known));
                if (variant.Runs && IsaSelection.CpuExtensions.Count > 0)
                {
                    // This process runs it, so the CPU reports what it needs (off x86 there is no CPUID to ask).
                    Assert.True(variant.CpuHas, $"{variant.Isa} runs but the CPU lacks one of {string.Join(", ", variant.CpuExtensions)}");
                }

                Assert.Equal(variant != KernelVariant.Fallback, variant.InstructionSet is not null);
            }

            Assert.Equal(IsaSelection.CpuExtensions.Distinct(), IsaSelection.CpuExtensions);
            Assert.All(IsaSelection.CpuExtensions, e => Assert.Contains(e, known));
            Assert.Equal(known.Where(IsaSelection.CpuExtensions.Contains), IsaSelection.CpuExtensions); // the decoder's order
            List<KernelIsa> preference = IsaSelection.Preference.ToList();
            Assert.True(preference.IndexOf(IsaSelection.CpuBest) <= preference.IndexOf(IsaSelection.Best));
            KernelIsa cpu = KernelVariant.All.First(v => v.CpuHas).Isa; // the fallback has no requirements, so one always matches
            Assert.Equal(preference.IndexOf(cpu) < preference.IndexOf(IsaSelection.Best) ? cpu : IsaSelection.Best, IsaSelection.CpuBest);
        }

        [SkippableTheory]
        [MemberData(nameof(EveryMember))]
        public void Every_supported_variant_is_reached_by_generated_and_run_time_shaped_kernels_and_matches_the_reference(KernelIsa isa)
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            const int rows = 37;
            ISoftmaxModel generated = Create("17x10", isa);
            var runtime = new RuntimeSoftmaxModel(17, 10) { Isa = isa };
            foreach (ISoftmaxModel model in new[] { generated, runtime })
            {
                string what = $"{model.GetType().Name} {isa}";
                Assert.Equal(isa, model.Isa);
                var random = new Random(18);
                Randomize(model, random);
                float[] x = Uniform(random, rows * model.Inputs, -1f, 1f);
                (byte[] pixels, float[] pixelFeatures) = Pixels(random, rows * model.Inputs);
                int[] labels = Labels(random, rows, model.Classes);
                SoftmaxReference reference = ReferenceOf(model);

                var logits = new float[rows * model.Classes];
                model.Forward(x, logits);
                AssertClose(reference.Forward(x), logits, $"{what} logits");
                model.Probabilities(pixels, logits);
                AssertClose(reference.Probabilities(pixelFeatures), logits, $"{what} byte probabilities");

                var dWExpected = new double[model.Weights.Length];
                var dbExpected = new double[model.Classes];
                double lossExpected = reference.LossAndGradient(pixelFeatures, labels, dWExpected, dbExpected);
                var dW = new float[model.Weights.Length];
                var db = new float[model.Classes];
                BatchResult result = model.LossAndGradient(Batch.Of(pixels).WithLabels(labels), dW, db);
                AssertClose(lossExpected, result.Loss, $"{what} loss");
                AssertClose(dWExpected, dW, $"{what} dW");
                AssertClose(dbExpected, db, $"{what} db");
            }
        }
    }
}
