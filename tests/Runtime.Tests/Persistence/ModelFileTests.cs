using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using GenSoftmax.Tests.Models;
using Xunit;
using static GenSoftmax.Tests.TrainerTests;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>Model files: the documented layout, exact round trips, resuming from a file, and every way a file can be bad.</summary>
    public sealed class ModelFileTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        /// <summary>A model with random parameters from <paramref name="seed"/>.</summary>
        private static T Randomised<T>(T model, int seed)
            where T : ISoftmaxModel
        {
            var random = new Random(seed);
            TestModels.Uniform(random, model.Weights.Length, -1f, 1f).CopyTo(model.Weights);
            TestModels.Uniform(random, model.Classes, -1f, 1f).CopyTo(model.Bias);
            return model;
        }

        /// <summary>A small file with every section: 3x3 with names, options and a state with velocity.</summary>
        private string SmallFullFile(string name = "small.gsm")
        {
            string path = _dir.File(name);
            var model = Randomised(new M3x3(), 1);
            ModelFile.Save(path, model, new ModelFileContents
            {
                ClassNames = ["cat", "Größe", "猫"],
                TrainerOptions = new TrainerOptions { Seed = 5, Optimizer = new SgdOptions { Momentum = 0.9f } },
                TrainingState = new TrainingState(5, 1, 2, 0.05f, [.. Enumerable.Range(0, 9).Select(i => i / 10f)], [1f, 2f, 3f], 1.5, 7, 0.25),
            });
            return path;
        }

        /// <summary>Sets the file-length field, appends a fresh checksum: a well-formed file around changed content.</summary>
        private static byte[] Reseal(ReadOnlySpan<byte> content)
        {
            byte[] file = new byte[content.Length + 8];
            content.CopyTo(file);
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(24), (ulong)file.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(content.Length), XxHash3.HashToUInt64(file.AsSpan(0, content.Length)));
            return file;
        }

        /// <summary>The file with one more section appended after the others.</summary>
        private static byte[] WithSection(byte[] file, string tag, uint flags, byte[] payload)
        {
            var content = new List<byte>(file.AsSpan(0, file.Length - 8).ToArray());
            byte[] header = new byte[16];
            Encoding.ASCII.GetBytes(tag).CopyTo(header, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), flags);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), (ulong)payload.Length);
            content.AddRange(header);
            content.AddRange(payload);
            byte[] bytes = [.. content];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)) + 1);
            return Reseal(bytes);
        }

        /// <summary>Loads a bad file into a model and checks that it is refused with the file's name and the model untouched.</summary>
        private static ModelFileException Refused(string path, ISoftmaxModel? into = null)
        {
            into ??= new M3x3();
            Randomised(into, 99);
            float[] weights = into.Weights.ToArray();
            float[] bias = into.Bias.ToArray();
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, into));
            Assert.Equal(Path.GetFullPath(path), e.Path);
            Assert.Contains($"'{Path.GetFullPath(path)}'", e.Message);
            Assert.Equal(weights, into.Weights.ToArray());
            Assert.Equal(bias, into.Bias.ToArray());
            return e;
        }

        [SkippableTheory]
        [MemberData(nameof(TestModels.ModelsAndVariants), MemberType = typeof(TestModels))]
        public void A_saved_then_loaded_model_predicts_bit_identically(string name, KernelIsa isa)
        {
            ISoftmaxModel saved = Randomised(TestModels.Create(name, isa), seed: 7);
            string path = _dir.File($"{name}.gsm");
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
            string path = _dir.File($"{name}-any.gsm");
            ModelFile.Save(path, saved, new ModelFileContents { ClassNames = Enumerable.Range(0, saved.Classes).Select(c => $"class {c}").ToArray() });

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
            TestModels.AssertClose(expected.Select(v => (double)v).ToArray(), actual, $"{name} {isa} probabilities after loading any shape");
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
            bytes[^20] ^= 0x40;
            string damaged = _dir.File($"{name}-any-damaged.gsm");
            File.WriteAllBytes(damaged, bytes);
            Assert.Throws<ModelFileException>(() => ModelFile.Load(damaged, out _));
        }

        [Fact]
        public void The_file_is_laid_out_byte_by_byte_as_the_README_documents()
        {
            // An independent writer of the documented layout: any change to the format must change this test too.
            string path = SmallFullFile();
            var model = Randomised(new M3x3(), 1);
            var expected = new MemoryStream();
            var w = new BinaryWriter(expected); // little-endian, as the format
            w.Write(new byte[] { 0x89, (byte)'G', (byte)'S', (byte)'M', 0x0D, 0x0A, 0x1A, 0x0A });
            w.Write((ushort)1);          // format version
            w.Write((ushort)0);          // reserved
            w.Write(3);                  // inputs
            w.Write(3);                  // classes
            w.Write(4u);                 // sections
            long lengthAt = expected.Position;
            w.Write(0UL);                // file length, patched below

            w.Write("PARM"u8); w.Write(1u); w.Write((ulong)(4 + (4 * 12)));
            w.Write((byte)1); w.Write((byte)1); w.Write((ushort)0);
            foreach (float v in model.Weights) { w.Write(v); }
            foreach (float v in model.Bias) { w.Write(v); }

            string[] names = ["cat", "Größe", "猫"];
            w.Write("NAME"u8); w.Write(0u); w.Write((ulong)(4 + names.Sum(n => 4 + Encoding.UTF8.GetByteCount(n))));
            w.Write(3u);
            foreach (string n in names) { w.Write((uint)Encoding.UTF8.GetByteCount(n)); w.Write(Encoding.UTF8.GetBytes(n)); }

            var defaults = new TrainerOptions();
            w.Write("TOPT"u8); w.Write(0u); w.Write(32UL);
            w.Write(defaults.BatchSize); w.Write(defaults.Epochs); w.Write(5); w.Write(defaults.InitStdDev); w.Write(defaults.Threads);
            w.Write(0.1f); w.Write(0.9f); w.Write(0f);

            w.Write("TSTA"u8); w.Write(0u); w.Write((ulong)(44 + (4 * 12)));
            w.Write(5); w.Write(1); w.Write(2); w.Write(0.05f); w.Write(1.5); w.Write(7L); w.Write(0.25); w.Write(1u);
            for (int i = 0; i < 9; i++) { w.Write(i / 10f); }
            w.Write(1f); w.Write(2f); w.Write(3f);
            w.Flush();

            byte[] content = expected.ToArray();
            BinaryPrimitives.WriteUInt64LittleEndian(content.AsSpan((int)lengthAt), (ulong)(content.Length + 8));
            byte[] file = [.. content, .. BitConverter.GetBytes(XxHash3.HashToUInt64(content))];
            Assert.Equal(Convert.ToHexString(file), Convert.ToHexString(File.ReadAllBytes(path)));
        }

        [Fact]
        public void Class_names_options_and_state_come_back_as_saved()
        {
            string path = SmallFullFile();
            var model = new M3x3();
            ModelFileContents contents = ModelFile.Load(path, model);
            Assert.Equal(new[] { "cat", "Größe", "猫" }, contents.ClassNames);
            Assert.Equal(new TrainerOptions { Seed = 5, Optimizer = new SgdOptions { Momentum = 0.9f } }, contents.TrainerOptions);
            TrainingState state = contents.TrainingState!;
            Assert.Equal((5, 1, 2, 0.05f, 1.5, 7L, 0.25), (state.Seed, state.CompletedEpochs, state.BatchesDone, state.LearningRate, state.EpochLossSum, state.EpochCorrect, state.EpochSeconds));
            Assert.Equal(Enumerable.Range(0, 9).Select(i => i / 10f), state.VelocityWeights);
            Assert.Equal(new[] { 1f, 2f, 3f }, state.VelocityBias);

            ModelFileInfo info = ModelFile.ReadInfo(path);
            Assert.Equal((Path.GetFullPath(path), 1, 3, 3, true, true, 1, 2), (info.Path, info.FormatVersion, info.Inputs, info.Classes, info.ChecksumValid, info.HasTrainingState, info.CompletedEpochs, info.BatchesDone));
            Assert.Equal(new FileInfo(path).Length, info.Length);
            Assert.Equal(contents.ClassNames, info.ClassNames);
            Assert.Equal(contents.TrainerOptions, info.TrainerOptions);

            // Without extras: nothing but the parameters.
            ModelFile.Save(path, model);
            ModelFileInfo plain = ModelFile.ReadInfo(path);
            Assert.Equal((3, 3, false, 0, (IReadOnlyList<string>?)null, (TrainerOptions?)null), (plain.Inputs, plain.Classes, plain.HasTrainingState, plain.CompletedEpochs, plain.ClassNames, plain.TrainerOptions));
        }

        private const int Total = 3;

        private static readonly (LabeledData Train, LabeledData Validation) Data = Clusters(51, 330, 100);

        private static readonly TrainerOptions Options = new()
        {
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
            string path = _dir.File("run.gsm");
            ModelFile.Save(path, trainer, [.. Enumerable.Range(0, 10).Select(c => $"class {c}")]);

            // The continued run: a new model and a new trainer, everything from the file.
            var resumed = new M17x10();
            ModelFileContents saved = ModelFile.Load(path, resumed);
            Assert.Equal(trainer.SaveState().VelocityWeights, saved.TrainingState!.VelocityWeights);
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
            string cut = _dir.File("cut.gsm");
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
            string changed = _dir.File("changed.gsm");
            for (int i = 0; i < file.Length; i++)
            {
                byte[] copy = (byte[])file.Clone();
                copy[i] ^= 0x10;
                File.WriteAllBytes(changed, copy);
                ModelFileException e = Refused(changed);
                if (i >= 32 && i < file.Length - 8)
                {
                    Assert.Contains("is damaged: its content does not match its checksum", e.Message);
                }
            }
        }

        [Fact]
        public void A_damaged_file_is_described_with_an_invalid_checksum()
        {
            byte[] file = File.ReadAllBytes(SmallFullFile());
            file[60] ^= 1; // inside the weights
            string path = _dir.File("damaged.gsm");
            File.WriteAllBytes(path, file);
            ModelFileInfo info = ModelFile.ReadInfo(path);
            Assert.False(info.ChecksumValid);
            Assert.Equal((3, 3), (info.Inputs, info.Classes));

            // Damage that leaves no structure to describe is refused, as damage.
            file[41] = 0xFF; // the parameters section's length, now past the end of the file
            File.WriteAllBytes(path, file);
            Assert.Contains("is damaged", Assert.Throws<ModelFileException>(() => ModelFile.ReadInfo(path)).Message);
        }

        public static TheoryData<byte[], string> ForeignFiles() => new()
        {
            { [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89], "(a PNG image)" },
            { [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28, .. new byte[784]], "(an IDX images file, as MNIST's)" },
            { [0, 0, 8, 1, 0, 0, 0, 2, 7, 3], "(an IDX labels file, as MNIST's)" },
            { [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0], "(gzip-compressed data)" },
            { Encoding.UTF8.GetBytes("label,f0,f1\n1,0.5,0.25\n"), "(text)" },
            { [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, .. new byte[120]], "(a NumPy .npy array)" },
        };

        [Theory]
        [MemberData(nameof(ForeignFiles))]
        public void A_foreign_file_is_refused_naming_what_it_looks_like(byte[] content, string what)
        {
            string path = _dir.File("foreign.gsm");
            File.WriteAllBytes(path, content);
            ModelFileException e = Refused(path);
            Assert.Contains("is not a GenSoftmax model file: it starts with", e.Message);
            Assert.Contains(what, e.Message);
        }

        [Fact]
        public void A_file_copied_in_text_mode_is_recognised()
        {
            byte[] file = File.ReadAllBytes(SmallFullFile());
            string path = _dir.File("text-mode.gsm");
            File.WriteAllBytes(path, [file[0], file[1], file[2], file[3], 0x0A, .. file.AsSpan(6)]); // \r\n became \n
            Assert.Contains("line-ending bytes were changed", Refused(path).Message);
        }

        [Fact]
        public void A_file_from_a_newer_format_version_is_refused_asking_for_an_upgrade()
        {
            byte[] file = File.ReadAllBytes(SmallFullFile());
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), 2);
            string path = _dir.File("v2.gsm");
            File.WriteAllBytes(path, Reseal(file.AsSpan(0, file.Length - 8)));
            ModelFileException e = Refused(path);
            Assert.Contains("format version 2, written by a newer GenSoftmax; this one reads versions up to 1", e.Message);
            Assert.Contains("Upgrade the GenSoftmax package", e.Message);
        }

        [Fact]
        public void An_unknown_section_is_skipped_unless_it_is_required()
        {
            byte[] file = File.ReadAllBytes(SmallFullFile());
            string path = _dir.File("newer.gsm");

            File.WriteAllBytes(path, WithSection(file, "DESC", 0, Encoding.UTF8.GetBytes("a note from a newer writer")));
            var model = new M3x3();
            Assert.Equal(new[] { "cat", "Größe", "猫" }, ModelFile.Load(path, model).ClassNames);
            Assert.Equal(Randomised(new M3x3(), 1).Weights.ToArray(), model.Weights.ToArray());

            File.WriteAllBytes(path, WithSection(file, "QNT8", 1, new byte[12]));
            ModelFileException e = Refused(path);
            Assert.Contains("section 'QNT8'", e.Message);
            Assert.Contains("written by a newer GenSoftmax", e.Message);

            File.WriteAllBytes(path, WithSection(file, "NAME", 0, new byte[4]));
            Assert.Contains("a second section 'NAME'", Refused(path).Message);
        }

        [Fact]
        public void A_model_of_another_shape_is_refused_naming_both_shapes()
        {
            string path = _dir.File("17x10.gsm");
            ModelFile.Save(path, Randomised(new M17x10(), 2));
            ModelFileException e = Refused(path, new M15x10());
            Assert.Contains("holds a model of 17 inputs and 10 classes, but the model it is loaded into (M15x10) has 15 inputs and 10 classes", e.Message);
        }

        [Fact]
        public void A_header_that_declares_more_than_the_file_holds_is_refused_before_allocating()
        {
            // 100 bytes, well-formed and checksummed, whose header declares a model of 2^30 classes.
            byte[] content = new byte[92];
            File.ReadAllBytes(SmallFullFile()).AsSpan(0, 32).CopyTo(content);
            BinaryPrimitives.WriteInt32LittleEndian(content.AsSpan(16), 1 << 30);
            string path = _dir.File("huge.gsm");
            File.WriteAllBytes(path, Reseal(content));

            ModelFile.ReadInfo(SmallFullFile("warm.gsm")); // the first call's one-time costs are not the point
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<ModelFileException>(() => ModelFile.ReadInfo(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Contains("declares a model of 3 inputs and 1073741824 classes", e.Message);
            Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated to refuse a 100-byte file");

            // The same with a plausible shape but a parameters section longer than the file.
            BinaryPrimitives.WriteInt32LittleEndian(content.AsSpan(16), 1024);
            BinaryPrimitives.WriteInt32LittleEndian(content.AsSpan(12), 1 << 18);
            BinaryPrimitives.WriteUInt32LittleEndian(content.AsSpan(20), 1);
            "PARM"u8.CopyTo(content.AsSpan(32));
            BinaryPrimitives.WriteUInt64LittleEndian(content.AsSpan(40), 4 + (4L * 1024 * ((1 << 18) + 1)));
            File.WriteAllBytes(path, Reseal(content));
            before = GC.GetAllocatedBytesForCurrentThread();
            e = Assert.Throws<ModelFileException>(() => ModelFile.ReadInfo(path));
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Contains($"its section 'PARM' at byte 32 declares {1_073_745_924UL:N0} bytes, but only 44 remain", e.Message);
            Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated to refuse a 100-byte file");
        }

        [Fact]
        public void Bytes_appended_to_a_file_are_refused()
        {
            string path = SmallFullFile();
            File.AppendAllText(path, "extra");
            Assert.Contains("has 5 bytes past its end", Refused(path).Message);
        }

        [SkippableFact]
        public void A_missing_file_a_directory_and_a_FIFO_are_refused()
        {
            Assert.Contains("does not exist", Refused(_dir.File("missing.gsm")).Message);
            Assert.Contains("is a directory", Refused(_dir.Subdirectory("models")).Message);

            Skip.If(OperatingSystem.IsWindows(), "FIFOs are a Unix thing");
            string fifo = _dir.File("fifo.gsm");
            Programs.Run("mkfifo", fifo);
            // Opening a FIFO for reading would wait for a writer: the load must refuse it without opening it.
            Task<ModelFileException> load = Task.Run(() => Refused(fifo));
            Assert.True(load.Wait(TimeSpan.FromSeconds(10)), "loading a FIFO blocked");
            Assert.Contains("is not a regular file", load.Result.Message);
        }

        [Fact]
        public void Save_refuses_contents_that_do_not_fit_the_model()
        {
            string path = _dir.File("bad.gsm");
            var model = new M3x3();
            Assert.Contains("ClassNames has 2 names, but the model has 3 classes",
                Assert.Throws<ArgumentException>(() => ModelFile.Save(path, model, new ModelFileContents { ClassNames = ["a", "b"] })).Message);
            Assert.Contains("not valid Unicode",
                Assert.Throws<ArgumentException>(() => ModelFile.Save(path, model, new ModelFileContents { ClassNames = ["a", "b", "\uD800"] })).Message);
            var state = new TrainingState(1, 0, 0, 0.1f, [], [], 0, 0, 0);
            Assert.Contains("seed 1, but the trainer options have seed 42", Assert.Throws<ArgumentException>(
                () => ModelFile.Save(path, model, new ModelFileContents { TrainerOptions = new TrainerOptions(), TrainingState = state })).Message);
            Assert.Contains("the model needs 9 and 3", Assert.Throws<ArgumentException>(
                () => ModelFile.Save(path, model, new ModelFileContents { TrainingState = state with { VelocityWeights = new float[4], VelocityBias = new float[3] } })).Message);
            Assert.False(File.Exists(path));
            Assert.Empty(Directory.GetFiles(_dir.Path));
        }

        [Fact]
        public void Saving_over_a_model_replaces_it_whole()
        {
            string path = _dir.File("model.gsm");
            ModelFile.Save(path, Randomised(new M17x10(), 1));
            ModelFile.Save(path, Randomised(new M17x10(), 2));
            var loaded = new M17x10();
            ModelFile.Load(path, loaded);
            Assert.Equal(Randomised(new M17x10(), 2).Weights.ToArray(), loaded.Weights.ToArray());
            Assert.Equal(new[] { "model.gsm" }, Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        }

        [Theory]
        [InlineData(5, float.NaN, "Weights[1, 2] is NaN")]
        [InlineData(0, float.PositiveInfinity, "Weights[0, 0] is +Infinity")]
        [InlineData(-2, float.NegativeInfinity, "Bias[1] is -Infinity")]
        public void Save_refuses_a_model_with_a_non_finite_parameter(int index, float value, string expected)
        {
            string path = _dir.File("diverged.gsm");
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

        [Fact]
        public void Load_refuses_a_well_formed_file_holding_a_NaN_weight_and_leaves_the_model_untouched()
        {
            // A file made by something else: the right layout and checksum around a NaN weight.
            string path = _dir.File("nan.gsm");
            ModelFile.Save(path, Randomised(new M3x3(), 4));
            byte[] bytes = File.ReadAllBytes(path);
            const int FirstWeight = 32 + 16 + 4; // header, parameters section header, element type and layout
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(FirstWeight + 4 * 4), float.NaN);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8), XxHash3.HashToUInt64(bytes.AsSpan(0, bytes.Length - 8)));
            File.WriteAllBytes(path, bytes);
            var model = Randomised(new M3x3(), 5);
            float[] before = model.Weights.ToArray();

            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path, model));

            Assert.Contains(path, e.Message);
            Assert.Contains("Weights[1, 1] is NaN, but every parameter of a model must be finite", e.Message);
            Assert.Equal(before, model.Weights.ToArray());
            Assert.Throws<ModelFileException>(() => ModelFile.Load(path, out _));
        }
    }
}
