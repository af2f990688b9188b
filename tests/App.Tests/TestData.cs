using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace GenSoftmax.App.Tests
{
    /// <summary>Small data sets the tests write in each format the app reads, with a learnable structure.</summary>
    public static class TestData
    {
        /// <summary>
        /// Images of <paramref name="classes"/> classes: class c is a bright horizontal band at rows proportional to c,
        /// plus noise, so a linear model separates them.
        /// </summary>
        public static (byte[] Pixels, byte[] Labels) Images(int count, int height, int width, int classes, int seed)
        {
            var random = new Random(seed);
            byte[] pixels = new byte[count * height * width];
            byte[] labels = new byte[count];
            for (int i = 0; i < count; i++)
            {
                int c = random.Next(classes);
                labels[i] = (byte)c;
                int band = c * height / classes;
                for (int y = 0; y < height; y++)
                {
                    for (int x = 0; x < width; x++)
                    {
                        bool on = y >= band && y < band + Math.Max(1, height / classes);
                        pixels[(i * height + y) * width + x] = (byte)Math.Clamp((on ? 200 : 20) + random.Next(-20, 21), 0, 255);
                    }
                }
            }

            return (pixels, labels);
        }

        /// <summary>Writes the four IDX files of a train/test split into <paramref name="directory"/> (gzipped or raw).</summary>
        public static void WriteIdxDirectory(string directory, int height, int width, int classes, bool gzip)
        {
            (byte[] trainPixels, byte[] trainLabels) = Images(600, height, width, classes, 1);
            (byte[] testPixels, byte[] testLabels) = Images(200, height, width, classes, 2);
            string ext = gzip ? ".gz" : "";
            WriteIdx(Path.Combine(directory, "train-images-idx3-ubyte" + ext), trainPixels, [trainLabels.Length, height, width], gzip);
            WriteIdx(Path.Combine(directory, "train-labels-idx1-ubyte" + ext), trainLabels, [trainLabels.Length], gzip);
            WriteIdx(Path.Combine(directory, "t10k-images-idx3-ubyte" + ext), testPixels, [testLabels.Length, height, width], gzip);
            WriteIdx(Path.Combine(directory, "t10k-labels-idx1-ubyte" + ext), testLabels, [testLabels.Length], gzip);
        }

        public static void WriteIdx(string path, byte[] data, int[] dims, bool gzip)
        {
            using var buffer = new MemoryStream();
            buffer.Write([0, 0, 0x08, (byte)dims.Length]);
            Span<byte> be = stackalloc byte[4];
            foreach (int d in dims)
            {
                BinaryPrimitives.WriteInt32BigEndian(be, d);
                buffer.Write(be);
            }

            buffer.Write(data);
            using FileStream file = File.Create(path);
            if (gzip)
            {
                using var z = new GZipStream(file, CompressionLevel.Fastest);
                buffer.WriteTo(z);
            }
            else
            {
                buffer.WriteTo(file);
            }
        }

        /// <summary>
        /// Rows of <paramref name="dims"/> float features around one centre per class (string-named), well apart, so a
        /// linear probe separates them. Returns the class of each row.
        /// </summary>
        public static string[] WriteCsv(string path, int rows, int dims, string[] classNames, int seed, char separator = ',', bool header = true, bool labelFirst = false)
        {
            var random = new Random(seed);
            var centres = new float[classNames.Length][];
            var centreRandom = new Random(12345);
            for (int c = 0; c < centres.Length; c++)
            {
                centres[c] = new float[dims];
                for (int j = 0; j < dims; j++)
                {
                    centres[c][j] = (float)(centreRandom.NextDouble() * 2 - 1);
                }
            }

            var labels = new string[rows];
            var sb = new StringBuilder();
            if (header)
            {
                var names = new string[dims + 1];
                for (int j = 0; j < dims; j++)
                {
                    names[labelFirst ? j + 1 : j] = $"f{j}";
                }

                names[labelFirst ? 0 : dims] = "label";
                sb.AppendLine(string.Join(separator, names));
            }

            for (int i = 0; i < rows; i++)
            {
                int c = random.Next(classNames.Length);
                labels[i] = classNames[c];
                var fields = new string[dims + 1];
                for (int j = 0; j < dims; j++)
                {
                    float v = centres[c][j] + (float)((random.NextDouble() * 2 - 1) * 0.5);
                    fields[labelFirst ? j + 1 : j] = v.ToString("G7", CultureInfo.InvariantCulture);
                }

                fields[labelFirst ? 0 : dims] = classNames[c];
                sb.AppendLine(string.Join(separator, fields));
            }

            File.WriteAllText(path, sb.ToString());
            return labels;
        }

        /// <summary>Writes a float32 features .npy [rows, dims] and an int32 labels .npy [rows], as np.save does.</summary>
        public static void WriteNpy(string featuresPath, string labelsPath, int rows, int dims, int classes, int seed)
        {
            var random = new Random(seed);
            float[] x = new float[rows * dims];
            int[] y = new int[rows];
            for (int i = 0; i < rows; i++)
            {
                int c = random.Next(classes);
                y[i] = c;
                for (int j = 0; j < dims; j++)
                {
                    x[i * dims + j] = (j % classes == c ? 1.5f : 0f) + (float)(random.NextDouble() - 0.5);
                }
            }

            WriteNpyArray(featuresPath, "<f4", $"({rows}, {dims})", System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()));
            WriteNpyArray(labelsPath, "<i4", $"({rows},)", System.Runtime.InteropServices.MemoryMarshal.AsBytes(y.AsSpan()));
        }

        /// <summary>One float32 weight per row, as np.save(np.float32 array) writes it.</summary>
        public static void WriteWeights(string path, float[] weights) =>
            WriteNpyArray(path, "<f4", $"({weights.Length},)", System.Runtime.InteropServices.MemoryMarshal.AsBytes(weights.AsSpan()));

        /// <summary>
        /// As <see cref="WriteNpy"/>, a thousand rows at a time, so a file larger than the test should hold in memory is written
        /// with little: row i of class i % classes, its features that class's pattern plus a little noise.
        /// </summary>
        public static void WriteLargeNpy(string featuresPath, string labelsPath, int rows, int dims, int classes)
        {
            using (FileStream file = CreateNpy(featuresPath, "<f4", $"({rows}, {dims})"))
            {
                const int Chunk = 1000;
                float[] x = new float[Chunk * dims];
                var random = new Random(1);
                for (int start = 0; start < rows; start += Chunk)
                {
                    int n = Math.Min(Chunk, rows - start);
                    for (int i = 0; i < n; i++)
                    {
                        int c = (start + i) % classes;
                        for (int j = 0; j < dims; j++)
                        {
                            x[i * dims + j] = (j % classes == c ? 1f : 0f) + (float)random.NextDouble() * 0.5f;
                        }
                    }

                    file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan(0, n * dims)));
                }
            }

            int[] y = new int[rows];
            for (int i = 0; i < rows; i++)
            {
                y[i] = i % classes;
            }

            WriteNpyArray(labelsPath, "<i4", $"({rows},)", System.Runtime.InteropServices.MemoryMarshal.AsBytes(y.AsSpan()));
        }

        private static void WriteNpyArray(string path, string dtype, string shape, ReadOnlySpan<byte> data)
        {
            using FileStream file = CreateNpy(path, dtype, shape);
            file.Write(data);
        }

        /// <summary>A new .npy file with its header written, positioned at the first byte of data.</summary>
        private static FileStream CreateNpy(string path, string dtype, string shape)
        {
            string dict = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape}, }}";
            int unpadded = 10 + dict.Length + 1;
            int padded = (unpadded + 63) / 64 * 64;
            string header = dict + new string(' ', padded - unpadded) + "\n";
            FileStream file = File.Create(path);
            file.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            Span<byte> len = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
            file.Write(len);
            file.Write(Encoding.ASCII.GetBytes(header));
            return file;
        }

        /// <summary>The width and height in a PNG's IHDR, after checking its signature.</summary>
        public static (int Width, int Height) PngSize(string path)
        {
            byte[] bytes = File.ReadAllBytes(path);
            ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
            if (bytes.Length < 33 || !bytes.AsSpan(0, 8).SequenceEqual(signature) || Encoding.ASCII.GetString(bytes, 12, 4) != "IHDR")
            {
                throw new InvalidDataException($"{path} is not a PNG file");
            }

            return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        }
    }
}
