using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Reference;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.Training.TrainingData;

namespace GenSoftmax.Tests.Training
{
    /// <summary>Training on soft targets and with label smoothing, checked against the double reference.</summary>
    public sealed class SoftTargetTests
    {
        private const int Rows = 150, BatchSize = 32, Seed = 9, Epochs = 2;
        private const float Rate = 0.5f;

        private static TrainerOptions Options(int threads, float smoothing = 0f) => new()
        {
            Solver = TrainingSolver.Sgd,
            BatchSize = BatchSize, Epochs = Epochs, Seed = Seed, Threads = threads, LabelSmoothing = smoothing,
            Optimizer = new SgdOptions { LearningRate = Rate },
        };

        /// <summary>Random rows as pixels, and the same rows as features (pixel / 255), with labels and soft targets.</summary>
        private static (LabeledData Pixels, LabeledData Features, float[] Targets) Data(int seed)
        {
            var random = new Random(seed);
            (byte[] pixels, float[] features) = TestModels.Pixels(random, Rows * 17);
            int[] labels = TestModels.Labels(random, Rows, 10);
            return (LabeledData.FromPixels(pixels, labels, 17), LabeledData.FromFeatures(features, labels, 17), TestModels.Targets(random, Rows, 10));
        }

        private static M17x10 Start(TrainerOptions options, out Trainer trainer)
        {
            var model = new M17x10();
            trainer = new Trainer(model, options);
            trainer.Initialize();
            return model;
        }

        [Theory]
        [InlineData(false, 1)]
        [InlineData(true, 1)]
        [InlineData(false, 2)]
        [InlineData(true, 3)]
        public void Soft_targets_train_as_the_reference_does(bool pixels, int threads)
        {
            (LabeledData p, LabeledData f, float[] targets) = Data(1);
            M17x10 model = Start(Options(threads), out Trainer trainer);
            SoftmaxReference reference = TestModels.ReferenceOf(model);

            trainer.FitTargets(new SoftTargets(pixels ? p : f, targets, 10));
            ReferenceEpochs(reference, f.Features!, targets, Seed, BatchSize, Epochs, Rate);

            TestModels.AssertClose(reference.Weights.Select(w => (double)w).ToArray(), model.Weights, "weights");
            TestModels.AssertClose(reference.Bias.Select(b => (double)b).ToArray(), model.Bias, "bias");
            Assert.NotEqual(new M17x10().Weights.ToArray(), model.Weights.ToArray());
        }

        [Theory]
        [InlineData(false, 1, 0.1f)]
        [InlineData(true, 2, 0.1f)]
        [InlineData(false, 1, 0.5f)]
        public void Label_smoothing_trains_on_the_smoothed_one_hot_targets(bool pixels, int threads, float epsilon)
        {
            (LabeledData p, LabeledData f, _) = Data(2);
            M17x10 model = Start(Options(threads, epsilon), out Trainer trainer);
            SoftmaxReference reference = TestModels.ReferenceOf(model);

            IEpochs(trainer.Fit(pixels ? p : f));
            ReferenceEpochs(reference, f.Features!, Smoothed(f.Labels, 10, epsilon), Seed, BatchSize, Epochs, Rate);

            TestModels.AssertClose(reference.Weights.Select(w => (double)w).ToArray(), model.Weights, "weights");
            TestModels.AssertClose(reference.Bias.Select(b => (double)b).ToArray(), model.Bias, "bias");

            // Without smoothing the same run ends elsewhere: the option is not ignored.
            M17x10 plain = Start(Options(threads), out Trainer plainTrainer);
            plainTrainer.Fit(pixels ? p : f);
            Assert.True(MaxDifference(plain.Weights, model.Weights) > 1e-3, "smoothing changed nothing");
        }

        [Fact]
        public void Label_smoothing_applies_to_soft_targets_too()
        {
            (_, LabeledData f, float[] targets) = Data(3);
            const float Epsilon = 0.2f;
            M17x10 model = Start(Options(1, Epsilon), out Trainer trainer);
            SoftmaxReference reference = TestModels.ReferenceOf(model);

            trainer.FitTargets(new SoftTargets(f, targets, 10));
            float[] smoothed = targets.Select(t => ((1f - Epsilon) * t) + (Epsilon / 10)).ToArray();
            ReferenceEpochs(reference, f.Features!, smoothed, Seed, BatchSize, Epochs, Rate);

            TestModels.AssertClose(reference.Weights.Select(w => (double)w).ToArray(), model.Weights, "weights");
        }

        /// <summary>
        /// The chapter's question on the binary case: with targets 0.9 / 0.1 instead of 1 / 0, the loss has a finite
        /// minimum. One feature x = ±1 with label (x > 0): the logit difference at x = 1 settles at log 9 (p = 0.9) and the
        /// loss at the targets' entropy, while hard labels keep pushing it up.
        /// </summary>
        [Fact]
        public void Binary_targets_of_0_9_and_0_1_settle_at_log_9()
        {
            float[] x = Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? 1f : -1f).ToArray();
            int[] y = x.Select(v => v > 0 ? 1 : 0).ToArray();
            LabeledData data = LabeledData.FromFeatures(x, y, 1);
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, BatchSize = 200, Epochs = 300, Optimizer = new SgdOptions { LearningRate = 1f } };

            var soft = new M1x2();
            var softTrainer = new Trainer(soft, options);
            softTrainer.Initialize();
            IReadOnlyList<EpochReport> reports = softTrainer.FitTargets(SoftTargets.OnLabels(data, 0.9f, 2));
            var hard = new M1x2();
            var hardTrainer = new Trainer(hard, options);
            hardTrainer.Initialize();
            hardTrainer.Fit(data);

            double softGap = soft.Weights[1] - soft.Weights[0];
            double entropy = -((0.9 * Math.Log(0.9)) + (0.1 * Math.Log(0.1)));
            Assert.InRange(softGap, Math.Log(9) - 1e-3, Math.Log(9) + 1e-3);
            Assert.InRange(soft.Bias[1] - soft.Bias[0], -1e-3, 1e-3);
            Assert.InRange(reports[^1].TrainLoss, entropy - 1e-5, entropy + 1e-4);
            Assert.Equal(1.0, reports[^1].TrainAccuracy);
            Assert.True(hard.Weights[1] - hard.Weights[0] > 4, $"hard labels' logit gap {hard.Weights[1] - hard.Weights[0]} should keep growing past log 9");
        }

        [Fact]
        public void Targets_that_are_not_distributions_are_rejected_with_the_row()
        {
            (_, LabeledData f, float[] targets) = Data(4);
            float[] bad = targets.ToArray();
            bad[(7 * 10) + 3] += 0.5f;
            ArgumentException e = Assert.Throws<ArgumentException>(() => new SoftTargets(f, bad, 10));
            Assert.Contains("row 7", e.Message);

            bad = targets.ToArray();
            bad[(5 * 10) + 2] = float.NaN;
            e = Assert.Throws<ArgumentException>(() => new SoftTargets(f, bad, 10));
            Assert.Contains("targets[5, 2]", e.Message);

            e = Assert.Throws<ArgumentException>(() => new SoftTargets(f, targets.AsSpan(10).ToArray(), 10));
            Assert.Contains("one probability vector per row", e.Message);

            var trainer = new Trainer(new M17x17());
            e = Assert.Throws<ArgumentException>(() => trainer.FitTargets(new SoftTargets(f, targets, 10)));
            Assert.Contains("10 classes but the model has 17", e.Message);
        }

        [Fact]
        public void Label_smoothing_out_of_range_is_rejected()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(new M17x10(), new TrainerOptions { Solver = TrainingSolver.Sgd, LabelSmoothing = 1f }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(new M17x10(), new TrainerOptions { Solver = TrainingSolver.Sgd, LabelSmoothing = -0.1f }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(new M17x10(), new TrainerOptions { Solver = TrainingSolver.Sgd, LabelSmoothing = float.NaN }));
        }

        private static void IEpochs(IReadOnlyList<EpochReport> reports) => Assert.Equal(Epochs, reports.Count);

        private static double MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        {
            double max = 0;
            for (int i = 0; i < a.Length; i++)
            {
                max = Math.Max(max, Math.Abs(a[i] - b[i]));
            }

            return max;
        }
    }
}
