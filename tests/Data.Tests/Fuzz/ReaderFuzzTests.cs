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
            (file, _, loaded) => CheckCsv(file, (LabeledData)loaded),
            file => BaseAllocation + 64L * file.Length)
        {
            CheckRejected = CheckCsvRejected,
        };

        /// <summary>
        /// A file that uses what CSV allows around quotes: quoted names holding the separator, doubled quotes, spaces around
        /// quoted fields, fields over two lines, labels in several scripts, LF, CR LF and CR line ends, blank lines and a
        /// byte-order mark.
        /// </summary>
        private static readonly byte[] QuotedCsv = Encoding.UTF8.GetBytes(
            "\uFEFF\"sepal length\", \"sepal, width\" ,\"petal\nlength\",\"species \"\"name\"\"\"\r\n" +
            string.Concat(Enumerable.Range(0, 24).Select(i =>
                string.Create(CultureInfo.InvariantCulture, $"{4.5 + i * 0.1:0.0},\"{3.0 - i * 0.05:0.00}\", {i * 0.25} ,") +
                (i % 4) switch
                {
                    0 => "\"setosa, «é»\"",
                    1 => " \"versicolor \"\"v\"\"\" ",
                    2 => "virginica 猫",
                    _ => "\"\"\"quoted\"\"\r\non two lines\"",
                } +
                (i % 5) switch { 0 => "\r\n", 1 => "\r", 2 => "\n\n", 3 => "\n  \n", _ => "\n" })));

        private static readonly string[] QuoteTokens =
            ["\"", "\"\"", "\"\n\"", " \"", "\" ", "\"a\nb\"", "\"a\r\nb\"", "\n", "\r\n", "\r", ",", "\",\"", "é", "猫", "\uFEFF", " ", "\"x\"y"];

        private static readonly byte[][] NotUtf8 =
            [[0xE9], [0xE8], [0xC3], [0x80], [0xFF], [0xF0, 0x9F], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]];

        private static FuzzFormat QuotedCsvFormat() => new(
            "CSV (quotes, line breaks, UTF-8)",
            "quoted.csv",
            QuotedCsv,
            Gen.Frequency(
                (4, MutationGen.Of(QuotedCsv, 60, [0, 20, 40, 56], bigEndian: false)),
                (4, Gen.Select(Gen.Int[0, QuotedCsv.Length], Gen.OneOf(QuoteTokens), (o, t) => (Mutation)new Insert(o, t))),
                (2, Gen.Select(Gen.Int[0, QuotedCsv.Length], Gen.OneOf(NotUtf8), (o, b) => (Mutation)new InsertBytes(o, b))),
                (1, Gen.Select(Gen.Int[0, QuotedCsv.Length - 1], Gen.Int[1, 8], (o, n) => (Mutation)new Delete(o, n)))),
            typeof(InvalidDataException),
            path => CsvReader.Read(path),
            (file, _, loaded) => CheckCsv(file, (LabeledData)loaded),
            file => BaseAllocation + 64L * file.Length)
        {
            CheckRejected = CheckCsvRejected,
        };

        /// <summary>
        /// A CSV file that was refused: when its text or quotes are wrong, the error is about them and names the line
        /// <see cref="CsvOracle"/> finds (the text is checked before any value is parsed); otherwise it is about something else.
        /// </summary>
        private static void CheckCsvRejected(byte[] file, Exception error)
        {
            if (CsvOracle.Of(file) is not { } oracle || error.Message.Contains("cannot detect the separator", StringComparison.Ordinal))
            {
                return;
            }

            string[] textProblems = ["invalid UTF-8", "inside a field that does not start with one", "the quoted field that starts here", "text after the closing"];
            bool aboutText = textProblems.Any(p => error.Message.Contains(p, StringComparison.Ordinal));
            Assert.True(aboutText == (oracle.ProblemLine != 0),
                $"the file's problem is {oracle.Problem ?? "none"}, but the error says: {error.Message}");
            if (aboutText)
            {
                Assert.True(error.Message.Contains($", line {oracle.ProblemLine},", StringComparison.Ordinal),
                    $"{oracle.Problem} is on line {oracle.ProblemLine}, but the error says: {error.Message}");
            }
        }

        /// <summary>A CSV file that loaded: consistent data, and exactly the rows, width and classes <see cref="CsvOracle"/> finds.</summary>
        private static void CheckCsv(byte[] file, LabeledData data)
        {
            CheckData(data);
            if (CsvOracle.Of(file) is not { } oracle)
            {
                return; // a UTF-16 or UTF-32 byte-order mark: not judged here
            }

            Assert.True(oracle.Problem is null, $"loaded {data.Count} rows, but the file must be refused: {oracle.Problem}");
            Assert.True(oracle.Rows == data.Count, $"loaded {data.Count} rows, but the file holds {oracle.Rows}");
            Assert.Equal(oracle.Records[0].Count - 1, data.Inputs);
            if (data.ClassNames is { } names)
            {
                string[] labels = oracle.Records.Skip(1).Select(r => r[^1].Trim()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
                Assert.Equal(labels, names);
            }
        }

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
        public void Quoted_csv_files_load_the_rows_they_hold_or_are_rejected() => FuzzRunner.Run(QuotedCsvFormat(), _temp.Path, _output);

        [Fact]
        public void The_csv_oracle_knows_the_rows_of_the_valid_files()
        {
            Assert.Equal(24, CsvOracle.Of(ValidCsv)!.Rows);
            CsvOracle quoted = CsvOracle.Of(QuotedCsv)!;
            Assert.Null(quoted.Problem);
            Assert.Equal(24, quoted.Rows);
            Assert.Equal(["sepal length", "sepal, width", "petal\nlength", "species \"name\""], quoted.Records[0].Select(f => f.Trim(' ')));
            CsvOracle stray = CsvOracle.Of("a,b\n1,2\"\n"u8.ToArray())!;
            Assert.Equal(("a quote inside an unquoted field", 2), (stray.Problem, stray.ProblemLine));
            CsvOracle notUtf8 = CsvOracle.Of([.. "a,b\r\n\"1\r2\","u8, 0xE9, 0x41])!;
            Assert.Equal(("not UTF-8 at byte 11", 3), (notUtf8.Problem, notUtf8.ProblemLine));
            CsvOracle open = CsvOracle.Of([.. "a,b\n1,\"x\ny,"u8, 0xE9])!;
            Assert.Equal(("a quoted field runs onto the next line and holds the separator", 2), (open.Problem, open.ProblemLine));
            Assert.Equal(1, CsvOracle.Of("a,b\r\n\r\n \t\r1,\"\"\"2\"\"\"\r\n"u8.ToArray())!.Rows);
            Assert.NotNull(CsvOracle.Of([.. "a,b\n1,"u8, 0xE9])!.Problem);
        }

        [Fact]
        public void Npy_files_load_finite_consistent_data_or_are_rejected() => FuzzRunner.Run(NpyFormat(), _temp.Path, _output);
    }
}
