using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.TrainerTests;

namespace GenSoftmax.Tests
{
    /// <summary>A run stopped (at an epoch's end, or cancelled mid-epoch), saved and continued in a new model and trainer.</summary>
    public sealed class ResumeTests
    {
        private const int Total = 3;

        // 330 rows in batches of 32: 10 full batches and one of 10.
        private static readonly (LabeledData Train, LabeledData Validation) Data = Clusters(51, 330, 100);

        private static TrainerOptions Options(int threads) => new()
        {
            Solver = TrainingSolver.Sgd,
            Epochs = Total, BatchSize = 32, Seed = 17, Threads = threads,
            Optimizer = new SgdOptions { LearningRate = 0.2f, Momentum = 0.9f, WeightDecay = 1e-3f },
        };

        /// <summary>The run never stopped.</summary>
        private static (M17x10 Model, IReadOnlyList<EpochReport> Reports) Uninterrupted(TrainerOptions options) =>
            Train(options, Data.Train, Data.Validation);

        /// <summary>A new model with the saved parameters and a new trainer with the state: the run continued elsewhere.</summary>
        private static (M17x10 Model, IReadOnlyList<EpochReport> Reports) Continue(ISoftmaxModel saved, TrainingState state, TrainerOptions options)
        {
            var model = new M17x10();
            saved.Weights.CopyTo(model.W);
            saved.Bias.CopyTo(model.B);
            var trainer = new Trainer(model, options);
            trainer.RestoreState(state);
            Assert.Equal(state.CompletedEpochs, trainer.CompletedEpochs);
            return (model, trainer.Fit(Data.Train, Data.Validation));
        }

        /// <summary>Reports compare without their wall time.</summary>
        private static EpochReport[] Untimed(IEnumerable<EpochReport> reports) => reports.Select(r => r with { Seconds = 0 }).ToArray();

        // One thread draws the next order on a thread-pool thread (a CPU is free); two threads on two CPUs draw it in the
        // step's waits.
        [SkippableTheory]
        [InlineData(1)]
        [InlineData(2)]
        public void Drawing_the_next_epochs_order_ahead_trains_bit_identically(int threads)
        {
            Skip.If(threads == 1 && Environment.ProcessorCount < 2, "one thread draws ahead only where a CPU is left beside it");
            TrainerOptions options = Options(threads) with { Epochs = 5 };
            var ahead = new M17x10();
            var aheadTrainer = new Trainer(ahead, options);
            aheadTrainer.Initialize();
            IReadOnlyList<EpochReport> aheadReports = aheadTrainer.Fit(Data.Train, Data.Validation);

            var inline = new M17x10();
            var inlineTrainer = new Trainer(inline, options) { ShufflesAhead = false };
            inlineTrainer.Initialize();
            IReadOnlyList<EpochReport> inlineReports = inlineTrainer.Fit(Data.Train, Data.Validation);

            Assert.Equal(3, aheadTrainer.OrdersDrawnAhead); // epochs 3-5 (epoch 2's is drawn ahead of epoch 3)
            Assert.Equal(0, inlineTrainer.OrdersDrawnAhead);
            Assert.Equal(Untimed(inlineReports), Untimed(aheadReports));
            Assert.Equal(inline.Weights.ToArray(), ahead.Weights.ToArray());
            Assert.Equal(inline.Bias.ToArray(), ahead.Bias.ToArray());

            // Two threads with no draws in the waits: every order drawn ahead is finished at its epoch's start.
            if (threads == 2)
            {
                var late = new M17x10();
                var lateTrainer = new Trainer(late, options) { DrawsPerWait = 0 };
                lateTrainer.Initialize();
                Assert.Equal(Untimed(inlineReports), Untimed(lateTrainer.Fit(Data.Train, Data.Validation)));
                Assert.Equal(inline.Weights.ToArray(), late.Weights.ToArray());
            }

            // The same trainer taken back to the state after epoch 1: the order drawn ahead is epoch 6's, not the one
            // wanted, so the orders replay from the seed and epochs 2-5 come out as before.
            var first = new M17x10();
            var one = new Trainer(first, options with { Epochs = 1 });
            one.Initialize();
            _ = one.Fit(Data.Train, Data.Validation);
            TrainingState state = one.SaveState();
            first.Weights.CopyTo(ahead.W);
            first.Bias.CopyTo(ahead.B);
            aheadTrainer.RestoreState(state);
            IReadOnlyList<EpochReport> replayed = aheadTrainer.Fit(Data.Train, Data.Validation);
            Assert.Equal(Untimed(inlineReports.Skip(1)), Untimed(replayed));
            Assert.Equal(inline.Weights.ToArray(), ahead.Weights.ToArray());
        }

        [Theory]
        [InlineData(1, 1)]
        [InlineData(1, 2)]
        [InlineData(2, 1)]
        [InlineData(2, 2)]
        public void A_run_continued_from_an_epoch_boundary_is_bit_identical(int threads, int stopAfter)
        {
            TrainerOptions options = Options(threads);
            (M17x10 whole, IReadOnlyList<EpochReport> wholeReports) = Uninterrupted(options);

            var first = new M17x10();
            var trainer = new Trainer(first, options with { Epochs = stopAfter });
            trainer.Initialize();
            IReadOnlyList<EpochReport> before = trainer.Fit(Data.Train, Data.Validation);
            TrainingState state = trainer.SaveState();
            Assert.Equal(stopAfter, state.CompletedEpochs);
            Assert.Equal(0, state.BatchesDone);
            Assert.Equal(options.Seed, state.Seed);
            Assert.Equal(170, state.VelocityOfW.Length);
            Assert.Contains(state.VelocityOfW, v => v != 0f);

            (M17x10 resumed, IReadOnlyList<EpochReport> after) = Continue(first, state, options);

            Assert.Equal(Enumerable.Range(stopAfter + 1, Total - stopAfter), after.Select(r => r.Epoch));
            Assert.Equal(Untimed(wholeReports), Untimed(before.Concat(after)));
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
        }

        [Theory]
        [InlineData(1, 1, 4)]
        [InlineData(2, 1, 4)]
        [InlineData(1, 2, 10)]
        [InlineData(2, 3, 1)]
        public void A_run_cancelled_mid_epoch_and_continued_is_bit_identical(int threads, int epoch, int batch)
        {
            TrainerOptions options = Options(threads);
            (M17x10 whole, IReadOnlyList<EpochReport> wholeReports) = Uninterrupted(options);

            (M17x10 stopped, TrainingState state, List<EpochReport> before) = Cancelled(options, epoch, batch);
            Assert.Equal(epoch - 1, state.CompletedEpochs);
            Assert.Equal(batch, state.BatchesDone);
            Assert.True(state.EpochLossSum > 0, "the partial epoch's loss is saved");

            (M17x10 resumed, IReadOnlyList<EpochReport> after) = Continue(stopped, state, options);

            Assert.Equal(Enumerable.Range(epoch, Total - epoch + 1), after.Select(r => r.Epoch));
            Assert.Equal(Untimed(wholeReports), Untimed(before.Concat(after)));
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
        }

        [Theory]
        [InlineData(1, 1, 1)]
        [InlineData(1, 2, 5)]
        [InlineData(2, 2, 5)]
        [InlineData(2, 1, 10)]
        public void Cancellation_stops_after_the_batch_that_was_done(int threads, int epoch, int batch)
        {
            TrainerOptions options = Options(threads);

            // A run that records the parameters as they are after every batch.
            var snapshots = new Dictionary<(int Epoch, int Batch), (float[] W, float[] B)>();
            var recorded = new M17x10();
            var recorder = new Trainer(recorded, options);
            recorder.Initialize();
            recorder.Fit(Data.Train, null, new SyncProgress(p =>
            {
                if (p.EpochCompleted is null)
                {
                    snapshots[(p.Epoch, p.Batch)] = (recorded.Weights.ToArray(), recorded.Bias.ToArray());
                }
            }));
            Assert.Equal(Total * 11, snapshots.Count);

            (M17x10 stopped, TrainingState state, _) = Cancelled(options, epoch, batch, validation: false);
            Assert.Equal(batch, state.BatchesDone);
            Assert.Equal(epoch - 1, state.CompletedEpochs);
            Assert.Equal(snapshots[(epoch, batch)].W, stopped.Weights.ToArray());
            Assert.Equal(snapshots[(epoch, batch)].B, stopped.Bias.ToArray());

            if (threads == 1)
            {
                // And bit for bit a plain Sgd loop over those batches of the documented shuffles.
                var manual = new M17x10();
                Trainer.Initialize(manual, options.Seed, options.InitStdDev);
                var sgd = new Sgd(manual, options.Optimizer);
                ManualEpochs(manual, sgd, Data.Train, options, epoch, batch, out _);
                Assert.Equal(manual.Weights.ToArray(), stopped.Weights.ToArray());
                Assert.Equal(manual.Bias.ToArray(), stopped.Bias.ToArray());
                Assert.Equal(sgd.VelocityOfW.ToArray(), state.VelocityOfW);
                Assert.Equal(sgd.VelocityOfB.ToArray(), state.VelocityOfB);
            }
        }

        [Fact]
        public void A_token_cancelled_before_Fit_trains_nothing()
        {
            var model = new M17x10();
            var trainer = new Trainer(model, Options(1));
            trainer.Initialize();
            float[] initial = model.Weights.ToArray();
            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(Data.Train, null, null, new CancellationToken(canceled: true)));
            Assert.Equal(initial, model.Weights.ToArray());
            Assert.Equal(0, trainer.SaveState().BatchesDone);
            Assert.Equal(0, trainer.CompletedEpochs);

            // The same trainer carries on from there when asked again.
            Assert.Equal(Total, trainer.Fit(Data.Train).Count);
        }

        [Fact]
        public void A_state_from_another_run_is_refused()
        {
            var model = new M17x10();
            var trainer = new Trainer(model, Options(1) with { Epochs = 1 });
            trainer.Initialize();
            trainer.Fit(Data.Train);
            TrainingState state = trainer.SaveState();

            var other = new Trainer(new M17x10(), Options(1) with { Seed = 18 });
            var e = Assert.Throws<ArgumentException>(() => other.RestoreState(state));
            Assert.Contains("seed 17, but this trainer's seed is 18", e.Message);

            var plain = new Trainer(new M17x10(), Options(1) with { Optimizer = new SgdOptions() });
            Assert.Contains("has a velocity, but the trainer options have no momentum", Assert.Throws<ArgumentException>(() => plain.RestoreState(state)).Message);

            // The other way round: a plain run's state (no velocity saved) into a trainer with momentum.
            plain.Initialize();
            plain.Fit(Data.Train);
            TrainingState plainState = plain.SaveState();
            var withMomentum = new Trainer(new M17x10(), Options(1));
            Assert.Contains(
                "have momentum, but the training state has no velocity", Assert.Throws<ArgumentException>(() => withMomentum.RestoreState(plainState)).Message);

            Assert.Contains(
                "is negative", Assert.Throws<ArgumentException>(() => new Trainer(new M17x10(), Options(1)).RestoreState(state with { BatchesDone = -1 })).Message);

            // Numbers no run makes are refused as the model-file readers refuse them.
            Assert.Contains(
                "loss sum is NaN", Assert.Throws<ArgumentException>(() => new Trainer(new M17x10(), Options(1)).RestoreState(state with { BatchesDone = 1, EpochLossSum = double.NaN })).Message);
            Assert.Contains(
                "learning rate is -1", Assert.Throws<ArgumentException>(() => new Trainer(new M17x10(), Options(1)).RestoreState(state with { LearningRate = -1f })).Message);

            // A position past the end of an epoch of this data: the run started with other data.
            var resumed = new Trainer(new M17x10(), Options(1));
            resumed.RestoreState(state with { BatchesDone = 12 });
            var wrong = Assert.Throws<InvalidOperationException>(() => resumed.Fit(Data.Train));
            Assert.Contains("batch 12 of an epoch, but this data has 11 batches", wrong.Message);
        }

        /// <summary>
        /// A fresh run cancelled from its progress callback after <paramref name="batch"/> of <paramref name="epoch"/>:
        /// the model, its saved state, and the reports of the epochs completed before.
        /// </summary>
        private static (M17x10 Model, TrainingState State, List<EpochReport> Completed) Cancelled(
            TrainerOptions options, int epoch, int batch, bool validation = true)
        {
            var model = new M17x10();
            var trainer = new Trainer(model, options);
            trainer.Initialize();
            using var cancel = new CancellationTokenSource();
            var completed = new List<EpochReport>();
            int batchesSeen = 0;
            var progress = new SyncProgress(p =>
            {
                if (p.EpochCompleted is { } report)
                {
                    completed.Add(report);
                    return;
                }

                batchesSeen++;
                if (p.Epoch == epoch && p.Batch == batch)
                {
                    cancel.Cancel();
                }
            });

            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(Data.Train, validation ? Data.Validation : null, progress, cancel.Token));
            Assert.Equal(((epoch - 1) * 11) + batch, batchesSeen); // no batch ran after the cancellation
            Assert.Equal(completed, trainer.History);
            return (model, trainer.SaveState(), completed);
        }
    }
}
