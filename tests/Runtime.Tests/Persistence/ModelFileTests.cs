using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using GenSoftmax.Persistence;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;
using static GenSoftmax.Tests.TrainerTests;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>
    /// Model files (safetensors): the documented layout, exact round trips, resuming from a file, and every way a file can be
    /// bad: damaged, truncated, extended, foreign, hostile or inconsistent.
    /// </summary>
    public sealed class ModelFileTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        /// <summary>A model with random parameters from <paramref name="seed"/>.</summary>
        private static T Randomised<T>(T model, int seed)
            where T : ISoftmaxModel
        {
            var random = new Random(seed);
            foreach (NamedTensor p in model.Parameters)
            {
                TestModels.Uniform(random, p.Length, -1f, 1f).CopyTo(p.Values);
            }

            (model as IReparameterizedModel)?.Rebuild();
            return model;
        }

        /// <summary>A small file with every section: 3x3 with names, options and a state with velocity.</summary>
        private string SmallFullFile(string name = "small.safetensors")
        {
            string path = _dir.File(name);
            var model = Randomised(new M3x3(), 1);
            ModelFile.Save(path, model, new ModelFileContents
            {
                ClassNames = ["cat", "Größe", "猫"],
                TrainerOptions = new TrainerOptions { Solver = TrainingSolver.Sgd, Seed = 5, Optimizer = new SgdOptions { Momentum = 0.9f } },
                TrainingState = new TrainingState(5, 1, 2, 0.05f, SmallVelocity(), 1.5, 7, 0.25),
            });
            return path;
        }

        /// <summary>The velocity of <see cref="SmallFullFile"/>: W [3, 3] of i / 10, b [3] of 1, 2, 3.</summary>
        private static NamedTensor[] SmallVelocity() =>
        [
            new NamedTensor("W", [.. Enumerable.Range(0, 9).Select(i => i / 10f)], [3, 3], decays: true, TensorInit.Normal),
            new NamedTensor("b", [1f, 2f, 3f], [3], decays: false, TensorInit.Zeros),
        ];

        /// <summary>Loads a bad file into a model and checks that it is refused with the file's name and the model untouched.</summary>
        private static ModelFileException Refused(string path, ISoftmaxModel? into = null)
        {
            into ??= new M3x3();
            Randomised(into, 99);
            float[][] before = [.. into.Parameters.Select(p => p.Values.ToArray())];
            float[] weights = into.Weights.ToArray();
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, into));
            Assert.Equal(Path.GetFullPath(path), e.Path);
            Assert.Contains($"'{Path.GetFullPath(path)}'", e.Message);
            Assert.Equal(before, into.Parameters.Select(p => p.Values.ToArray()));
            Assert.Equal(weights, into.Weights.ToArray());
            return e;
        }

        [Fact]
        public void A_model_saved_with_class_names_keeps_them_and_null_names_save_numbers_only()
        {
            var saved = Randomised(new RuntimeSoftmaxModel(5, 3), seed: 3);
            string named = _dir.File("named.safetensors");
            string plain = _dir.File("plain.safetensors");
            ModelFile.Save(named, saved, ["cat", "dog", "bird"]);
            ModelFile.Save(plain, saved, classNames: null);

            Assert.Equal(new[] { "cat", "dog", "bird" }, ModelFile.Load(named, new RuntimeSoftmaxModel(5, 3)).ClassNames);
            Assert.Null(ModelFile.Load(plain, new RuntimeSoftmaxModel(5, 3)).ClassNames);
            var e = Assert.Throws<ArgumentException>(() => ModelFile.Save(_dir.File("two.safetensors"), saved, ["cat", "dog"]));
            Assert.Contains("2 names, but the model has 3 classes", e.Message);
        }

        [SkippableTheory]
        [MemberData(nameof(TestModels.ModelsAndVariants), MemberType = typeof(TestModels))]
        public void A_saved_then_loaded_model_predicts_bit_identically(string name, KernelIsa isa)
        {
            ISoftmaxModel saved = Randomised(TestModels.Create(name, isa), seed: 7);
            string path = _dir.File($"{name}.safetensors");
            ModelFile.Save(path, saved);

            ISoftmaxModel loaded = TestModels.Create(name, isa);
            ModelFileContents contents = ModelFile.Load(path, loaded);
            Assert.Null(contents.ClassNames);
            Assert.Null(contents.TrainerOptions);
            Assert.Null(contents.TrainingState);
            Assert.Equal(saved.Weights.ToArray(), loaded.Weights.ToArray());
            Assert.Equal(saved.Bias.ToArray(), loaded.Bias.ToArray());

            var random = new Random(3);
            const int Rows = 37;
            float[] features = TestModels.Uniform(random, Rows * saved.Inputs, -2f, 2f);
            byte[] pixels = new byte[Rows * saved.Inputs];
            random.NextBytes(pixels);
            Compare(Batch.Of(features));
            Compare(Batch.Of(pixels));

            void Compare(Batch batch)
            {
                float[] expected = new float[Rows * saved.Classes], actual = new float[Rows * saved.Classes];
                saved.Probabilities(batch, expected);
                loaded.Probabilities(batch, actual);
                Assert.Equal(expected, actual);
                int[] expectedLabels = new int[Rows], actualLabels = new int[Rows];
                saved.Predict(batch, expectedLabels);
                loaded.Predict(batch, actualLabels);
                Assert.Equal(expectedLabels, actualLabels);
            }
        }

        [SkippableTheory]
        [MemberData(nameof(TestModels.ModelsAndVariants), MemberType = typeof(TestModels))]
        public void A_file_of_any_shape_loads_into_a_run_time_shaped_model(string name, KernelIsa isa)
        {
            ISoftmaxModel saved = Randomised(TestModels.Create(name, isa), seed: 8);
            string path = _dir.File($"{name}-any.safetensors");
            string[] names = [.. Enumerable.Range(0, saved.Classes).Select(c => $"class {c}")];
            ModelFile.Save(path, saved, new ModelFileContents { ClassNames = names });

            RuntimeSoftmaxModel loaded = ModelFile.Load(path, out ModelFileContents contents);
            loaded.Isa = isa;
            Assert.Equal((saved.Inputs, saved.Classes), (loaded.Inputs, loaded.Classes));
            Assert.Equal("class 0", contents.ClassNames![0]);
            Assert.Equal(saved.Weights.ToArray(), loaded.Weights.ToArray());
            Assert.Equal(saved.Bias.ToArray(), loaded.Bias.ToArray());

            // Same parameters, kernels that sum in another order: probabilities to float rounding, labels equal except
            // where the top two logits nearly tie.
            var random = new Random(4);
            const int Rows = 37;
            float[] features = TestModels.Uniform(random, Rows * saved.Inputs, -2f, 2f);
            float[] expected = new float[Rows * saved.Classes], actual = new float[Rows * saved.Classes];
            saved.Probabilities(Batch.Of(features), expected);
            loaded.Probabilities(Batch.Of(features), actual);
            TestModels.AssertClose(
                expected.Select(v => (double)v).ToArray(), actual, $"{name} {isa} probabilities after loading any shape");
            float[] logits = new float[Rows * saved.Classes];
            saved.Forward(Batch.Of(features), logits);
            int[] expectedLabels = new int[Rows], actualLabels = new int[Rows];
            saved.Predict(Batch.Of(features), expectedLabels);
            loaded.Predict(Batch.Of(features), actualLabels);
            for (int r = 0; r < Rows; r++)
            {
                if (expectedLabels[r] != actualLabels[r])
                {
                    float gap = Math.Abs(logits[(r * saved.Classes) + expectedLabels[r]] - logits[(r * saved.Classes) + actualLabels[r]]);
                    Assert.True(gap < 1e-5f, $"{name} {isa} row {r}: {actualLabels[r]} instead of {expectedLabels[r]} (logit gap {gap})");
                }
            }

            // A damaged file is refused before a model is made.
            byte[] bytes = File.ReadAllBytes(path);
            bytes[^5] ^= 0x40; // in b, the last tensor
            string damaged = _dir.File($"{name}-any-damaged.safetensors");
            File.WriteAllBytes(damaged, bytes);
            Assert.Throws<ModelFileException>(() => ModelFile.Load(damaged, out _));
        }

        [Fact]
        public void The_file_is_laid_out_as_the_documentation_says()
        {
            // An independent reader of the documented layout: any change to the format must change this test too.
            string path = SmallFullFile();
            byte[] file = File.ReadAllBytes(path);
            var model = Randomised(new M3x3(), 1);

            // The 8-byte little-endian header length; the header, padded with spaces so the data starts 8-byte aligned.
            int n = SafetensorsTestFile.HeaderLength(file);
            Assert.Equal(0, n % 8);
            string header = Encoding.UTF8.GetString(file, 8, n);
            Assert.EndsWith("}", header.TrimEnd(' '), StringComparison.Ordinal);
            Assert.True(header.Length - header.TrimEnd(' ').Length < 8, "more padding than alignment needs");
            using JsonDocument document = JsonDocument.Parse(header);
            JsonElement root = document.RootElement;
            Assert.Equal(["__metadata__", "W", "b", "velocity.W", "velocity.b"], root.EnumerateObject().Select(p => p.Name));

            // The metadata: strings only, in this order, the JSON values as strings, the checksum last.
            JsonElement metadata = root.GetProperty("__metadata__");
            Assert.Equal(
                ["format", "format_version", "inputs", "classes", "hypercomplex", "class_names", "trainer_options", "training_state",
                 "checksum"],
                metadata.EnumerateObject().Select(p => p.Name));
            Assert.All(metadata.EnumerateObject(), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
            string Meta(string key) => metadata.GetProperty(key).GetString()!;
            Assert.Equal(
                ("GenSoftmax model", "2", "3", "3", "0"),
                (Meta("format"), Meta("format_version"), Meta("inputs"), Meta("classes"), Meta("hypercomplex")));
            Assert.Equal(["cat", "Größe", "猫"], JsonSerializer.Deserialize<string[]>(Meta("class_names"))!);
            Assert.True(
                JsonNode.DeepEquals(JsonNode.Parse(ExpectedOptions), JsonNode.Parse(Meta("trainer_options"))), Meta("trainer_options"));
            Assert.True(
                JsonNode.DeepEquals(JsonNode.Parse(ExpectedState), JsonNode.Parse(Meta("training_state"))), Meta("training_state"));

            // The tensors: F32, packed in header order from offset 0, row-major, little-endian.
            float[][] values =
                [model.Weights.ToArray(), model.Bias.ToArray(), [.. Enumerable.Range(0, 9).Select(i => i / 10f)], [1f, 2f, 3f]];
            int[][] shapes = [[3, 3], [3], [3, 3], [3]];
            string[] names = ["W", "b", "velocity.W", "velocity.b"];
            var data = new MemoryStream();
            for (int t = 0; t < names.Length; t++)
            {
                JsonElement entry = root.GetProperty(names[t]);
                Assert.Equal(["dtype", "shape", "data_offsets"], entry.EnumerateObject().Select(p => p.Name));
                Assert.Equal("F32", entry.GetProperty("dtype").GetString());
                Assert.Equal(shapes[t], entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
                Assert.Equal(
                    [data.Length, data.Length + (4 * values[t].Length)],
                    entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()));
                foreach (float v in values[t])
                {
                    data.Write(BitConverter.GetBytes(v));
                }
            }

            Assert.Equal(Convert.ToHexString(data.ToArray()), Convert.ToHexString(file.AsSpan(8 + n)));

            // The checksum: XxHash3 (64-bit, seed 0) of the header with the checksum's 16 digits as zeros, then the data.
            string zeroed = header.Replace(Meta("checksum"), "xxh3:" + new string('0', 16), StringComparison.Ordinal);
            ulong expected = XxHash3.HashToUInt64([.. Encoding.UTF8.GetBytes(zeroed), .. data.ToArray()]);
            Assert.Equal($"xxh3:{expected:x16}", Meta("checksum"));
        }

        private const string ExpectedOptions = """
            {"batch_size":256,"epochs":10,"seed":5,"init_std_dev":0.01,"threads":1,"learning_rate":0.1,"momentum":0.9,"weight_decay":0,
             "schedule":"Constant","step_epochs":5,"step_factor":0.1,"final_fraction":0,"warmup_epochs":0,"loss":"CrossEntropy",
             "label_smoothing":0,"early_stopping":null,
             "solver":"Sgd","c":1,"tolerance":0.0001,"max_iterations":100}
            """;

        private const string ExpectedState = """
            {"seed":5,"completed_epochs":1,"batches_done":2,"learning_rate":0.05,"epoch_loss_sum":1.5,"epoch_correct":7,
             "epoch_seconds":0.25,"early_stopping":null}
            """;

        [Fact]
        public void Class_names_options_and_state_come_back_as_saved()
        {
            string path = SmallFullFile();
            var model = new M3x3();
            ModelFileContents contents = ModelFile.Load(path, model);
            Assert.Equal(new[] { "cat", "Größe", "猫" }, contents.ClassNames);
            Assert.Equal(new TrainerOptions { Solver = TrainingSolver.Sgd, Seed = 5, Optimizer = new SgdOptions { Momentum = 0.9f } }, contents.TrainerOptions);
            TrainingState state = contents.TrainingState!;
            Assert.Equal(
                (5, 1, 2, 0.05f, 1.5, 7L, 0.25),
                (state.Seed, state.CompletedEpochs, state.BatchesDone, state.LearningRate, state.EpochLossSum, state.EpochCorrect,
                 state.EpochSeconds));
            Assert.Equal(["W", "b"], state.Velocity.Select(v => v.Name));
            Assert.Equal(SmallVelocity().Select(v => v.Values.ToArray()), state.Velocity.Select(v => v.Values.ToArray()));
            Assert.Equal([3, 3], state.Velocity[0].Shape);
            Assert.Null(state.EarlyStopping);

            ModelFileInfo info = ModelFile.ReadInfo(path);
            Assert.Equal(
                (Path.GetFullPath(path), 2, 3, 3, true, true, 1, 2),
                (info.Path, info.FormatVersion, info.Inputs, info.Classes, info.ChecksumValid, info.HasTrainingState, info.CompletedEpochs,
                 info.BatchesDone));
            Assert.Equal(new FileInfo(path).Length, info.Length);
            Assert.Equal(contents.ClassNames, info.ClassNames);
            Assert.Equal(contents.TrainerOptions, info.TrainerOptions);

            // Without extras: nothing but the parameters.
            ModelFile.Save(path, model);
            ModelFileInfo plain = ModelFile.ReadInfo(path);
            Assert.Equal(
                (3, 3, false, 0, (IReadOnlyList<string>?)null, (TrainerOptions?)null),
                (plain.Inputs, plain.Classes, plain.HasTrainingState, plain.CompletedEpochs, plain.ClassNames, plain.TrainerOptions));
        }

        private const int Total = 3;

        private static readonly (LabeledData Train, LabeledData Validation) Data = Clusters(51, 330, 100);

        private static readonly TrainerOptions Options = new()
        {
            Solver = TrainingSolver.Sgd,
            Epochs = Total, BatchSize = 32, Seed = 17, Threads = 2,
            Optimizer = new SgdOptions { LearningRate = 0.2f, Momentum = 0.9f, WeightDecay = 1e-3f },
        };

        [Theory]
        [InlineData(1, 0)]   // at the end of epoch 1
        [InlineData(2, 4)]   // cancelled after batch 4 of epoch 2
        [InlineData(1, 11)]  // cancelled after the last batch of epoch 1: the epoch completes, the next does not start
        public void A_run_saved_to_a_file_and_continued_from_it_is_bit_identical(int epoch, int batch)
        {
            (M17x10 whole, IReadOnlyList<EpochReport> wholeReports) = Train(Options, Data.Train, Data.Validation);

            // The first run: stopped at an epoch's end, or cancelled from its progress callback mid-epoch, then saved.
            var first = new M17x10();
            var trainer = new Trainer(first, batch == 0 ? Options with { Epochs = epoch } : Options);
            trainer.Initialize();
            using var cancel = new CancellationTokenSource();
            var progress = new SyncProgress(p =>
            {
                if (p.EpochCompleted is null && p.Epoch == epoch && p.Batch == batch)
                {
                    cancel.Cancel();
                }
            });
            if (batch == 0)
            {
                trainer.Fit(Data.Train, Data.Validation, progress, cancel.Token);
            }
            else
            {
                Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(Data.Train, Data.Validation, progress, cancel.Token));
            }

            List<EpochReport> before = [.. trainer.History];
            string path = _dir.File("run.safetensors");
            ModelFile.Save(path, trainer, [.. Enumerable.Range(0, 10).Select(c => $"class {c}")]);

            // The continued run: a new model and a new trainer, everything from the file.
            var resumed = new M17x10();
            ModelFileContents saved = ModelFile.Load(path, resumed);
            Assert.Equal(
                trainer.SaveState().Velocity.Select(v => (v.Name, v.Values.ToArray())),
                saved.TrainingState!.Velocity.Select(v => (v.Name, v.Values.ToArray())));
            var next = new Trainer(resumed, saved.TrainerOptions! with { Epochs = Total });
            next.RestoreState(saved.TrainingState);
            IReadOnlyList<EpochReport> after = next.Fit(Data.Train, Data.Validation);

            Assert.Equal(Enumerable.Range(before.Count + 1, Total - before.Count), after.Select(r => r.Epoch));
            Assert.Equal(wholeReports.Select(r => r with { Seconds = 0 }), before.Concat(after).Select(r => r with { Seconds = 0 }));
            Assert.Equal(whole.Weights.ToArray(), resumed.Weights.ToArray());
            Assert.Equal(whole.Bias.ToArray(), resumed.Bias.ToArray());
        }

        [Fact]
        public void Every_truncation_is_refused_and_the_model_is_untouched()
        {
            byte[] file = File.ReadAllBytes(SmallFullFile());
            string cut = _dir.File("cut.safetensors");
            for (int length = 0; length < file.Length; length++)
            {
                File.WriteAllBytes(cut, file.AsSpan(0, length).ToArray());
                ModelFileException e = Refused(cut);
                Assert.Contains(length == 0 ? "is empty (0 bytes)" : "is truncated", e.Message);
            }
        }

        [Fact]
        public void Every_changed_byte_is_refused_and_the_model_is_untouched()
        {
            byte[] file = File.ReadAllBytes(SmallFullFile());
            int data = SafetensorsTestFile.DataStart(file);
            string changed = _dir.File("changed.safetensors");
            for (int i = 0; i < file.Length; i++)
            {
                byte[] copy = (byte[])file.Clone();
                copy[i] ^= 0x10;
                File.WriteAllBytes(changed, copy);
                ModelFileException e = Refused(changed);
                if (i >= data)
                {
                    Assert.Contains("is damaged: its content does not match its checksum", e.Message);
                }
            }
        }

        [Fact]
        public void Every_changed_byte_behind_a_recomputed_checksum_is_refused_or_loads_what_it_says()
        {
            // Damage the checksum cannot see: the checks behind it must refuse the file, or the file is still valid and
            // what loads is what its bytes say (a changed class name, a changed weight).
            string path = SmallFullFile();
            byte[] file = File.ReadAllBytes(path);
            int data = SafetensorsTestFile.DataStart(file);
            string changed = _dir.File("changed.safetensors");
            int loaded = 0;
            for (int i = 0; i < file.Length; i++)
            {
                byte[] copy = (byte[])file.Clone();
                copy[i] ^= 0x10;
                copy = SafetensorsTestFile.Reseal(copy);
                File.WriteAllBytes(changed, copy);
                var model = new M3x3();
                try
                {
                    ModelFile.Load(changed, model);
                }
                catch (ModelFileException)
                {
                    continue;
                }

                loaded++;
                var read = SafetensorsTestFile.Parse(copy);
                Assert.Equal(read.Floats("W"), model.Weights.ToArray());
                Assert.Equal(read.Floats("b"), model.Bias.ToArray());
            }

            Assert.True(loaded >= file.Length - data - 16, $"only {loaded} of the files with a changed data byte loaded");
        }

        [Fact]
        public void A_damaged_file_is_described_with_an_invalid_checksum()
        {
            byte[] file = File.ReadAllBytes(SmallFullFile());
            file[SafetensorsTestFile.DataStart(file) + 5] ^= 1; // inside the weights
            string path = _dir.File("damaged.safetensors");
            File.WriteAllBytes(path, file);
            ModelFileInfo info = ModelFile.ReadInfo(path);
            Assert.False(info.ChecksumValid);
            Assert.Equal((3, 3), (info.Inputs, info.Classes));
            Assert.Contains("is damaged", Refused(path).Message);

            // Damage that leaves no structure to describe is refused: a header length past the end of the file.
            BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)file.Length);
            File.WriteAllBytes(path, file);
            Assert.Contains("is truncated", Assert.Throws<ModelFileException>(() => ModelFile.ReadInfo(path)).Message);
        }

        public static TheoryData<byte[], string> ForeignFiles() => new()
        {
            {
                [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
                 0x1F, 0x15, 0xC4, 0x89],
                "(a PNG image)"
            },
            { [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28, .. new byte[784]], "(an IDX images file, as MNIST's)" },
            { [0, 0, 8, 1, 0, 0, 0, 2, 7, 3], "(an IDX labels file, as MNIST's)" },
            { [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0], "(gzip-compressed data)" },
            { Encoding.UTF8.GetBytes("label,f0,f1\n1,0.5,0.25\n"), "(text)" },
            { [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, .. new byte[120]], "(a NumPy .npy array)" },
            { [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, .. new byte[40]], "(a ZIP archive)" },
            { [0x89, (byte)'G', (byte)'S', (byte)'M', 0x0D, 0x0A, 0x1A, 0x0A, 1, 0, 0, 0, .. new byte[80]], "earlier binary format" },
        };

        [Theory]
        [MemberData(nameof(ForeignFiles))]
        public void A_foreign_file_is_refused_naming_what_it_looks_like(byte[] content, string what)
        {
            string path = _dir.File("foreign.safetensors");
            File.WriteAllBytes(path, content);
            ModelFileException e = Refused(path);
            Assert.Contains("is not a GenSoftmax model file", e.Message);
            Assert.Contains("it starts with", e.Message);
            Assert.Contains(what, e.Message);
        }

        [Fact]
        public void A_safetensors_file_of_another_program_is_refused_as_not_a_model_file()
        {
            // What Python's safetensors package writes: no format entry in its metadata.
            string path = _dir.File("other.safetensors");
            byte[] json = Encoding.ASCII.GetBytes("""{"weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""");
            File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, 0, 0, 128, 63]);
            Assert.Contains("its metadata has no \"format\" entry", Refused(path).Message);

            var file = SafetensorsTestFile.Read(SmallFullFile());
            file.Metadata["format"] = "PyTorch";
            file.Write(path);
            Assert.Contains("is not a GenSoftmax model file", Refused(path).Message);
            Assert.Contains("its format is \"PyTorch\"", Refused(path).Message);
        }

        [Fact]
        public void A_header_that_is_not_JSON_is_refused()
        {
            string path = _dir.File("not-json.safetensors");
            byte[] data = SafetensorsTestFile.Read(SmallFullFile()).Data;
            foreach (string header in new[] { "{\"__metadata__\":", "[1, 2, 3]", "{\"a\":1} trailing", "\u00ff\u00fe{}" })
            {
                File.WriteAllBytes(path, SafetensorsTestFile.Seal(header, data));
                Assert.Contains("is not a GenSoftmax model file", Refused(path).Message);
            }

            // Bytes that are not UTF-8.
            byte[] file = SafetensorsTestFile.Seal("{\"__metadata__\":{\"format\":\"GenSoftmax model\"}}", data);
            file[28] = 0xFF;
            File.WriteAllBytes(path, file);
            Assert.Contains("is not valid UTF-8 JSON", Refused(path).Message);
        }

        [Theory]
        [InlineData("3", "format version 3, written by a newer GenSoftmax; this one reads version 2")]
        [InlineData("1", "its format version is 1; this GenSoftmax reads version 2 only")]
        [InlineData("two", "\"format_version\" is \"two\", not a whole number")]
        public void A_file_of_another_format_version_is_refused(string version, string expected)
        {
            var file = SafetensorsTestFile.Read(SmallFullFile());
            file.Metadata["format_version"] = version;
            string path = _dir.File("version.safetensors");
            file.Write(path);
            ModelFileException e = Refused(path);
            Assert.Contains(expected, e.Message);
            if (version == "3")
            {
                Assert.Contains("Upgrade the GenSoftmax package", e.Message);
            }
        }

        [Fact]
        public void An_unknown_tensor_or_metadata_entry_and_a_duplicate_key_are_refused()
        {
            string path = _dir.File("newer.safetensors");
            var file = SafetensorsTestFile.Read(SmallFullFile());
            file.Add("W_int8_scale", [3], [1f, 1f, 1f]);
            file.Write(path);
            Assert.Contains("it holds a tensor 'W_int8_scale' that a dense model file does not have", Refused(path).Message);

            file = SafetensorsTestFile.Read(SmallFullFile());
            file.Metadata["quantized"] = "int8";
            file.Write(path);
            Assert.Contains("its metadata has an entry 'quantized' that this GenSoftmax does not know", Refused(path).Message);

            // A key twice, in the header and in the metadata: JSON allows it, a model file does not.
            file = SafetensorsTestFile.Read(SmallFullFile());
            string json = file.Header.ToJsonString();
            string b = $"\"b\":{file.Header["b"]!.ToJsonString()}";
            File.WriteAllBytes(path, SafetensorsTestFile.Seal(json.Replace(b, b + "," + b, StringComparison.Ordinal), file.Data));
            Assert.Contains("its header names 'b' twice", Refused(path).Message);
            string twice = json.Replace("\"inputs\":\"3\"", "\"inputs\":\"3\",\"inputs\":\"3\"", StringComparison.Ordinal);
            File.WriteAllBytes(path, SafetensorsTestFile.Seal(twice, file.Data));
            Assert.Contains("its metadata names 'inputs' twice", Refused(path).Message);
        }

        public static TheoryData<string, string> BadTensors() => new()
        {
            { "dtype F16", "tensor 'W' has dtype F16, but GenSoftmax model files hold F32 (float32) tensors only" },
            { "dtype missing", "its header entry 'W' is not a tensor" },
            { "shape [9]", "its tensor 'W' has shape [9], but a 3 x 3 model's is [3, 3]" },
            { "shape [3, 3] for b", "needs 36 bytes, but its data_offsets give 12" },
            { "shape [0, 3]", "has a dimension 0, but every dimension must be a whole number of at least 1" },
            { "shape []", "tensor 'W' has no dimensions" },
            { "offsets overlap", "overlaps the tensor before it" },
            { "offsets gap", "the data has a gap of 4 bytes before tensor 'b'" },
            { "offsets negative", "has a data offset -4, but offsets are whole numbers of at least 0" },
            { "metadata not strings", "its metadata entry 'inputs' is not a string" },
            { "inputs 4", "its tensor 'W' has shape [3, 3], but a 4 x 3 model's is [3, 4]" },
            { "classes 0", "\"classes\" is \"0\", not a whole number from" },
            { "no checksum", "its metadata has no checksum of the form" },
        };

        [Theory]
        [MemberData(nameof(BadTensors))]
        public void A_header_that_does_not_describe_the_data_is_refused(string change, string expected)
        {
            // Each change is made behind a recomputed checksum, as a buggy writer would make it.
            var file = SafetensorsTestFile.Read(SmallFullFile());
            JsonObject w = file.Header["W"]!.AsObject(), b = file.Header["b"]!.AsObject();
            switch (change)
            {
                case "dtype F16": w["dtype"] = "F16"; break;
                case "dtype missing": w.Remove("dtype"); break;
                case "shape [9]": w["shape"] = new JsonArray(9); break;
                case "shape [3, 3] for b": b["shape"] = new JsonArray(3, 3); break;
                case "shape [0, 3]": w["shape"] = new JsonArray(0, 3); break;
                case "shape []": w["shape"] = new JsonArray(); break;
                case "offsets overlap": b["data_offsets"] = new JsonArray(32, 44); break;
                case "offsets gap": b["data_offsets"] = new JsonArray(40, 52); break;
                case "offsets negative": w["data_offsets"] = new JsonArray(-4, 32); break;
                case "metadata not strings": file.Metadata["inputs"] = 3; break;
                case "inputs 4": file.Metadata["inputs"] = "4"; break;
                case "classes 0": file.Metadata["classes"] = "0"; break;
                case "no checksum": file.Metadata.Remove("checksum"); break;
                default: throw new ArgumentOutOfRangeException(nameof(change));
            }

            string path = _dir.File("bad-header.safetensors");
            file.Write(path);
            Assert.Contains(expected, Refused(path).Message);
        }

        [Fact]
        public void A_model_of_another_shape_is_refused_naming_both_shapes()
        {
            string path = _dir.File("17x10.safetensors");
            ModelFile.Save(path, Randomised(new M17x10(), 2));
            ModelFileException e = Refused(path, new M15x10());
            Assert.Contains("holds a model of 17 inputs x 10 classes, but the model it is loaded into has 15 x 10", e.Message);
        }

        [Fact]
        public void A_hostile_header_length_or_shape_is_refused_before_allocating()
        {
            byte[] valid = File.ReadAllBytes(SmallFullFile());
            ModelFile.ReadInfo(SmallFullFile("warm.safetensors")); // the first call's one-time costs are not the point
            string path = _dir.File("hostile.safetensors");
            void Check(byte[] bytes, string expected)
            {
                File.WriteAllBytes(path, bytes);
                long before = GC.GetAllocatedBytesForCurrentThread();
                var e = Assert.Throws<ModelFileException>(() => ModelFile.ReadInfo(path));
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.Contains(expected, e.Message);
                Assert.True(allocated < 1 << 20, $"{allocated:N0} bytes allocated to refuse a {bytes.Length}-byte file: {e.Message}");
            }

            // A header length of 2^63, of 2^40, and one just within the limit but past the end of the file.
            foreach (ulong huge in new[] { 1UL << 63, 1UL << 40, (16UL << 20) + 1 })
            {
                byte[] bytes = (byte[])valid.Clone();
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, huge);
                Check(bytes, $"its first 8 bytes declare a header of {huge:N0} bytes");
            }

            byte[] within = (byte[])valid.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(within, 16 << 20);
            Check(within, "is truncated: its header declares 16,777,216 bytes");

            // A shape of 2^30 classes, and a plausible shape whose tensors need a gigabyte the file does not hold.
            var file = SafetensorsTestFile.Read(SmallFullFile());
            file.Metadata["classes"] = (1 << 30).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Check(file.ToBytes(), "\"classes\" is \"1073741824\", not a whole number from");
            file = SafetensorsTestFile.Read(SmallFullFile());
            file.Header["velocity.b"]!["shape"] = new JsonArray(1 << 28);
            file.Header["velocity.b"]!["data_offsets"] = new JsonArray(84, 84 + (4L << 28));
            Check(file.ToBytes(), $"its tensors need {84 + (4L << 28):N0} bytes of data, but the file holds 96");
            file.Header["velocity.b"]!["shape"] = new JsonArray(1 << 20, 1 << 20);
            Check(file.ToBytes(), $"tensor 'velocity.b' has more than {Array.MaxLength:N0} elements");
        }

        [Fact]
        public void Bytes_appended_to_a_file_are_refused()
        {
            string path = SmallFullFile();
            File.AppendAllText(path, "extra");
            Assert.Contains("it has 5 bytes past its last tensor", Refused(path).Message);

            // Even with the checksum made to fit: the header must account for every byte.
            var file = SafetensorsTestFile.Read(SmallFullFile());
            file.Data = [.. file.Data, 0, 0, 0, 0];
            file.Write(path);
            Assert.Contains("it has 4 bytes past its last tensor", Refused(path).Message);
        }

        [SkippableFact]
        public void A_missing_file_a_directory_and_a_FIFO_are_refused()
        {
            Assert.Contains("does not exist", Refused(_dir.File("missing.safetensors")).Message);
            Assert.Contains("is a directory", Refused(_dir.Subdirectory("models")).Message);

            Skip.If(OperatingSystem.IsWindows(), "FIFOs are a Unix thing");
            string fifo = _dir.File("fifo.safetensors");
            Programs.Run("mkfifo", fifo);
            // Opening a FIFO for reading would wait for a writer: the load must refuse it without opening it.
            Task<ModelFileException> load = Task.Run(() => Refused(fifo));
            Assert.True(load.Wait(TimeSpan.FromSeconds(10)), "loading a FIFO blocked");
            Assert.Contains("is not a regular file", load.Result.Message);
        }

        [Fact]
        public void Save_refuses_contents_that_do_not_fit_the_model()
        {
            string path = _dir.File("bad.safetensors");
            var model = new M3x3();
            string Refused(ModelFileContents contents) =>
                Assert.Throws<ArgumentException>(() => ModelFile.Save(path, model, contents)).Message;
            Assert.Contains(
                "ClassNames has 2 names, but the model has 3 classes", Refused(new ModelFileContents { ClassNames = ["a", "b"] }));
            Assert.Contains("not valid Unicode", Refused(new ModelFileContents { ClassNames = ["a", "b", "\uD800"] }));
            var state = new TrainingState(1, 0, 0, 0.1f, [], 0, 0, 0);
            Assert.Contains(
                "seed 1, but the trainer options have seed 42",
                Refused(new ModelFileContents { TrainerOptions = new TrainerOptions { Solver = TrainingSolver.Sgd }, TrainingState = state }));
            NamedTensor[] wrong = [new NamedTensor("W", [4], decays: true, TensorInit.Normal), new NamedTensor("b", [3], decays: false, TensorInit.Zeros)];
            Assert.Contains(
                "its velocity does not match the model's parameters (tensor 0 is W [4] where the model has W [3, 3])",
                Refused(new ModelFileContents { TrainingState = state with { Velocity = wrong } }));
            NamedTensor[] nan = SmallVelocity();
            nan[1].Values[2] = float.NaN;
            Assert.Contains(
                "its velocity of b holds a NaN or infinite value",
                Refused(new ModelFileContents { TrainingState = state with { Velocity = nan } }));
            Assert.Contains(
                "its learning rate is -1", Refused(new ModelFileContents { TrainingState = state with { LearningRate = -1f } }));
            Assert.False(File.Exists(path));
            Assert.Empty(Directory.GetFiles(_dir.Path));
        }

        [Fact]
        public void Saving_over_a_model_replaces_it_whole()
        {
            string path = _dir.File("model.safetensors");
            ModelFile.Save(path, Randomised(new M17x10(), 1));
            ModelFile.Save(path, Randomised(new M17x10(), 2));
            var loaded = new M17x10();
            ModelFile.Load(path, loaded);
            Assert.Equal(Randomised(new M17x10(), 2).Weights.ToArray(), loaded.Weights.ToArray());
            Assert.Equal(new[] { "model.safetensors" }, Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        }

        [Theory]
        [InlineData(5, float.NaN, "W[1, 2] is NaN")]
        [InlineData(0, float.PositiveInfinity, "W[0, 0] is +Infinity")]
        [InlineData(-2, float.NegativeInfinity, "b[1] is -Infinity")]
        public void Save_refuses_a_model_with_a_non_finite_parameter(int index, float value, string expected)
        {
            string path = _dir.File("diverged.safetensors");
            var model = Randomised(new M3x3(), 3);
            if (index >= 0)
            {
                model.Weights[index] = value;
            }
            else
            {
                model.Bias[-index - 1] = value;
            }

            var e = Assert.Throws<ArgumentException>(() => ModelFile.Save(path, model));

            Assert.Contains(expected, e.Message);
            Assert.Empty(Directory.GetFiles(_dir.Path));
        }

        [Theory]
        [InlineData("W", 4, float.NaN, "its tensor 'W' holds NaN at [1, 1]")]
        [InlineData("b", 2, float.PositiveInfinity, "its tensor 'b' holds +Infinity at [2]")]
        [InlineData("velocity.W", 0, float.NegativeInfinity, "its tensor 'velocity.W' holds -Infinity at [0, 0]")]
        public void Load_refuses_a_well_formed_file_holding_a_non_finite_value_and_leaves_the_model_untouched(
            string tensor, int index, float value, string expected)
        {
            // A file made by something else: the right layout and checksum around a NaN or infinity.
            var file = SafetensorsTestFile.Read(SmallFullFile());
            file.SetFloat(tensor, index, value);
            string path = _dir.File("nan.safetensors");
            file.Write(path);

            ModelFileException e = Refused(path);

            Assert.Contains(expected, e.Message);
            Assert.Throws<ModelFileException>(() => ModelFile.Load(path, out _));
        }
    }
}
