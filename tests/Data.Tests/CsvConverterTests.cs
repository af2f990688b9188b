using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Xunit;

namespace GenSoftmax.Data.Tests
{
    /// <summary>CSV to .npy conversion (<see cref="CsvConverter"/>): what it writes is what the CSV reader reads, and nothing is half written.</summary>
    public sealed class CsvConverterTests : IDisposable
    {
        private readonly TempDirectory _temp = new TempDirectory();

        public void Dispose() => _temp.Dispose();

        private string WriteCsv(string name, int rows, Func<int, string> label, Func<int, int, string>? feature = null)
        {
            feature ??= (r, c) => ((r * 7 + c * 3) % 11 / 4f).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var text = new StringBuilder("a,b,c,label\n");
            for (int r = 0; r < rows; r++)
            {
                text.Append(feature(r, 0)).Append(',').Append(feature(r, 1)).Append(',').Append(feature(r, 2)).Append(',').Append(label(r)).Append('\n');
            }

            string path = _temp.File(name);
            File.WriteAllText(path, text.ToString());
            return path;
        }

        [Fact]
        public void Conversion_GivesTheRowsAndClassesTheCsvReaderReads()
        {
            string[] names = ["zebra", "ant", "mole"];
            string csv = WriteCsv("d.csv", 10_000, r => names[(r * 5) % 3]); // first-seen order differs from sorted order
            NpyConversion result = CsvConverter.ToNpy(csv, _temp.File("d.npy"));
            LabeledData expected = CsvReader.Read(csv);
            LabeledData converted = NpyReader.Read(result.FeaturesPath, result.LabelsPath, CsvConverter.ReadClassNames(result.ClassNamesPath));
            Assert.Equal(10_000, result.Rows);
            Assert.Equal(3, result.Inputs);
            Assert.Equal(expected.Features, converted.Features);
            Assert.Equal(expected.Labels, converted.Labels);
            Assert.Equal(expected.ClassNames, converted.ClassNames);
            Assert.Equal(new[] { "ant", "mole", "zebra" }, result.ClassNames);
            Assert.Empty(Directory.GetFiles(_temp.Path, ".*")); // no temporary files left
        }

        [Fact]
        public void WeightColumn_IsWrittenBesideTheFeatures_AndReadAsWeightsInMemory()
        {
            string csv = WriteCsv("w.csv", 300, r => (r % 3).ToString(), (r, c) => c == 1 ? (r % 4 * 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture) : "0.5");
            var options = new CsvOptions { WeightColumnName = "b" };
            NpyConversion result = CsvConverter.ToNpy(csv, _temp.File("w.npy"), options);
            LabeledData expected = CsvReader.Read(csv, options);
            Assert.Equal(2, result.Inputs);
            Assert.Equal(Enumerable.Range(0, 300).Select(r => r % 4 * 0.5f), expected.Weights!);
            Assert.Equal(expected.Weights, NpyReader.ReadWeights(result.WeightsPath!, 300));
            Assert.Equal(expected.Features, NpyReader.Read(result.FeaturesPath, result.LabelsPath).Features);

            string bad = WriteCsv("bw.csv", 10, r => "1", (r, c) => c == 1 && r == 6 ? "-2" : "1");
            var e = Assert.Throws<InvalidDataException>(() => CsvConverter.ToNpy(bad, _temp.File("bw.npy"), options));
            Assert.Contains("line 8, column 2 ('b'): '-2' is not a weight", e.Message);
        }

        [Theory]
        [InlineData("invalid UTF-8")]
        [InlineData("quote inside a field")]
        [InlineData("quote open at the end")]
        [InlineData("UTF-16")]
        public void DamagedText_ReadOnce_IsTheErrorTheCsvReaderGives(string damage)
        {
            var text = new StringBuilder("a,b,label\n");
            for (int r = 0; r < 30_000; r++)
            {
                text.Append(r % 7).Append(",0.5,").Append(r % 2 == 0 ? "yes" : "no").Append('\n');
            }

            byte[] bytes = damage == "UTF-16" ? Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(text.ToString())).ToArray()
                : Encoding.UTF8.GetBytes(text.ToString());
            int late = bytes.Length - 100; // far past Sep's first buffer
            switch (damage)
            {
                case "invalid UTF-8":
                    bytes[late] = 0xFF;
                    break;
                case "quote inside a field":
                    bytes[Array.IndexOf(bytes, (byte)'y', late)] = (byte)'"';
                    break;
                case "quote open at the end":
                    bytes = bytes.Concat("1,\"2,yes\n"u8.ToArray()).ToArray();
                    break;
            }

            string csv = _temp.File("damaged.csv");
            File.WriteAllBytes(csv, bytes);
            if (damage == "UTF-16")
            {
                Assert.Equal(CsvReader.Read(csv).Features, NpyReader.Read(CsvConverter.ToNpy(csv, _temp.File("u.npy")).FeaturesPath, _temp.File("u.labels.npy")).Features);
                return;
            }

            string expected = Assert.Throws<InvalidDataException>(() => CsvReader.Read(csv)).Message;
            var e = Assert.Throws<InvalidDataException>(() => CsvConverter.ToNpy(csv, _temp.File("d.npy")));
            Assert.Equal(expected, e.Message);
            Assert.Equal(new[] { "damaged.csv" }, Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
        }

        [Fact]
        public void NumberLabels_GiveNullClassNames_AndUInt8FeaturesArePixels()
        {
            string csv = WriteCsv("n.csv", 50, r => (r % 4).ToString(), (r, c) => ((r + c) % 256).ToString());
            NpyConversion result = CsvConverter.ToNpy(csv, _temp.File("n.npy"), featureType: NpyFeatureType.UInt8);
            Assert.Null(CsvConverter.ReadClassNames(result.ClassNamesPath));
            LabeledData converted = NpyReader.Read(result.FeaturesPath, result.LabelsPath);
            Assert.True(converted.IsPixels);
            Assert.Equal(CsvReader.Read(csv).Features!.Select(f => (byte)f), converted.Pixels!);
        }

        [Fact]
        public void FeatureThatIsNotAByte_IsAnErrorNamingTheLine_AndNothingIsWritten()
        {
            string csv = WriteCsv("b.csv", 9000, r => "x", (r, c) => r == 8000 && c == 1 ? "2.5" : "1");
            var e = Assert.Throws<InvalidDataException>(() => CsvConverter.ToNpy(csv, _temp.File("b.npy"), featureType: NpyFeatureType.UInt8));
            Assert.Contains("line 8002: feature 2 is 2.5", e.Message);
            Assert.Equal(new[] { "b.csv" }, Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
        }

        [Fact]
        public void CancelledConversion_LeavesTheFilesOfTheLastCompleteOne()
        {
            string csv = WriteCsv("c.csv", 20_000, r => (r % 2).ToString());
            NpyConversion first = CsvConverter.ToNpy(csv, _temp.File("c.npy"));
            byte[] before = File.ReadAllBytes(first.FeaturesPath);
            using var cancel = new CancellationTokenSource();
            var progress = new Inline(_ => cancel.Cancel());
            Assert.ThrowsAny<OperationCanceledException>(() => CsvConverter.ToNpy(csv, _temp.File("c.npy"), progress: progress, cancellationToken: cancel.Token));
            Assert.Equal(before, File.ReadAllBytes(first.FeaturesPath));
            Assert.Empty(Directory.GetFiles(_temp.Path, ".*"));
        }

        private sealed class Inline(Action<long> report) : IProgress<long>
        {
            public void Report(long value) => report(value);
        }
    }
}
