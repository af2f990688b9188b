using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests
{
    public sealed class TrainerTests
    {
        /// <summary>
        /// Ten Gaussian clusters in 17 dimensions, centres far apart: linearly separable with high probability.
        /// </summary>
        internal static (LabeledData Train, LabeledData Test) Clusters(int seed, int trainCount = 3000, int testCount = 1000)
        {
            var random = new Random(seed);
            float[][] centres = Enumerable.Range(0, 10).Select(_ => TestModels.Uniform(random, 17, -3f, 3f)).ToArray();
            LabeledData Make(int count)
            {
                var x = new float[count * 17];
                var y = new int[count];
                for (int i = 0; i < count; i++)
                {
                    y[i] = random.Next(10);
                    for (int k = 0; k < 17; k++)
                    {
                        // Box-Muller noise with standard deviation 0.3.
                        double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                        x[(i * 17) + k] = centres[y[i]][k] + (float)(0.3 * g);
                    }
                }

                return LabeledData.FromFeatures(x, y, 17);
            }

            return (Make(trainCount), Make(testCount));
        }

        /// <summary>A fresh model trained by a fresh trainer from <see cref="Trainer.Initialize()"/>.</summary>
        internal static (M17x10 Model, IReadOnlyList<EpochReport> Reports) Train(
            TrainerOptions options, LabeledData train, LabeledData? validation = null, IProgress<TrainingProgress>? progress = null)
        {
            var model = new M17x10();
            var trainer = new Trainer(model, options);
            trainer.Initialize();
            return (model, trainer.Fit(train, validation, progress));
        }

        /// <summary>An <see cref="IProgress{T}"/> that runs its callback on the training thread, as it reports.</summary>
        internal sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
        {
            public void Report(TrainingProgress value) => report(value);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void Learns_a_separable_problem(int threads)
        {
            (LabeledData train, LabeledData test) = Clusters(11);
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 15, BatchSize = 32, Optimizer = new SgdOptions { LearningRate = 0.3f }, Threads = threads };
            (M17x10 model, IReadOnlyList<EpochReport> reports) = Train(options, train, test);

            Assert.Equal(15, reports.Count);
            Assert.Equal(Enumerable.Range(1, 15), reports.Select(r => r.Epoch));
            Assert.True(reports[^1].TrainLoss < reports[0].TrainLoss, "the training loss should fall");
            Assert.True(reports[^1].ValidationAccuracy >= 0.99, $"validation accuracy {reports[^1].ValidationAccuracy}");
            Assert.True(Trainer.Accuracy(model, train) >= 0.99);
            Assert.True(Trainer.Accuracy(model, test) >= 0.99);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Same_seed_and_threads_give_bit_identical_weights(int threads)
        {
            (LabeledData train, _) = Clusters(12, 1000);
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Epochs = 2, BatchSize = 50, Threads = threads, Seed = 5,
                Optimizer = new SgdOptions { LearningRate = 0.1f, Momentum = 0.9f, WeightDecay = 1e-3f },
            };
            (M17x10 a, IReadOnlyList<EpochReport> ra) = Train(options, train);
            (M17x10 b, IReadOnlyList<EpochReport> rb) = Train(options, train);

            Assert.Equal(a.Weights.ToArray(), b.Weights.ToArray());
            Assert.Equal(a.Bias.ToArray(), b.Bias.ToArray());
            Assert.Equal(ra.Select(r => r.TrainLoss), rb.Select(r => r.TrainLoss));
            Assert.Equal(ra.Select(r => r.TrainAccuracy), rb.Select(r => r.TrainAccuracy));
            Assert.True(double.IsNaN(ra[0].ValidationAccuracy));
        }

        [Fact]
        public void Data_parallel_steps_follow_the_single_threaded_ones()
        {
            // Same batches, gradients combined in a different order: equal to float rounding, not bitwise.
            (LabeledData train, _) = Clusters(13);
            (M17x10 one, _) = Train(new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 1, BatchSize = 64, Threads = 1 }, train);
            (M17x10 two, _) = Train(new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 1, BatchSize = 64, Threads = 2 }, train);
            float[] w1 = one.Weights.ToArray(), w2 = two.Weights.ToArray();
            for (int i = 0; i < w1.Length; i++)
            {
                Assert.True(Math.Abs(w1[i] - w2[i]) <= 1e-4f * (1 + Math.Abs(w1[i])), $"weight {i}: {w1[i]} vs {w2[i]}");
            }

            float[] b1 = one.Bias.ToArray(), b2 = two.Bias.ToArray();
            for (int c = 0; c < b1.Length; c++)
            {
                Assert.True(Math.Abs(b1[c] - b2[c]) <= 1e-4f * (1 + Math.Abs(b1[c])), $"bias {c}: {b1[c]} vs {b2[c]}");
            }
        }

        [Theory]
        [InlineData(2, 64, 600)]
        [InlineData(3, 50, 600)] // slices of 17, 17 and 16 rows: unequal shares
        [InlineData(3, 50, 601)] // and a last batch of one row: two slices without rows, left out
        public void A_data_parallel_step_combines_the_slices_gradients_as_documented(int threads, int batchSize, int rows)
        {
            // DataParallelStep: g = Σ_u (n_u / n) g_u in thread order over the slices with rows, each product and sum rounded
            // to float, then w -= η g.
            (LabeledData train, _) = Clusters(14, rows);
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd, Epochs = 1, BatchSize = batchSize, Seed = 4, Threads = threads,
                Optimizer = new SgdOptions { LearningRate = 0.2f },
            };
            (M17x10 trained, _) = Train(options, train);

            var manual = new M17x10();
            Trainer.Initialize(manual, options.Seed, options.InitStdDev);
            int[] order = Enumerable.Range(0, train.Count).ToArray();
            new Random(unchecked((options.Seed * 7919) + 1)).Shuffle(order);
            float[] w = manual.Weights.ToArray(), b = manual.Bias.ToArray();
            var dW = new float[threads][];
            var db = new float[threads][];
            for (int first = 0; first < train.Count; first += batchSize)
            {
                int n = Math.Min(batchSize, train.Count - first);
                var shares = new float[threads];
                for (int u = 0, start = first; u < threads; u++)
                {
                    // The first n % threads slices take one row more.
                    int size = (n / threads) + (u < n % threads ? 1 : 0);
                    dW[u] = new float[w.Length];
                    db[u] = new float[b.Length];
                    if (size > 0)
                    {
                        manual.LossAndGradient(train.Rows(order.AsSpan(start, size)), dW[u], db[u]);
                    }

                    shares[u] = (float)size / n;
                    start += size;
                }

                Update(w, dW);
                Update(b, db);
                w.CopyTo(manual.Weights);
                b.CopyTo(manual.Bias);

                void Update(float[] p, float[][] g)
                {
                    for (int j = 0; j < p.Length; j++)
                    {
                        float sum = g[0][j] * shares[0]; // slice 0 always has rows
                        for (int u = 1; u < threads; u++)
                        {
                            if (shares[u] != 0)
                            {
                                sum = (g[u][j] * shares[u]) + sum;
                            }
                        }

                        p[j] = (sum * -options.Optimizer.LearningRate) + p[j];
                    }
                }
            }

            Assert.Equal(w, trained.Weights.ToArray());
            Assert.Equal(b, trained.Bias.ToArray());
        }

        [Fact]
        public void Threads_without_rows_are_left_out_of_the_update()
        {
            // Batches of one row on three threads: threads 1 and 2 get no rows, their stale gradients must not count,
            // and the one slice's share is 1, so every step is bitwise the single-threaded one.
            (LabeledData train, _) = Clusters(15, 400);
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 1, BatchSize = 1, Optimizer = new SgdOptions { LearningRate = 0.05f, Momentum = 0.5f } };
            (M17x10 one, IReadOnlyList<EpochReport> r1) = Train(options with { Threads = 1 }, train);
            (M17x10 three, IReadOnlyList<EpochReport> r3) = Train(options with { Threads = 3 }, train);

            Assert.Equal(one.Weights.ToArray(), three.Weights.ToArray());
            Assert.Equal(one.Bias.ToArray(), three.Bias.ToArray());
            Assert.Equal(r1[0].TrainLoss, r3[0].TrainLoss);
        }

        [Fact]
        public void One_thread_is_a_plain_Sgd_loop_over_the_documented_shuffle()
        {
            // The order of epoch e is the identity shuffled e times by new Random(seed * 7919 + 1) (Trainer's remarks).
            (LabeledData train, _) = Clusters(16, 300);
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Epochs = 2, BatchSize = 32, Seed = 9, Optimizer = new SgdOptions { LearningRate = 0.2f, Momentum = 0.9f, WeightDecay = 1e-3f },
            };
            (M17x10 trained, IReadOnlyList<EpochReport> reports) = Train(options, train);

            var manual = new M17x10();
            Trainer.Initialize(manual, options.Seed, options.InitStdDev);
            ManualEpochs(manual, new Sgd(manual, options.Optimizer), train, options, epochs: 2, lastEpochBatches: int.MaxValue, out double lastLoss);

            Assert.Equal(manual.Weights.ToArray(), trained.Weights.ToArray());
            Assert.Equal(manual.Bias.ToArray(), trained.Bias.ToArray());
            Assert.Equal(lastLoss, reports[^1].TrainLoss);
        }

        /// <summary>
        /// Trains <paramref name="model"/> as the one-thread trainer does, with <paramref name="sgd"/> over the documented
        /// shuffles: <paramref name="epochs"/> epochs, the last one stopped after <paramref name="lastEpochBatches"/> batches.
        /// </summary>
        internal static void ManualEpochs(
            ISoftmaxModel model, Sgd sgd, LabeledData train, TrainerOptions options, int epochs, int lastEpochBatches, out double lastEpochLoss)
        {
            int[] order = Enumerable.Range(0, train.Count).ToArray();
            var shuffle = new Random(unchecked((options.Seed * 7919) + 1));
            lastEpochLoss = double.NaN;
            for (int e = 1; e <= epochs; e++)
            {
                shuffle.Shuffle(order);
                double lossSum = 0;
                for (int b = 0, first = 0; first < train.Count && (e < epochs || b < lastEpochBatches); b++, first += options.BatchSize)
                {
                    BatchResult r = sgd.Step(train.Rows(order.AsSpan(first, Math.Min(options.BatchSize, train.Count - first))));
                    lossSum += (double)r.Loss * r.Count;
                }

                lastEpochLoss = lossSum / train.Count;
            }
        }

        [Fact]
        public void Initialisation_is_seeded_normal_with_zero_bias()
        {
            var model = new M784x10();
            model.B.Fill(1f);
            Trainer.Initialize(model, seed: 3, stdDev: 0.01f);
            float[] w = model.Weights.ToArray();
            double mean = w.Average(v => (double)v);
            double std = Math.Sqrt(w.Average(v => (v - mean) * (v - mean)));
            Assert.InRange(mean, -0.0005, 0.0005);
            Assert.InRange(std, 0.0095, 0.0105);
            Assert.All(model.Bias.ToArray(), b => Assert.Equal(0f, b));

            var again = new M784x10();
            Trainer.Initialize(again, seed: 3, stdDev: 0.01f);
            Assert.Equal(w, again.Weights.ToArray());

            // The instance method draws from the options' seed and deviation.
            var third = new M784x10();
            third.B.Fill(2f);
            new Trainer(third, new TrainerOptions { Solver = TrainingSolver.Sgd, Seed = 3, InitStdDev = 0.01f }).Initialize();
            Assert.Equal(w, third.Weights.ToArray());
            Assert.All(third.Bias.ToArray(), b => Assert.Equal(0f, b));
        }

        [Fact]
        public void A_new_trainer_leaves_the_weights_and_Initialize_starts_over()
        {
            (LabeledData train, _) = Clusters(17, 200);
            var model = new M17x10();
            TestModels.Randomize(model, new Random(4));
            float[] given = model.Weights.ToArray();
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 2, BatchSize = 32, Optimizer = new SgdOptions { Momentum = 0.9f } };
            var trainer = new Trainer(model, options);
            Assert.Equal(given, model.Weights.ToArray());

            trainer.Initialize();
            IReadOnlyList<EpochReport> first = trainer.Fit(train);
            float[] trained = model.Weights.ToArray();
            Assert.Equal(2, trainer.CompletedEpochs);
            Assert.Equal(first, trainer.History);

            // Done: another Fit has nothing left to do.
            Assert.Empty(trainer.Fit(train));
            Assert.Equal(trained, model.Weights.ToArray());

            // Initialize forgets the run, velocity included: the same run again, bit for bit.
            trainer.Initialize();
            Assert.Equal(0, trainer.CompletedEpochs);
            Assert.Empty(trainer.History);
            Assert.All(trainer.Optimizer.VelocityOfW.ToArray(), v => Assert.Equal(0f, v));
            IReadOnlyList<EpochReport> second = trainer.Fit(train);
            Assert.Equal(trained, model.Weights.ToArray());
            Assert.Equal(first.Select(r => r.TrainLoss), second.Select(r => r.TrainLoss));
        }

        [Fact]
        public void Progress_is_reported_after_every_batch_and_every_epoch()
        {
            // 500 rows in batches of 64: 7 full batches and one of 52.
            (LabeledData train, _) = Clusters(18, 500);
            var seen = new List<TrainingProgress>();
            (_, IReadOnlyList<EpochReport> reports) = Train(new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 2, BatchSize = 64, Threads = 2 }, train, null, new SyncProgress(seen.Add));

            Assert.Equal(2 * (8 + 1), seen.Count);
            for (int e = 1; e <= 2; e++)
            {
                TrainingProgress[] epoch = seen.Skip((e - 1) * 9).Take(9).ToArray();
                for (int b = 1; b <= 8; b++)
                {
                    TrainingProgress p = epoch[b - 1];
                    Assert.Equal(e, p.Epoch);
                    Assert.Equal(b, p.Batch);
                    Assert.Equal(8, p.BatchesPerEpoch);
                    Assert.Null(p.EpochCompleted);
                    Assert.Equal(b < 8 ? 64 : 52, p.Result.Count);
                    Assert.InRange(p.Result.Correct, 0, p.Result.Count);
                    Assert.True(p.Result.Loss > 0 && float.IsFinite(p.Result.Loss), $"loss {p.Result.Loss}");
                    Assert.True(b == 1 || p.Elapsed >= epoch[b - 2].Elapsed, "the elapsed time should not go back");
                }

                TrainingProgress end = epoch[8];
                Assert.Equal(e, end.Epoch);
                Assert.Equal(8, end.Batch);
                Assert.Same(reports[e - 1], end.EpochCompleted);

                // The epoch's figures are the batches' figures, weighted by their rows.
                double loss = epoch.Take(8).Sum(p => (double)p.Result.Loss * p.Result.Count) / train.Count;
                Assert.Equal(loss, reports[e - 1].TrainLoss, 12);
                Assert.Equal((double)epoch.Take(8).Sum(p => p.Result.Correct) / train.Count, reports[e - 1].TrainAccuracy);
            }
        }

        [Fact]
        public void A_fit_inside_the_models_write_side_evaluates_across_its_threads_without_waiting_for_itself()
        {
            // A caller may hold the model's write side around a fit (its steps pass through). The evaluation after each
            // epoch splits 1,100 rows across the two threads; the worker's slice must pass through the caller's gate too.
            (LabeledData train, LabeledData validation) = Clusters(23, 400, 1100);
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 2, BatchSize = 40, Threads = 2 };
            var outside = new M17x10();
            var plain = new Trainer(outside, options);
            plain.Initialize();
            IReadOnlyList<EpochReport> expected = plain.Fit(train, validation);

            var inside = new M17x10();
            var trainer = new Trainer(inside, options);
            trainer.Initialize();
            IReadOnlyList<EpochReport>? reports = null;
            Exception? failure = null;
            var thread = new System.Threading.Thread(() =>
            {
                try
                {
                    using (inside.Gate!.EnterWrite())
                    {
                        reports = trainer.Fit(train, validation);
                    }
                }
                catch (Exception e)
                {
                    failure = e;
                }
            }) { IsBackground = true };
            thread.Start();

            Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "the fit inside the write side did not finish in 60 s");
            Assert.Null(failure);
            Assert.Equal(expected.Select(r => (r.ValidationLoss, r.ValidationAccuracy)), reports!.Select(r => (r.ValidationLoss, r.ValidationAccuracy)));
            Assert.Equal(outside.Weights.ToArray(), inside.Weights.ToArray());
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void A_bad_validation_weight_met_in_the_split_evaluation_is_the_error_one_thread_gives(int threads)
        {
            // The weights array is used as given, so a weight spoilt after WithWeights reaches the evaluation; in the worker's
            // half of 1,100 rows it must surface as the same ArgumentException, not wrapped in an AggregateException.
            (LabeledData train, LabeledData validation) = Clusters(29, 400, 1100);
            float[] weights = Enumerable.Repeat(1f, validation.Count).ToArray();
            LabeledData weighted = validation.WithWeights(weights);
            weights[900] = -1f;
            var trainer = new Trainer(
                new M17x10(), new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 1, BatchSize = 40, Threads = threads });
            trainer.Initialize();

            var e = Assert.Throws<ArgumentException>(() => trainer.Fit(train, weighted));
            Assert.Contains("weights[900] = -1", e.Message);
        }

        [Theory]
        [InlineData(1, 150)]
        [InlineData(2, 1100)] // split across the step's threads: 550 rows each
        [InlineData(3, 1100)] // 367, 367 and 366 rows
        public void Validation_figures_are_the_models_loss_after_each_epoch(int threads, int validationRows)
        {
            (LabeledData train, LabeledData validation) = Clusters(19, 400, validationRows);
            var model = new M17x10();
            var trainer = new Trainer(
                model, new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 3, BatchSize = 40, Threads = threads });
            trainer.Initialize();
            var expected = new List<BatchResult>();
            var progress = new SyncProgress(p =>
            {
                if (p.EpochCompleted is not null)
                {
                    expected.Add(model.Loss(validation.All()));
                }
            });
            IReadOnlyList<EpochReport> reports = trainer.Fit(train, validation, progress);

            // One thread adds the rows' losses in one sum; more threads add their slices' sums, which can differ from it in
            // the last bits of the double before the mean is rounded to float.
            double tolerance = threads == 1 ? 0 : 1e-6;
            Assert.Equal(3, expected.Count);
            for (int e = 0; e < 3; e++)
            {
                Assert.Equal((double)expected[e].Loss, reports[e].ValidationLoss, tolerance);
                Assert.Equal((double)expected[e].Correct / validation.Count, reports[e].ValidationAccuracy);
            }

            BatchResult last = model.Loss(validation.All());
            Assert.Equal((double)last.Loss, reports[^1].ValidationLoss, tolerance);
            Assert.Equal(Trainer.Accuracy(model, validation), reports[^1].ValidationAccuracy);

            (_, IReadOnlyList<EpochReport> without) = Train(new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 2, BatchSize = 40 }, train);
            Assert.All(without, r => Assert.True(double.IsNaN(r.ValidationLoss) && double.IsNaN(r.ValidationAccuracy), $"{r}"));
            Assert.All(without, r => Assert.False(double.IsNaN(r.TrainLoss)));
        }

        [Fact]
        public void Fit_without_Initialize_fine_tunes_the_current_weights()
        {
            (LabeledData train, LabeledData test) = Clusters(20, 1000, 300);
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 8, BatchSize = 32, Optimizer = new SgdOptions { LearningRate = 0.3f } };
            (M17x10 good, IReadOnlyList<EpochReport> goodReports) = Train(options, train, test);
            Assert.True(goodReports[^1].ValidationAccuracy >= 0.99, $"validation accuracy {goodReports[^1].ValidationAccuracy}");

            // A new model holding the good solution, fine-tuned for one epoch: it starts good and stays good,
            // while a fresh start's first epoch is far worse.
            var tuned = new M17x10();
            good.Weights.CopyTo(tuned.W);
            good.Bias.CopyTo(tuned.B);
            var tuneOptions = options with { Epochs = 1, Optimizer = new SgdOptions { LearningRate = 0.01f } };
            var first = new List<float>();
            IReadOnlyList<EpochReport> tunedReports = new Trainer(tuned, tuneOptions).Fit(train, test, new SyncProgress(p =>
            {
                if (p.Batch == 1 && p.EpochCompleted is null)
                {
                    first.Add(p.Result.Loss);
                }
            }));
            BatchResult before = good.Loss(FirstBatch(train, tuneOptions));

            Assert.Equal(before.Loss, Assert.Single(first)); // the first step's loss is the given weights' loss
            Assert.True(tunedReports[0].TrainAccuracy >= 0.99, $"train accuracy {tunedReports[0].TrainAccuracy}");
            Assert.True(tunedReports[0].ValidationAccuracy >= 0.99, $"validation accuracy {tunedReports[0].ValidationAccuracy}");
            Assert.True(
                tunedReports[0].TrainLoss < goodReports[0].TrainLoss / 2,
                $"fine-tuning loss {tunedReports[0].TrainLoss} vs a fresh start's {goodReports[0].TrainLoss}");

            // And bit for bit the plain Sgd loop from the given weights.
            var manual = new M17x10();
            good.Weights.CopyTo(manual.W);
            good.Bias.CopyTo(manual.B);
            ManualEpochs(manual, new Sgd(manual, tuneOptions.Optimizer), train, tuneOptions, epochs: 1, lastEpochBatches: int.MaxValue, out _);
            Assert.Equal(manual.Weights.ToArray(), tuned.Weights.ToArray());
            Assert.Equal(manual.Bias.ToArray(), tuned.Bias.ToArray());
        }

        /// <summary>The first batch of epoch 1 of a run with <paramref name="options"/>.</summary>
        private static Batch FirstBatch(LabeledData train, TrainerOptions options)
        {
            int[] order = Enumerable.Range(0, train.Count).ToArray();
            new Random(unchecked((options.Seed * 7919) + 1)).Shuffle(order);
            return train.Rows(order.AsSpan(0, Math.Min(options.BatchSize, train.Count)));
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void Pixels_train_like_their_features_scaled_by_1_over_255(int threads)
        {
            // Pixel clusters: each class a random grey pattern, with noise.
            var random = new Random(21);
            byte[][] centres = Enumerable.Range(0, 10).Select(_ => { var c = new byte[17]; random.NextBytes(c); return c; }).ToArray();
            var pixels = new byte[600 * 17];
            var labels = new int[600];
            for (int i = 0; i < labels.Length; i++)
            {
                labels[i] = random.Next(10);
                for (int k = 0; k < 17; k++)
                {
                    pixels[(i * 17) + k] = (byte)Math.Clamp(centres[labels[i]][k] + random.Next(-40, 41), 0, 255);
                }
            }

            LabeledData bytes = LabeledData.FromPixels(pixels, labels, 17);
            LabeledData floats = bytes.ToFeatures();
            Assert.False(floats.IsPixels);
            Assert.Equal(pixels.Select(p => p / 255f), floats.Features!);

            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 3, BatchSize = 50, Threads = threads, Optimizer = new SgdOptions { LearningRate = 0.5f, Momentum = 0.5f } };
            (M17x10 a, IReadOnlyList<EpochReport> ra) = Train(options, bytes, bytes);
            (M17x10 b, IReadOnlyList<EpochReport> rb) = Train(options, floats, floats);

            TestModels.AssertClose(b.Weights.ToArray().Select(v => (double)v).ToArray(), a.Weights, "weights trained on pixels");
            TestModels.AssertClose(b.Bias.ToArray().Select(v => (double)v).ToArray(), a.Bias, "bias trained on pixels");
            for (int e = 0; e < ra.Count; e++)
            {
                Assert.Equal(rb[e].TrainLoss, ra[e].TrainLoss, 4);
                Assert.Equal(rb[e].ValidationLoss, ra[e].ValidationLoss, 4);
            }

            Assert.True(ra[^1].ValidationAccuracy >= 0.9, $"accuracy {ra[^1].ValidationAccuracy}");
        }

        [Fact]
        public void Bad_options_and_data_get_clear_errors()
        {
            (LabeledData train, _) = Clusters(14, 100, 10);
            var model = new M17x10();

            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, BatchSize = 0 }));
            Assert.Equal("BatchSize", e.ParamName);
            Assert.Contains("The batch size must be at least 1", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 0 }));
            Assert.Contains("Train for at least one epoch", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, Threads = 0 }));
            Assert.Contains("Threads must be between 1 and 256", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, InitStdDev = float.NaN }));
            Assert.Contains("initial standard deviation", e.Message);
            e = Assert.Throws<ArgumentOutOfRangeException>(
                () => new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, Optimizer = new SgdOptions { LearningRate = float.NaN } }));
            Assert.Contains("The learning rate must be a positive finite number", e.Message);
            Assert.Throws<ArgumentNullException>(() => new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, Optimizer = null! }));
            Assert.Throws<ArgumentNullException>(() => new Trainer(null!));

            var trainer = new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 1 });
            var wrongShape = LabeledData.FromFeatures(new float[16 * 3], new int[3], 16);
            var shape = Assert.Throws<ArgumentException>(() => trainer.Fit(wrongShape));
            Assert.Contains("The train data has 16 inputs per row but the model takes 17", shape.Message);
            shape = Assert.Throws<ArgumentException>(() => trainer.Fit(train, wrongShape));
            Assert.Contains("The validation data has 16 inputs per row", shape.Message);

            var badLabel = LabeledData.FromFeatures(new float[17 * 2], new[] { 0, 10 }, 17);
            var label = Assert.Throws<ArgumentException>(() => trainer.Fit(badLabel));
            Assert.Contains("Label 10 of train row 1 is not a class of the model, which has 10 (0..9)", label.Message);

            var empty = LabeledData.FromFeatures(Array.Empty<float>(), Array.Empty<int>(), 17);
            Assert.Contains("The train data is empty", Assert.Throws<ArgumentException>(() => trainer.Fit(empty)).Message);
            Assert.Equal(0, trainer.CompletedEpochs); // nothing was trained

            var mismatch = Assert.Throws<ArgumentException>(() => LabeledData.FromFeatures(new float[17 * 2], new int[3], 17));
            Assert.Contains("features has 34 values but 3 labels x 17 inputs need 51", mismatch.Message);
            var negative = Assert.Throws<ArgumentException>(() => LabeledData.FromPixels(new byte[17 * 2], new[] { 0, -1 }, 17));
            Assert.Contains("labels[1] = -1 is negative", negative.Message);
        }

        [Fact]
        public void Kernels_reject_bad_arguments_before_touching_memory()
        {
            var model = new M17x10();
            TestModels.Randomize(model, new Random(8));
            float[] weights = model.Weights.ToArray();
            float[] x = new float[17 * 4];
            int[] labels = { 0, 1, 2, 3 };
            var dW = new float[170];
            var db = new float[10];
            Array.Fill(dW, 7f);
            Array.Fill(db, 7f);
            var logits = new float[40];
            Array.Fill(logits, 7f);

            Assert.Contains("not a whole number of rows of 17", Assert.Throws<ArgumentException>(() => model.Forward(new float[18], logits)).Message);
            Assert.Contains("must have 40 ([4, 10])", Assert.Throws<ArgumentException>(() => model.Forward(x, new float[39])).Message);
            Assert.Contains("must have 4", Assert.Throws<ArgumentException>(() => model.Predict(x, new int[5])).Message);
            Assert.Contains(
                "labels[2] = 12 is not a class: labels must be 0..9",
                Assert.Throws<ArgumentOutOfRangeException>(() => model.LossAndGradient(Batch.Of(x).WithLabels(new[] { 0, 1, 12, 3 }), dW, db)).Message);
            Assert.Contains(
                "rows[0] = 4 is not a row of the data",
                Assert.Throws<ArgumentOutOfRangeException>(() => model.LossAndGradient(Batch.Of(x).WithLabels(labels).WithRows(new[] { 4 }), dW, db)).Message);
            Assert.Contains(
                "[10, 17]", Assert.Throws<ArgumentException>(() => model.LossAndGradient(Batch.Of(x).WithLabels(labels), new float[169], db)).Message);
            Assert.Contains("[10]", Assert.Throws<ArgumentException>(() => model.LossAndGradient(Batch.Of(x).WithLabels(labels), dW, new float[9])).Message);
            Assert.Contains(
                "The batch has no labels or targets", Assert.Throws<ArgumentException>(() => model.LossAndGradient(Batch.Of(x), dW, db)).Message);
            Assert.Contains(
                "labels has 3 elements but features has 4 rows",
                Assert.Throws<ArgumentException>(() => model.LossAndGradient(Batch.Of(x).WithLabels(new[] { 0, 1, 2 }), dW, db)).Message);
            Assert.Contains(
                "targets has 39 elements but must have 40",
                Assert.Throws<ArgumentException>(() => model.LossAndGradient(Batch.Of(x).WithTargets(new float[39]), dW, db)).Message);
            Assert.Contains(
                "rows is empty: a loss needs at least one row",
                Assert.Throws<ArgumentException>(() => model.LossAndGradient(Batch.Of(x).WithLabels(labels).WithRows(ReadOnlySpan<int>.Empty), dW, db)).Message);
            Assert.Contains(
                "features is empty",
                Assert.Throws<ArgumentException>(() => model.LossAndGradient(Batch.Of(ReadOnlySpan<float>.Empty).WithLabels(ReadOnlySpan<int>.Empty), dW, db)).Message);
            Assert.Contains(
                "pixels has 18 elements",
                Assert.Throws<ArgumentException>(() => model.Loss(Batch.Of(new byte[18]).WithLabels(labels))).Message);

            var sgd = new Sgd(model);
            Assert.Contains(
                "The learning rate must be a positive finite number",
                Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = -1f).Message);
            Assert.Contains("dW has 169 elements", Assert.Throws<ArgumentException>(() => sgd.Update(new float[169], db)).Message);
            Assert.Contains(
                "rows[0] = 9 is not a row of the data",
                Assert.Throws<ArgumentOutOfRangeException>(() => sgd.Step(Batch.Of(x).WithLabels(labels).WithRows(new[] { 9 }))).Message);

            // Nothing was written: not the outputs, not the parameters.
            Assert.All(dW, v => Assert.Equal(7f, v));
            Assert.All(db, v => Assert.Equal(7f, v));
            Assert.All(logits, v => Assert.Equal(7f, v));
            Assert.Equal(weights, model.Weights.ToArray());

            // An empty row list is an empty batch for the operations without a loss: nothing to do.
            model.Forward(Batch.Of(x).WithRows(ReadOnlySpan<int>.Empty), Span<float>.Empty);
            model.Predict(Batch.Of(x).WithRows(ReadOnlySpan<int>.Empty), Span<int>.Empty);
        }

        [Fact]
        public void A_batch_as_large_as_int_allows_trains_one_step_an_epoch()
        {
            // (rows + batch - 1) / batch overflowed in int: 0 batches, nothing trained, a loss of 0 reported.
            var random = new Random(4);
            float[] x = TestModels.Uniform(random, 40 * 17, -1f, 1f);
            int[] y = Enumerable.Range(0, 40).Select(i => i % 10).ToArray();
            var model = new M17x10();
            var trainer = new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, BatchSize = int.MaxValue, Epochs = 2 });
            trainer.Initialize();
            float[] before = model.Weights.ToArray();
            IReadOnlyList<EpochReport> epochs = trainer.Fit(LabeledData.FromFeatures(x, y, 17));
            Assert.Equal(2, epochs.Count);
            Assert.All(epochs, e => Assert.True(e.TrainLoss > 0, $"epoch {e.Epoch} reports a loss of {e.TrainLoss}"));
            Assert.NotEqual(before, model.Weights.ToArray());
            Assert.Single(trainer.Warnings);
        }
    }
}
