using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using GenSoftmax.Persistence;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;
using SyncProgress = GenSoftmax.Tests.TrainerTests.SyncProgress;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>
    /// Model files carry every trainer option (metadata <c>trainer_options</c>) and the run's state with early stopping's
    /// record (<c>training_state</c>, tensors <c>velocity.*</c> and <c>best.*</c>): each option round-trips, a run with a
    /// schedule, label smoothing, early stopping or squared error continues from a file bit-identically, and every field is
    /// checked on load, alone and against the others.
    /// </summary>
    public sealed class TrainingOptionsFileTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        public static TheoryData<string, TrainerOptions> EveryOption() => new()
        {
            { "exact solver, no penalty", new TrainerOptions { Solver = TrainingSolver.Lbfgs, Lbfgs = new LbfgsOptions { C = double.PositiveInfinity, Tolerance = 1e-6, MaxIterations = 500 } } },
            { "auto", new TrainerOptions { Solver = TrainingSolver.Auto, Lbfgs = new LbfgsOptions { C = 0.25 } } },
            { "defaults", new TrainerOptions { Solver = TrainingSolver.Sgd } },
            { "fast recipe", TrainerOptions.Fast },
            { "step decay", new TrainerOptions { Solver = TrainingSolver.Sgd, Schedule = LearningRateSchedule.StepDecay(3, 0.5f, warmupEpochs: 2) } },
            { "cosine", new TrainerOptions { Solver = TrainingSolver.Sgd, Schedule = LearningRateSchedule.Cosine(0.05f, warmupEpochs: 1) } },
            {
                "constant, odd step settings",
                new TrainerOptions { Solver = TrainingSolver.Sgd, Schedule = new LearningRateSchedule { StepEpochs = 7, StepFactor = 0.25f, FinalFraction = 0.5f } }
            },
            { "warm-up only", new TrainerOptions { Solver = TrainingSolver.Sgd, Schedule = new LearningRateSchedule { WarmupEpochs = 4 } } },
            { "squared error", new TrainerOptions { Solver = TrainingSolver.Sgd, Loss = TrainingLoss.SquaredError } },
            { "label smoothing", new TrainerOptions { Solver = TrainingSolver.Sgd, LabelSmoothing = 0.1f } },
            { "early stopping, defaults", new TrainerOptions { Solver = TrainingSolver.Sgd, EarlyStopping = new EarlyStoppingOptions() } },
            {
                "early stopping, every setting", new TrainerOptions
                {
                    Solver = TrainingSolver.Sgd,
                    EarlyStopping = new EarlyStoppingOptions
                    {
                        HoldOutFraction = 0.3f, Patience = 7, MinImprovement = 0.125, Metric = EarlyStoppingMetric.HeldOutAccuracy,
                        RestoreBestWeights = false,
                    },
                }
            },
            {
                "everything", new TrainerOptions
                {
                    Solver = TrainingSolver.Sgd,
                    BatchSize = 100, Epochs = 12, Seed = -3, InitStdDev = 0.02f, Threads = 2,
                    Optimizer = new SgdOptions { LearningRate = 0.3f, Momentum = 0.8f, WeightDecay = 1e-4f },
                    Schedule = LearningRateSchedule.Cosine(0.1f, 2), Loss = TrainingLoss.SquaredError, LabelSmoothing = 0.05f,
                    EarlyStopping = new EarlyStoppingOptions
                    {
                        HoldOutFraction = 0.2f, Patience = 2, MinImprovement = 0, Metric = EarlyStoppingMetric.HeldOutLoss,
                    },
                }
            },
        };

        [Theory]
        [MemberData(nameof(EveryOption))]
        public void Every_trainer_option_round_trips(string name, TrainerOptions options)
        {
            string path = _dir.File($"{name}.safetensors");
            ModelFile.Save(path, new M3x3(), new ModelFileContents { TrainerOptions = options });
            ModelFileContents contents = ModelFile.Load(path, new M3x3());
            Assert.Equal(options, contents.TrainerOptions);
            Assert.Equal(options, ModelFile.ReadInfo(path).TrainerOptions);

            // Every option is written, by name, whether or not it is the default: a reader never guesses a default.
            JsonObject json = SafetensorsTestFile.Read(path).MetadataJson("trainer_options").AsObject();
            Assert.Equal(
                ["batch_size", "epochs", "seed", "init_std_dev", "threads", "learning_rate", "momentum", "weight_decay", "schedule",
                 "step_epochs", "step_factor", "final_fraction", "warmup_epochs", "loss", "label_smoothing", "early_stopping",
                 "solver", "c", "tolerance", "max_iterations"],
                json.Select(p => p.Key));
            Assert.Equal(options.EarlyStopping is null, json["early_stopping"] is null);
        }

        // ------------------------------------------------------------ resuming from a file

        private static readonly (LabeledData Train, LabeledData Validation) Data = (Noisy(51, 330), Noisy(52, 100));

        /// <summary>
        /// Rows whose class is the largest of their first 10 features, with 35% of the labels replaced at random: a
        /// linear model learns the signal, then the noise, and the held-out loss rises again, so early stopping stops.
        /// </summary>
        private static LabeledData Noisy(int seed, int rows)
        {
            var random = new Random(seed);
            float[] x = TestModels.Uniform(random, rows * 17, -1f, 1f);
            int[] y = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                int signal = 0;
                for (int c = 1; c < 10; c++)
                {
                    signal = x[(r * 17) + c] > x[(r * 17) + signal] ? c : signal;
                }

                y[r] = random.NextDouble() < 0.35 ? random.Next(10) : signal;
            }

            return LabeledData.FromFeatures(x, y, 17);
        }

        private static TrainerOptions Recipe(string recipe, int threads) => recipe switch
        {
            "cosine+warm-up+smoothing+early stopping" => new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Epochs = 12, BatchSize = 32, Seed = 17, Threads = threads,
                Optimizer = new SgdOptions { LearningRate = 0.5f, Momentum = 0.9f, WeightDecay = 1e-3f },
                Schedule = LearningRateSchedule.Cosine(0.05f, warmupEpochs: 2),
                LabelSmoothing = 0.1f,
                EarlyStopping = new EarlyStoppingOptions { HoldOutFraction = 0.25f, Patience = 2, MinImprovement = 1e-4 },
            },
            "squared error+step decay" => new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Epochs = 5, BatchSize = 32, Seed = 23, Threads = threads,
                Optimizer = new SgdOptions { LearningRate = 0.05f, Momentum = 0.5f },
                Schedule = LearningRateSchedule.StepDecay(2, 0.5f, warmupEpochs: 1),
                Loss = TrainingLoss.SquaredError,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(recipe)),
        };

        [Theory]
        [InlineData("cosine+warm-up+smoothing+early stopping", 1, 2, 5)]
        // The last batch of epoch 3 (247 rows trained on): saved at the epoch's end.
        [InlineData("cosine+warm-up+smoothing+early stopping", 2, 3, 8)]
        [InlineData("cosine+warm-up+smoothing+early stopping", 2, 4, 3)]
        [InlineData("squared error+step decay", 1, 2, 4)]
        [InlineData("squared error+step decay", 2, 3, 11)] // the last batch of epoch 3 (330 rows)
        public void A_run_saved_to_a_file_mid_run_and_continued_from_it_is_bit_identical(string recipe, int threads, int epoch, int batch)
        {
            TrainerOptions options = Recipe(recipe, threads);
            var whole = new M17x10();
            var wholeTrainer = new Trainer(whole, options);
            wholeTrainer.Initialize();
            IReadOnlyList<EpochReport> wholeReports = wholeTrainer.Fit(Data.Train, Data.Validation);
            if (options.EarlyStopping is not null)
            {
                Assert.True(wholeTrainer.Outcome!.Reason == StopReason.EarlyStopped, wholeTrainer.Outcome.ToString());
                Assert.True(wholeTrainer.Outcome.LastEpoch > epoch, $"the run stops early before the save: {wholeTrainer.Outcome}");
                Assert.True(
                    wholeTrainer.Outcome.BestEpoch < wholeTrainer.Outcome.LastEpoch, "the best epoch's weights are restored at the end");
            }

            // The first run: cancelled from its progress callback after `batch` of `epoch`, then saved to a file. (Not a
            // shorter run: the schedule's rates depend on the run's length.)
            var first = new M17x10();
            var trainer = new Trainer(first, options);
            trainer.Initialize();
            using var cancel = new CancellationTokenSource();
            var progress = new SyncProgress(p =>
            {
                if (p.EpochCompleted is null && p.Epoch == epoch && p.Batch == batch)
                {
                    cancel.Cancel();
                }
            });
            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(Data.Train, Data.Validation, progress, cancel.Token));

            List<EpochReport> before = [.. trainer.History];
            string path = _dir.File("run.safetensors");
            ModelFile.Save(path, trainer, classNames: null);
            if (options.EarlyStopping is not null)
            {
                Assert.True(trainer.SaveState().EarlyStopping!.BestEpoch > 0, "the saved record holds best weights");
            }

            // The continued run: a new model and a new trainer, everything (options included) from the file.
            var resumed = new M17x10();
            ModelFileContents saved = ModelFile.Load(path, resumed);
            Assert.Equal(options, saved.TrainerOptions);
            var next = new Trainer(resumed, saved.TrainerOptions!);
            next.RestoreState(saved.TrainingState!);
            IReadOnlyList<EpochReport> after = next.Fit(Data.Train, Data.Validation);

            Assert.Equal(wholeReports.Select(r => r with { Seconds = 0 }), before.Concat(after).Select(r => r with { Seconds = 0 }));
            Assert.Equal(wholeTrainer.Outcome, next.Outcome);
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
        }

        [Fact]
        public void The_early_stopping_record_round_trips_whole()
        {
            TrainerOptions options = Recipe("cosine+warm-up+smoothing+early stopping", 1) with { Epochs = 3 };
            var trainer = new Trainer(new M17x10(), options);
            trainer.Initialize();
            trainer.Fit(Data.Train);
            TrainingState state = trainer.SaveState();
            string path = _dir.File("es.safetensors");
            ModelFile.Save(path, trainer, classNames: null);

            TrainingState loaded = ModelFile.Load(path, new M17x10()).TrainingState!;
            EarlyStoppingState es = state.EarlyStopping!, back = loaded.EarlyStopping!;
            Assert.True(es.BestEpoch > 0);
            Assert.Equal(
                (es.BestEpoch, es.BestValue, es.EpochsWithoutImprovement, es.Stopped),
                (back.BestEpoch, back.BestValue, back.EpochsWithoutImprovement, back.Stopped));
            Assert.Equal(["W", "b"], back.Best.Select(t => t.Name));
            Assert.Equal(es.Best.Select(t => t.Values.ToArray()), back.Best.Select(t => t.Values.ToArray()));
            Assert.Contains("best.W", SafetensorsTestFile.Read(path).TensorNames);

            // Before the first epoch: no best epoch, no weights, NaN.
            var fresh = new Trainer(new M17x10(), options);
            fresh.Initialize();
            ModelFile.Save(path, fresh, classNames: null);
            EarlyStoppingState none = ModelFile.Load(path, new M17x10()).TrainingState!.EarlyStopping!;
            Assert.Equal((0, 0, false, 0), (none.BestEpoch, none.EpochsWithoutImprovement, none.Stopped, none.Best.Count));
            Assert.True(double.IsNaN(none.BestValue));
            Assert.DoesNotContain(SafetensorsTestFile.Read(path).TensorNames, n => n.StartsWith("best.", StringComparison.Ordinal));
        }

        // ------------------------------------------------------------ the layout

        [Fact]
        public void Options_and_state_are_laid_out_as_the_documentation_says()
        {
            // An independent reading of the documented JSON: any change to it must change this test too.
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Seed = 5, Epochs = 4,
                Optimizer = new SgdOptions { LearningRate = 0.1f },
                Schedule = LearningRateSchedule.Cosine(0.25f, warmupEpochs: 1), Loss = TrainingLoss.SquaredError, LabelSmoothing = 0.125f,
                EarlyStopping = new EarlyStoppingOptions
                {
                    HoldOutFraction = 0.5f, Patience = 6, MinImprovement = 0.75, Metric = EarlyStoppingMetric.HeldOutAccuracy,
                    RestoreBestWeights = false,
                },
            };
            var model = new M3x3();
            for (int i = 0; i < 9; i++)
            {
                model.Weights[i] = i;
            }

            NamedTensor[] best = [Dense("W", [.. Enumerable.Range(0, 9).Select(i => i / 4f)]), Dense("b", [1f, 2f, 3f])];
            var state = new TrainingState(5, 2, 0, 0.1f, [], 0, 0, 0) { EarlyStopping = new EarlyStoppingState(1, 0.5, 1, false, best) };
            string path = _dir.File("layout.safetensors");
            ModelFile.Save(path, model, new ModelFileContents { TrainerOptions = options, TrainingState = state });

            var file = SafetensorsTestFile.Read(path);
            Assert.Equal(["W", "b", "best.W", "best.b"], file.TensorNames);
            Assert.Equal([[3, 3], [3], [3, 3], [3]], file.TensorNames.Select(file.Shape));
            Assert.Equal(best[0].Values.ToArray(), file.Floats("best.W"));
            Assert.Equal(best[1].Values.ToArray(), file.Floats("best.b"));
            AssertJson("""
                {"batch_size":256,"epochs":4,"seed":5,"init_std_dev":0.01,"threads":1,"learning_rate":0.1,"momentum":0,"weight_decay":0,
                 "schedule":"Cosine","step_epochs":5,"step_factor":0.1,"final_fraction":0.25,"warmup_epochs":1,"loss":"SquaredError",
                 "label_smoothing":0.125,
                 "early_stopping":{"hold_out_fraction":0.5,"patience":6,"min_improvement":0.75,"metric":"HeldOutAccuracy",
                                   "restore_best_weights":false},
                 "solver":"Sgd","c":1,"tolerance":0.0001,"max_iterations":100}
                """, file.MetadataJson("trainer_options"));
            AssertJson("""
                {"seed":5,"completed_epochs":2,"batches_done":0,"learning_rate":0.1,"epoch_loss_sum":0,"epoch_correct":0,"epoch_seconds":0,
                 "early_stopping":{"best_epoch":1,"best_value":0.5,"epochs_without_improvement":1,"stopped":false}}
                """, file.MetadataJson("training_state"));
        }

        [Fact]
        public void Options_written_by_another_program_load_as_they_say()
        {
            // Keys in another order and early stopping left out (JSON's null): what a hand edit or a Python script writes.
            string path = _dir.File("edited.safetensors");
            ModelFile.Save(path, new M3x3(), new ModelFileContents { TrainerOptions = new TrainerOptions { Solver = TrainingSolver.Sgd } });
            var file = SafetensorsTestFile.Read(path);
            file.Metadata["trainer_options"] = """
                {"label_smoothing":0.5,"loss":"CrossEntropy","warmup_epochs":0,"final_fraction":0,"step_factor":0.5,"step_epochs":3,
                 "schedule":"StepDecay","weight_decay":0.001,"momentum":0.8,"learning_rate":0.2,"threads":2,"init_std_dev":0.02,
                 "seed":9,"epochs":6,"batch_size":64}
                """;
            file.Write(path);

            var expected = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                BatchSize = 64, Epochs = 6, Seed = 9, InitStdDev = 0.02f, Threads = 2,
                Optimizer = new SgdOptions { LearningRate = 0.2f, Momentum = 0.8f, WeightDecay = 1e-3f },
                Schedule = LearningRateSchedule.StepDecay(3, 0.5f), LabelSmoothing = 0.5f,
            };
            Assert.Equal(expected, ModelFile.Load(path, new M3x3()).TrainerOptions);
        }

        private static void AssertJson(string expected, JsonNode actual) =>
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), actual.ToJsonString());

        private static NamedTensor Dense(string name, float[] values) =>
            new(name, values, name == "W" ? [3, 3] : [3], decays: name == "W", name == "W" ? TensorInit.Normal : TensorInit.Zeros);

        // ------------------------------------------------------------ validation

        /// <summary>A small file with options and state of every kind: 3x3, momentum, a schedule, early stopping with its record.</summary>
        private string FullFile()
        {
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Seed = 5, Epochs = 4, Optimizer = new SgdOptions { Momentum = 0.9f },
                Schedule = LearningRateSchedule.StepDecay(2, 0.5f, 1), LabelSmoothing = 0.1f,
                EarlyStopping = new EarlyStoppingOptions { Patience = 2 },
            };
            var state = new TrainingState(5, 2, 1, 0.1f, [Dense("W", new float[9]), Dense("b", new float[3])], 0.5, 3, 0.1)
            {
                EarlyStopping = new EarlyStoppingState(1, 0.5, 1, false, [Dense("W", new float[9]), Dense("b", new float[3])]),
            };
            string path = _dir.File("full.safetensors");
            ModelFile.Save(path, new M3x3(), new ModelFileContents { TrainerOptions = options, TrainingState = state });
            return path;
        }

        public static TheoryData<string, string, string, string> BadFields() => new()
        {
            // metadata entry, JSON key (dotted: inside early_stopping), JSON value written there, what the message says
            { "trainer_options", "schedule", "\"Bogus\"", "\"trainer_options\" is not what GenSoftmax writes" },
            { "trainer_options", "schedule", "3", "The schedule must be Constant, StepDecay or Cosine" },
            { "trainer_options", "loss", "\"Hinge\"", "\"trainer_options\" is not what GenSoftmax writes" },
            { "trainer_options", "batch_size", "0", "trainer options are out of range" },
            { "trainer_options", "batch_size", "1.5", "\"trainer_options\" is not what GenSoftmax writes" },
            { "trainer_options", "step_epochs", "0", "StepEpochs" },
            { "trainer_options", "step_factor", "1.5", "StepFactor" },
            { "trainer_options", "final_fraction", "1", "FinalFraction" },
            { "trainer_options", "warmup_epochs", "-1", "WarmupEpochs" },
            { "trainer_options", "label_smoothing", "\"NaN\"", "LabelSmoothing" },
            { "trainer_options", "momentum", "1", "Momentum" },
            { "trainer_options", "seed", "null", "\"trainer_options\" is not what GenSoftmax writes" },
            { "trainer_options", "unknown", "1", "\"trainer_options\" is not what GenSoftmax writes" },
            { "trainer_options", "early_stopping.hold_out_fraction", "1", "HoldOutFraction" },
            { "trainer_options", "early_stopping.patience", "0", "Patience" },
            { "trainer_options", "early_stopping.min_improvement", "\"Infinity\"", "MinImprovement" },
            { "trainer_options", "early_stopping.metric", "\"Vibes\"", "\"trainer_options\" is not what GenSoftmax writes" },
            { "trainer_options", "early_stopping.restore_best_weights", "2", "\"trainer_options\" is not what GenSoftmax writes" },
            { "training_state", "seed", "6", "it is of a run with seed 6, but the trainer options have seed 5" },
            { "training_state", "completed_epochs", "-1", "is negative" },
            { "training_state", "learning_rate", "0", "its learning rate is 0" },
            { "training_state", "epoch_correct", "\"7\"", "\"training_state\" is not what GenSoftmax writes" },
            // Issue 20, item 10: the partial epoch's sums are only what its batches can give.
            { "training_state", "epoch_loss_sum", "\"NaN\"", "its epoch's loss sum is NaN, but a sum of losses is finite and at least 0" },
            { "training_state", "epoch_loss_sum", "\"Infinity\"", "its epoch's loss sum is +Infinity" },
            { "training_state", "epoch_loss_sum", "-0.5", "its epoch's loss sum is -0.5" },
            { "training_state", "epoch_correct", "4611686018427387904", "its epoch's correct count is 4611686018427387904, but its 1 batch of at most 256 rows can hold at most 256" },
            { "training_state", "epoch_correct", "257", "its epoch's correct count is 257" },
            { "training_state", "epoch_correct", "-1", "its epoch's correct count is -1" },
            { "training_state", "epoch_seconds", "\"NaN\"", "its epoch's time is NaN s" },
            { "training_state", "epoch_seconds", "-1", "its epoch's time is -1 s" },
            { "training_state", "batches_done", "0", "it is at the start of an epoch (batch 0), but its epoch's loss sum is 0.5 and correct count 3, not 0" },
            { "training_state", "batches_done", "8388609", "is past the end of any data set" },
            { "training_state", "learning_rate", "\"NaN\"", "its learning rate is NaN" },
            { "training_state", "early_stopping.best_epoch", "-1", "is negative" },
            { "training_state", "early_stopping.best_epoch", "3", "past the run's 2 completed epochs" },
            { "training_state", "early_stopping.best_epoch", "0", "it has no best epoch yet" },
            { "training_state", "early_stopping.epochs_without_improvement", "-2", "is negative" },
            { "training_state", "early_stopping.best_value", "\"NaN\"", "best held-out value is NaN" },
            { "training_state", "early_stopping.stopped", "2", "\"training_state\" is not what GenSoftmax writes" },
            { "training_state", "early_stopping", "null", "it holds best tensors but its training state has no early-stopping record" },
            { "trainer_options", "early_stopping", "null", "there is a record, but the trainer options do not stop early" },
            { "trainer_options", "momentum", "0", "the training state has a velocity, but the trainer options have no momentum" },
        };

        [Theory]
        [MemberData(nameof(BadFields))]
        public void Every_option_and_state_field_is_checked_on_load(string entry, string key, string json, string expected)
        {
            string path = FullFile();
            var file = SafetensorsTestFile.Read(path);
            file.EditMetadataJson(entry, o =>
            {
                string[] parts = key.Split('.');
                JsonObject target = parts.Length == 1 ? o : o[parts[0]]!.AsObject();
                target[parts[^1]] = JsonNode.Parse(json);
            });
            file.Write(path);
            AssertRefused(path, expected);
        }

        public static TheoryData<string, string> BadTensors() => new()
        {
            { "velocity.W NaN", "its tensor 'velocity.W' holds NaN at [0, 1]" },
            { "best.b infinite", "its tensor 'best.b' holds +Infinity at [2]" },
            { "velocity.b missing", "it holds 1 of the 2 tensors velocity.NAME of this model's parameters" },
            { "best.W missing", "it holds 1 of the 2 tensors best.NAME of this model's parameters" },
            { "velocity missing", "the trainer options have momentum, but the training state has no velocity" },
            { "best missing", "its best parameters do not match the model's (0 tensors where the model has 2" },
            { "best.W of shape [9]", "its tensor 'best.W' has shape [9], but a 3 x 3 model's is [3, 3]" },
            { "velocity.A", "it holds a tensor 'velocity.A' that a dense model file does not have" },
            { "no training_state", "it holds velocity or best tensors but no training_state" },
            { "no early-stopping record", "the trainer options stop early, but there is no record" },
        };

        [Theory]
        [MemberData(nameof(BadTensors))]
        public void Every_state_tensor_is_checked_on_load(string change, string expected)
        {
            string path = FullFile();
            var file = SafetensorsTestFile.Read(path);
            switch (change)
            {
                case "velocity.W NaN": file.SetFloat("velocity.W", 1, float.NaN); break;
                case "best.b infinite": file.SetFloat("best.b", 2, float.PositiveInfinity); break;
                case "velocity.b missing": file.Remove("velocity.b"); break;
                case "best.W missing": file.Remove("best.W"); break;
                case "velocity missing": file.Remove("velocity.W"); file.Remove("velocity.b"); break;
                case "best missing": file.Remove("best.W"); file.Remove("best.b"); break;
                case "best.W of shape [9]": file.Header["best.W"]!["shape"] = new JsonArray(9); break;
                case "velocity.A": file.Add("velocity.A", [2, 2, 2], new float[8]); break;
                case "no training_state": file.Metadata.Remove("training_state"); break;
                case "no early-stopping record":
                    file.Remove("best.W");
                    file.Remove("best.b");
                    file.EditMetadataJson("training_state", o => o["early_stopping"] = null);
                    break;
                default: throw new ArgumentOutOfRangeException(nameof(change));
            }

            file.Write(path);
            AssertRefused(path, expected);
        }

        [Fact]
        public void State_without_options_and_options_without_state_load()
        {
            // Each is optional: a file may carry the recipe without a run to continue, or a run's position without its recipe.
            string path = FullFile();
            var file = SafetensorsTestFile.Read(path);
            file.Metadata.Remove("trainer_options");
            file.Write(path);
            ModelFileContents contents = ModelFile.Load(path, new M3x3());
            Assert.Null(contents.TrainerOptions);
            Assert.Equal(2, contents.TrainingState!.CompletedEpochs);

            file = SafetensorsTestFile.Read(FullFile());
            file.Metadata.Remove("training_state");
            foreach (string name in file.TensorNames.Where(n => n.Contains('.', StringComparison.Ordinal)))
            {
                file.Remove(name);
            }

            file.Write(path);
            contents = ModelFile.Load(path, new M3x3());
            Assert.Null(contents.TrainingState);
            Assert.Equal(5, contents.TrainerOptions!.Seed);
        }

        private static void AssertRefused(string path, string expected)
        {
            var model = new M3x3();
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, model));
            Assert.Equal(Path.GetFullPath(path), e.Path);
            Assert.True(e.Message.Contains($"'{Path.GetFullPath(path)}' is not a valid model file", StringComparison.Ordinal), e.Message);
            Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), e.Message);
            Assert.Equal(new float[9], model.Weights.ToArray());
        }

        [Fact]
        public void Save_refuses_an_early_stopping_record_that_does_not_fit()
        {
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Seed = 5, EarlyStopping = new EarlyStoppingOptions() };
            var state = new TrainingState(5, 2, 0, 0.1f, [], 0, 0, 0);
            string path = _dir.File("bad.safetensors");
            void Save(TrainerOptions? o, TrainingState s) =>
                ModelFile.Save(path, new M3x3(), new ModelFileContents { TrainerOptions = o, TrainingState = s });
            string Refused(TrainerOptions? o, TrainingState s) => Assert.Throws<ArgumentException>(() => Save(o, s)).Message;
            TrainingState With(int bestEpoch, double bestValue, NamedTensor[] best) =>
                state with { EarlyStopping = new EarlyStoppingState(bestEpoch, bestValue, bestEpoch == 0 ? 0 : 1, false, best) };
            NamedTensor[] Best(int weights) => [new NamedTensor("W", [weights], decays: true, TensorInit.Normal), Dense("b", new float[3])];

            Assert.Contains("the trainer options stop early, but there is no record", Refused(options, state));
            Assert.Contains("do not stop early", Refused(new TrainerOptions { Solver = TrainingSolver.Sgd, Seed = 5 }, With(0, double.NaN, [])));
            Assert.Contains(
                "its best parameters do not match the model's (tensor 0 is W [4] where the model has W [3, 3])",
                Refused(options, With(1, 0.5, Best(4))));
            Assert.Contains("past the run's 2 completed epochs", 
                Refused(options, With(3, 0.5, [Dense("W", new float[9]), Dense("b", new float[3])])));
            Assert.Contains("best value must be NaN", Refused(options, With(0, 0.5, [])));
            Assert.False(File.Exists(path));
        }
    }
}
