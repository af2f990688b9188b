using System;
using GenSoftmax.Data;
using Xunit;

namespace GenSoftmax.Tests.Data
{
    public sealed class LabeledImagesTests
    {
        [Fact]
        public void Properties_DescribeTheData()
        {
            byte[] pixels = IdxTestFiles.Pixels(5, 7, 13);
            int[] labels = { 0, 9, 3, 3, 1 };

            var data = new LabeledImages(pixels, labels, 7, 13);

            Assert.Equal(5, data.Count);
            Assert.Equal(7, data.Rows);
            Assert.Equal(13, data.Cols);
            Assert.Equal(91, data.Inputs);
            Assert.Same(pixels, data.Pixels);
            Assert.Same(labels, data.Labels);
        }

        [Fact]
        public void Image_IsTheRowOfPixels()
        {
            byte[] pixels = IdxTestFiles.Pixels(5, 7, 13);
            var data = new LabeledImages(pixels, new int[5], 7, 13);

            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(pixels.AsSpan(i * 91, 91).ToArray(), data.Image(i).ToArray());
            }

            Assert.Throws<ArgumentOutOfRangeException>(() => data.Image(5));
            Assert.Throws<ArgumentOutOfRangeException>(() => data.Image(-1));
        }

        [Theory]
        [InlineData(1, 1, 1)]
        [InlineData(3, 7, 13)]   // 273 bytes: vector body and scalar tail
        [InlineData(2, 28, 28)]
        public void ToFloats_DividesEveryPixelBy255(int count, int rows, int cols)
        {
            byte[] pixels = IdxTestFiles.Pixels(count, rows, cols);
            for (int i = 0; i < Math.Min(256, pixels.Length); i++)
            {
                pixels[i] = (byte)i; // every value 0..255 where there is room
            }

            var data = new LabeledImages(pixels, new int[count], rows, cols);

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
            var data = new LabeledImages(new byte[] { 0, 255, 51 }, new[] { 0 }, 1, 3);

            float[] floats = data.ToFloats();

            Assert.Equal(0f, floats[0]);
            Assert.Equal(1f, floats[1]);
            Assert.Equal(0.2f, floats[2], 6);
        }

        [Fact]
        public void ToFloats_IntoSpanChecksLength()
        {
            var data = new LabeledImages(new byte[8], new int[2], 2, 2);

            var e = Assert.Throws<ArgumentException>(() => data.ToFloats(new float[7]));

            Assert.Equal("destination", e.ParamName);
            Assert.Contains("8", e.Message);
        }

        [Fact]
        public void Constructor_RejectsMismatchedLengths()
        {
            var e = Assert.Throws<ArgumentException>(() => new LabeledImages(new byte[10], new int[3], 2, 2));

            Assert.Equal("pixels", e.ParamName);
            Assert.Contains("10 bytes", e.Message);
            Assert.Contains("12", e.Message);
        }

        [Fact]
        public void Constructor_RejectsBadArguments()
        {
            Assert.Throws<ArgumentNullException>(() => new LabeledImages(null!, new int[1], 1, 1));
            Assert.Throws<ArgumentNullException>(() => new LabeledImages(new byte[1], null!, 1, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => new LabeledImages(Array.Empty<byte>(), Array.Empty<int>(), 0, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => new LabeledImages(Array.Empty<byte>(), Array.Empty<int>(), 1, -1));
            var e = Assert.Throws<ArgumentException>(() => new LabeledImages(new byte[2], new[] { 0, -1 }, 1, 1));
            Assert.Equal("labels", e.ParamName);
        }
    }
}
