using System;
using System.IO;
using GenSoftmax.Data;
using Xunit;

namespace GenSoftmax.Data.Tests
{
    public sealed class IdxReaderTests : IDisposable
    {
        private readonly TempDirectory _temp = new TempDirectory();

        public void Dispose() => _temp.Dispose();

        [Theory]
        [InlineData(5, 28, 28, false)]
        [InlineData(5, 28, 28, true)]
        [InlineData(3, 7, 13, false)]
        [InlineData(3, 7, 13, true)]
        [InlineData(1, 1, 1, true)]
        [InlineData(0, 4, 4, false)]
        [InlineData(0, 4, 4, true)]
        public void ReadImages_RoundTripsPixelsAndDimensions(int count, int rows, int cols, bool gzip)
        {
            byte[] pixels = IdxTestFiles.Pixels(count, rows, cols);
            string path = IdxTestFiles.WriteImages(_temp.File("images"), pixels, count, rows, cols, gzip);

            (byte[] read, int readCount, int readRows, int readCols) = IdxReader.ReadImages(path);

            Assert.Equal(count, readCount);
            Assert.Equal(rows, readRows);
            Assert.Equal(cols, readCols);
            Assert.Equal(pixels, read);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void ReadLabels_RoundTrips(bool gzip)
        {
            byte[] labels = IdxTestFiles.Labels(17, classes: 256);
            string path = IdxTestFiles.WriteLabels(_temp.File("labels"), labels, gzip);

            Assert.Equal(labels, IdxReader.ReadLabels(path));
        }

        [Fact]
        public void Compression_IsDetectedFromContentNotName()
        {
            byte[] pixels = IdxTestFiles.Pixels(2, 3, 4);
            string gzipWithoutSuffix = IdxTestFiles.WriteImages(_temp.File("images-idx3-ubyte"), pixels, 2, 3, 4, gzip: true);
            string rawWithSuffix = IdxTestFiles.WriteImages(_temp.File("images-idx3-ubyte.gz"), pixels, 2, 3, 4, gzip: false);

            Assert.Equal(pixels, IdxReader.ReadImages(gzipWithoutSuffix).Pixels);
            Assert.Equal(pixels, IdxReader.ReadImages(rawWithSuffix).Pixels);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void WrongMagic_IsReportedWithFileName(bool gzip)
        {
            byte[] bytes = IdxTestFiles.Idx(0x12345678, new[] { 1, 2, 2 }, new byte[4]);
            string path = IdxTestFiles.Write(_temp.File("bad-magic"), bytes, gzip);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

            Assert.Contains(path, e.Message);
            Assert.Contains("not an IDX file", e.Message);
            Assert.Contains("0x12345678", e.Message);
            Assert.Contains("0x00000803", e.Message);
        }

        [Fact]
        public void WrongDataType_IsReported()
        {
            byte[] bytes = IdxTestFiles.Idx(0x00000D03, new[] { 1, 1, 1 }, new byte[4]);
            string path = IdxTestFiles.Write(_temp.File("floats"), bytes, gzip: false);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

            Assert.Contains(path, e.Message);
            Assert.Contains("0x0D", e.Message);
            Assert.Contains("32-bit float", e.Message);
            Assert.Contains("unsigned bytes", e.Message);
        }

        [Fact]
        public void LabelsFileReadAsImages_IsReported()
        {
            string path = IdxTestFiles.WriteLabels(_temp.File("labels"), new byte[] { 1, 2, 3 }, gzip: true);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

            Assert.Contains(path, e.Message);
            Assert.Contains("0x00000801", e.Message);
            Assert.Contains("labels file", e.Message);
            Assert.Contains("3 dimensions", e.Message);
        }

        [Fact]
        public void ImagesFileReadAsLabels_IsReported()
        {
            string path = IdxTestFiles.WriteImages(_temp.File("images"), new byte[4], 1, 2, 2, gzip: false);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

            Assert.Contains("0x00000803", e.Message);
            Assert.Contains("images file", e.Message);
            Assert.Contains("1 dimension", e.Message);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void TruncatedData_ReportsExpectedAndFoundBytes(bool gzip)
        {
            // 5 images of 28x28 declared (16 + 3920 = 3936 bytes), 3000 data bytes present (3016 in all).
            byte[] bytes = IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { 5, 28, 28 }, new byte[3000]);
            string path = IdxTestFiles.Write(_temp.File("truncated"), bytes, gzip);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

            Assert.Contains(path, e.Message);
            Assert.Contains("truncated", e.Message);
            Assert.Contains("expected 3936", e.Message);
            Assert.Contains("found 3016", e.Message);
            Assert.Contains("5 images of 28x28", e.Message);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void TruncatedLabels_ReportsExpectedAndFoundBytes(bool gzip)
        {
            byte[] bytes = IdxTestFiles.Idx(IdxTestFiles.LabelsMagic, new[] { 10 }, new byte[7]);
            string path = IdxTestFiles.Write(_temp.File("labels"), bytes, gzip);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

            Assert.Contains("truncated", e.Message);
            Assert.Contains("expected 18", e.Message);
            Assert.Contains("found 15", e.Message);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void TrailingBytes_AreReportedAsMismatchedDimensions(bool gzip)
        {
            byte[] bytes = IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { 2, 3, 3 }, new byte[20]);
            string path = IdxTestFiles.Write(_temp.File("long"), bytes, gzip);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

            Assert.Contains(path, e.Message);
            Assert.Contains("2 trailing bytes", e.Message);
            Assert.Contains("do not match", e.Message);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(3)]
        [InlineData(6)]
        [InlineData(15)]
        public void TruncatedHeader_IsReported(int length)
        {
            byte[] full = IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { 1, 1, 1 }, new byte[1]);
            string path = IdxTestFiles.Write(_temp.File("short"), full.AsSpan(0, length).ToArray(), gzip: false);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

            Assert.Contains(path, e.Message);
            Assert.Contains("16", e.Message);
            Assert.Contains($"found {length}", e.Message);
        }

        [Fact]
        public void HugeDeclaredCountInSmallGzip_IsReportedAsTruncatedWithoutAllocating()
        {
            // Declares 2,000,000,000 bytes of pixels; the compressed file cannot hold that many.
            byte[] bytes = IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { 2_000_000, 1_000, 1 }, new byte[100]);
            string path = IdxTestFiles.Write(_temp.File("huge"), bytes, gzip: true);

            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Contains("truncated", e.Message);
            Assert.Contains("found 116", e.Message);
            Assert.True(allocated < 10_000_000, $"allocated {allocated} bytes");
        }

        [Fact]
        public void DimensionsBeyondArrayLimit_AreReported()
        {
            byte[] bytes = IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { int.MaxValue, 2, 2 }, Array.Empty<byte>());
            string path = IdxTestFiles.Write(_temp.File("too-big"), bytes, gzip: false);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

            Assert.Contains(path, e.Message);
            Assert.Contains("corrupt", e.Message);
        }

        [Fact]
        public void CutGzipStream_IsReportedWithFileName()
        {
            byte[] bytes = IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { 4, 28, 28 }, IdxTestFiles.Pixels(4, 28, 28));
            byte[] compressed = IdxTestFiles.Gzip(bytes);
            string path = _temp.File("cut.gz");
            File.WriteAllBytes(path, compressed.AsSpan(0, compressed.Length / 2).ToArray());

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

            Assert.Contains(path, e.Message);
        }

        [Fact]
        public void MissingFile_ThrowsFileNotFound()
        {
            Assert.Throws<FileNotFoundException>(() => IdxReader.ReadLabels(_temp.File("nope")));
        }
    }
}
