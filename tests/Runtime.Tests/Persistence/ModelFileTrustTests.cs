using System;
using System.IO;
using System.Text.Json.Nodes;
using GenSoftmax.Persistence;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>
    /// A model file's numbers and names are believed only as far as a trainer could have made them, by every reader alike
    /// (issue 20, item 10): <see cref="ModelFile.Load(string, ISoftmaxModel)"/>, the shape-from-file load that eval and predict
    /// use, and <see cref="ModelFile.ReadInfo"/>.
    /// </summary>
    public sealed class ModelFileTrustTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        /// <summary>A 3x3 model with class names and a training state but no options (a position without its recipe).</summary>
        private string File(string name = "m.safetensors")
        {
            string path = _dir.File(name);
            var state = new TrainingState(5, 2, 3, 0.1f, [], 1.5, 7, 0.25);
            ModelFile.Save(path, new M3x3(), new ModelFileContents { ClassNames = ["a", "b", "c"], TrainingState = state });
            return path;
        }

        /// <summary>Every reader refuses the file, with the same one-line reason.</summary>
        private static void AssertEveryReaderRefuses(string path, string expected)
        {
            string full = Path.GetFullPath(path);
            string[] messages =
            [
                Assert.Throws<ModelFileException>(() => ModelFile.Load(path, new M3x3())).Message,
                Assert.Throws<ModelFileException>(() => ModelFile.Load(path, out _)).Message,
                Assert.Throws<ModelFileException>(() => ModelFile.ReadInfo(path)).Message,
            ];
            foreach (string message in messages)
            {
                Assert.True(message.Contains($"'{full}' is not a valid model file", StringComparison.Ordinal), message);
                Assert.True(message.Contains(expected, StringComparison.Ordinal), message);
                Assert.DoesNotContain('\n', message);
            }
        }

        [Theory]
        [InlineData("epoch_loss_sum", "\"NaN\"", "its epoch's loss sum is NaN")]
        [InlineData("epoch_correct", "4611686018427387904", "its epoch's correct count is 4611686018427387904, but a count of rows is from 0 to 2,147,483,647")]
        [InlineData("epoch_correct", "-3", "its epoch's correct count is -3")]
        [InlineData("epoch_seconds", "\"-Infinity\"", "its epoch's time is -Infinity s")]
        [InlineData("completed_epochs", "-1", "its position (epoch -1, batch 3) is negative")]
        public void State_numbers_without_options_are_refused_by_every_reader(string key, string json, string expected)
        {
            string path = File();
            var file = SafetensorsTestFile.Read(path);
            file.EditMetadataJson("training_state", o => o[key] = JsonNode.Parse(json));
            file.Write(path);

            AssertEveryReaderRefuses(path, expected);
        }

        [Theory]
        [InlineData("[\"a\", \"\", \"c\"]", "its class_names[1] is empty, but every class has a name")]
        [InlineData("[\"a\", \"b\", \"a\"]", "its class_names[0] and [2] are both \"a\", but class names are unique")]
        public void Empty_and_duplicate_class_names_are_refused_by_every_reader(string names, string expected)
        {
            string path = File();
            var file = SafetensorsTestFile.Read(path);
            file.Metadata["class_names"] = names;
            file.Write(path);

            AssertEveryReaderRefuses(path, expected);
        }

        [Fact]
        public void A_key_repeated_inside_the_training_state_is_refused_by_every_reader()
        {
            // Readers that keep the first value and readers that keep the last would continue different runs.
            string path = File();
            var file = SafetensorsTestFile.Read(path);
            string state = (string)file.Metadata["training_state"]!;
            file.Metadata["training_state"] = state.Replace("{", "{\"completed_epochs\":0,", StringComparison.Ordinal);
            file.Write(path);

            AssertEveryReaderRefuses(path, "\"training_state\" is not what GenSoftmax writes");
        }

        [Theory]
        [InlineData("", "ClassNames[1] is empty")]
        [InlineData("a", "ClassNames[0] and ClassNames[1] are both 'a'")]
        public void Save_refuses_empty_and_duplicate_class_names(string second, string expected)
        {
            var e = Assert.Throws<ArgumentException>(() =>
                ModelFile.Save(_dir.File("x.safetensors"), new M3x3(), new ModelFileContents { ClassNames = ["a", second, "c"] }));
            Assert.Contains(expected, e.Message);
            Assert.False(System.IO.File.Exists(_dir.File("x.safetensors")));
        }

        [Fact]
        public void Save_refuses_state_numbers_a_trainer_cannot_make()
        {
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Seed = 5, BatchSize = 10 };
            void Save(TrainingState s) =>
                ModelFile.Save(_dir.File("x.safetensors"), new M3x3(), new ModelFileContents { TrainerOptions = options, TrainingState = s });
            var good = new TrainingState(5, 2, 3, 0.1f, [], 1.5, 30, 0.25);
            Save(good);

            Assert.Contains("correct count is 31", Assert.Throws<ArgumentException>(() => Save(good with { EpochCorrect = 31 })).Message);
            Assert.Contains("loss sum is NaN", Assert.Throws<ArgumentException>(() => Save(good with { EpochLossSum = double.NaN })).Message);
        }

        [Fact]
        public void An_accuracy_above_1_as_the_best_held_out_value_is_refused()
        {
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd, Seed = 5, EarlyStopping = new EarlyStoppingOptions { Metric = EarlyStoppingMetric.HeldOutAccuracy },
            };
            NamedTensor[] best = [new("W", new float[9], [3, 3], decays: true, TensorInit.Normal), new("b", new float[3], [3], decays: false, TensorInit.Zeros)];
            var state = new TrainingState(5, 2, 0, 0.1f, [], 0, 0, 0) { EarlyStopping = new EarlyStoppingState(1, 1.5, 1, false, best) };

            var e = Assert.Throws<ArgumentException>(() =>
                ModelFile.Save(_dir.File("x.safetensors"), new M3x3(), new ModelFileContents { TrainerOptions = options, TrainingState = state }));
            Assert.Contains("its best held-out accuracy is 1.5, but an accuracy is from 0 to 1", e.Message);
        }

        [Fact]
        public void A_stored_batch_size_of_int_MaxValue_resumes_into_one_batch_of_every_row()
        {
            // Issue 20, item 2: a resealed file's batch size reached the trainer's batch count, which wrapped to 0 batches.
            (LabeledData train, _) = TrainerTests.Clusters(seed: 4, trainCount: 40, testCount: 1);
            var model = new M17x10();
            var trainer = new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 1, BatchSize = 8, Seed = 3 });
            trainer.Initialize();
            trainer.Fit(train);
            string path = _dir.File("run.safetensors");
            ModelFile.Save(path, trainer, classNames: null);
            var file = SafetensorsTestFile.Read(path);
            file.EditMetadataJson("trainer_options", o => o["batch_size"] = int.MaxValue);
            file.Write(path);

            var resumed = new M17x10();
            ModelFileContents contents = ModelFile.Load(path, resumed);
            Assert.Equal(int.MaxValue, contents.TrainerOptions!.BatchSize);
            var next = new Trainer(resumed, contents.TrainerOptions with { Epochs = 2 });
            next.RestoreState(contents.TrainingState!);
            float[] before = resumed.Weights.ToArray();
            EpochReport report = Assert.Single(next.Fit(train));

            Assert.True(report.TrainLoss > 0 && double.IsFinite(report.TrainLoss), $"train loss {report.TrainLoss}");
            Assert.NotEqual(before, resumed.Weights.ToArray());
        }

        [Fact]
        public void Info_describes_a_damaged_file_and_names_its_problem()
        {
            string path = File();
            Assert.Null(ModelFile.ReadInfo(path).Problem);

            byte[] bytes = System.IO.File.ReadAllBytes(path);
            bytes[^1] ^= 0x40; // a bit of b's last value
            System.IO.File.WriteAllBytes(path, bytes);

            ModelFileInfo info = ModelFile.ReadInfo(path);
            Assert.False(info.ChecksumValid);
            Assert.StartsWith($"'{Path.GetFullPath(path)}' is damaged: its content does not match its checksum", info.Problem);
            Assert.Equal(Assert.Throws<ModelFileException>(() => ModelFile.Load(path, new M3x3())).Message, info.Problem);
        }
    }
}
