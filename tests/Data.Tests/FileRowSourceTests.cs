using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Threading;
using GenSoftmax.Streaming;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Data.Tests
{
    /// <summary>Streamed rows (<see cref="FileRowSource"/>) and training, evaluation and prediction over them.</summary>
    public sealed class FileRowSourceTests : IDisposable
    {
        private const int Inputs = 12;
        private const int Classes = 4;

        private readonly TempDirectory _temp = new TempDirectory();

        public void Dispose() => _temp.Dispose();

        /// <summary>Rows around one centre per class, as float32 [rows, 12] and int64 labels, from a seed.</summary>
        private static (float[] Features, int[] Labels) Synthetic(int rows, int seed)
        {
            var random = new Random(seed);
            float[] features = new float[rows * Inputs];
            int[] labels = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                int c = random.Next(Classes);
                labels[r] = c;
                for (int i = 0; i < Inputs; i++)
                {
                    features[(r * Inputs) + i] = (i % Classes == c ? 1f : 0f) + ((float)random.NextDouble() - 0.5f);
                }
            }

            return (features, labels);
        }

        private (string Features, string Labels) WriteNpy(string name, float[] features, int[] labels, string dtype = "<f4")
        {
            byte[] data = dtype switch
            {
                "<f4" => features.SelectMany(BitConverter.GetBytes).ToArray(),
                "<f2" => features.SelectMany(f => BitConverter.GetBytes((Half)f)).ToArray(),
                _ => features.Select(f => (byte)Math.Clamp(f * 100 + 100, 0, 255)).ToArray(),
            };
            string featuresPath = _temp.File(name + ".npy");
            string labelsPath = _temp.File(name + ".labels.npy");
            File.WriteAllBytes(featuresPath, NpyReaderTests.Npy(dtype, $"({labels.Length}, {Inputs})", data));
            File.WriteAllBytes(labelsPath, NpyReaderTests.Npy("<i8", $"({labels.Length},)", labels.SelectMany(l => BitConverter.GetBytes((long)l)).ToArray()));
            return (featuresPath, labelsPath);
        }

        private static TrainerOptions Options(int threads = 1) => new()
        {
            Solver = TrainingSolver.Sgd, BatchSize = 16, Epochs = 3, Seed = 7, Threads = threads, Optimizer = new SgdOptions { LearningRate = 0.2f, Momentum = 0.9f },
        };

        private static float[] Train(FileRowSource source, TrainerOptions options)
        {
            var model = new RuntimeSoftmaxModel(Inputs, Classes);
            var trainer = new Trainer(model, options);
            trainer.Initialize();
            trainer.FitStream(source);
            return model.Weights.ToArray().Concat(model.Bias.ToArray()).ToArray();
        }

        [Theory]
        [InlineData("<f4")]
        [InlineData("<f2")]
        [InlineData("|u1")]
        public void ReadRows_GivesTheRowsTheInMemoryReaderGives(string dtype)
        {
            (float[] x, int[] y) = Synthetic(101, 1);
            (string f, string l) = WriteNpy("d", x, y, dtype);
            LabeledData memory = NpyReader.Read(f, l);
            using FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: 4096);
            Assert.Equal(101, source.Count);
            Assert.Equal(memory.IsPixels, source.IsPixels);
            Assert.Equal(memory.Labels.Max() + 1, source.Classes);
            int[] labels = new int[30];
            float[] features = new float[source.IsPixels ? 0 : 30 * Inputs];
            byte[] pixels = new byte[source.IsPixels ? 30 * Inputs : 0];
            source.ReadRows(50, features, pixels, labels, default);
            Assert.Equal(memory.Labels.Skip(50).Take(30), labels);
            if (source.IsPixels)
            {
                Assert.Equal(memory.Pixels!.Skip(50 * Inputs).Take(30 * Inputs), pixels);
            }
            else
            {
                Assert.Equal(memory.Features!.Skip(50 * Inputs).Take(30 * Inputs), features);
            }

            Assert.True(source.BytesRead > 0);
        }

        [Theory]
        [InlineData("<f4")]
        [InlineData("|u1")]
        public void DirectReads_AroundThePageCache_GiveTheRowsAndTheFitOfBufferedReads(string dtype)
        {
            // 3,000 rows of 12 features: rows and the data offset fall at every position inside the 4 KiB pages that direct
            // reads must start and end on, and 48 KiB blocks make a read span pages and the 4 MiB staging buffer's chunks.
            (float[] x, int[] y) = Synthetic(3000, 21);
            (string f, string l) = WriteNpy("d", x, y, dtype);
            LabeledData memory = NpyReader.Read(f, l);
            long budget = 2 * 1000 * (Inputs * 4 + 8);
            float[] buffered;
            using (FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: budget))
            {
                Assert.False(source.ReadsDirect); // a small file is read through the page cache
                buffered = Train(source, Options(2));
            }

            long threshold = FileRowSource.DirectReadThreshold;
            FileRowSource.DirectReadThreshold = 0;
            try
            {
                using FileRowSource direct = FileRowSource.OpenNpy(f, l, memoryBudget: budget);
                using (DirectReader? probe = DirectReader.TryOpen(f))
                {
                    Assert.Equal(probe is not null, direct.ReadsDirect); // direct wherever the file system allows it
                }

                var random = new Random(5);
                for (int trial = 0; trial < 50; trial++)
                {
                    int first = random.Next(3000), count = random.Next(1, Math.Min(1000, 3000 - first) + 1);
                    int[] labels = new int[count];
                    float[] features = new float[direct.IsPixels ? 0 : count * Inputs];
                    byte[] pixels = new byte[direct.IsPixels ? count * Inputs : 0];
                    direct.ReadRows(first, features, pixels, labels, default);
                    Assert.Equal(memory.Labels.Skip(first).Take(count), labels);
                    Assert.True(direct.IsPixels
                        ? memory.Pixels!.AsSpan(first * Inputs, count * Inputs).SequenceEqual(pixels)
                        : memory.Features!.AsSpan(first * Inputs, count * Inputs).SequenceEqual(features),
                        $"rows {first}..{first + count - 1}");
                }

                Assert.Equal(buffered, Train(direct, Options(2)));
            }
            finally
            {
                FileRowSource.DirectReadThreshold = threshold;
            }
        }

        /// <summary>
        /// Rows of 12 float32 (48 bytes) or 12 bytes after a 128-byte header, so rows start at every offset in a page. A paged
        /// block needs the rows of a whole number of pages (g = 256 rows of 48 bytes, 1,024 of 12), and a block read around
        /// the page cache 24 g rows (its slot's spare pages at most an eighth of it): windows of 8 such blocks.
        /// </summary>
        private static int BlockRowsFor(string dtype, bool direct) => (dtype == "|u1" ? 1024 : 288) * (direct ? 24 : 1);

        private const int MappedRows = 10_000;

        private static long PagedBudget(string dtype, bool direct = false) =>
            2L * 8 * BlockRowsFor(dtype, direct) * ((dtype == "|u1" ? Inputs : Inputs * 4) + 8);

        /// <summary>Trains on the rows with windows filled page by page (<paramref name="paged"/>) or copied, the features read
        /// through the page cache or around it (<paramref name="direct"/>).</summary>
        private static float[] TrainPaged(string f, string l, string dtype, bool paged, bool direct, int threads, string? w = null)
        {
            FileRowSource.PagedWindows = paged;
            long threshold = FileRowSource.DirectReadThreshold;
            FileRowSource.DirectReadThreshold = direct ? 0 : threshold;
            try
            {
                using FileRowSource source = FileRowSource.OpenNpy(f, l, w, memoryBudget: PagedBudget(dtype, direct) * (w is null ? 1 : 2));
                float[] fit = Train(source, Options(threads) with { Epochs = 2 });
                if (OperatingSystem.IsLinux() && (!direct || source.ReadsDirect))
                {
                    // The path under test ran (Linux; a file this user owns, or one whose file system reads around the cache).
                    Assert.Equal(paged, source.Paged?.WindowsFilled > 0);
                    Assert.Equal(paged && direct, source.Paged?.IsDirect == true);
                }

                return fit;
            }
            finally
            {
                FileRowSource.PagedWindows = true;
                FileRowSource.DirectReadThreshold = threshold;
            }
        }

        [Theory]
        [InlineData("<f4", 1, false)]
        [InlineData("<f4", 2, false)]
        [InlineData("|u1", 2, false)]
        [InlineData("<f4", 2, true)]
        [InlineData("|u1", 1, true)]
        public void PagedWindows_TrainBitIdenticalToCopiedWindows(string dtype, int threads, bool direct)
        {
            // 10,000 rows: 5 mapped windows an epoch (2 of pixels); read around the cache, 3.5 windows' worth.
            (float[] x, int[] y) = Synthetic(direct ? 28 * BlockRowsFor(dtype, direct) : MappedRows, 31);
            (string f, string l) = WriteNpy("m", x, y, dtype);
            Assert.Equal(
                TrainPaged(f, l, dtype, paged: false, direct, threads), TrainPaged(f, l, dtype, paged: true, direct, threads));
        }

        [Fact]
        public void PagedWindows_WithRowWeights_TrainBitIdenticalToCopiedWindows()
        {
            (float[] x, int[] y) = Synthetic(MappedRows, 35);
            (string f, string l) = WriteNpy("m", x, y);
            string w = _temp.File("m.weights.npy");
            float[] weights = Enumerable.Range(0, MappedRows).Select(r => r % 5 == 0 ? 0f : 0.5f + (r % 3)).ToArray();
            File.WriteAllBytes(w, NpyReaderTests.Npy("<f4", $"({MappedRows},)", weights.SelectMany(BitConverter.GetBytes).ToArray()));
            Assert.Equal(
                TrainPaged(f, l, "<f4", paged: false, direct: false, 2, w), TrainPaged(f, l, "<f4", paged: true, direct: false, 2, w));
        }

        [Fact]
        public void MappedWindow_WithANaN_IsAnErrorNamingTheRow()
        {
            (float[] x, int[] y) = Synthetic(MappedRows, 32);
            x[(6543 * Inputs) + 5] = float.NaN;
            (string f, string l) = WriteNpy("m", x, y);
            using FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: PagedBudget("<f4"));
            var e = Assert.Throws<InvalidDataException>(() => Train(source, Options()));
            Assert.Contains(f, e.Message);
            Assert.Contains("row 6543, column 5", e.Message);
        }

        [Fact]
        public void MappedFile_WriterWaitsForTheWindowInUse_ThenTheChangeIsAClearError()
        {
            if (!OperatingSystem.IsLinux())
            {
                return; // mapping is Linux-only; elsewhere windows are copies, which the other tests cover
            }

            (float[] x, int[] y) = Synthetic(MappedRows, 33);
            (string f, string l) = WriteNpy("m", x, y);
            long budget = PagedBudget("<f4");
            FileRowSource.PagedWindows = false;
            using FileRowSource copied = FileRowSource.OpenNpy(f, l, memoryBudget: budget);
            using var copies = new RowWindows(copied, 16, 7, shuffled: true);
            FileRowSource.PagedWindows = true;
            using FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: budget);
            using var windows = new RowWindows(source, 16, 7, shuffled: true);
            Assert.True(windows.IsPaged, "the file's lease should be granted to its owner");
            Assert.False(copies.IsPaged);
            Assert.True(windows.Windows >= 4);

            RowWindows.Window window = windows.Get(1, 0, (1, 1));
            AssertSameRows(copies.Get(1, 0, null), window);

            // A writer opening the file waits for the lease; the window in use stays valid meanwhile.
            var writer = new Thread(() =>
            {
                using var stream = new FileStream(f, FileMode.Open, FileAccess.Write);
                stream.SetLength(stream.Length - (10 * Inputs * 4));
            });
            writer.Start();
            Assert.False(writer.Join(300), "the writer should wait while a window of the file is mapped");
            AssertSameRows(copies.Get(1, 0, null), window);

            // The next window gives the lease up and copies: the rows as they were, or the change as an error.
            try
            {
                AssertSameRows(copies.Get(1, 1, null), windows.Get(1, 1, (1, 2)));
            }
            catch (InvalidDataException e)
            {
                Assert.Contains("changed size while it was read", e.Message);
            }

            Assert.True(writer.Join(TimeSpan.FromSeconds(30)), "the writer should go on once the lease is given up");
            Assert.False(windows.IsPaged);
            var error = Assert.Throws<InvalidDataException>(() =>
            {
                for (int w = 2; w < windows.Windows; w++)
                {
                    windows.Get(1, w, null);
                }
            });
            Assert.Contains(f, error.Message);
            Assert.Contains("changed size while it was read", error.Message);
        }

        [Fact]
        public void TwoWindowSetsOnOneFile_ShareItsLease_UntilTheLastLetsGo()
        {
            if (!OperatingSystem.IsLinux())
            {
                return;
            }

            (float[] x, int[] y) = Synthetic(MappedRows, 34);
            (string f, string l) = WriteNpy("m", x, y);
            using FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: PagedBudget("<f4"));
            var first = new RowWindows(source, 16, 7, shuffled: true);
            using var second = new RowWindows(source, 16, 8, shuffled: true);
            Assert.True(first.IsPaged && second.IsPaged);
            first.Dispose();
            Assert.True(source.Paged!.LeaseHeld, "the second set of windows still maps the file");
            second.Get(1, 0, null);
            second.Dispose();
            Assert.False(source.Paged.LeaseHeld);
        }

        /// <summary>Asserts that two windows hold the same rows (features and labels) in the same training order.</summary>
        private static void AssertSameRows(RowWindows.Window expected, RowWindows.Window actual)
        {
            Assert.Equal(expected.Rows, actual.Rows);
            ReadOnlySpan<float> a = expected.Data.FeatureValues, b = actual.Data.FeatureValues;
            for (int i = 0; i < expected.Rows; i++)
            {
                int r = expected.Order[i], s = actual.Order[i];
                Assert.Equal(expected.Labels[r], actual.Labels[s]);
                Assert.True(a.Slice(r * Inputs, Inputs).SequenceEqual(b.Slice(s * Inputs, Inputs)), $"row {i} of the window");
            }
        }

        [Fact]
        public void StreamThatFitsTheBudget_TrainsBitIdenticalToTheSameRowsInMemory()
        {
            (float[] x, int[] y) = Synthetic(200, 2);
            (string f, string l) = WriteNpy("d", x, y);
            using FileRowSource source = FileRowSource.OpenNpy(f, l);
            float[] streamed = Train(source, Options());

            var model = new RuntimeSoftmaxModel(Inputs, Classes);
            var trainer = new Trainer(model, Options());
            trainer.Initialize();
            trainer.Fit(LabeledData.FromFeatures(x, y, Inputs));
            Assert.Equal(model.Weights.ToArray().Concat(model.Bias.ToArray()), streamed);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void StreamLargerThanTheBudget_IsBitReproducible_AndLearns(int threads)
        {
            (float[] x, int[] y) = Synthetic(1000, 3);
            (string f, string l) = WriteNpy("d", x, y);
            long budget = 2 * 100 * (Inputs * 4 + 8); // 100 rows a buffer: 10 windows an epoch
            using FileRowSource a = FileRowSource.OpenNpy(f, l, memoryBudget: budget);
            using FileRowSource b = FileRowSource.OpenNpy(f, l, memoryBudget: budget);
            float[] first = Train(a, Options(threads));
            Assert.Equal(first, Train(b, Options(threads)));

            var model = new RuntimeSoftmaxModel(Inputs, Classes);
            var trainer = new Trainer(model, Options(threads));
            trainer.Initialize();
            trainer.FitStream(a);
            Assert.True(StreamEvaluation.Evaluate(model, a).Accuracy > 0.8, "the stream's model should separate the classes");
            Assert.Equal(3, trainer.History.Count);
        }

        [Fact]
        public void InterruptedStream_ResumesBitIdentical()
        {
            (float[] x, int[] y) = Synthetic(500, 4);
            (string f, string l) = WriteNpy("d", x, y);
            long budget = 2 * 48 * (Inputs * 4 + 8);
            using FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: budget);
            float[] straight = Train(source, Options());

            foreach (int stopAfter in new[] { 5, 32, 40 })
            {
                var model = new RuntimeSoftmaxModel(Inputs, Classes);
                var trainer = new Trainer(model, Options());
                trainer.Initialize();
                using var cancel = new CancellationTokenSource();
                int batches = 0;
                var progress = new Inline(_ =>
                {
                    if (++batches == stopAfter)
                    {
                        cancel.Cancel();
                    }
                });
                Assert.ThrowsAny<OperationCanceledException>(() => trainer.FitStream(source, null, progress, cancel.Token));
                TrainingState state = trainer.SaveState();
                float[] saved = model.Weights.ToArray(), bias = model.Bias.ToArray();

                var resumedModel = new RuntimeSoftmaxModel(Inputs, Classes);
                saved.CopyTo(resumedModel.Weights);
                bias.CopyTo(resumedModel.Bias);
                var resumed = new Trainer(resumedModel, Options());
                resumed.RestoreState(state);
                resumed.FitStream(source);
                Assert.Equal(straight, resumedModel.Weights.ToArray().Concat(resumedModel.Bias.ToArray()));
            }
        }

        [Fact]
        public void TinyBudget_OfAFewRows_Works()
        {
            (float[] x, int[] y) = Synthetic(37, 5);
            (string f, string l) = WriteNpy("d", x, y);
            using FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: 2 * 5 * (Inputs * 4 + 8));
            var model = new RuntimeSoftmaxModel(Inputs, Classes);
            var trainer = new Trainer(model, Options() with { BatchSize = 2 });
            trainer.Initialize();
            trainer.FitStream(source);
            Assert.Equal(3, trainer.History.Count);
            Assert.True(double.IsFinite(trainer.History[^1].TrainLoss));
        }

        [Fact]
        public void BudgetSmallerThanARow_IsAnErrorNamingTheFileAndTheFix()
        {
            (float[] x, int[] y) = Synthetic(10, 6);
            (string f, string l) = WriteNpy("d", x, y);
            var e = Assert.Throws<ArgumentException>(() => FileRowSource.OpenNpy(f, l, memoryBudget: 40));
            Assert.Contains(f, e.Message);
            Assert.Contains("give a budget of at least", e.Message);
        }

        [Fact]
        public void BatchLargerThanTheBudget_IsAnError()
        {
            (float[] x, int[] y) = Synthetic(100, 6);
            (string f, string l) = WriteNpy("d", x, y);
            using FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: 2 * 10 * (Inputs * 4 + 8));
            var trainer = new Trainer(new RuntimeSoftmaxModel(Inputs, Classes), Options());
            var e = Assert.Throws<ArgumentException>(() => trainer.FitStream(source));
            Assert.Contains("a batch is 16 rows", e.Message);
        }

        [Fact]
        public void TruncatedFile_AndHeaderThatLies_AreClearErrors()
        {
            (float[] x, int[] y) = Synthetic(20, 7);
            (string f, string l) = WriteNpy("d", x, y);
            byte[] bytes = File.ReadAllBytes(f);
            File.WriteAllBytes(f, bytes.AsSpan(0, bytes.Length - 10).ToArray());
            var e = Assert.Throws<InvalidDataException>(() => FileRowSource.OpenNpy(f, l));
            Assert.Contains(f, e.Message);
            Assert.Contains("truncated", e.Message);

            // The header claims more rows than the labels file has.
            File.WriteAllBytes(f, NpyReaderTests.Npy("<f4", $"(21, {Inputs})", new byte[21 * Inputs * 4]));
            e = Assert.Throws<InvalidDataException>(() => FileRowSource.OpenNpy(f, l));
            Assert.Contains("21 rows", e.Message);
        }

        [Fact]
        public void FileThatChangesSizeWhileStreamed_IsAClearError()
        {
            (float[] x, int[] y) = Synthetic(400, 8);
            (string f, string l) = WriteNpy("d", x, y);
            using FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: 2 * 50 * (Inputs * 4 + 8));
            using (var append = new FileStream(f, FileMode.Append))
            {
                append.Write(new byte[Inputs * 4]);
            }

            var trainer = new Trainer(new RuntimeSoftmaxModel(Inputs, Classes), Options());
            var e = Assert.Throws<InvalidDataException>(() => trainer.FitStream(source));
            Assert.Contains(f, e.Message);
            Assert.Contains("changed size while it was read", e.Message);
        }

        [Fact]
        public void EvaluationAndPrediction_OverAStream_MatchTheModelInMemory_InRowOrder()
        {
            (float[] x, int[] y) = Synthetic(333, 9);
            (string f, string l) = WriteNpy("d", x, y);
            LabeledData memory = LabeledData.FromFeatures(x, y, Inputs);
            var model = new RuntimeSoftmaxModel(Inputs, Classes);
            var trainer = new Trainer(model, Options());
            trainer.Initialize();
            trainer.Fit(memory);

            using FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: 2 * 40 * (Inputs * 4 + 8));
            StreamScore score = StreamEvaluation.Evaluate(model, source);
            Assert.Equal(Trainer.Accuracy(model, memory), score.Accuracy);
            Assert.Equal(model.Loss(memory.All()).Loss, score.Loss, 1e-5);

            int[] expected = new int[333];
            model.Predict(x, expected);
            int[] streamed = new int[333];
            long next = 0;
            StreamEvaluation.Predict(model, source, (first, predictions, labels, _) =>
            {
                Assert.Equal(next, first);
                Assert.Equal(y.AsSpan((int)first, labels.Length).ToArray(), labels.ToArray());
                predictions.CopyTo(streamed.AsSpan((int)first));
                next += predictions.Length;
            });
            Assert.Equal(expected, streamed);
        }

        [Fact]
        public void EvaluationLabel_OutsideTheModelsClasses_IsAnErrorNamingTheRow()
        {
            (float[] x, int[] y) = Synthetic(60, 10);
            y[47] = 6;
            (string f, string l) = WriteNpy("d", x, y);
            using FileRowSource source = FileRowSource.OpenNpy(f, l, memoryBudget: 2 * 20 * (Inputs * 4 + 8));
            var e = Assert.Throws<InvalidDataException>(() => StreamEvaluation.Evaluate(new RuntimeSoftmaxModel(Inputs, Classes), source));
            Assert.Contains("row 47 has label 6", e.Message);
        }

        [Fact]
        public void ClassesWithoutTrainingRows_AreWarnedAndListed()
        {
            (float[] x, int[] y) = Synthetic(100, 11);
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = y[i] == 2 ? 0 : y[i];
            }

            y[5] = 7; // one stray label makes an 8-class model with classes 2, 4, 5, 6 empty
            (string f, string l) = WriteNpy("d", x, y);
            using FileRowSource source = FileRowSource.OpenNpy(f, l);
            Assert.Equal(8, source.Classes);
            var trainer = new Trainer(new RuntimeSoftmaxModel(Inputs, 8), Options());
            trainer.Initialize();
            trainer.FitStream(source);
            Assert.Equal(new[] { 2, 4, 5, 6 }, trainer.ClassesWithoutRows);
            Assert.Contains(trainer.Warnings, w => w.StartsWith("Classes 2, 4..6 (4 of the model's 8) have no training rows", StringComparison.Ordinal));

            var inMemory = new Trainer(new RuntimeSoftmaxModel(Inputs, 8), Options());
            inMemory.Initialize();
            inMemory.Fit(LabeledData.FromFeatures(x, y, Inputs));
            Assert.Equal(new[] { 2, 4, 5, 6 }, inMemory.ClassesWithoutRows);
        }

        [Fact]
        public void RawIdx_StreamsTheRowsTheIdxReaderReads_AndGzipIsRefusedWithTheFix()
        {
            const int n = 30;
            byte[] images = new byte[16 + (n * 4 * 3)];
            BinaryPrimitives.WriteInt32BigEndian(images, IdxReader.ImagesMagic);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), n);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 4);
            BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 3);
            new Random(12).NextBytes(images.AsSpan(16));
            byte[] labels = new byte[8 + n];
            BinaryPrimitives.WriteInt32BigEndian(labels, IdxReader.LabelsMagic);
            BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), n);
            for (int i = 0; i < n; i++)
            {
                labels[8 + i] = (byte)(i % 3);
            }

            string imagesPath = _temp.File("images-idx3-ubyte"), labelsPath = _temp.File("labels-idx1-ubyte");
            File.WriteAllBytes(imagesPath, images);
            File.WriteAllBytes(labelsPath, labels);
            LabeledData memory = IdxReader.Read(imagesPath, labelsPath);
            using FileRowSource source = FileRowSource.OpenIdx(imagesPath, labelsPath, memoryBudget: 4096);
            Assert.True(source.IsPixels);
            Assert.Equal(12, source.Inputs);
            byte[] pixels = new byte[n * 12];
            int[] read = new int[n];
            source.ReadRows(0, default, pixels, read, default);
            Assert.Equal(memory.Pixels, pixels);
            Assert.Equal(memory.Labels, read);

            string gz = _temp.File("images-idx3-ubyte.gz");
            using (var output = new System.IO.Compression.GZipStream(File.Create(gz), System.IO.Compression.CompressionLevel.Fastest))
            {
                output.Write(images);
            }

            var e = Assert.Throws<InvalidDataException>(() => FileRowSource.OpenIdx(gz, labelsPath));
            Assert.Contains("gunzip", e.Message);

            // A directory's training and test splits share one budget: three quarters and a quarter.
            string dir = Path.GetDirectoryName(imagesPath)!;
            File.Copy(imagesPath, Path.Combine(dir, IdxReader.TrainImagesFile));
            File.Copy(labelsPath, Path.Combine(dir, IdxReader.TrainLabelsFile));
            (FileRowSource train, FileRowSource? test) = FileRowSource.OpenIdxDirectory(dir, memoryBudget: 40_000);
            using (train)
            {
                Assert.Null(test);
                Assert.Equal(40_000, train.MemoryBudget);
            }

            File.Copy(imagesPath, Path.Combine(dir, IdxReader.TestImagesFile));
            File.Copy(labelsPath, Path.Combine(dir, IdxReader.TestLabelsFile));
            (train, test) = FileRowSource.OpenIdxDirectory(dir, memoryBudget: 40_000);
            using (train)
            using (test)
            {
                Assert.Equal(30_000, train.MemoryBudget);
                Assert.Equal(10_000, test!.MemoryBudget);
                Assert.Equal(n, test.Count);
            }
        }

        private sealed class Inline(Action<TrainingProgress> report) : IProgress<TrainingProgress>
        {
            public void Report(TrainingProgress value) => report(value);
        }
    }
}
