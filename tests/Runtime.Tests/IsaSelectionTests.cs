using System;
using System.Linq;
using System.Runtime.Intrinsics.X86;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>
    /// The preference table, the supported list, and how a GENSOFTMAX_ISA value is read. Every test holds whatever
    /// GENSOFTMAX_ISA the suite runs under: <see cref="IsaSelection.Choose"/> is given the value, not the environment.
    /// </summary>
    public sealed class IsaSelectionTests
    {
        private const string Names = "Portable, Avx2, Avx512";

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("   ")]
        public void No_value_chooses_the_best_variant_without_error(string? requested)
        {
            (KernelIsa isa, string? error) = IsaSelection.Choose(requested);

            Assert.Null(error);
            Assert.Equal(IsaSelection.Best, isa);
        }

        [Theory]
        [InlineData("portable")]
        [InlineData("Portable")]
        [InlineData(" PORTABLE ")]
        public void Portable_is_chosen_in_any_case(string requested)
        {
            Assert.Equal((KernelIsa.Portable, (string?)null), IsaSelection.Choose(requested));
        }

        [Theory]
        [InlineData("avx2", KernelIsa.Avx2)]
        [InlineData("AVX512", KernelIsa.Avx512)]
        public void A_supported_variant_is_chosen_and_an_unsupported_one_is_explained(string requested, KernelIsa expected)
        {
            (KernelIsa isa, string? error) = IsaSelection.Choose(requested);

            if (IsaSelection.IsSupported(expected))
            {
                Assert.Null(error);
                Assert.Equal(expected, isa);
            }
            else
            {
                Assert.Equal(IsaSelection.Best, isa);
                Assert.NotNull(error);
                Assert.Contains($"GENSOFTMAX_ISA='{requested}' asks for the {expected} kernels", error);
                Assert.Contains("cannot run", error);
                Assert.Contains($"set it to one of {string.Join(", ", IsaSelection.Supported)}, or unset it", error);
            }
        }

        [Theory]
        [InlineData("sse9")]
        [InlineData("1")]
        [InlineData("2")]
        [InlineData("-1")]
        [InlineData("avx")]
        [InlineData("Avx2,Avx512")]
        public void A_value_that_names_no_variant_is_an_error_naming_every_variant(string requested)
        {
            (KernelIsa isa, string? error) = IsaSelection.Choose(requested);

            Assert.Equal(IsaSelection.Best, isa);
            Assert.NotNull(error);
            Assert.Contains($"GENSOFTMAX_ISA='{requested}' is not a kernel variant", error);
            Assert.Contains($"set it to one of {Names}, or unset it", error);
        }

        [Fact]
        public void Preference_is_Avx512_then_Avx2_then_Portable()
        {
            Assert.Equal(new[] { KernelIsa.Avx512, KernelIsa.Avx2, KernelIsa.Portable }, IsaSelection.Preference);
            Assert.Equal(Enum.GetValues<KernelIsa>().OrderBy(v => v), IsaSelection.Preference.OrderBy(v => v)); // every variant once
        }

        [Fact]
        public void Supported_is_the_runnable_variants_in_preference_order_and_always_has_Portable()
        {
            Assert.Contains(KernelIsa.Portable, IsaSelection.Supported);
            Assert.Equal(IsaSelection.Preference.Where(IsaSelection.IsSupported), IsaSelection.Supported);
            Assert.Equal(IsaSelection.Supported[0], IsaSelection.Best);
            Assert.True(IsaSelection.IsSupported(KernelIsa.Portable));
            Assert.False(IsaSelection.IsSupported((KernelIsa)7));
        }

        [Fact]
        public void A_variant_is_supported_only_with_the_instructions_it_calls()
        {
            if (IsaSelection.IsSupported(KernelIsa.Avx512))
            {
                Assert.True(Avx512F.IsSupported);
                Assert.True(Sse3.IsSupported);
            }

            if (IsaSelection.IsSupported(KernelIsa.Avx2))
            {
                Assert.True(Avx2.IsSupported);
                Assert.True(Fma.IsSupported);
                Assert.True(Sse3.IsSupported);
            }

            Assert.Equal(Avx512F.IsSupported && Sse3.IsSupported, IsaSelection.IsSupported(KernelIsa.Avx512));
            Assert.Equal(Avx2.IsSupported && Fma.IsSupported && Sse3.IsSupported, IsaSelection.IsSupported(KernelIsa.Avx2));
        }

        [Fact]
        public void Default_is_what_the_environment_chooses_and_a_new_model_starts_with_it()
        {
            string? value = Environment.GetEnvironmentVariable(IsaSelection.EnvironmentVariable);
            (KernelIsa chosen, string? error) = IsaSelection.Choose(value);
            Assert.Null(error); // the suite runs with GENSOFTMAX_ISA unset or naming a supported variant

            Assert.Equal(chosen, IsaSelection.Default);
            Assert.Equal(IsaSelection.Default, new Models.M3x3().Isa);
            if (string.IsNullOrWhiteSpace(value))
            {
                Assert.Equal(IsaSelection.Best, IsaSelection.Default);
            }
        }

        [Fact]
        public void EnsureSupported_passes_supported_variants_and_names_the_runnable_ones_otherwise()
        {
            foreach (KernelIsa isa in IsaSelection.Supported)
            {
                IsaSelection.EnsureSupported(isa);
            }

            var e = Assert.Throws<PlatformNotSupportedException>(() => IsaSelection.EnsureSupported((KernelIsa)7));
            Assert.Contains(string.Join(", ", IsaSelection.Supported), e.Message);
        }

        [Theory]
        [InlineData(KernelIsa.Avx512, KernelIsa.Avx2, "compiled for x86-64-v3 (at most Avx2), without Avx512", "x86-64-v4")]
        [InlineData(KernelIsa.Avx512, KernelIsa.Portable, "compiled for baseline x86-64 (at most Portable), without Avx512", "x86-64-v4")]
        [InlineData(KernelIsa.Avx2, KernelIsa.Portable, "compiled for baseline x86-64 (at most Portable), without Avx2", "x86-64-v3")]
        public void A_native_binary_missing_a_variant_names_the_level_it_has_and_the_one_to_publish_with(
            KernelIsa missing, KernelIsa best, string compiled, string level)
        {
            string message = IsaSelection.CompiledWithoutMessage(missing, best, nativeAot: true);
            Assert.Contains(compiled, message);
            Assert.Contains($"-p:IlcInstructionSet={level}", message);
            Assert.Contains($"the slower {best} kernels", message);
        }
    }
}
