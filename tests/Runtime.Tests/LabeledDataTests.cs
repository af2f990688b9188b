using System;
using System.Linq;
using Xunit;

namespace GenSoftmax.Tests
{
    public sealed class LabeledDataTests
    {
        /// <summary>Random pixels for <paramref name="count"/> images of <paramref name="rows"/> x <paramref name="cols"/>.</summary>
        private static byte[] Pixels(int count, int rows, int cols)
        {
            var pixels = new byte[count * rows * cols];
            new Random(1).NextBytes(pixels);
            return pixels;
        }

        [Fact]
        public void Properties_DescribeTheData()
        {
            byte[] pixels = Pixels(5, 7, 13);
            int[] labels = { 0, 9, 3, 3, 1 };

            var data = LabeledData.FromImages(pixels, labels, 7, 13);

            Assert.Equal(5, data.Count);
            Assert.Equal(7, data.ImageHeight);
            Assert.Equal(13, data.ImageWidth);
            Assert.Equal(91, data.Inputs);
            Assert.True(data.IsPixels);
            Assert.Same(pixels, data.Pixels);
            Assert.Null(data.Features);
            Assert.Same(labels, data.Labels);
        }

        [Fact]
        public void FromFeaturesAndFromPixels_HaveNoImageShape()
        {
            float[] features = { 0.5f, 1, 2, 3, 4, 5 };
            int[] labels = { 1, 0 };
            LabeledData floats = LabeledData.FromFeatures(features, labels, 3);
            LabeledData bytes = LabeledData.FromPixels(new byte[6], labels, 3);

            Assert.False(floats.IsPixels);
            Assert.Same(features, floats.Features);
            Assert.Null(floats.Pixels);
            Assert.True(bytes.IsPixels);
            foreach (LabeledData data in new[] { floats, bytes })
            {
                Assert.Equal(2, data.Count);
                Assert.Equal(3, data.Inputs);
                Assert.Equal(0, data.ImageHeight);
                Assert.Equal(0, data.ImageWidth);
            }

            var e = Assert.Throws<InvalidOperationException>(() => floats.Image(0).Length);
            Assert.Contains("float features", e.Message);
            Assert.Same(floats, floats.ToFeatures());
            Assert.Equal(features, floats.ToFloats());
            Assert.NotSame(features, floats.ToFloats());
        }

        [Fact]
        public void Image_IsTheRowOfPixels()
        {
            byte[] pixels = Pixels(5, 7, 13);
            var data = LabeledData.FromImages(pixels, new int[5], 7, 13);

            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(pixels.AsSpan(i * 91, 91).ToArray(), data.Image(i).ToArray());
            }

            Assert.Throws<ArgumentOutOfRangeException>(() => data.Image(5).Length);
            Assert.Throws<ArgumentOutOfRangeException>(() => data.Image(-1).Length);
        }

        [Theory]
        [InlineData(1, 1, 1)]
        [InlineData(3, 7, 13)]   // 273 bytes: vector body and scalar tail
        [InlineData(2, 28, 28)]
        public void ToFloats_DividesEveryPixelBy255(int count, int rows, int cols)
        {
            byte[] pixels = Pixels(count, rows, cols);
            for (int i = 0; i < Math.Min(256, pixels.Length); i++)
            {
                pixels[i] = (byte)i; // every value 0..255 where there is room
            }

            var data = LabeledData.FromImages(pixels, new int[count], rows, cols);

            float[] floats = data.ToFloats();

            Assert.Equal(pixels.Length, floats.Length);
            for (int i = 0; i < pixels.Length; i++)
            {
                Assert.Equal(pixels[i] / 255f, floats[i]);
            }
        }

        [Fact]
        public void ToFloats_MapsExtremesExactly()
        {
            var data = LabeledData.FromImages(new byte[] { 0, 255, 51 }, new[] { 0 }, 1, 3);

            float[] floats = data.ToFloats();

            Assert.Equal(0f, floats[0]);
            Assert.Equal(1f, floats[1]);
            Assert.Equal(0.2f, floats[2], 6);
        }

        [Fact]
        public void ToFloats_IntoSpanChecksLength()
        {
            var data = LabeledData.FromImages(new byte[8], new int[2], 2, 2);

            var e = Assert.Throws<ArgumentException>(() => data.ToFloats(new float[7]));

            Assert.Equal("destination", e.ParamName);
            Assert.Contains("8", e.Message);
        }

        [Fact]
        public void ToFeatures_IsTheSameRowsAsFloatsKeepingTheImageShape()
        {
            byte[] pixels = Pixels(3, 7, 13);
            int[] labels = { 2, 0, 1 };
            var data = LabeledData.FromImages(pixels, labels, 7, 13);

            LabeledData features = data.ToFeatures();

            Assert.False(features.IsPixels);
            Assert.Equal(data.ToFloats(), features.Features);
            Assert.Same(labels, features.Labels);
            Assert.Equal(7, features.ImageHeight);
            Assert.Equal(13, features.ImageWidth);
            Assert.Same(pixels, data.Pixels); // the original is unchanged
        }

        [Fact]
        public void All_and_Rows_are_labelled_batches_of_the_data()
        {
            byte[] pixels = Pixels(4, 1, 3);
            int[] labels = { 0, 1, 1, 0 };
            var data = LabeledData.FromPixels(pixels, labels, 3);
            int[] rows = { 3, 3, 1 };

            Batch all = data.All();
            Assert.True(all.IsPixels);
            Assert.False(all.HasRows);
            Assert.True(all.Pixels == pixels.AsSpan());
            Assert.True(all.Labels == labels.AsSpan());

            Batch some = data.Rows(rows);
            Assert.True(some.HasRows);
            Assert.True(some.Rows == rows.AsSpan());
            Assert.True(some.Labels == labels.AsSpan()); // labels stay indexed by data row

            Assert.True(data.Rows(Array.Empty<int>()).HasRows); // an empty list is an empty batch, not every row
            float[] floats = data.ToFloats();
            Assert.True(LabeledData.FromFeatures(floats, labels, 3).All().Features == floats.AsSpan());
        }

        [Fact]
        public void All_and_Rows_give_the_same_loss_as_the_arrays_they_hold()
        {
            var model = new Models.M3x3();
            var random = new Random(3);
            TestModels.Randomize(model, random);
            byte[] pixels = Pixels(40, 1, 3);
            int[] labels = TestModels.Labels(random, 40, 3);
            int[] rows = { 39, 0, 5, 5 };
            var data = LabeledData.FromPixels(pixels, labels, 3);
            LabeledData features = data.ToFeatures();

            Assert.Equal(model.Loss(Batch.Of(pixels).WithLabels(labels)), model.Loss(data.All()));
            Assert.Equal(model.Loss(Batch.Of(pixels).WithLabels(labels).WithRows(rows)), model.Loss(data.Rows(rows)));
            Assert.Equal(model.Loss(Batch.Of(features.Features!).WithLabels(labels)), model.Loss(features.All()));
            Assert.Equal(4, model.Loss(data.Rows(rows)).Count);
            TestModels.AssertClose(
                TestModels.ReferenceOf(model).Loss(TestModels.Gather(features.Features!, 3, rows), rows.Select(r => labels[r]).ToArray()),
                model.Loss(data.Rows(rows)).Loss,
                "LabeledData.Rows loss");
        }

        [Fact]
        public void Constructor_RejectsMismatchedLengths()
        {
            var e = Assert.Throws<ArgumentException>(() => LabeledData.FromImages(new byte[10], new int[3], 2, 2));

            Assert.Equal("pixels", e.ParamName);
            Assert.Contains("10 values", e.Message);
            Assert.Contains("12", e.Message);

            e = Assert.Throws<ArgumentException>(() => LabeledData.FromFeatures(new float[5], new int[2], 3));
            Assert.Equal("features", e.ParamName);
            Assert.Contains("5 values", e.Message);
            Assert.Contains("6", e.Message);
        }

        [Fact]
        public void Constructor_RejectsBadArguments()
        {
            Assert.Throws<ArgumentNullException>(() => LabeledData.FromImages(null!, new int[1], 1, 1));
            Assert.Throws<ArgumentNullException>(() => LabeledData.FromImages(new byte[1], null!, 1, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => LabeledData.FromImages(Array.Empty<byte>(), Array.Empty<int>(), 0, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => LabeledData.FromImages(Array.Empty<byte>(), Array.Empty<int>(), 1, -1));
            var e = Assert.Throws<ArgumentException>(() => LabeledData.FromImages(new byte[2], new[] { 0, -1 }, 1, 1));
            Assert.Equal("labels", e.ParamName);

            Assert.Throws<ArgumentNullException>(() => LabeledData.FromFeatures(null!, new int[1], 1));
            Assert.Throws<ArgumentNullException>(() => LabeledData.FromPixels(null!, new int[1], 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => LabeledData.FromPixels(new byte[1], new int[1], 0));
            e = Assert.Throws<ArgumentException>(() => LabeledData.FromFeatures(new float[2], new[] { -3, 0 }, 1));
            Assert.Equal("labels", e.ParamName);
        }

        [Theory]
        [InlineData(float.NaN, "NaN")]
        [InlineData(float.PositiveInfinity, "+Infinity")]
        [InlineData(float.NegativeInfinity, "-Infinity")]
        public void FromFeatures_RejectsANonFiniteValueNamingItsRowAndColumn(float bad, string spelled)
        {
            // 1,000 rows of 37 features: the bad value sits past several whole vectors, in an odd column.
            const int Rows = 1000, Inputs = 37;
            float[] features = Enumerable.Range(0, Rows * Inputs).Select(i => (i % 11) - 5f).ToArray();
            int row = 811, column = 29;
            features[row * Inputs + column] = bad;
            int[] labels = new int[Rows];

            var e = Assert.Throws<ArgumentException>(() => LabeledData.FromFeatures(features, labels, Inputs));

            Assert.Equal("features", e.ParamName);
            Assert.Contains($"(row {row}, column {column}) is {spelled}", e.Message);
        }

        [Fact]
        public void FromFeatures_ReportsTheFirstNonFiniteValue_InTheScalarTailToo()
        {
            float[] features = new float[3 * 7];
            features[20] = float.NaN; // the last element: after any whole vector
            features[19] = float.PositiveInfinity;

            var e = Assert.Throws<ArgumentException>(() => LabeledData.FromFeatures(features, new int[3], 7));

            Assert.Contains("(row 2, column 5) is +Infinity", e.Message);
        }

        [Fact]
        public void FromFeatures_AcceptsExtremeFiniteValues()
        {
            float[] features = [float.MaxValue, float.MinValue, float.Epsilon, -0f, 0f, 1e-45f];

            LabeledData data = LabeledData.FromFeatures(features, new int[2], 3);

            Assert.Equal(2, data.Count);
        }
    }
}
