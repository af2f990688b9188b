using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace GenSoftmax.Data.Tests
{
    /// <summary>Writes small synthetic IDX files.</summary>
    internal static class IdxTestFiles
    {
        public const int ImagesMagic = 0x00000803;
        public const int LabelsMagic = 0x00000801;

        /// <summary>Deterministic pixels that use the whole 0..255 range.</summary>
        public static byte[] Pixels(int count, int rows, int cols, int seed = 1)
        {
            var pixels = new byte[count * rows * cols];
            new Random(seed).NextBytes(pixels);
            return pixels;
        }

        public static byte[] Labels(int count, int classes = 10, int seed = 2)
        {
            var labels = new byte[count];
            var random = new Random(seed);
            for (int i = 0; i < count; i++)
            {
                labels[i] = (byte)random.Next(classes);
            }

            return labels;
        }

        /// <summary>An IDX file's bytes: magic, the sizes (big-endian), then <paramref name="data"/>.</summary>
        public static byte[] Idx(int magic, int[] dims, byte[] data)
        {
            var bytes = new byte[4 + 4 * dims.Length + data.Length];
            BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
            for (int i = 0; i < dims.Length; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
            }

            data.CopyTo(bytes, 4 + 4 * dims.Length);
            return bytes;
        }

        public static byte[] Gzip(byte[] bytes)
        {
            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(bytes);
            }

            return output.ToArray();
        }

        public static string Write(string path, byte[] bytes, bool gzip)
        {
            File.WriteAllBytes(path, gzip ? Gzip(bytes) : bytes);
            return path;
        }

        public static string WriteImages(string path, byte[] pixels, int count, int rows, int cols, bool gzip) =>
            Write(path, Idx(ImagesMagic, new[] { count, rows, cols }, pixels), gzip);

        public static string WriteLabels(string path, byte[] labels, bool gzip) =>
            Write(path, Idx(LabelsMagic, new[] { labels.Length }, labels), gzip);

        /// <summary>Writes one Fashion-MNIST split (images and labels) into <paramref name="directory"/>.</summary>
        public static void WriteSplit(
            string directory, string prefix, byte[] pixels, byte[] labels, bool gzip, int rows = 28, int cols = 28)
        {
            string suffix = gzip ? ".gz" : "";
            int count = pixels.Length / (rows * cols);
            WriteImages(Path.Combine(directory, $"{prefix}-images-idx3-ubyte{suffix}"), pixels, count, rows, cols, gzip);
            WriteLabels(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte{suffix}"), labels, gzip);
        }

        /// <summary>Writes a complete synthetic data set: 5 training and 3 test images of 28x28.</summary>
        public static (byte[] TrainPixels, byte[] TrainLabels, byte[] TestPixels, byte[] TestLabels) WriteDataset(
            string directory, bool gzip = true, int seed = 1)
        {
            byte[] trainPixels = Pixels(5, 28, 28, seed);
            byte[] trainLabels = Labels(5, seed: seed + 1);
            byte[] testPixels = Pixels(3, 28, 28, seed + 2);
            byte[] testLabels = Labels(3, seed: seed + 3);
            WriteSplit(directory, "train", trainPixels, trainLabels, gzip);
            WriteSplit(directory, "t10k", testPixels, testLabels, gzip);
            return (trainPixels, trainLabels, testPixels, testLabels);
        }
    }
}
