using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using GenSoftmax.Data;
using Xunit;

namespace GenSoftmax.Data.Tests
{
    public sealed class NpyReaderTests : IDisposable
    {
        private readonly TempDirectory _temp = new TempDirectory();

        public void Dispose() => _temp.Dispose();

        /// <summary>
        /// A .npy file laid out by hand from the format's specification: the magic "\x93NUMPY", major and minor version
        /// bytes, the header length (uint16 little-endian in 1.0, uint32 in 2.0 and 3.0), the header (a Python dict literal
        /// padded with spaces and ending in '\n' so the data starts at a multiple of 64), then the data.
        /// </summary>
        internal static byte[] Npy(string descr, string shape, byte[] data, int version = 1, bool fortran = false, string? dictionary = null)
        {
            dictionary ??= $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";
            int prefix = version == 1 ? 10 : 12;
            int padded = (prefix + dictionary.Length + 1 + 63) / 64 * 64;
            string header = dictionary.PadRight(padded - prefix - 1) + "\n";
            byte[] headerBytes = (version == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(header);
            var bytes = new byte[prefix + headerBytes.Length + data.Length];
            new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0 }.CopyTo(bytes, 0);
            if (version == 1)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerBytes.Length);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerBytes.Length);
            }

            headerBytes.CopyTo(bytes, prefix);
            data.CopyTo(bytes, prefix + headerBytes.Length);
            return bytes;
        }

        private static byte[] Floats(float[] values)
        {
            var bytes = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
            }

            return bytes;
        }

        private static byte[] Doubles(double[] values)
        {
            var bytes = new byte[values.Length * 8];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
            }

            return bytes;
        }

        private static byte[] Halves(Half[] values)
        {
            var bytes = new byte[values.Length * 2];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), values[i]);
            }

            return bytes;
        }

        private static byte[] Int64s(long[] values)
        {
            var bytes = new byte[values.Length * 8];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
            }

            return bytes;
        }

        private static byte[] Int32s(int[] values)
        {
            var bytes = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), values[i]);
            }

            return bytes;
        }

        private string File(string name, byte[] bytes)
        {
            string path = _temp.File(name);
            System.IO.File.WriteAllBytes(path, bytes);
            return path;
        }

        private string Labels(params long[] labels) => File("y.npy", Npy("<i8", $"({labels.Length},)", Int64s(labels)));

        /// <summary>Reads features <paramref name="featureBytes"/> with labels 0, 1, 2, ... expecting an error; checks it names the file.</summary>
        private string FeaturesError(byte[] featureBytes, int rows = 2)
        {
            string features = File("x.npy", featureBytes);
            string labels = Labels(Enumerable.Range(0, rows).Select(i => (long)i).ToArray());
            var e = Assert.Throws<InvalidDataException>(() => NpyReader.Read(features, labels));
            Assert.StartsWith(features, e.Message);
            return e.Message;
        }

        // ---- round trips ----

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Float32_InEveryHeaderVersion(int version)
        {
            float[] values = { 1.5f, -2f, float.Epsilon, 3e38f, 0f, -0.125f };
            string features = File("x.npy", Npy("<f4", "(3, 2)", Floats(values), version));
            string labels = File("y.npy", Npy("<i8", "(3,)", Int64s(new long[] { 2, 0, 1 }), version));

            LabeledData data = NpyReader.Read(features, labels);

            Assert.Equal(3, data.Count);
            Assert.Equal(2, data.Inputs);
            Assert.False(data.IsPixels);
            Assert.Equal(values, data.Features);
            Assert.Equal(new[] { 2, 0, 1 }, data.Labels);
            Assert.Null(data.ClassNames);
        }

        [Fact]
        public void Float64_IsRoundedToFloat32()
        {
            double[] values = { Math.PI, -1e-300, 1e30, 0.1 };
            LabeledData data = NpyReader.Read(File("x.npy", Npy("<f8", "(2, 2)", Doubles(values))), Labels(0, 1));

            Assert.Equal(values.Select(v => (float)v), data.Features);
        }

        [Fact]
        public void Float16_IsWidened()
        {
            Half[] values = { (Half)0.5f, (Half)(-3f), Half.Epsilon, (Half)65504f };
            LabeledData data = NpyReader.Read(File("x.npy", Npy("<f2", "(2, 2)", Halves(values))), Labels(0, 1));

            Assert.Equal(values.Select(v => (float)v), data.Features);
        }

        [Fact]
        public void UInt8_IsKeptAsPixels_AndThreeDimensionsAreImages()
        {
            byte[] pixels = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10)).ToArray();

            LabeledData rows = NpyReader.Read(File("x.npy", Npy("|u1", "(2, 12)", pixels)), Labels(1, 0));
            Assert.True(rows.IsPixels);
            Assert.Equal(pixels, rows.Pixels);
            Assert.Equal(12, rows.Inputs);
            Assert.Equal(0, rows.ImageHeight);

            LabeledData images = NpyReader.Read(File("x.npy", Npy("|u1", "(2, 3, 4)", pixels)), Labels(1, 0));
            Assert.Equal(pixels, images.Pixels);
            Assert.Equal(3, images.ImageHeight);
            Assert.Equal(4, images.ImageWidth);
            Assert.Equal(12, images.Inputs);
        }

        [Theory]
        [InlineData("<i4")]
        [InlineData("<i8")]
        [InlineData("|u1")]
        [InlineData("|i1")]
        [InlineData("<u2")]
        [InlineData("<u8")]
        public void Labels_AnyIntegerType_ShapeNOrNBy1(string descr)
        {
            int size = int.Parse(descr.AsSpan(2));
            long[] values = { 3, 0, 2 };
            byte[] data = new byte[values.Length * size];
            for (int i = 0; i < values.Length; i++)
            {
                data[i * size] = (byte)values[i]; // little-endian: the low byte first, the rest zero
            }

            string features = File("x.npy", Npy("<f4", "(3, 1)", Floats(new[] { 1f, 2f, 3f })));
            Assert.Equal(new[] { 3, 0, 2 }, NpyReader.Read(features, File("y.npy", Npy(descr, "(3,)", data))).Labels);
            Assert.Equal(new[] { 3, 0, 2 }, NpyReader.Read(features, File("y.npy", Npy(descr, "(3, 1)", data))).Labels);
        }

        [Fact]
        public void ClassNames_AreAttached_AndBoundTheLabels()
        {
            string features = File("x.npy", Npy("<f4", "(2, 1)", Floats(new[] { 1f, 2f })));

            LabeledData data = NpyReader.Read(features, Labels(1, 0), new[] { "cat", "dog" });
            Assert.Equal(new[] { "cat", "dog" }, data.ClassNames);

            var e = Assert.Throws<InvalidDataException>(() => NpyReader.Read(features, Labels(1, 2), new[] { "cat", "dog" }));
            Assert.Contains("label 1 (row 1 of the array) = 2 is not a class: classNames has 2 names (classes 0..1)", e.Message);
        }

        [Fact]
        public void HeaderVariants_ThatNumPyWrites_AreAccepted()
        {
            byte[] data = Floats(new[] { 1f, 2f });
            string labels = Labels(0, 1);

            // Double quotes, no trailing comma, Python 2's long integers, keys in another order, 16-byte alignment.
            foreach (string dictionary in new[]
            {
                "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 1)}",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }",
                "{'shape': (2, 1), 'fortran_order': False, 'descr': '<f4'}",
            })
            {
                Assert.Equal(new[] { 1f, 2f }, NpyReader.Read(File("x.npy", Npy("", "", data, dictionary: dictionary)), labels).Features);
            }

            // Fortran order of a one-dimensional array is the same bytes as C order.
            Assert.Equal(new[] { 0, 1 }, NpyReader.Read(File("x.npy", Npy("<f4", "(2, 1)", data)), File("y.npy", Npy("<i8", "(2,)", Int64s(new long[] { 0, 1 }), fortran: true))).Labels);
        }

        // ---- errors ----

        [Fact]
        public void NotNpy_IsNamed_WithWhatItStartsWith()
        {
            Assert.Contains("is not a NumPy .npy file: it starts with 68656C6C6F2C", FeaturesError(Encoding.ASCII.GetBytes("hello, world")));
            Assert.Contains("is not a NumPy .npy file: it is empty", FeaturesError(Array.Empty<byte>()));
            Assert.Contains("an .npz file holds several arrays", FeaturesError(new byte[] { 0x50, 0x4B, 3, 4, 0, 0, 0, 0, 0, 0 }));
        }

        [Fact]
        public void UnsupportedVersion_IsAnError()
        {
            byte[] bytes = Npy("<f4", "(2, 1)", Floats(new[] { 1f, 2f }));
            bytes[6] = 4;
            Assert.Contains("is .npy format version 4.0, which is not supported: versions 1.0, 2.0 and 3.0 are", FeaturesError(bytes));
            bytes[6] = 1;
            bytes[7] = 1;
            Assert.Contains("version 1.1", FeaturesError(bytes));
        }

        [Fact]
        public void HeaderLength_IsCheckedAgainstTheFile()
        {
            byte[] bytes = Npy("<f4", "(2, 1)", Floats(new[] { 1f, 2f }));
            Assert.Contains("is truncated inside its header", FeaturesError(bytes.AsSpan(0, 40).ToArray()));
            Assert.Contains("is truncated inside its header", FeaturesError(bytes.AsSpan(0, 9).ToArray()));

            byte[] v2 = Npy("<f4", "(2, 1)", Floats(new[] { 1f, 2f }), version: 2);
            BinaryPrimitives.WriteUInt32LittleEndian(v2.AsSpan(8), uint.MaxValue);
            Assert.Contains("the header length field says 4294967295 bytes", FeaturesError(v2));
        }

        [Theory]
        [InlineData("'descr': '<f4', 'fortran_order': False, 'shape': (2, 1)}", "expected '{' at character 1")]
        [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1)", "expected ',' or '}'")]
        [InlineData("{'descr': '<f4', 'fortran_order': false, 'shape': (2, 1)}", "expected True or False")]
        [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 1]}", "expected '('")]
        [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1)}", "expected a dimension (a whole number)")]
        [InlineData("{'descr': '<f4', 'fortran_order': False}", "the key 'shape' is missing")]
        [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), 'extra': 1}", "it has the key 'extra'")]
        [InlineData("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 1)}", "the key 'descr' appears twice")]
        [InlineData("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 1)}", "expected ',' or '}' at character 18 but found 'f'")]
        [InlineData("{'descr' '<f4', 'fortran_order': False, 'shape': (2, 1)}", "expected ':' at character 10")]
        [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1)} x", "there is text after the closing '}'")]
        [InlineData("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", "structured dtype")]
        [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 1)}", "too large for an array")]
        public void BadDictionary_IsAnError_ThatShowsTheHeader(string dictionary, string expected)
        {
            string message = FeaturesError(Npy("", "", Floats(new[] { 1f, 2f }), dictionary: dictionary));

            Assert.Contains("the .npy header is not valid: ", message);
            Assert.Contains(expected, message);
            Assert.Contains("The header is \"", message);
        }

        [Theory]
        [InlineData(">f4", "big-endian values (dtype '>f4'); only little-endian data is supported: save it with np.save(path, a.astype('<f4'))")]
        [InlineData("<c8", "dtype '<c8' (complex), which is not supported")]
        [InlineData("|O", "dtype '|O' (not a plain numeric dtype)")]
        [InlineData("|b1", "dtype '|b1' (boolean)")]
        [InlineData("<U5", "dtype '<U5' (strings)")]
        [InlineData("<f16", "dtype '<f16' (a 128-bit float)")]
        public void UnsupportedDtype_IsAnError(string descr, string expected)
        {
            Assert.Contains(expected, FeaturesError(Npy(descr, "(2, 1)", new byte[32])));
        }

        [Fact]
        public void IntegerFeatures_OtherThanUInt8_AreAnError()
        {
            Assert.Contains("holds int32 ('<i4') values, but features must be float32, float64, float16 or uint8",
                FeaturesError(Npy("<i4", "(2, 1)", Int32s(new[] { 1, 2 }))));
        }

        [Fact]
        public void FortranOrder_IsAnError_WithTheFix()
        {
            Assert.Contains("holds a Fortran-ordered (column-major) array of shape [2, 2]; only C order (row-major) is supported: save it with np.save(path, np.ascontiguousarray(a))",
                FeaturesError(Npy("<f4", "(2, 2)", Floats(new float[4]), fortran: true)));
        }

        [Theory]
        [InlineData(3)]
        [InlineData(7)]
        [InlineData(10)]
        [InlineData(64)]
        public void Float32_IsReadInPlace_InChunks_OfAnySize(int chunkFloats)
        {
            float[] values = Enumerable.Range(0, 10).Select(i => i * 1.25f - 3f).ToArray();
            string path = _temp.File("chunks.npy");
            System.IO.File.WriteAllBytes(path, Npy("<f4", "(2, 5)", Floats(values)));
            using FileStream file = System.IO.File.OpenRead(path);
            NpyHeader header = NpyReader.ReadHeader(file, path);

            var result = new float[10];
            NpyReader.ReadInPlace(file, path, header, result, chunkFloats);

            Assert.Equal(values, result);
            Assert.Equal(file.Length, file.Position);
        }

        [Theory]
        [InlineData("(46341, 46341)", "[46341, 46341]")]         // 2,147,488,281 elements: just past int.MaxValue
        [InlineData("(2147483647, 1)", "[2147483647, 1]")]       // int.MaxValue elements: past Array.MaxLength
        [InlineData("(2, 1073741824, 2)", "[2, 1073741824, 2]")] // 2^32: int arithmetic would wrap to 0
        public void RowsTimesFeatures_PastWhatAnArrayHolds_IsRefusedFromTheHeader(string shape, string shown)
        {
            string message = FeaturesError(Npy("<f4", shape, []));
            Assert.Contains($"the header declares shape {shown}, more elements than a .NET array holds ({Array.MaxLength})", message);
        }

        [Fact]
        public void Float32_ReadInChunks_ReportsATruncationAtItsOffset()
        {
            byte[] whole = Npy("<f4", "(2, 5)", Floats(new float[10]));
            string path = _temp.File("short.npy");
            System.IO.File.WriteAllBytes(path, whole);
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            NpyHeader header = NpyReader.ReadHeader(file, path);
            file.SetLength(whole.Length - 6); // shrank after its header was checked

            var e = Assert.Throws<InvalidDataException>(() => NpyReader.ReadInPlace(file, path, header, new float[10], 3));
            Assert.Contains($"but the file has {whole.Length - 6}", e.Message);
        }

        /// <summary>
        /// A float32 array of 2,150,400,000 bytes, more than a span of bytes can index (issue 20, item 7: it failed with
        /// "Arithmetic operation resulted in an overflow"). The file is sparse: zeros but for a value at the start, one
        /// just past 2 GiB and one at the end. It takes 2.15 GB of memory and a few seconds.
        /// </summary>
        [Fact]
        [Trait("Size", "Large")]
        public void Float32_OverTwoGiB_IsRead()
        {
            const int rows = 1024, columns = 525_000;
            long elements = (long)rows * columns;
            string features = _temp.File("big.npy");
            byte[] head = Npy("<f4", $"({rows}, {columns})", []);
            long past2GiB = ((1L << 31) - head.Length) / 4 + 1; // the first element whose bytes start past 2 GiB
            using (var file = new FileStream(features, FileMode.CreateNew))
            {
                file.Write(head);
                file.SetLength(head.Length + elements * 4);
                foreach ((long index, float value) in new[] { (0L, 1.5f), (past2GiB, -2.5f), (elements - 1, 3.5f) })
                {
                    file.Position = head.Length + index * 4;
                    file.Write(BitConverter.GetBytes(value));
                }
            }

            string labels = _temp.File("labels.npy");
            System.IO.File.WriteAllBytes(labels, Npy("|u1", $"({rows},)", Enumerable.Range(0, rows).Select(i => (byte)(i % 3)).ToArray()));

            LabeledData data = NpyReader.Read(features, labels);

            Assert.Equal(rows, data.Count);
            Assert.Equal(columns, data.Inputs);
            float[] x = data.Features!;
            Assert.Equal(elements, x.LongLength);
            Assert.Equal(1.5f, x[0]);
            Assert.Equal(-2.5f, x[past2GiB]);
            Assert.Equal(3.5f, x[elements - 1]);
            Assert.Equal(0f, x[past2GiB - 1]);
            Assert.Equal((rows - 1) % 3, data.Labels[rows - 1]);
        }

        [Fact]
        public void SizeAgainstShape_TruncatedOrLonger_IsAnError()
        {
            byte[] whole = Npy("<f4", "(2, 3)", Floats(new float[6]));
            int header = whole.Length - 24;
            string message = FeaturesError(whole.AsSpan(0, whole.Length - 3).ToArray());
            Assert.Contains(
                $"is truncated: its header declares float32 ('<f4') [2, 3], 24 bytes of data after a {header}-byte header ({whole.Length} bytes in all), " +
                $"but the file has {whole.Length - 3}", message);

            message = FeaturesError(whole.Concat(new byte[] { 1, 2 }).ToArray());
            Assert.Contains("is longer than its header declares", message);
            Assert.Contains("(2 extra)", message);
        }

        [Fact]
        public void FeatureShape_MustBeRowsByFeatures()
        {
            Assert.Contains("holds an array of shape [2], but features must be [rows, features]", FeaturesError(Npy("<f4", "(2,)", Floats(new float[2]))));
            Assert.Contains("holds no data (shape [2, 0])", FeaturesError(Npy("<f4", "(2, 0)", Array.Empty<byte>())));
        }

        [Theory]
        [InlineData(float.NaN, "row 1, column 0 (element 2) is NaN")]
        [InlineData(float.PositiveInfinity, "row 1, column 0 (element 2) is infinite")]
        public void NonFiniteFeature_IsAnError_NamingRowAndColumn(float bad, string expected)
        {
            Assert.Contains(expected, FeaturesError(Npy("<f4", "(2, 2)", Floats(new[] { 1f, 2f, bad, 4f }))));
        }

        [Fact]
        public void Float64OutsideFloat32Range_IsAnError()
        {
            Assert.Contains("row 0, column 1 (element 1) is infinite or outside float32's range",
                FeaturesError(Npy("<f8", "(2, 2)", Doubles(new[] { 1, 1e300, 3, 4 }))));
        }

        [Fact]
        public void LabelErrors_NameTheLabelsFile()
        {
            string features = File("x.npy", Npy("<f4", "(2, 1)", Floats(new[] { 1f, 2f })));

            string Error(byte[] labelBytes)
            {
                string labels = File("y.npy", labelBytes);
                var e = Assert.Throws<InvalidDataException>(() => NpyReader.Read(features, labels));
                return e.Message;
            }

            string labelsPath = _temp.File("y.npy");
            Assert.StartsWith(labelsPath, Error(Npy("<f8", "(2,)", Doubles(new[] { 0.0, 1.0 }))));
            Assert.Contains("holds float64 ('<f8') values, but labels must be integers", Error(Npy("<f8", "(2,)", Doubles(new[] { 0.0, 1.0 }))));
            Assert.Contains("holds an array of shape [2, 3], but labels must be [rows]", Error(Npy("<i4", "(2, 3)", new byte[24])));
            Assert.Contains("label 1 (row 1 of the array) = -1 is negative", Error(Npy("<i4", "(2,)", Int32s(new[] { 0, -1 }))));
            Assert.Contains("= 5000 is too large to be a class number", Error(Npy("<i4", "(2,)", Int32s(new[] { 5000, 1 }))));
            Assert.Contains($"{features} holds 2 rows but {labelsPath} holds 3 labels", Error(Npy("<i4", "(3,)", Int32s(new[] { 0, 1, 0 }))));
            Assert.Contains("is truncated", Error(Npy("<i4", "(3,)", Int32s(new[] { 0, 1 }))));
        }

        // ---- a file NumPy itself wrote ----

        [SkippableFact]
        public void FilesWrittenByNumPy_AreRead()
        {
            string? python = PythonWithNumPy();
            Skip.If(python is null, "no python3 with numpy is installed (apt-get install python3-numpy)");

            string script = $$"""
                import numpy as np
                rng = np.random.default_rng(0)
                x = rng.standard_normal((5, 3)).astype(np.float32)
                np.save(r'{{_temp.File("x32.npy")}}', x)
                np.save(r'{{_temp.File("x64.npy")}}', x.astype(np.float64))
                np.save(r'{{_temp.File("pixels.npy")}}', np.arange(5 * 4, dtype=np.uint8).reshape(5, 2, 2))
                np.save(r'{{_temp.File("y.npy")}}', np.array([0, 2, 1, 1, 0]))
                np.save(r'{{_temp.File("y32.npy")}}', np.array([0, 2, 1, 1, 0], dtype=np.int32))
                np.save(r'{{_temp.File("fortran.npy")}}', np.asfortranarray(x))
                for version in [(2, 0), (3, 0)]:
                    with open(r'{{_temp.File("x")}}' + str(version[0]) + '.npy', 'wb') as f:
                        np.lib.format.write_array(f, x, version=version)
                with open(r'{{_temp.File("x.txt")}}', 'w') as f:
                    f.write(' '.join(repr(float(v)) for v in x.ravel()))
                """;
            (int exitCode, string errors) = Run(python!, "-c", script);
            Assert.True(exitCode == 0, errors);
            float[] expected = System.IO.File.ReadAllText(_temp.File("x.txt")).Split(' ').Select(s => float.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

            LabeledData floats = NpyReader.Read(_temp.File("x32.npy"), _temp.File("y.npy"));
            Assert.Equal(expected, floats.Features);
            Assert.Equal(new[] { 0, 2, 1, 1, 0 }, floats.Labels);
            Assert.Equal(expected, NpyReader.Read(_temp.File("x64.npy"), _temp.File("y32.npy")).Features);
            Assert.Equal(expected, NpyReader.Read(_temp.File("x2.npy"), _temp.File("y.npy")).Features);
            Assert.Equal(expected, NpyReader.Read(_temp.File("x3.npy"), _temp.File("y.npy")).Features);

            LabeledData images = NpyReader.Read(_temp.File("pixels.npy"), _temp.File("y.npy"));
            Assert.Equal(Enumerable.Range(0, 20).Select(i => (byte)i), images.Pixels);
            Assert.Equal(2, images.ImageHeight);

            var e = Assert.Throws<InvalidDataException>(() => NpyReader.Read(_temp.File("fortran.npy"), _temp.File("y.npy")));
            Assert.Contains("Fortran-ordered", e.Message);
        }

        /// <summary>The first python3 that can import numpy: the one on PATH, else Debian's (python3-numpy), or null.</summary>
        private static string? PythonWithNumPy()
        {
            foreach (string python in new[] { "python3", "/usr/bin/python3" })
            {
                try
                {
                    if (Run(python, "-c", "import numpy").ExitCode == 0)
                    {
                        return python;
                    }
                }
                catch (System.ComponentModel.Win32Exception)
                {
                    // not installed
                }
            }

            return null;
        }

        private static (int ExitCode, string Errors) Run(string program, params string[] arguments)
        {
            var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start)!;
            string errors = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, errors);
        }
    }
}
