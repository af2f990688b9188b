using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>Early stopping: the held-out split, the stop, the best weights put back, and a continued run.</summary>
    public sealed partial class EarlyStoppingTests
    {
        /// <summary>
        /// 120 rows of 20 features, labels from the first three features with a third of them replaced at random: a
        /// linear model learns the signal, then memorises the noise, and the held-out loss rises again.
        /// </summary>
        private static LabeledData Noisy(int seed)
        {
            var random = new Random(seed);
            float[] x = TestModels.Uniform(random, 120 * 20, -1f, 1f);
            int[] y = new int[120];
            for (int r = 0; r < 120; r++)
            {
                int signal = x[r * 20] > x[(r * 20) + 1] ? (x[(r * 20) + 2] > 0 ? 0 : 1) : 2;
                y[r] = random.NextDouble() < 0.35 ? random.Next(3) : signal;
            }

            return LabeledData.FromFeatures(x, y, 20);
        }

        [SoftmaxModel(Inputs = 20, Classes = 3)]
        internal partial class M20x3;

        private static TrainerOptions Options(EarlyStoppingOptions stopping, int threads = 1) => new()
        {
            Solver = TrainingSolver.Sgd,
            Epochs = 300, BatchSize = 16, Seed = 3, Threads = threads, EarlyStopping = stopping,
            Optimizer = new SgdOptions { LearningRate = 0.5f, Momentum = 0.9f },
        };

        [Fact]
        public void The_split_is_a_function_of_the_seed_and_partitions_the_rows()
        {
            var options = new EarlyStoppingOptions { HoldOutFraction = 0.25f };
            (int[] training, int[] heldOut) = options.Split(101, 7);
            Assert.Equal(26, heldOut.Length);
            Assert.Equal(Enumerable.Range(0, 101), training.Concat(heldOut).Order());
            Assert.Equal(training.Order(), training);
            Assert.Equal(heldOut, options.Split(101, 7).HeldOut);
            Assert.NotEqual(heldOut, options.Split(101, 8).HeldOut);
            Assert.Single(new EarlyStoppingOptions { HoldOutFraction = 0.01f }.Split(2, 1).HeldOut);
            Assert.Throws<ArgumentException>(() => options.Split(1, 7));
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void Training_stops_when_the_held_out_loss_stops_improving_and_keeps_the_best_weights(int threads)
        {
            LabeledData data = Noisy(1);
            var stopping = new EarlyStoppingOptions { HoldOutFraction = 0.25f, Patience = 4, MinImprovement = 1e-3 };
            var model = new M20x3();
            var trainer = new Trainer(model, Options(stopping, threads));
            trainer.Initialize();
            IReadOnlyList<EpochReport> reports = trainer.Fit(data);

            TrainingOutcome outcome = trainer.Outcome!;
            Assert.Equal(StopReason.EarlyStopped, outcome.Reason);
            Assert.Equal(reports.Count, outcome.LastEpoch);
            Assert.Equal(outcome.BestEpoch + stopping.Patience, outcome.LastEpoch);
            Assert.True(outcome.LastEpoch < 300);
            Assert.True(outcome.RestoredBestWeights);
            double[] heldOut = reports.Select(r => r.HeldOutLoss).ToArray();
            Assert.Equal(heldOut.Take(outcome.BestEpoch).Min(), outcome.BestHeldOutValue);
            Assert.Equal(heldOut[outcome.BestEpoch - 1], outcome.BestHeldOutValue);
            Assert.All(heldOut.Skip(outcome.BestEpoch), h => Assert.True(h >= outcome.BestHeldOutValue - stopping.MinImprovement));
            Assert.Contains("Stopped early after epoch", outcome.ToString());
            Assert.Contains($"best epoch was {outcome.BestEpoch}", outcome.ToString());

            // The model holds the best epoch's weights: its held-out loss is that epoch's, not the last one's.
            (_, int[] held) = stopping.Split(data.Count, 3);
            BatchResult now = model.Loss(data.Rows(held));
            Assert.Equal((float)outcome.BestHeldOutValue, now.Loss);
            Assert.NotEqual(heldOut[^1], now.Loss);

            // A further Fit trains nothing: the run has ended.
            Assert.Empty(trainer.Fit(data));
            Assert.Equal(StopReason.EarlyStopped, trainer.Outcome!.Reason);
        }

        [Fact]
        public void Held_out_rows_are_never_trained_on()
        {
            LabeledData data = Noisy(2);
            var stopping = new EarlyStoppingOptions { HoldOutFraction = 0.2f, Patience = 1000, RestoreBestWeights = false };
            TrainerOptions options = Options(stopping) with { Epochs = 5 };
            (_, int[] held) = stopping.Split(data.Count, options.Seed);
            float[] changed = data.Features!.ToArray();
            foreach (int r in held)
            {
                changed.AsSpan(r * 20, 20).Fill(3f);
            }

            var a = new M20x3();
            var ta = new Trainer(a, options);
            ta.Initialize();
            IReadOnlyList<EpochReport> ra = ta.Fit(data);
            var b = new M20x3();
            var tb = new Trainer(b, options);
            tb.Initialize();
            IReadOnlyList<EpochReport> rb = tb.Fit(LabeledData.FromFeatures(changed, data.Labels, 20));

            Assert.Equal(a.Weights.ToArray(), b.Weights.ToArray());
            Assert.Equal(ra.Select(r => r.TrainLoss), rb.Select(r => r.TrainLoss));
            Assert.NotEqual(ra[^1].HeldOutLoss, rb[^1].HeldOutLoss);
            Assert.Equal(StopReason.Completed, ta.Outcome!.Reason);
            Assert.Equal(5, ta.Outcome.LastEpoch);
        }

        [Fact]
        public void Accuracy_can_be_the_metric()
        {
            LabeledData data = Noisy(1);
            var stopping = new EarlyStoppingOptions { HoldOutFraction = 0.25f, Patience = 3, MinImprovement = 0, Metric = EarlyStoppingMetric.HeldOutAccuracy };
            var trainer = new Trainer(new M20x3(), Options(stopping));
            trainer.Initialize();
            IReadOnlyList<EpochReport> reports = trainer.Fit(data);
            TrainingOutcome outcome = trainer.Outcome!;
            Assert.Equal(StopReason.EarlyStopped, outcome.Reason);
            Assert.Equal(reports.Max(r => r.HeldOutAccuracy), outcome.BestHeldOutValue);
            Assert.Equal(reports.First(r => r.HeldOutAccuracy == outcome.BestHeldOutValue).Epoch, outcome.BestEpoch);
            Assert.Equal(outcome.BestHeldOutValue, Trainer.Accuracy(trainer.Model, Subset(data, stopping.Split(data.Count, 3).HeldOut)));
        }

        [Theory]
        [InlineData(2, 3)]
        [InlineData(4, 1)]
        public void A_run_cancelled_and_continued_stops_at_the_same_epoch_with_the_same_weights(int epoch, int batch)
        {
            LabeledData data = Noisy(1);
            var stopping = new EarlyStoppingOptions { HoldOutFraction = 0.25f, Patience = 4, MinImprovement = 1e-3 };
            TrainerOptions options = Options(stopping);
            var whole = new M20x3();
            var wholeTrainer = new Trainer(whole, options);
            wholeTrainer.Initialize();
            wholeTrainer.Fit(data);

            var first = new M20x3();
            var trainer = new Trainer(first, options);
            trainer.Initialize();
            using var cancel = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => trainer.Fit(data, null, new TrainerTests.SyncProgress(p =>
            {
                if (p.Epoch == epoch && p.Batch == batch && p.EpochCompleted is null)
                {
                    cancel.Cancel();
                }
            }), cancel.Token));
            TrainingState state = trainer.SaveState();
            Assert.NotNull(state.EarlyStopping);
            Assert.True(epoch < wholeTrainer.Outcome!.LastEpoch, $"the run stops at epoch {wholeTrainer.Outcome.LastEpoch}, before the cancellation");

            var resumed = new M20x3();
            first.Weights.CopyTo(resumed.Weights);
            first.Bias.CopyTo(resumed.Bias);
            var next = new Trainer(resumed, options);
            next.RestoreState(state);
            next.Fit(data);

            Assert.Equal(wholeTrainer.Outcome, next.Outcome);
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
        }

        [Fact]
        public void Bad_settings_are_rejected()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStoppingOptions { HoldOutFraction = 0f }.Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStoppingOptions { HoldOutFraction = 1f }.Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStoppingOptions { Patience = 0 }.Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStoppingOptions { MinImprovement = -1 }.Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStoppingOptions { MinImprovement = double.NaN }.Validate());
            Assert.Throws<ArgumentOutOfRangeException>(
                () => new Trainer(new M20x3(), new TrainerOptions { Solver = TrainingSolver.Sgd, EarlyStopping = new EarlyStoppingOptions { Patience = -2 } }));
        }

        [Fact]
        public void Without_early_stopping_the_outcome_says_completed()
        {
            (LabeledData train, _) = TrainerTests.Clusters(5, 100, 10);
            var trainer = new Trainer(new M17x10(), new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 2 });
            trainer.Initialize();
            Assert.Null(trainer.Outcome);
            IReadOnlyList<EpochReport> reports = trainer.Fit(train);
            Assert.Equal(new TrainingOutcome(StopReason.Completed, 2, 0, double.NaN, false), trainer.Outcome);
            Assert.True(double.IsNaN(reports[0].HeldOutLoss));
            Assert.Null(trainer.SaveState().EarlyStopping);
        }

        private static LabeledData Subset(LabeledData data, int[] rows) =>
            LabeledData.FromFeatures(TestModels.Gather(data.Features!, data.Inputs, rows), rows.Select(r => data.Labels[r]).ToArray(), data.Inputs);
    }
}
