using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using GenSoftmax.Data;
using Xunit;

namespace GenSoftmax.Data.Tests
{
    public sealed class CsvReaderTests : IDisposable
    {
        private readonly TempDirectory _temp = new TempDirectory();

        public void Dispose() => _temp.Dispose();

        private string Write(string text, string name = "data.csv")
        {
            string path = _temp.File(name);
            File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            return path;
        }

        private static string R(float value) => value.ToString("R", CultureInfo.InvariantCulture);

        /// <summary>Reads <paramref name="text"/> expecting an <see cref="InvalidDataException"/>; checks it names the file.</summary>
        private string Error(string text, CsvOptions? options = null)
        {
            string path = Write(text);
            var e = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path, options));
            Assert.StartsWith(path, e.Message);
            return e.Message;
        }

        // ---- round trips ----

        [Fact]
        public void NumericLabels_RoundTripFeaturesExactly()
        {
            var random = new Random(5);
            const int rows = 50, inputs = 7;
            float[] features = new float[rows * inputs];
            int[] labels = new int[rows];
            var text = new StringBuilder("a,b,c,d,e,f,g,label\n");
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < inputs; c++)
                {
                    // Every kind of float text: negatives, exponents, subnormals, integers, the extremes.
                    float v = (r * inputs + c) switch
                    {
                        0 => float.MaxValue,
                        1 => float.MinValue,
                        2 => float.Epsilon,
                        3 => 0f,
                        4 => -0f,
                        5 => 1e-30f,
                        6 => 12345678f,
                        _ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 9))),
                    };
                    features[r * inputs + c] = v;
                    text.Append(R(v)).Append(',');
                }

                labels[r] = random.Next(10);
                text.Append(labels[r]).Append('\n');
            }

            LabeledData data = CsvReader.Read(Write(text.ToString()));

            Assert.Equal(rows, data.Count);
            Assert.Equal(inputs, data.Inputs);
            Assert.False(data.IsPixels);
            Assert.Equal(labels, data.Labels);
            Assert.Null(data.ClassNames);
            Assert.Equal(features.Select(BitConverter.SingleToInt32Bits), data.Features!.Select(BitConverter.SingleToInt32Bits));
        }

        [Fact]
        public void StringLabels_384Dimensions_AreMappedToSortedClassNames()
        {
            const int rows = 30, inputs = 384;
            string[] names = { "dog", "cat", "bird" };
            var random = new Random(7);
            float[] features = new float[rows * inputs];
            string[] rowNames = new string[rows];
            var text = new StringBuilder(string.Join(",", Enumerable.Range(0, inputs).Select(i => $"e{i}")) + ",animal\n");
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < inputs; c++)
                {
                    features[r * inputs + c] = (float)random.NextDouble() * 2 - 1;
                    text.Append(R(features[r * inputs + c])).Append(',');
                }

                rowNames[r] = names[r % 3];
                text.Append(rowNames[r]).Append('\n');
            }

            LabeledData data = CsvReader.Read(Write(text.ToString()));

            Assert.Equal(inputs, data.Inputs);
            Assert.Equal(new[] { "bird", "cat", "dog" }, data.ClassNames);
            for (int r = 0; r < rows; r++)
            {
                Assert.Equal(rowNames[r], data.ClassNames![data.Labels[r]]);
            }

            Assert.Equal(features, data.Features);
        }

        [Fact]
        public void TwoFilesWithTheSameClasses_MapThemAlike_WhateverTheRowOrder()
        {
            LabeledData a = CsvReader.Read(Write("x,y\n1,zebra\n2,ant\n3,mole\n", "a.csv"));
            LabeledData b = CsvReader.Read(Write("x,y\n1,mole\n2,zebra\n3,ant\n", "b.csv"));

            Assert.Equal(new[] { "ant", "mole", "zebra" }, a.ClassNames);
            Assert.Equal(a.ClassNames, b.ClassNames);
            Assert.Equal(new[] { 2, 0, 1 }, a.Labels);
            Assert.Equal(new[] { 1, 2, 0 }, b.Labels);
        }

        [Fact]
        public void GivenClassNames_PinTheMapping_AndAnUnknownNameIsAnError()
        {
            LabeledData train = CsvReader.Read(Write("x,y\n1,zebra\n2,ant\n3,mole\n", "train.csv"));
            var options = new CsvOptions { ClassNames = train.ClassNames };

            // The test file lacks "ant": sorting its own names would shift "mole" and "zebra" down by one.
            LabeledData test = CsvReader.Read(Write("x,y\n1,zebra\n2,mole\n", "test.csv"), options);
            Assert.Equal(train.ClassNames, test.ClassNames);
            Assert.Equal(new[] { 2, 1 }, test.Labels);

            string message = Error("x,y\n1,zebra\n2,cow\n", options);
            Assert.Contains("line 3, column 2 ('y')", message);
            Assert.Contains("'cow' is not one of the 3 classes", message);
            Assert.Contains("'ant', 'mole', 'zebra'", message);
        }

        [Theory]
        [InlineData(',', false)]
        [InlineData(';', false)]
        [InlineData('\t', false)]
        [InlineData(',', true)]
        [InlineData(';', true)]
        [InlineData('\t', true)]
        [InlineData('|', true)]
        public void Separator_IsDetectedOrGiven(char separator, bool given)
        {
            string s = separator.ToString();
            string path = Write($"a{s}b{s}label\n1.5{s}-2{s}0\n3{s}4e-3{s}1\n");

            LabeledData data = CsvReader.Read(path, given ? new CsvOptions { Separator = separator } : null);

            Assert.Equal(new[] { 1.5f, -2f, 3f, 4e-3f }, data.Features);
            Assert.Equal(new[] { 0, 1 }, data.Labels);
        }

        [Fact]
        public void Detection_CountsOnlySeparatorsOutsideQuotes()
        {
            // Line 1 has more commas than semicolons, but all of them inside quotes.
            LabeledData data = CsvReader.Read(Write("\"a,b,c\";\"d,e,f\";label\n1;2;x\n"));

            Assert.Equal(new[] { 1f, 2f }, data.Features);
            Assert.Equal(new[] { "x" }, data.ClassNames);
        }

        [Fact]
        public void NoHeader_LabelInTheFirstColumn()
        {
            LabeledData data = CsvReader.Read(
                Write("2,0.5,0.25\n0,1,2\n"), new CsvOptions { HasHeader = false, LabelColumn = 0 });

            Assert.Equal(new[] { 0.5f, 0.25f, 1f, 2f }, data.Features);
            Assert.Equal(new[] { 2, 0 }, data.Labels);
        }

        [Fact]
        public void LabelColumn_ByName_InTheMiddle()
        {
            LabeledData data = CsvReader.Read(
                Write("w,kind,h\n1,b,2\n3,a,4\n"), new CsvOptions { LabelColumnName = "kind" });

            Assert.Equal(2, data.Inputs);
            Assert.Equal(new[] { 1f, 2f, 3f, 4f }, data.Features);
            Assert.Equal(new[] { "a", "b" }, data.ClassNames);
            Assert.Equal(new[] { 1, 0 }, data.Labels);
        }

        [Fact]
        public void LabelColumn_FromTheEnd()
        {
            LabeledData data = CsvReader.Read(Write("a,b,c\n1,2,3\n"), new CsvOptions { LabelColumn = ^2 });

            Assert.Equal(new[] { 1f, 3f }, data.Features);
            Assert.Equal(new[] { 2 }, data.Labels);
        }

        [Fact]
        public void QuotesSpacesCrLfBlankLinesAndByteOrderMark_AreHandled()
        {
            string path = _temp.File("messy.csv");
            string text = "\r\n a , \"b\" ,label\r\n\"1.5\", 2 ,\"cat, black\"\r\n\r\n   \r\n3,\" 4 \",dog\r\n\r\n";
            File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

            LabeledData data = CsvReader.Read(path);

            Assert.Equal(new[] { 1.5f, 2f, 3f, 4f }, data.Features);
            Assert.Equal(new[] { "cat, black", "dog" }, data.ClassNames);
            Assert.Equal(new[] { 0, 1 }, data.Labels);
        }

        [Fact]
        public void NumericLabels_MayBeWrittenAsWholeFloats_AndNamesMayBeNumbers()
        {
            Assert.Equal(new[] { 3, 0 }, CsvReader.Read(Write("a,y\n1,3.0\n2,0\n")).Labels);

            LabeledData names = CsvReader.Read(Write("a,y\n1,10\n2,9\n"), new CsvOptions { Labels = CsvLabels.Names });
            Assert.Equal(new[] { "10", "9" }, names.ClassNames);   // ordinal order
            Assert.Equal(new[] { 0, 1 }, names.Labels);
        }

        [Fact]
        public void NumberedColumnNames_BesideALabelName_AreAHeader()
        {
            // pandas writes 0, 1, 2, ... for unnamed columns.
            LabeledData data = CsvReader.Read(Write("0,1,2,label\n0.5,0.25,1,cat\n"));
            Assert.Equal(new[] { 0.5f, 0.25f, 1f }, data.Features);

            // pd.DataFrame(np.column_stack([x, y])).to_csv(index=False): every column numbered, the label too.
            data = CsvReader.Read(Write("0,1,2\n0.5,0.25,1.0\n"));
            Assert.Equal(new[] { 0.5f, 0.25f }, data.Features);
            Assert.Equal(new[] { 1 }, data.Labels);
        }

        [Fact]
        public void Reading_DoesNotAllocatePerField()
        {
            const int rows = 2000, inputs = 64;
            var text = new StringBuilder();
            text.AppendJoin(',', Enumerable.Range(0, inputs).Select(i => $"f{i}")).Append(",label\n");
            var random = new Random(3);
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < inputs; c++)
                {
                    text.Append(R((float)random.NextDouble())).Append(',');
                }

                text.Append(r % 2 == 0 ? "even" : "odd").Append('\n');
            }

            string path = Write(text.ToString());
            CsvReader.Read(path); // warm up

            long before = GC.GetAllocatedBytesForCurrentThread();
            LabeledData data = CsvReader.Read(path);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            // The data is 512 KB of floats, gathered in chunks and copied once (about 3x in all); a string per field would add 4 MB.
            long floats = (long)rows * inputs * sizeof(float);
            Assert.Equal(rows, data.Count);
            Assert.True(allocated < 4 * floats + 256_000, $"reading allocated {allocated} bytes for {floats} bytes of features");
        }

        // ---- errors: the file, the line and the column ----

        [Fact]
        public void TooFewFields_NamesTheLineAndTheMissingColumn()
        {
            string message = Error("a,b,label\n1,2,0\n\n3,4\n");

            Assert.Contains("line 4: the row has 2 fields but the file has 3 columns (as on line 1)", message);
            Assert.Contains("column 3 ('label') is missing", message);
        }

        [Fact]
        public void TooManyFields_NamesTheLineAndTheFirstExtraColumn()
        {
            string message = Error("a,b,label\n1,2,0\n1,5,2,0\n");

            Assert.Contains("line 3: the row has 4 fields but the file has 3 columns", message);
            Assert.Contains("1 too many, from column 4 on; a value that contains ',' must be quoted", message);
        }

        [Fact]
        public void UnclosedQuote_IsReportedWhereTheQuotedFieldStarts()
        {
            string message = Error("a,b,label\n1,2,0\n\"3,4,1\n5,6,1\n7,8,1\n");

            Assert.Contains("line 3, column 1: the quoted field that starts here runs onto line 4 and holds a ','", message);
            Assert.Contains("closing '\"' is missing", message);
        }

        [Fact]
        public void QuotedFieldOverLines_WhenAllowed_IsStillCheckedForItsFieldCount()
        {
            string message = Error("a,b,label\n1,2,0\n\"3,4,1\n5,6,1\n7,8\",1\n", new CsvOptions { AllowLineBreaksInQuotes = true });

            Assert.Contains("line 3: the row has 2 fields but the file has 3 columns (as on line 1)", message);
            Assert.Contains("span several lines", message);
        }

        [Theory]
        [InlineData("abc", "'abc' is not a number")]
        [InlineData("1.5x", "'1.5x' is not a number")]
        [InlineData("0x10", "'0x10' is not a number")]
        [InlineData("", "is empty: every feature needs a value")]
        [InlineData("  ", "is empty: every feature needs a value")]
        [InlineData("NaN", "'NaN' is not a finite number")]
        [InlineData("nan", "'nan' is not a finite number")]
        [InlineData("inf", "'inf' is not a finite number")]
        [InlineData("-Infinity", "'-Infinity' is not a finite number")]
        [InlineData("1e39", "'1e39' is outside the range of float")]
        public void BadFeature_NamesLineColumnAndText(string field, string expected)
        {
            string message = Error($"a,b,label\n1,2,0\n3,{field},1\n");

            Assert.Contains("line 3, column 2 ('b'): ", message);
            Assert.Contains(expected, message);
        }

        [Fact]
        public void DecimalComma_IsNotReadAsAThousandsSeparator()
        {
            // In a ';' file "1,5" is one field; .NET's parser alone would read it as 15.
            string message = Error("a;b;label\n1;1,5;0\n");

            Assert.Contains("line 2, column 2 ('b'): '1,5' is not a number: the decimal point must be '.'", message);
        }

        [Fact]
        public void WithoutAHeader_ColumnsAreNamedByNumber_AndAHeaderLineGetsAHint()
        {
            string message = Error("w,h,label\n1,2,0\n", new CsvOptions { HasHeader = false });

            Assert.Contains("line 1, column 1: 'w' is not a number", message);
            Assert.Contains("If line 1 is a header, set CsvOptions.HasHeader = true", message);
        }

        [Theory]
        [InlineData("-1", "'-1' is negative, but class numbers are 0, 1, 2")]
        [InlineData("2.5", "'2.5' is not a whole number")]
        [InlineData("", "the label is empty")]
        [InlineData("cat", "'cat' is not a class number")]
        [InlineData("1024", "'1024' is too large to be a class number: a model has at most 1024 classes")]
        public void BadClassNumber_AfterNumericLabels_NamesLineAndColumn(string label, string expected)
        {
            string message = Error($"a,b,label\n1,2,0\n3,4,1\n5,6,{label}\n");

            Assert.Contains("line 4, column 3 ('label'): ", message);
            Assert.Contains(expected, message);
            if (label is "cat" or "-1")
            {
                Assert.Contains("the first label, '0' on line 2, is a number", message);
                Assert.Contains("set CsvOptions.Labels = CsvLabels.Names", message);
            }
        }

        [Fact]
        public void FirstLabelNotWhole_SuggestsTheLabelColumnIsWrong()
        {
            string message = Error("a,b,c\n1,2,0.75\n");

            Assert.Contains("line 2, column 3 ('c'): '0.75' is not a whole number", message);
            Assert.Contains("Is column 3 the label column?", message);
        }

        [Fact]
        public void LabelOutsideTheModelsClasses_IsAnError()
        {
            string message = Error("a,label\n1,0\n2,2\n3,3\n", new CsvOptions { Classes = 3 });
            Assert.Contains("line 4, column 2 ('label'): '3' is not a class of the model, which has 3 (0..2)", message);

            message = Error("a,label\n1,x\n2,y\n3,z\n", new CsvOptions { Classes = 2 });
            Assert.Contains("line 4, column 2 ('label'): 'z' would be class number 3, but the model has 2 classes", message);
        }

        [Fact]
        public void EmptyFiles_AndAHeaderWithoutRows_AreErrors()
        {
            Assert.Contains("is empty", Error(""));
            Assert.Contains("is empty", Error("\n\n  \n"));
            Assert.Contains("is empty", Error("", new CsvOptions { HasHeader = false, Separator = ',' }));
            Assert.Contains("has a header (line 1) but no rows of data", Error("a,b,label\n"));
            Assert.Contains("has a header (line 2) but no rows of data", Error("\na,b,label\n\n"));
        }

        [Fact]
        public void OneColumn_IsAnError_NamingTheSeparator()
        {
            Assert.Contains("line 1: cannot detect the separator", Error("label\n1\n2\n"));
            Assert.Contains("line 1: the line has one field", Error("a,label\n1,2\n", new CsvOptions { Separator = ';' }));
        }

        [Fact]
        public void HeaderThatIsData_IsAnError_NotADroppedRow()
        {
            Assert.Contains("line 1 looks like a row of data, not a header", Error("0.5,0.25,1\n0.1,0.2,0\n"));
            Assert.Contains("line 1 looks like a row of data, not a header", Error("0.5,0.25,cat\n0.1,0.2,dog\n"));
        }

        [Fact]
        public void RepeatedColumnNames_AreAnError()
        {
            string message = Error("a,b,a,label\n1,2,3,0\n");

            Assert.Contains("line 1: the header names column 1 and column 3 both 'a'", message);
        }

        [Fact]
        public void LabelColumnThatIsNotThere_IsAnArgumentError()
        {
            string path = Write("a,Label\n1,0\n");

            var e = Assert.Throws<ArgumentException>(() => CsvReader.Read(path, new CsvOptions { LabelColumnName = "label" }));
            Assert.Contains($"{path} has no column named 'label'", e.Message);
            Assert.Contains("there is 'Label'", e.Message);

            e = Assert.Throws<ArgumentException>(() => CsvReader.Read(path, new CsvOptions { LabelColumn = 5 }));
            Assert.Contains($"LabelColumn is 5, but {path} has 2 columns", e.Message);
        }

        [Fact]
        public void Options_AreValidated()
        {
            string path = Write("a,b\n1,0\n");

            Assert.Throws<ArgumentException>(() => CsvReader.Read(path, new CsvOptions { LabelColumnName = "b", HasHeader = false }));
            Assert.Throws<ArgumentOutOfRangeException>(() => CsvReader.Read(path, new CsvOptions { Separator = '"' }));
            Assert.Throws<ArgumentOutOfRangeException>(() => CsvReader.Read(path, new CsvOptions { Separator = '\n' }));
            Assert.Throws<ArgumentOutOfRangeException>(() => CsvReader.Read(path, new CsvOptions { LabelColumn = ^0 }));
            Assert.Throws<ArgumentOutOfRangeException>(() => CsvReader.Read(path, new CsvOptions { Classes = 1 }));
            Assert.Throws<ArgumentException>(() => CsvReader.Read(path, new CsvOptions { ClassNames = new[] { "a", "a" } }));
            Assert.Throws<ArgumentException>(() => CsvReader.Read(path, new CsvOptions { ClassNames = new[] { "a", "b" }, Classes = 3 }));
            Assert.Throws<FileNotFoundException>(() => CsvReader.Read(_temp.File("missing.csv")));
        }

        // ---- LabeledData's class names, as the readers set them ----

        [Fact]
        public void ClassNames_AreCopiedChecked_AndKeptByToFeatures()
        {
            string[] names = { "no", "yes" };
            LabeledData data = LabeledData.FromPixels(new byte[] { 0, 255 }, new[] { 1, 0 }, 1, names);
            names[0] = "changed";

            Assert.Equal(new[] { "no", "yes" }, data.ClassNames);
            Assert.Equal(data.ClassNames, data.ToFeatures().ClassNames);
            Assert.Null(LabeledData.FromFeatures(new float[2], new[] { 1, 0 }, 1).ClassNames);

            var e = Assert.Throws<ArgumentException>(() => LabeledData.FromFeatures(new float[2], new[] { 2, 0 }, 1, new[] { "a", "b" }));
            Assert.Contains("labels[0] = 2 has no class name", e.Message);
            Assert.Throws<ArgumentException>(() => LabeledData.FromFeatures(new float[2], new[] { 1, 0 }, 1, new[] { "a", "a" }));
            Assert.Throws<ArgumentException>(() => LabeledData.FromFeatures(new float[2], new[] { 1, 0 }, 1, new[] { "a", "" }));
            Assert.Throws<ArgumentException>(() => LabeledData.FromFeatures(new float[2], new[] { 0, 0 }, 1, Array.Empty<string>()));
        }
    }
}
