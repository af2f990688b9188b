using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.IO.Hashing;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using CsCheck;
using GenSoftmax.Data;
using GenSoftmax.Tests.Data;
using Xunit;
using Xunit.Abstractions;

namespace GenSoftmax.Tests.Fuzz
{
    /// <summary>
    /// Property-based tests (CsCheck generators) over mutated files of every format GenSoftmax reads: bit flips, byte
    /// bursts, truncation at every header offset and at body offsets, header fields set to sizes that break things,
    /// trailing bytes, deletions, text insertions (CSV) and bombs (tiny files whose header declares gigabytes). Every
    /// case must end in a correct load or the format's documented exception naming the file, within a time bound (a
    /// hang detector, not a speed test) and without allocating more than the file can justify.
    /// </summary>
    /// <remarks>
    /// The cases come from a fixed seed, so a CI run is repeatable; <c>GENSOFTMAX_FUZZ_CASES</c> sets the cases per
    /// format (default <see cref="DefaultCases"/>), <c>GENSOFTMAX_FUZZ_SEED</c> another seed, and
    /// <c>GENSOFTMAX_FUZZ_REPORT</c> a file to which each format appends its outcome counts. A failure names the seed,
    /// the case number and the mutation, which is enough to rebuild the file.
    /// </remarks>
    public sealed class MutationFuzzTests : IDisposable
    {
        private const int DefaultCases = 300;
        private const ulong DefaultSeed = 13_2026_11_30;

        /// <summary>Generous: a case that takes this long is hung, not slow (the machine may be busy).</summary>
        private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(30);

        /// <summary>What every case may allocate whatever its input: stream buffers, messages, stack traces.</summary>
        private const long BaseAllocation = 2_000_000;

        private readonly TempDirectory _temp = new();
        private readonly ITestOutputHelper _output;

        public MutationFuzzTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _temp.Dispose();

        private static int Cases =>
            int.TryParse(Environment.GetEnvironmentVariable("GENSOFTMAX_FUZZ_CASES"), CultureInfo.InvariantCulture, out int n) && n > 0
                ? n
                : DefaultCases;

        private static ulong Seed =>
            ulong.TryParse(Environment.GetEnvironmentVariable("GENSOFTMAX_FUZZ_SEED"), CultureInfo.InvariantCulture, out ulong s)
                ? s
                : DefaultSeed;

        /// <summary>One format under test.</summary>
        private sealed record Format(
            string Name,
            string FileName,
            byte[] Valid,
            Gen<Mutation> Mutations,
            Type Documented,
            Func<string, object> Load,
            Action<byte[], Mutation, object> CheckLoaded,
            Func<byte[], long> AllocationBound);

        // ---------------------------------------------------------------- IDX, raw

        private static readonly byte[] Pixels = IdxTestFiles.Pixels(6, 5, 7);
        private static readonly byte[] RawIdx = IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { 6, 5, 7 }, Pixels);

        /// <summary>What an IDX images file says, parsed the plain way: null if it is not one.</summary>
        private static (int Count, int Rows, int Cols, byte[] Data)? ParseIdx(byte[] idx)
        {
            if (idx.Length < 16 || BinaryPrimitives.ReadInt32BigEndian(idx) != IdxTestFiles.ImagesMagic)
            {
                return null;
            }

            int count = BinaryPrimitives.ReadInt32BigEndian(idx.AsSpan(4));
            int rows = BinaryPrimitives.ReadInt32BigEndian(idx.AsSpan(8));
            int cols = BinaryPrimitives.ReadInt32BigEndian(idx.AsSpan(12));
            return (count, rows, cols, idx.AsSpan(16).ToArray());
        }

        private static void CheckIdx(byte[] idx, object loaded, string file)
        {
            var (pixels, count, rows, cols) = ((byte[], int, int, int))loaded;
            var expected = ParseIdx(idx);
            Assert.True(expected is not null, $"{file} loaded, but it does not start with an IDX images header");
            Assert.Equal(expected.Value.Count, count);
            Assert.Equal(expected.Value.Rows, rows);
            Assert.Equal(expected.Value.Cols, cols);
            Assert.True(rows > 0 && cols > 0, "an image with no rows or columns was accepted");
            Assert.Equal((long)count * rows * cols, pixels.LongLength);
            Assert.Equal(expected.Value.Data, pixels);
        }

        private static Format RawIdxFormat() => new(
            "IDX (raw)",
            "images-idx3-ubyte",
            RawIdx,
            Gen.Frequency(
                (9, MutationGen.Of(RawIdx, 16, [0, 4, 8, 12], bigEndian: true)),
                (1, Gen.Int[0, 3].Select(d => (Mutation)new SetField(4 + 4 * (d % 3), 0x7FFFFFC7, BigEndian: true)))),
            typeof(InvalidDataException),
            path => IdxReader.ReadImages(path),
            (file, _, loaded) => CheckIdx(file, loaded, "raw IDX"),
            file => BaseAllocation + 2L * file.Length);

        // ---------------------------------------------------------------- IDX, gzip

        private static readonly byte[] GzipIdx = IdxTestFiles.Gzip(RawIdx);

        /// <summary>A gzip file whose IDX header declares 61,356,673 images of 5x7 (2^31 - 36 bytes) over a random body.</summary>
        private static byte[] GzipBomb(int bodyLength, int seed)
        {
            byte[] body = new byte[bodyLength];
            new Random(seed).NextBytes(body);
            return IdxTestFiles.Gzip(IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { 61_356_673, 5, 7 }, body));
        }

        /// <summary>What the gzip file decompresses to by the lenient reading (every member, no trailer checks).</summary>
        private static long LenientLength(byte[] file)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
                long total = 0;
                byte[] buffer = new byte[1 << 16];
                int n;
                while ((n = gzip.Read(buffer)) > 0 && total < int.MaxValue)
                {
                    total += n;
                }

                return total;
            }
            catch (InvalidDataException)
            {
                return 0;
            }
        }

        private static Format GzipIdxFormat() => new(
            "IDX (gzip)",
            "images-idx3-ubyte.gz",
            GzipIdx,
            Gen.Frequency(
                (6, MutationGen.Of(GzipIdx, 10, [0, 2, 4, 6, GzipIdx.Length - 8, GzipIdx.Length - 4], bigEndian: false)),
                (3, MutationGen.Of(RawIdx, 16, [0, 4, 8, 12], bigEndian: true)
                    .Select(m => (Mutation)new Then(m, IdxTestFiles.Gzip, "gzip", RawIdx))),
                (1, Gen.Select(Gen.Int[0, 2_200_000], Gen.Int, (n, s) =>
                    (Mutation)new Replace(GzipBomb(n, s), $"bomb with {n} body bytes, seed {s}")))),
            typeof(InvalidDataException),
            path => IdxReader.ReadImages(path),
            (file, mutation, loaded) =>
            {
                // Whatever came out must be what the trailer vouches for: its CRC-32 and length.
                var (pixels, count, rows, cols) = ((byte[], int, int, int))loaded;
                byte[] idx = IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { count, rows, cols }, pixels);
                Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 8)), Crc32.HashToUInt32(idx));
                Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 4)), (uint)idx.Length);
                if (mutation is Then then)
                {
                    CheckIdx(then.Inner.Apply(RawIdx), loaded, "gzip IDX");
                }
            },
            // Justified: a first guess of four times the compressed size, then at most twice what really decompresses.
            file => BaseAllocation + 4L * file.Length + 3L * LenientLength(file));

        // ---------------------------------------------------------------- model files

        private static readonly RuntimeSoftmaxModel SavedModel = MakeModel();

        private static RuntimeSoftmaxModel MakeModel()
        {
            var model = new RuntimeSoftmaxModel(6, 3);
            var random = new Random(7);
            for (int i = 0; i < model.Weights.Length; i++)
            {
                model.Weights[i] = (float)(random.NextDouble() - 0.5);
            }

            model.Bias[1] = 0.25f;
            return model;
        }

        private static byte[] ModelBytes()
        {
            using var dir = new TempDirectory();
            string path = dir.File("seed.safetensors");
            ModelFile.Save(path, SavedModel, new ModelFileContents { ClassNames = ["cat", "dog", "emu"] });
            return File.ReadAllBytes(path);
        }

        private static readonly byte[] ValidModel = ModelBytes();

        /// <summary>Recomputes the checksum over what the file now holds: damage the checksum cannot see.</summary>
        private static byte[] Reseal(byte[] file) => Persistence.SafetensorsTestFile.Reseal(file);

        /// <summary>
        /// The header fields of a safetensors file as 4-byte words: the two halves of the header length, and the start of every
        /// number of the JSON header (shapes, data_offsets) and of every metadata value.
        /// </summary>
        private static int[] Fields(byte[] file)
        {
            int n = Persistence.SafetensorsTestFile.HeaderLength(file);
            string header = Encoding.UTF8.GetString(file, 8, n);
            var fields = new List<int> { 0, 4 };
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(header, @"[0-9]+|:""", default))
            {
                fields.Add(8 + Encoding.UTF8.GetByteCount(header.AsSpan(0, m.Index)) + (m.Value == ":\"" ? 2 : 0));
            }

            return [.. fields.Distinct().Where(f => f + 4 <= 8 + n)];
        }

        /// <summary>
        /// The mutations of a model file: generic damage (the checksum must catch it), the same behind a recomputed checksum,
        /// and the header's JSON tokens replaced (behind a recomputed checksum: the checks after it must catch it).
        /// </summary>
        private static Gen<Mutation> ModelMutations(byte[] valid)
        {
            int[] fields = Fields(valid);
            int data = Persistence.SafetensorsTestFile.DataStart(valid);
            return Gen.Frequency(
                (5, MutationGen.Of(valid, data, fields, bigEndian: false)),
                (3, MutationGen.Of(valid, data, fields, bigEndian: false)
                    .Select(m => (Mutation)new Then(m, Reseal, "checksum recomputed", valid))),
                (2, Gen.Select(Gen.Int[0, 1000], Gen.OneOf(MutationGen.HeaderTokens), (i, t) => (Mutation)new Then(
                    new HeaderToken(i, t), Reseal, "checksum recomputed", valid))));
        }

        private static Format ModelFormat() => new(
            "model file",
            "model.safetensors",
            ValidModel,
            ModelMutations(ValidModel),
            typeof(ModelFileException),
            path =>
            {
                RuntimeSoftmaxModel model = ModelFile.Load(path, out ModelFileContents contents);
                return (model, contents);
            },
            (file, mutation, loaded) =>
            {
                var (model, contents) = ((RuntimeSoftmaxModel, ModelFileContents))loaded;
                Assert.All(model.Weights.ToArray(), w => Assert.True(float.IsFinite(w)));
                Assert.Equal(model.Inputs * model.Classes, model.Weights.Length);
                if (mutation is not Then)
                {
                    // Unsealed changes must be caught by the checksum: what loads is what was saved.
                    Assert.Equal(SavedModel.Weights.ToArray(), model.Weights.ToArray());
                    Assert.Equal(SavedModel.Bias.ToArray(), model.Bias.ToArray());
                    Assert.Equal(["cat", "dog", "emu"], contents.ClassNames!);
                }
                else
                {
                    // Behind a recomputed checksum, what loads is what the file says, by any safetensors reader.
                    var read = Persistence.SafetensorsTestFile.Parse(file);
                    Assert.Equal(read.Floats("W"), model.Weights.ToArray());
                    Assert.Equal(read.Floats("b"), model.Bias.ToArray());
                }
            },
            file => BaseAllocation + 16L * file.Length);

        // ---------------------------------------------------------------- model files with everything

        /// <summary>
        /// A hypercomplex 6x4 model (n = 2) with names, every trainer option, and a state with velocity and early stopping's record.
        /// </summary>
        private static readonly (HypercomplexSoftmaxModel Model, ModelFileContents Contents) FullSaved = MakeFull();

        private static (HypercomplexSoftmaxModel, ModelFileContents) MakeFull()
        {
            var model = new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(6, 4), 2);
            Trainer.Initialize(model, seed: 3, stdDev: 0.5f);
            model.Parameters[2].Values[2] = -0.5f; // b
            NamedTensor[] Ramp(float step) => [.. model.Parameters.Select(p =>
            {
                NamedTensor t = p.Clone();
                for (int i = 0; i < t.Length; i++)
                {
                    t.Values[i] = (i - (t.Length / 2)) * step;
                }

                return t;
            })];
            var contents = new ModelFileContents
            {
                ClassNames = ["cat", "dog", "emu", "yak"],
                TrainerOptions = new TrainerOptions
                {
                    Seed = 9, Epochs = 6, Optimizer = new SgdOptions { Momentum = 0.9f },
                    Schedule = LearningRateSchedule.Cosine(0.1f, warmupEpochs: 1), Loss = TrainingLoss.SquaredError, LabelSmoothing = 0.1f,
                    EarlyStopping = new EarlyStoppingOptions { Patience = 2, Metric = EarlyStoppingMetric.HeldOutAccuracy },
                },
                TrainingState = new TrainingState(9, 3, 2, 0.05f, Ramp(0.01f), 1.5, 11, 0.5)
                {
                    EarlyStopping = new EarlyStoppingState(2, 0.75, 1, false, Ramp(0.04f)),
                },
            };
            return (model, contents);
        }

        private static byte[] FullModelBytes()
        {
            using var dir = new TempDirectory();
            string path = dir.File("seed.safetensors");
            ModelFile.Save(path, FullSaved.Model, FullSaved.Contents);
            return File.ReadAllBytes(path);
        }

        private static readonly byte[] ValidFullModel = FullModelBytes();

        private static float[][] Values(IReadOnlyList<NamedTensor> tensors) => [.. tensors.Select(t => t.Values.ToArray())];

        private static Format FullModelFormat() => new(
            "model file with everything",
            "full.safetensors",
            ValidFullModel,
            ModelMutations(ValidFullModel),
            typeof(ModelFileException),
            path =>
            {
                var model = new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(6, 4), 2);
                ModelFileContents contents = ModelFile.Load(path, model);
                return (model, contents);
            },
            (file, mutation, loaded) =>
            {
                var (model, contents) = ((HypercomplexSoftmaxModel, ModelFileContents))loaded;
                Assert.All(model.Weights.ToArray(), w => Assert.True(float.IsFinite(w)));
                Assert.All(model.FactorA.ToArray(), w => Assert.True(float.IsFinite(w)));
                contents.TrainerOptions?.Validate();
                if (mutation is not Then)
                {
                    // Unsealed changes must be caught by the checksum: what loads is what was saved.
                    ModelFileContents saved = FullSaved.Contents;
                    Assert.Equal(Values(FullSaved.Model.Parameters), Values(model.Parameters));
                    Assert.Equal(FullSaved.Model.Weights.ToArray(), model.Weights.ToArray());
                    Assert.Equal(saved.ClassNames, contents.ClassNames);
                    Assert.Equal(saved.TrainerOptions, contents.TrainerOptions);
                    Assert.Equal(
                        saved.TrainingState! with { Velocity = [], EarlyStopping = null },
                        contents.TrainingState! with { Velocity = [], EarlyStopping = null });
                    Assert.Equal(Values(saved.TrainingState.Velocity), Values(contents.TrainingState.Velocity));
                    Assert.Equal(
                        saved.TrainingState.EarlyStopping! with { Best = [] },
                        contents.TrainingState.EarlyStopping! with { Best = [] });
                    Assert.Equal(Values(saved.TrainingState.EarlyStopping.Best), Values(contents.TrainingState.EarlyStopping.Best));
                }
                else
                {
                    // Behind a recomputed checksum, what loads is what the file says, by any safetensors reader.
                    var read = Persistence.SafetensorsTestFile.Parse(file);
                    Assert.Equal(read.Floats("A"), model.FactorA.ToArray());
                    Assert.Equal(read.Floats("S"), model.FactorS.ToArray());
                    Assert.Equal(read.Floats("b"), model.Bias.ToArray());
                }
            },
            file => BaseAllocation + 16L * file.Length);

        // ---------------------------------------------------------------- CSV

        // Before ValidCsv: static fields are initialised in the order they are written.
        private static readonly string[] Species = ["setosa", "versicolor", "virginica"];

        private static readonly byte[] ValidCsv = Encoding.UTF8.GetBytes(
            "sepal length,sepal width,petal length,species\n" +
            string.Concat(Enumerable.Range(0, 24).Select(i =>
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{4.5 + i * 0.1:0.0},{3.0 - i * 0.05:0.00},{1e-3 * i:0.###E+0},{Species[i % 3]}\n"))));

        private static readonly string[] CsvTokens =
            ["NaN", "nan", "inf", "-Infinity", "∞", "1e39", "-1e400", "\"", "\"\"", ",", ",,", ";", "\t", "\n", "\r\n", "\r", "", "\0",
             "1,2,3,4,5,6,7,8", "é", "\uFEFF", "0x10", "1,5", " ", "#", "\"a\nb\"", "\\", "\u00a0", "12345678901234567890", "-0"];

        private static Format CsvFormat() => new(
            "CSV",
            "iris.csv",
            ValidCsv,
            Gen.Frequency(
                (6, MutationGen.Of(ValidCsv, 45, [0, 10, 20, 44], bigEndian: false)),
                (4, Gen.Select(Gen.Int[0, ValidCsv.Length], Gen.OneOf(CsvTokens), (o, t) => (Mutation)new Insert(o, t))),
                (1, Gen.Int[10_000, 400_000].Select(n => (Mutation)new Insert(60, new string(',', n))))),
            typeof(InvalidDataException),
            path => CsvReader.Read(path),
            (_, _, loaded) => CheckData((LabeledData)loaded),
            file => BaseAllocation + 64L * file.Length);

        private static void CheckData(LabeledData data)
        {
            Assert.True(data.Count > 0 && data.Inputs > 0, "an empty data set was accepted");
            if (data.Features is { } features)
            {
                Assert.Equal((long)data.Count * data.Inputs, features.LongLength);
                Assert.All(features, f => Assert.True(float.IsFinite(f), "a non-finite feature was accepted"));
            }
            else
            {
                Assert.Equal((long)data.Count * data.Inputs, data.Pixels!.LongLength);
            }

            Assert.All(data.Labels, l => Assert.True(l >= 0));
            if (data.ClassNames is { } names)
            {
                Assert.All(data.Labels, l => Assert.True(l < names.Count));
            }
        }

        // ---------------------------------------------------------------- .npy

        private static readonly float[] NpyValues = Enumerable.Range(0, 8 * 5).Select(i => (i % 9) * 0.5f - 2f).ToArray();
        private static readonly byte[] ValidNpy = NpyReaderTests.Npy("<f4", "(8, 5)", MemoryMarshal.AsBytes(NpyValues.AsSpan()).ToArray());
        private static readonly byte[] NpyLabels =
            NpyReaderTests.Npy("<i8", "(8,)", MemoryMarshal.AsBytes(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 }.AsSpan()).ToArray());

        private static readonly string[] NpyHeaders =
        [
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483591, 5), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 2147483647), }",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (8, 5), }",
            "{'descr': '<f2', 'fortran_order': False, 'shape': (8, 5), }",
            "{'descr': '|u1', 'fortran_order': False, 'shape': (8, 20), }",
            "{'descr': '<f4', 'fortran_order': True, 'shape': (8, 5), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 0), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-8, 5), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 10), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 5, 1, 1), }",
            "{'descr': '>f4', 'fortran_order': False, 'shape': (8, 5), }",
            "{'descr': '<c8', 'fortran_order': False, 'shape': (8, 5), }",
            "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (8, 5), }",
            "{'descr': '<f4', 'shape': (8, 5), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 5), 'extra': 1}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 5)",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 5), }",
        ];

        private static Format NpyFormat()
        {
            byte[] data = MemoryMarshal.AsBytes(NpyValues.AsSpan()).ToArray();
            return new(
                ".npy",
                "features.npy",
                ValidNpy,
                Gen.Frequency(
                    (7, MutationGen.Of(ValidNpy, 64, [0, 4, 6, 8, 10, 20, 40, 60], bigEndian: false)),
                    (3, Gen.Select(Gen.OneOf(NpyHeaders), Gen.Int[1, 3], (h, v) => (Mutation)new Replace(
                        NpyReaderTests.Npy("", "", data, version: v, dictionary: h), $"header {h}, version {v}", "header replaced")))),
                typeof(InvalidDataException),
                path => NpyReader.Read(path, Path.Combine(Path.GetDirectoryName(path)!, "labels.npy")),
                (_, _, loaded) => CheckData((LabeledData)loaded),
                file => BaseAllocation + 16L * file.Length);
        }

        // ---------------------------------------------------------------- the runner

        [Fact]
        public void Raw_idx_files_load_correctly_or_are_rejected() => Run(RawIdxFormat());

        [Fact]
        public void Gzip_idx_files_load_what_their_trailer_vouches_for_or_are_rejected() => Run(GzipIdxFormat());

        [Fact]
        public void Model_files_load_what_was_saved_or_throw_ModelFileException() => Run(ModelFormat());

        [Fact]
        public void Model_files_with_everything_load_what_was_saved_or_throw_ModelFileException() => Run(FullModelFormat());

        [Fact]
        public void Csv_files_load_finite_consistent_data_or_are_rejected() => Run(CsvFormat());

        [Fact]
        public void Npy_files_load_finite_consistent_data_or_are_rejected() => Run(NpyFormat());

        private void Run(Format format)
        {
            File.WriteAllBytes(_temp.File("labels.npy"), NpyLabels);
            string path = _temp.File(format.FileName);

            // The valid file loads: otherwise every "rejected" below would prove nothing.
            File.WriteAllBytes(path, format.Valid);
            format.CheckLoaded(format.Valid, new Truncate(int.MaxValue, false), format.Load(path));

            ulong seed = Seed ^ (ulong)StableHash(format.Name);
            var pcg = new PCG(1, seed);
            var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
            int loaded = 0, rejected = 0;
            for (int i = 0; i < Cases; i++)
            {
                Mutation mutation = format.Mutations.Generate(pcg, null, out _);
                byte[] bytes = mutation.Apply(format.Valid);
                File.WriteAllBytes(path, bytes);
                string where = $"{format.Name} case {i} of seed {Seed} ({mutation}; {bytes.Length} bytes)";

                Task<(object? Result, Exception? Error, long Allocated)> run = Task.Run(() =>
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    try
                    {
                        object result = format.Load(path);
                        return (result, (Exception?)null, GC.GetAllocatedBytesForCurrentThread() - before);
                    }
                    catch (Exception e)
                    {
                        return ((object?)null, e, GC.GetAllocatedBytesForCurrentThread() - before);
                    }
                });
                Assert.True(run.Wait(PerCase), $"{where}: did not finish within {PerCase.TotalSeconds} s (a hang)");
                (object? result, Exception? error, long allocated) = run.Result;

                long bound = format.AllocationBound(bytes);
                Assert.True(allocated <= bound, $"{where}: allocated {allocated:N0} bytes, more than the file justifies ({bound:N0})");

                string outcome;
                if (error is null)
                {
                    try
                    {
                        format.CheckLoaded(bytes, mutation, result!);
                    }
                    catch (Exception e)
                    {
                        throw new Xunit.Sdk.XunitException($"{where}: loaded, but wrongly: {e.Message}");
                    }

                    outcome = "loaded";
                    loaded++;
                }
                else
                {
                    Assert.True(error.GetType() == format.Documented,
                        $"{where}: threw {error.GetType().Name}, not the documented {format.Documented.Name}: {error}");
                    Assert.True(
                        error.Message.Contains(format.FileName, StringComparison.Ordinal)
                            || error.Message.Contains("labels.npy", StringComparison.Ordinal),
                        $"{where}: the message does not name the file: {error.Message}");
                    Assert.False(error.Message.Contains("unsupported compression method", StringComparison.OrdinalIgnoreCase),
                        $"{where}: damage reported as an unsupported compression method: {error.Message}");
                    outcome = "rejected";
                    rejected++;
                }

                string kind = mutation.Kind;
                counts[$"{kind}: {outcome}"] = counts.GetValueOrDefault($"{kind}: {outcome}") + 1;
            }

            string summary = $"{format.Name}: {Cases} cases (seed {Seed}): {loaded} loaded correctly, {rejected} rejected with " +
                $"{format.Documented.Name}, 0 other exceptions, hangs or over-allocations; by mutation: " +
                string.Join("; ", counts.Select(c => $"{c.Key} {c.Value}"));
            _output.WriteLine(summary);
            if (Environment.GetEnvironmentVariable("GENSOFTMAX_FUZZ_REPORT") is { Length: > 0 } report)
            {
                File.AppendAllText(report, summary + Environment.NewLine);
            }

            Assert.True(rejected > 0, $"{format.Name}: no mutated file was rejected; the mutations are not reaching the reader");
        }

        private static int StableHash(string text)
        {
            int hash = 17;
            foreach (char c in text)
            {
                hash = unchecked(hash * 31 + c);
            }

            return hash;
        }
    }
}
