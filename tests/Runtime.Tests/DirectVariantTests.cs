using System;
using System.Linq;
using GenSoftmax.Tests.Models;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>The ISA-suffixed methods run exactly the kernels the Isa property selects.</summary>
    public sealed class DirectVariantTests
    {
        public static TheoryData<KernelIsa> Variants() => new TheoryData<KernelIsa>(TestModels.Variants);

        [SkippableTheory]
        [MemberData(nameof(Variants))]
        public void Suffixed_methods_match_dispatch_bit_for_bit(KernelIsa isa)
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            var random = new Random(21);
            var direct = new M17x10();
            TestModels.Randomize(direct, random);
            var dispatched = new M17x10();
            direct.Weights.CopyTo(dispatched.Weights);
            direct.Bias.CopyTo(dispatched.Bias);
            dispatched.Isa = isa;

            byte[] pixels = new byte[40 * 17];
            random.NextBytes(pixels);
            float[] x = pixels.Select(p => p / 255f).ToArray();
            int[] labels = Enumerable.Range(0, 40).Select(_ => random.Next(10)).ToArray();
            int[] rows = Enumerable.Range(0, 33).Select(_ => random.Next(40)).ToArray();
            var dW1 = new float[170];
            var db1 = new float[10];
            var dW2 = new float[170];
            var db2 = new float[10];

            (BatchResult a, BatchResult b) = isa switch
            {
                KernelIsa.Avx512 => (direct.LossAndGradientAvx512(pixels, labels, rows, dW1, db1), dispatched.LossAndGradient(pixels, labels, rows, dW2, db2)),
                KernelIsa.Avx2 => (direct.LossAndGradientAvx2(pixels, labels, rows, dW1, db1), dispatched.LossAndGradient(pixels, labels, rows, dW2, db2)),
                _ => (direct.LossAndGradientPortable(pixels, labels, rows, dW1, db1), dispatched.LossAndGradient(pixels, labels, rows, dW2, db2)),
            };
            Assert.Equal(b, a);
            Assert.Equal(dW2, dW1);
            Assert.Equal(db2, db1);

            (a, b) = isa switch
            {
                KernelIsa.Avx512 => (direct.TrainStepAvx512(x, labels, rows, 0.3f), dispatched.TrainStep(x, labels, rows, 0.3f)),
                KernelIsa.Avx2 => (direct.TrainStepAvx2(x, labels, rows, 0.3f), dispatched.TrainStep(x, labels, rows, 0.3f)),
                _ => (direct.TrainStepPortable(x, labels, rows, 0.3f), dispatched.TrainStep(x, labels, rows, 0.3f)),
            };
            Assert.Equal(b, a);
            Assert.Equal(dispatched.Weights.ToArray(), direct.Weights.ToArray());

            var p1 = new int[40];
            var p2 = new int[40];
            switch (isa)
            {
                case KernelIsa.Avx512: direct.PredictAvx512(pixels, p1); break;
                case KernelIsa.Avx2: direct.PredictAvx2(pixels, p1); break;
                default: direct.PredictPortable(pixels, p1); break;
            }

            dispatched.Predict(pixels, p2);
            Assert.Equal(p2, p1);
        }
    }
}
