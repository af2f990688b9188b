using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>Learning-rate schedules: their formulas, that the trainer follows them, and that a continued run stays bit-identical.</summary>
    public sealed class ScheduleTests
    {
        [Fact]
        public void Constant_is_the_base_rate_everywhere()
        {
            LearningRateSchedule s = LearningRateSchedule.Constant;
            Assert.Equal(0.1f, s.RateAt(0.1f, 1, 0, 10, 5));
            Assert.Equal(0.1f, s.RateAt(0.1f, 5, 9, 10, 5));
        }

        [Fact]
        public void Step_decay_multiplies_by_the_factor_every_k_epochs()
        {
            LearningRateSchedule s = LearningRateSchedule.StepDecay(everyEpochs: 2, factor: 0.5f);
            float[] perEpoch = Enumerable.Range(1, 6).Select(e => s.RateAt(0.8f, e, 3, 4, 6)).ToArray();
            Assert.Equal(new[] { 0.8f, 0.8f, 0.4f, 0.4f, 0.2f, 0.2f }, perEpoch);
        }

        [Fact]
        public void Cosine_falls_by_half_a_wave_batch_by_batch()
        {
            LearningRateSchedule s = LearningRateSchedule.Cosine();
            // 4 epochs x 5 batches = 20 steps: step 0 has the full rate, step 10 half of it, step 19 nearly nothing.
            Assert.Equal(1f, s.RateAt(1f, 1, 0, 5, 4));
            Assert.Equal(0.5f, s.RateAt(1f, 3, 0, 5, 4), 6);
            Assert.Equal((1 + Math.Cos(Math.PI * 19 / 20)) / 2, s.RateAt(1f, 4, 4, 5, 4), 6);
            float[] all = Enumerable.Range(1, 4).SelectMany(e => Enumerable.Range(0, 5).Select(b => s.RateAt(1f, e, b, 5, 4))).ToArray();
            Assert.True(all.Zip(all.Skip(1)).All(p => p.Second < p.First), "cosine decreases every batch");
            Assert.True(all.All(r => r > 0), "and stays positive");

            LearningRateSchedule floor = LearningRateSchedule.Cosine(finalFraction: 0.1f);
            Assert.Equal(0.1 + (0.9 * 0.5), floor.RateAt(1f, 3, 0, 5, 4), 6);
        }

        [Fact]
        public void Warm_up_rises_linearly_then_hands_over()
        {
            LearningRateSchedule s = LearningRateSchedule.Cosine(warmupEpochs: 1);
            // 1 warm-up epoch of 4 batches: 1/4, 2/4, 3/4, 4/4 of the rate; then cosine over the remaining 3 epochs (12 steps).
            Assert.Equal(new[] { 0.25f, 0.5f, 0.75f, 1f }, Enumerable.Range(0, 4).Select(b => s.RateAt(1f, 1, b, 4, 4)).ToArray());
            Assert.Equal(1f, s.RateAt(1f, 2, 0, 4, 4));
            Assert.Equal(0.5f, s.RateAt(1f, 3, 2, 4, 4), 6);

            LearningRateSchedule constant = LearningRateSchedule.Constant with { WarmupEpochs = 2 };
            Assert.Equal(0.125f, constant.RateAt(1f, 1, 0, 4, 3));
            Assert.Equal(1f, constant.RateAt(1f, 3, 0, 4, 3));
        }

        [Fact]
        public void Bad_settings_and_positions_are_rejected()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(0, 0.1f).Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(2, 0f).Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(2, 1.5f).Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(1f).Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(0f, -1).Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => (LearningRateSchedule.Constant with { Kind = (LearningRateScheduleKind)7 }).Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(new M17x10(), new TrainerOptions { Solver = TrainingSolver.Sgd, Schedule = LearningRateSchedule.Cosine(2f) }));
            Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant.RateAt(1f, 4, 0, 5, 3));
            Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant.RateAt(1f, 1, 5, 5, 3));
        }

        [Fact]
        public void The_trainer_sets_each_batchs_rate_from_the_schedule()
        {
            (LabeledData train, _) = TrainerTests.Clusters(3, 330, 10);
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Epochs = 3, BatchSize = 32, Schedule = LearningRateSchedule.Cosine(0.05f, warmupEpochs: 1),
                Optimizer = new SgdOptions { LearningRate = 0.4f, Momentum = 0.9f },
            };
            var trainer = new Trainer(new M17x10(), options);
            trainer.Initialize();
            var seen = new List<float>();
            trainer.Fit(train, null, new TrainerTests.SyncProgress(p =>
            {
                if (p.EpochCompleted is null)
                {
                    seen.Add(trainer.Optimizer.LearningRate);
                }
            }));

            float[] expected = Enumerable.Range(1, 3).SelectMany(e => Enumerable.Range(0, 11).Select(b => options.Schedule.RateAt(0.4f, e, b, 11, 3))).ToArray();
            Assert.Equal(expected, seen);
            Assert.Equal(expected[^1], trainer.History[^1].LearningRate);
        }

        [Theory]
        [InlineData(1, 2, 3)]
        [InlineData(2, 1, 7)]
        public void A_scheduled_run_cancelled_mid_epoch_and_continued_is_bit_identical(int threads, int epoch, int batch)
        {
            (LabeledData train, LabeledData validation) = TrainerTests.Clusters(4, 330, 50);
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Epochs = 3, BatchSize = 32, Seed = 5, Threads = threads, Schedule = LearningRateSchedule.Cosine(0f, warmupEpochs: 1),
                Optimizer = new SgdOptions { LearningRate = 0.3f, Momentum = 0.9f, WeightDecay = 1e-3f },
            };
            (M17x10 whole, IReadOnlyList<EpochReport> wholeReports) = TrainerTests.Train(options, train, validation);

            var first = new M17x10();
            var trainer = new Trainer(first, options);
            trainer.Initialize();
            using var cancel = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => trainer.Fit(train, validation, new TrainerTests.SyncProgress(p =>
            {
                if (p.Epoch == epoch && p.Batch == batch && p.EpochCompleted is null)
                {
                    cancel.Cancel();
                }
            }), cancel.Token));
            TrainingState state = trainer.SaveState();

            var resumed = new M17x10();
            first.Weights.CopyTo(resumed.Weights);
            first.Bias.CopyTo(resumed.Bias);
            var next = new Trainer(resumed, options);
            next.RestoreState(state);
            next.Fit(train, validation);

            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
            Assert.Equal(wholeReports[^1] with { Seconds = 0 }, next.History[^1] with { Seconds = 0 });
        }
    }
}
