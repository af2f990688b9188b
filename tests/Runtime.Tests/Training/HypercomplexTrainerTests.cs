using System;
using System.Linq;
using System.Threading;
using GenSoftmax.Data;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Tests.Hypercomplex;
using GenSoftmax.Training;
using Xunit;
using Xunit.Abstractions;

namespace GenSoftmax.Tests.Training
{
    /// <summary>
    /// The trainer on a hypercomplex (PHM) model trains the factors, not W as a dense matrix: against
    /// <see cref="Sgd.Step"/> driven by hand over the trainer's batches, resumed runs, divergence rollback,
    /// early stopping's restore, and Fashion-MNIST with n = 2.
    /// </summary>
    public sealed partial class HypercomplexTrainerTests
    {
        [SoftmaxModel(Inputs = 34, Classes = 10)]
        internal partial class Dense34x10;

        private const int Rows = 300; // batch 32: 10 batches, the last of 12 rows

        private readonly ITestOutputHelper _output;

        public HypercomplexTrainerTests(ITestOutputHelper output) => _output = output;

        /// <summary>Rows of 34 features whose label is the argmax of a fixed random PHM map, with some labels replaced at random.</summary>
        internal static LabeledData Data(int seed, int rows = Rows, float noise = 0.1f)
        {
            const int d = 34, q = 10;
            var random = new Random(seed);
            float[] x = TestModels.Uniform(random, rows * d, -1f, 1f);
            // A map that a PHM model with n = 2 can represent: W built from random factors.
            var teacher = new Phm2x34x10();
            teacher.SetFactors(TestModels.Uniform(random, teacher.Layout.FactorALength, -1f, 1f), TestModels.Uniform(random, teacher.Layout.FactorSLength, -1f, 1f));
            float[] map = teacher.Weights.ToArray();
            var y = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                int best = 0;
                float bestScore = float.NegativeInfinity;
                for (int c = 0; c < q; c++)
                {
                    float score = 0;
                    for (int i = 0; i < d; i++)
                    {
                        score += map[(c * d) + i] * x[(r * d) + i];
                    }

                    if (score > bestScore)
                    {
                        (best, bestScore) = (c, score);
                    }
                }

                y[r] = random.NextDouble() < noise ? random.Next(q) : best;
            }

            return LabeledData.FromFeatures(x, y, d);
        }

        private static TrainerOptions Options(int threads = 1, int epochs = 3) => new()
        {
            Solver = TrainingSolver.Sgd,
            BatchSize = 32,
            Epochs = epochs,
            Seed = 5,
            Threads = threads,
            InitStdDev = 0.05f,
            Optimizer = new SgdOptions { LearningRate = 0.2f, Momentum = 0.9f, WeightDecay = 1e-3f },
            Schedule = LearningRateSchedule.Cosine(),
        };

        /// <summary>What the trainer does, by hand: seeded factors, then Sgd.Step on each batch of the trainer's order at the schedule's rate.</summary>
        private static (IHypercomplexModel Model, Sgd Sgd) ByHand(LabeledData data, TrainerOptions options)
        {
            var model = new Phm2x34x10();
            Trainer.Initialize(model, options.Seed, options.InitStdDev);
            var sgd = new Sgd(model, options.Optimizer);
            int batches = (data.Count + options.BatchSize - 1) / options.BatchSize;
            int[][] orders = TrainingData.EpochOrders(options.Seed, data.Count, options.Epochs);
            for (int e = 0; e < options.Epochs; e++)
            {
                for (int b = 0; b < batches; b++)
                {
                    sgd.LearningRate = options.Schedule.RateAt(options.Optimizer.LearningRate, e + 1, b, batches, options.Epochs);
                    sgd.Step(data.Rows(TrainingData.BatchRows(orders[e], options.BatchSize, b)));
                }
            }

            return (model, sgd);
        }

        /// <summary>W is the one the factors build: the trainer never wrote W as a dense matrix.</summary>
        private static void AssertWeightsAreMaterialized(IHypercomplexModel model)
        {
            var w = new float[model.Weights.Length];
            model.Layout.Materialize(model.FactorA, model.FactorS, w);
            Assert.Equal(w, model.Weights.ToArray());
        }

        [Fact]
        public void On_one_thread_the_trainer_is_bit_identical_to_HypercomplexSgd_by_hand()
        {
            LabeledData data = Data(1);
            TrainerOptions options = Options();
            var model = new Phm2x34x10();
            var trainer = new Trainer(model, options);
            trainer.Initialize();
            trainer.Fit(data);

            (IHypercomplexModel manual, Sgd sgd) = ByHand(data, options);
            Assert.Equal(manual.FactorA.ToArray(), model.FactorA.ToArray());
            Assert.Equal(manual.FactorS.ToArray(), model.FactorS.ToArray());
            Assert.Equal(manual.Bias.ToArray(), model.Bias.ToArray());
            Assert.Equal(manual.Weights.ToArray(), model.Weights.ToArray());
            Sgd used = Assert.IsType<Sgd>(trainer.Optimizer);
            Assert.Equal(sgd.VelocityOf("A").ToArray(), used.VelocityOf("A").ToArray());
            Assert.Equal(sgd.VelocityOf("S").ToArray(), used.VelocityOf("S").ToArray());
            Assert.Equal(sgd.VelocityOf("b").ToArray(), used.VelocityOf("b").ToArray());
            AssertWeightsAreMaterialized(model);

            // It learned: after 30 steps the training accuracy is well above chance (0.1; measured 0.48).
            Assert.True(Trainer.Accuracy(model, data) > 0.3, $"accuracy {Trainer.Accuracy(model, data):F3}");
        }

        [Fact]
        public void On_two_threads_it_matches_the_hand_run_within_rounding_and_repeats_bit_identically()
        {
            LabeledData data = Data(2);
            TrainerOptions options = Options(threads: 2, epochs: 1);
            var first = new Phm2x34x10();
            var trainer = new Trainer(first, options);
            trainer.Initialize();
            trainer.Fit(data);
            var second = new Phm2x34x10();
            var again = new Trainer(second, options);
            again.Initialize();
            again.Fit(data);

            Assert.Equal(first.FactorA.ToArray(), second.FactorA.ToArray());
            Assert.Equal(first.FactorS.ToArray(), second.FactorS.ToArray());
            Assert.Equal(first.Bias.ToArray(), second.Bias.ToArray());
            AssertWeightsAreMaterialized(first);

            // The two slices' gradients are combined as (n0/n) dW0 + (n1/n) dW1 rather than over the whole batch, which
            // rounds differently; 10 steps with momentum keep that within a few float ulps of the parameters' scale.
            (IHypercomplexModel manual, _) = ByHand(data, options);
            AssertClose(manual.FactorA, first.FactorA, "A");
            AssertClose(manual.FactorS, first.FactorS, "S");
            AssertClose(manual.Bias, first.Bias, "b");
        }

        private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
        {
            Assert.Equal(expected.Length, actual.Length);
            float scale = Math.Max(1e-3f, System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(expected));
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * scale, $"{what}[{i}]: {actual[i]} vs {expected[i]} by hand (scale {scale})");
            }
        }

        [Theory]
        [InlineData(1, false)]
        [InlineData(1, true)]
        [InlineData(2, false)]
        [InlineData(2, true)]
        public void A_run_saved_and_restored_finishes_bit_identical(int threads, bool midEpoch)
        {
            LabeledData data = Data(3);
            TrainerOptions options = Options(threads) with
            {
                EarlyStopping = new EarlyStoppingOptions { HoldOutFraction = 0.2f, Patience = 1000, RestoreBestWeights = true },
            };
            var whole = new Phm2x34x10();
            var straight = new Trainer(whole, options);
            straight.Initialize();
            straight.Fit(data);

            // Stop the run before batch 4 of epoch 2 (mid-epoch) or before epoch 2's first batch (a boundary).
            var stopped = new Phm2x34x10();
            var first = new Trainer(stopped, options);
            first.Initialize();
            using var cancel = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => first.Fit(data, null, new TrainerTests.SyncProgress(p =>
            {
                if (p.Epoch == 2 && (midEpoch ? p.Batch == 3 && p.EpochCompleted is null : false))
                {
                    cancel.Cancel();
                }

                if (!midEpoch && p.Epoch == 1 && p.EpochCompleted is not null)
                {
                    cancel.Cancel();
                }
            }), cancel.Token));
            TrainingState state = first.SaveState();
            Assert.Equal(midEpoch ? 1 : 1, state.CompletedEpochs);
            Assert.Equal(midEpoch ? 3 : 0, state.BatchesDone);
            Assert.Equal(["A", "S", "b"], state.Velocity.Select(v => v.Name));
            Assert.Equal(stopped.Layout.FactorALength, state.VelocityOf("A").Length);
            Assert.Equal(stopped.Layout.FactorSLength, state.VelocityOf("S").Length);
            Assert.Equal(stopped.Layout.FactorALength, state.EarlyStopping!.BestOf("A").Length);

            // A new model and trainer given the parameters and the state.
            var resumed = new Phm2x34x10();
            resumed.SetFactors(stopped.FactorA, stopped.FactorS);
            stopped.Bias.CopyTo(resumed.B);
            var second = new Trainer(resumed, options);
            second.RestoreState(state);
            second.Fit(data);

            Assert.NotEqual(stopped.FactorS.ToArray(), resumed.FactorS.ToArray()); // it trained on after the restore
            Assert.Equal(whole.FactorA.ToArray(), resumed.FactorA.ToArray());
            Assert.Equal(whole.FactorS.ToArray(), resumed.FactorS.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(straight.Outcome, second.Outcome);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void A_diverging_run_keeps_the_last_finite_factors(int threads)
        {
            LabeledData data = Data(4);
            var model = new Phm2x34x10();
            var trainer = new Trainer(model, Options(threads) with { Optimizer = new SgdOptions { LearningRate = 1e30f, Momentum = 0.9f } });
            trainer.Initialize();
            float[] a = model.FactorA.ToArray(), s = model.FactorS.ToArray(), b = model.Bias.ToArray();
            int batches = 0;
            TrainingDivergedException e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(data, null, new TrainerTests.SyncProgress(p =>
            {
                if (p.EpochCompleted is null)
                {
                    (a, s, b) = (model.FactorA.ToArray(), model.FactorS.ToArray(), model.Bias.ToArray());
                    batches++;
                }
            })));

            Assert.Equal(batches + 1, e.Batch);
            Assert.Equal(a, model.FactorA.ToArray());
            Assert.Equal(s, model.FactorS.ToArray());
            Assert.Equal(b, model.Bias.ToArray());
            TrainingData.AssertFinite(model);
            AssertWeightsAreMaterialized(model);
            Sgd sgd = trainer.Optimizer;
            Assert.All(sgd.VelocityOf("A").ToArray(), v => Assert.True(float.IsFinite(v)));
            Assert.All(sgd.VelocityOf("S").ToArray(), v => Assert.True(float.IsFinite(v)));
            Assert.Equal(batches, trainer.SaveState().BatchesDone);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void Early_stopping_restores_the_best_epochs_factors(int threads)
        {
            // Few, noisy rows and a large step: the held-out loss gets worse after a few epochs.
            LabeledData data = Data(5, rows: 400, noise: 0.3f);
            var model = new Phm2x34x10();
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                BatchSize = 16, Epochs = 200, Seed = 6, Threads = threads, InitStdDev = 0.05f,
                Optimizer = new SgdOptions { LearningRate = 0.02f, Momentum = 0.9f },
                EarlyStopping = new EarlyStoppingOptions { HoldOutFraction = 0.25f, Patience = 3 },
            };
            var trainer = new Trainer(model, options);
            trainer.Initialize();
            var factorsAt = new System.Collections.Generic.Dictionary<int, (float[] A, float[] S, float[] B)>();
            trainer.Fit(data, null, new TrainerTests.SyncProgress(p =>
            {
                if (p.EpochCompleted is not null)
                {
                    factorsAt[p.Epoch] = (model.FactorA.ToArray(), model.FactorS.ToArray(), model.Bias.ToArray());
                }
            }));

            TrainingOutcome outcome = trainer.Outcome!;
            _output.WriteLine(outcome.ToString());
            Assert.Equal(StopReason.EarlyStopped, outcome.Reason);
            Assert.True(outcome.BestEpoch < outcome.LastEpoch, $"best epoch {outcome.BestEpoch}, last {outcome.LastEpoch}");
            Assert.True(outcome.RestoredBestWeights);
            (float[] bestA, float[] bestS, float[] bestB) = factorsAt[outcome.BestEpoch];
            Assert.NotEqual(factorsAt[outcome.LastEpoch].A, bestA);
            Assert.Equal(bestA, model.FactorA.ToArray());
            Assert.Equal(bestS, model.FactorS.ToArray());
            Assert.Equal(bestB, model.Bias.ToArray());
            AssertWeightsAreMaterialized(model);
        }

        [Fact]
        public void The_optimizer_properties_say_which_optimizer_trains_the_model()
        {
            var phm = new Phm2x34x10();
            var trainer = new Trainer(phm, Options());
            Assert.Same(phm, trainer.Optimizer.Model);
            Assert.Equal(["A", "S", "b"], trainer.Optimizer.Velocity.Select(v => v.Name));
            trainer.LearningRate = 0.05f;
            Assert.Equal(0.05f, trainer.Optimizer.LearningRate);
            Assert.Throws<ArgumentOutOfRangeException>(() => trainer.LearningRate = 0f);

            var dense = new Dense34x10();
            var denseTrainer = new Trainer(dense, Options());
            Assert.Equal(["W", "b"], denseTrainer.Optimizer.Velocity.Select(v => v.Name));
            denseTrainer.LearningRate = 0.07f;
            Assert.Equal(0.07f, denseTrainer.Optimizer.LearningRate);
        }

        [Fact]
        public void A_dense_runs_state_does_not_restore_into_a_hypercomplex_trainer_or_the_other_way()
        {
            var denseTrainer = new Trainer(new Dense34x10(), Options());
            var phmTrainer = new Trainer(new Phm2x34x10(), Options());
            TrainingState denseState = denseTrainer.SaveState();
            ArgumentException e = Assert.Throws<ArgumentException>(() => phmTrainer.RestoreState(denseState));
            Assert.Contains("2 tensors where the model has 3", e.Message);

            TrainingState phmState = phmTrainer.SaveState();
            e = Assert.Throws<ArgumentException>(() => denseTrainer.RestoreState(phmState));
            Assert.Contains("3 tensors where the model has 2", e.Message);
            phmTrainer.RestoreState(phmState); // and it fits the model it came from
        }

        [Fact]
        public void Fashion_MNIST_with_two_factors_trains_through_the_trainer()
        {
            // CI installs the data (apt-get install dataset-fashion-mnist); without it this test fails, saying so.
            (LabeledData train, LabeledData test) = FashionMnist.Load();
            var model = new FashionPhm2();
            TrainerOptions options = TrainerOptions.Fast with { Optimizer = TrainerOptions.Fast.Optimizer with { LearningRate = PhmFastRate } };
            var trainer = new Trainer(model, options);
            trainer.Initialize();
            var reports = trainer.Fit(train, test);

            double accuracy = Trainer.Accuracy(model, test);
            _output.WriteLine(
                $"PHM n=2, {model.Layout.ParameterCount} parameters, Fast settings with learning rate {PhmFastRate}: test accuracy {accuracy:F4}; " +
                $"by epoch {string.Join(", ", reports.Select(r => r.ValidationAccuracy.ToString("F4")))}; " +
                $"{reports.Sum(r => r.Seconds):F2} s of training (shared, noisy machine)");
            AssertWeightsAreMaterialized(model);
            Assert.True(accuracy >= 0.81, $"PHM n = 2 through the trainer reached {accuracy:F4}, below 0.81");
        }

        // TrainerOptions.Fast's own rate, 0.4, diverges on this model (a loss of infinity in epoch 1, measured 2026-11-30);
        // 0.05, 0.1 and 0.2 all reached 0.821-0.823, 0.02 0.813.
        private const float PhmFastRate = 0.1f;

    }
}
