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
using GenSoftmax.Fuzz;
using Xunit;
using Xunit.Abstractions;

namespace GenSoftmax.Data.Tests.Fuzz
{
    /// <summary>
    /// Property-based tests over mutated files of the data readers (IDX raw and gzip, CSV, .npy): bit flips, byte bursts, truncation at every header offset
    /// and at body offsets, header fields set to sizes that break things, trailing bytes, deletions, text insertions and
    /// bombs (tiny files whose header declares gigabytes), run by <see cref="FuzzRunner"/> (seed, case count, report).
    /// </summary>
    public sealed class ReaderFuzzTests : IDisposable
    {
        /// <summary>What every case may allocate whatever its input: stream buffers, messages, stack traces.</summary>
        private const long BaseAllocation = 2_000_000;

        private readonly TempDirectory _temp = new();
        private readonly ITestOutputHelper _output;

        public ReaderFuzzTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _temp.Dispose();

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

        private static FuzzFormat RawIdxFormat() => new(
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

        private static FuzzFormat GzipIdxFormat() => new(
            "IDX (gzip)",
            "images-idx3-ubyte.gz",
            GzipIdx,
            Gen.Frequency(
                (6, MutationGen.Of(GzipIdx, 10, [0, 2, 4, 6, GzipIdx.Length - 8, GzipIdx.Length - 4], bigEndian: false)),
                (3, MutationGen.Of(RawIdx, 16, [0, 4, 8, 12], bigEndian: true)
                    .Select(m => (Mutation)new Then(m, IdxTestFiles.Gzip, "gzip", RawIdx))),
                (1, Gen.Select(Gen.Int[0, 2_200_000], Gen.Int, (n, s) => (Mutation)new Replace(GzipBomb(n, s), $"bomb with {n} body bytes, seed {s}")))),
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

        // ---------------------------------------------------------------- CSV

        private static readonly byte[] ValidCsv = Encoding.UTF8.GetBytes(
            "sepal length,sepal width,petal length,species\n" +
            string.Concat(Enumerable.Range(0, 24).Select(i =>
                string.Create(CultureInfo.InvariantCulture, $"{4.5 + i * 0.1:0.0},{3.0 - i * 0.05:0.00},{1e-3 * i:0.###E+0},{(i % 3 == 0 ? "setosa" : i % 3 == 1 ? "versicolor" : "virginica")}\n"))));

        private static readonly string[] CsvTokens =
            ["NaN", "nan", "inf", "-Infinity", "∞", "1e39", "-1e400", "\"", "\"\"", ",", ",,", ";", "\t", "\n", "\r\n", "\r", "", "\0",
             "1,2,3,4,5,6,7,8", "é", "\uFEFF", "0x10", "1,5", " ", "#", "\"a\nb\"", "\\", "\u00a0", "12345678901234567890", "-0"];

        private static FuzzFormat CsvFormat() => new(
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
        private static readonly byte[] NpyLabels = NpyReaderTests.Npy("<i8", "(8,)", MemoryMarshal.AsBytes(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 }.AsSpan()).ToArray());

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

        private static FuzzFormat NpyFormat()
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
                file => BaseAllocation + 16L * file.Length)
            {
                Companion = ("labels.npy", NpyLabels),
            };
        }

        // ---------------------------------------------------------------- the runner

        [Fact]
        public void Raw_idx_files_load_correctly_or_are_rejected() => FuzzRunner.Run(RawIdxFormat(), _temp.Path, _output);

        [Fact]
        public void Gzip_idx_files_load_what_their_trailer_vouches_for_or_are_rejected() => FuzzRunner.Run(GzipIdxFormat(), _temp.Path, _output);

        [Fact]
        public void Csv_files_load_finite_consistent_data_or_are_rejected() => FuzzRunner.Run(CsvFormat(), _temp.Path, _output);

        [Fact]
        public void Npy_files_load_finite_consistent_data_or_are_rejected() => FuzzRunner.Run(NpyFormat(), _temp.Path, _output);
    }
}
