using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.IO.Hashing;
using System.Linq;
using System.Threading.Tasks;
using GenSoftmax.Data;
using Xunit;

namespace GenSoftmax.Data.Tests
{
    /// <summary>IDX files cut, damaged, inflated or replaced by special files (issue 13).</summary>
    public sealed class HostileIdxTests : IDisposable
    {
        private readonly TempDirectory _temp = new();

        public void Dispose() => _temp.Dispose();

        private static byte[] ImagesIdx(int count = 4) =>
            IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { count, 28, 28 }, IdxTestFiles.Pixels(count, 28, 28));

        private string WriteBytes(string name, byte[] bytes)
        {
            string path = _temp.File(name);
            File.WriteAllBytes(path, bytes);
            return path;
        }

        private static byte[] Deflate(byte[] data, CompressionLevel level = CompressionLevel.Optimal)
        {
            using var output = new MemoryStream();
            using (var deflate = new DeflateStream(output, level, leaveOpen: true))
            {
                deflate.Write(data);
            }

            return output.ToArray();
        }

        /// <summary>A gzip member built by hand, with the optional header fields gzip may write.</summary>
        private static byte[] GzipByHand(byte[] data, CompressionLevel level = CompressionLevel.Optimal, bool fields = false, bool headerCrc = false)
        {
            using var output = new MemoryStream();
            int flags = (headerCrc ? 0x02 : 0) | (fields ? 0x04 | 0x08 | 0x10 : 0);
            output.Write([0x1f, 0x8b, 8, (byte)flags, 0, 0, 0, 0, 0, 3]);
            if (fields)
            {
                output.Write([3, 0, (byte)'a', (byte)'b', (byte)'c']); // FEXTRA: 3 bytes
                output.Write("train-images-idx3-ubyte\0"u8);            // FNAME
                output.Write("a comment\0"u8);                           // FCOMMENT
            }

            if (headerCrc)
            {
                uint crc = Crc32.HashToUInt32(output.ToArray());
                output.Write([(byte)crc, (byte)(crc >> 8)]);
            }

            output.Write(Deflate(data, level));
            Span<byte> trailer = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32.HashToUInt32(data));
            BinaryPrimitives.WriteUInt32LittleEndian(trailer.Slice(4), (uint)data.Length);
            output.Write(trailer);
            return output.ToArray();
        }

        [Fact]
        public void A_gzip_member_with_every_optional_header_field_and_a_header_crc_loads()
        {
            byte[] idx = ImagesIdx();
            string path = WriteBytes("fields.gz", GzipByHand(idx, fields: true, headerCrc: true));

            (byte[] pixels, int count, _, _) = IdxReader.ReadImages(path);

            Assert.Equal(4, count);
            Assert.Equal(idx.AsSpan(16).ToArray(), pixels);
        }

        [Fact]
        public void A_damaged_gzip_header_crc_is_a_checksum_mismatch()
        {
            byte[] file = GzipByHand(ImagesIdx(), fields: true, headerCrc: true);
            int crcOffset = file.Length - 8 - Deflate(ImagesIdx()).Length - 2;
            file[crcOffset] ^= 0x01;

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(WriteBytes("hcrc.gz", file)));

            Assert.Contains("checksum mismatch in the gzip header", e.Message);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(4)]
        [InlineData(5)]
        [InlineData(6)]
        [InlineData(7)]
        [InlineData(8)]
        [InlineData(9)]
        [InlineData(10)]
        public void A_gzip_file_cut_in_its_last_ten_bytes_is_rejected(int cut)
        {
            byte[] file = IdxTestFiles.Gzip(ImagesIdx());
            string path = WriteBytes("cut.gz", file.AsSpan(0, file.Length - cut).ToArray());

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

            Assert.Contains(path, e.Message);
            Assert.True(e.Message.Contains("truncated", StringComparison.Ordinal) || e.Message.Contains("checksum mismatch", StringComparison.Ordinal), e.Message);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void A_damaged_crc_in_the_trailer_is_a_checksum_mismatch_not_a_compression_method(int offset)
        {
            byte[] file = IdxTestFiles.Gzip(ImagesIdx());
            file[file.Length - 8 + offset] ^= 0x40;

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(WriteBytes("crc.gz", file)));

            Assert.Contains("checksum mismatch", e.Message);
            Assert.DoesNotContain("compression method", e.Message);
        }

        [Fact]
        public void A_damaged_length_in_the_trailer_is_rejected()
        {
            byte[] file = IdxTestFiles.Gzip(ImagesIdx());
            file[file.Length - 1] ^= 0x01;

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(WriteBytes("isize.gz", file)));

            Assert.Contains($"declares {(uint)ImagesIdx().Length | 0x01000000u} uncompressed bytes", e.Message);
        }

        [Fact]
        public void Damage_inside_stored_deflate_blocks_is_caught_by_the_crc()
        {
            // Stored (uncompressed) blocks decode whatever their bytes are: only the CRC can tell.
            byte[] idx = ImagesIdx();
            byte[] file = GzipByHand(idx, CompressionLevel.NoCompression);
            int pixel = file.Length - 8 - 100;
            file[pixel] ^= 0x10;

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(WriteBytes("stored.gz", file)));

            Assert.Contains("checksum mismatch", e.Message);
        }

        [Theory]
        [InlineData(new byte[] { 0x1f, 0x8b }, "truncated inside its gzip header")]
        [InlineData(new byte[] { 0x1f, 0x8b, 0x08, 0x00 }, "truncated inside its gzip header")]
        [InlineData(new byte[] { 0x42 }, "starts neither another gzip member nor zero padding")]
        [InlineData(new byte[] { 0x00, 0x00, 0x42 }, "starts neither another gzip member nor zero padding")]
        public void Bytes_after_the_gzip_member_that_are_not_a_member_or_padding_are_rejected(byte[] tail, string expected)
        {
            byte[] file = [.. IdxTestFiles.Gzip(ImagesIdx()), .. tail];

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(WriteBytes("tail.gz", file)));

            Assert.Contains(expected, e.Message);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(512)]
        public void Zero_padding_after_the_last_member_is_read_as_gzip_reads_it(int zeros)
        {
            byte[] idx = ImagesIdx();
            byte[] file = [.. IdxTestFiles.Gzip(idx), .. new byte[zeros]];

            (byte[] pixels, int count, _, _) = IdxReader.ReadImages(WriteBytes("padded.gz", file));

            Assert.Equal(4, count);
            Assert.Equal(idx.AsSpan(16).ToArray(), pixels);
        }

        [Fact]
        public void Concatenated_members_are_read_one_after_the_other_as_gzip_reads_them()
        {
            // As `cat a.gz b.gz c.gz` makes: the header in one member, the pixels split over two (one of them stored).
            byte[] idx = ImagesIdx();
            byte[] file =
            [
                .. IdxTestFiles.Gzip(idx.AsSpan(0, 1000).ToArray()),
                .. GzipByHand(idx.AsSpan(1000, 700).ToArray(), CompressionLevel.NoCompression),
                .. IdxTestFiles.Gzip(idx.AsSpan(1700).ToArray()),
            ];

            (byte[] pixels, int count, _, _) = IdxReader.ReadImages(WriteBytes("three.gz", file));

            Assert.Equal(4, count);
            Assert.Equal(idx.AsSpan(16).ToArray(), pixels);
        }

        [Fact]
        public void A_damaged_second_member_is_named()
        {
            byte[] idx = ImagesIdx();
            byte[] first = IdxTestFiles.Gzip(idx.AsSpan(0, 1000).ToArray());
            byte[] second = IdxTestFiles.Gzip(idx.AsSpan(1000).ToArray());
            second[^6] ^= 0x01; // its trailer's CRC-32

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(WriteBytes("two.gz", [.. first, .. second])));

            Assert.Contains("checksum mismatch", e.Message);
        }

        [Fact]
        public void A_second_member_cut_short_is_truncation()
        {
            byte[] idx = ImagesIdx();
            byte[] second = IdxTestFiles.Gzip(idx.AsSpan(1000).ToArray());
            byte[] file = [.. IdxTestFiles.Gzip(idx.AsSpan(0, 1000).ToArray()), .. second.AsSpan(0, second.Length - 30)];

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(WriteBytes("cut.gz", file)));

            Assert.Contains("truncated", e.Message);
        }

        [Fact]
        public void Several_gzip_members_are_read_as_gzip_reads_them()
        {
            // As `cat a.gz b.gz > c.gz` makes, and gzip -t accepts: the members' data one after the other.
            byte[] idx = ImagesIdx();
            byte[] file = [.. IdxTestFiles.Gzip(idx.AsSpan(0, 1000).ToArray()), .. IdxTestFiles.Gzip(idx.AsSpan(1000, 7).ToArray()),
                .. IdxTestFiles.Gzip(idx.AsSpan(1007).ToArray())];

            (byte[] pixels, _, _, _) = IdxReader.ReadImages(WriteBytes("three.gz", file));

            Assert.Equal(idx.AsSpan(16).ToArray(), pixels);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(5000)]
        public void Zero_padding_after_the_last_member_is_ignored_as_gzip_ignores_it(int zeros)
        {
            byte[] idx = ImagesIdx();
            byte[] file = [.. IdxTestFiles.Gzip(idx.AsSpan(0, 500).ToArray()), .. IdxTestFiles.Gzip(idx.AsSpan(500).ToArray()), .. new byte[zeros]];

            (byte[] pixels, _, _, _) = IdxReader.ReadImages(WriteBytes("padded.gz", file));

            Assert.Equal(idx.AsSpan(16).ToArray(), pixels);
        }

        [Fact]
        public void A_damaged_first_member_of_two_is_named()
        {
            byte[] idx = ImagesIdx();
            byte[] first = GzipByHand(idx.AsSpan(0, 1000).ToArray(), CompressionLevel.NoCompression);
            first[first.Length - 8 - 50] ^= 0x10; // a stored byte: only the CRC can tell
            byte[] file = [.. first, .. IdxTestFiles.Gzip(idx.AsSpan(1000).ToArray())];

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(WriteBytes("damaged1.gz", file)));

            Assert.Contains("gzip member 1", e.Message); // no trailer after it holds the CRC-32 of the data read
            Assert.Contains("damaged", e.Message);
        }

        [Fact]
        public void Damaged_deflate_codes_are_reported_as_damage_not_as_an_unsupported_method()
        {
            byte[] file = IdxTestFiles.Gzip(ImagesIdx());
            // A final block of reserved type 3 in the first deflate byte: an invalid code whatever follows.
            file[10] |= 0b110;

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(WriteBytes("codes.gz", file)));

            Assert.Contains("the compressed data is damaged", e.Message);
            Assert.DoesNotContain("unsupported", e.Message, StringComparison.OrdinalIgnoreCase);
        }

        [Fact]
        public void An_unknown_compression_method_is_named_as_such()
        {
            byte[] file = IdxTestFiles.Gzip(ImagesIdx());
            file[2] = 7;

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(WriteBytes("method.gz", file)));

            Assert.Contains("compression method 7", e.Message);
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void A_file_that_shrinks_while_read_is_an_error_never_stale_memory(bool gzip)
        {
            byte[] idx = ImagesIdx();
            byte[] bytes = gzip ? IdxTestFiles.Gzip(idx) : idx;
            // The file had this length when opened, then lost its last 500 bytes.
            using var shrunk = new MemoryStream(bytes.AsSpan(0, bytes.Length - 500).ToArray());
            int[] dims = new int[3];

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(shrunk, bytes.Length, "shrinking", dims, "images"));

            Assert.Contains(gzip ? "truncated" : "became shorter while it was read", e.Message);
        }

        [Fact]
        public void A_raw_file_that_grows_while_read_is_an_error()
        {
            byte[] idx = ImagesIdx();
            using var grown = new MemoryStream([.. idx, 1, 2, 3]);
            int[] dims = new int[3];

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(grown, idx.Length, "growing", dims, "images"));

            Assert.Contains("grew while it was read", e.Message);
        }

        /// <summary>A gzip images file of <paramref name="count"/> black images (zeros deflate about 1000:1).</summary>
        private static byte[] ZeroImagesGzip(int count, int rows = 28, int cols = 28) =>
            IdxTestFiles.Gzip(IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { count, rows, cols }, new byte[count * rows * cols]));

        [Fact]
        public void A_pair_whose_headers_disagree_on_the_count_is_refused_before_the_images_are_inflated()
        {
            // 120,000 images of 28x28: 94 MB inflated from about 90 KB; the labels header says 119,999.
            string images = WriteBytes("images.gz", ZeroImagesGzip(120_000));
            string labels = WriteBytes("labels.gz", IdxTestFiles.Gzip(IdxTestFiles.Idx(IdxTestFiles.LabelsMagic, new[] { 119_999 }, new byte[119_999])));

            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(images, labels));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal($"{images} holds 120000 images but {labels} holds 119999 labels; the two files must have one label per image.", e.Message);
            Assert.True(allocated < 4_000_000, $"allocated {allocated:N0} bytes before refusing what the headers show");
        }

        [Theory]
        [InlineData("count")]
        [InlineData("size")]
        [InlineData("splits")]
        public void A_directory_whose_headers_disagree_is_refused_before_any_body_is_inflated(string problem)
        {
            string directory = _temp.Subdirectory(problem);
            IdxTestFiles.WriteDataset(directory);
            int rows = problem == "size" ? 29 : 28, labelCount = problem == "count" ? 119_999 : 120_000;
            int cols = problem == "splits" ? 27 : rows;
            WriteBytes(Path.Combine(problem, "t10k-images-idx3-ubyte.gz"), ZeroImagesGzip(120_000, rows, cols));
            WriteBytes(Path.Combine(problem, "t10k-labels-idx1-ubyte.gz"),
                IdxTestFiles.Gzip(IdxTestFiles.Idx(IdxTestFiles.LabelsMagic, new[] { labelCount }, new byte[labelCount])));
            var rules = problem == "size"
                ? new IdxReader.DirectoryRules(28, 10, "Fashion-MNIST", null)
                : IdxReader.DirectoryRules.For(null);

            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadDirectory(directory, rules));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Contains(problem switch
            {
                "count" => "holds 120000 images but",
                "size" => "holds 29x29 images; Fashion-MNIST images are 28x28",
                _ => "the training images are 28x28 but the test images are 28x27",
            }, e.Message);
            Assert.True(allocated < 4_000_000, $"allocated {allocated:N0} bytes before refusing what the headers show");
        }

        [Fact]
        public void A_small_gzip_declaring_two_billion_labels_allocates_what_it_holds_not_what_it_declares()
        {
            // 2.2 MB of incompressible data: the compressed size alone (times deflate's best ratio) would allow 2 GB.
            const int Declared = int.MaxValue - 56;
            byte[] data = new byte[2_200_000];
            new Random(13).NextBytes(data);
            byte[] idx = IdxTestFiles.Idx(IdxTestFiles.LabelsMagic, new[] { Declared }, data);
            string path = WriteBytes("bomb.gz", IdxTestFiles.Gzip(idx));
            Assert.True(new FileInfo(path).Length * 1032 > Declared, "the compressed size must not rule the header out by itself");

            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Contains("truncated", e.Message);
            Assert.Contains($"found {8 + data.Length}", e.Message);
            Assert.True(allocated < 40_000_000, $"allocated {allocated:N0} bytes for a {data.Length:N0}-byte payload");
        }

        [Fact]
        public void A_raw_file_declaring_two_billion_labels_is_rejected_by_its_length_before_allocating()
        {
            byte[] idx = IdxTestFiles.Idx(IdxTestFiles.LabelsMagic, new[] { int.MaxValue - 56 }, new byte[1000]);
            string path = WriteBytes("bomb", idx);

            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Contains("truncated", e.Message);
            Assert.True(allocated < 1_000_000, $"allocated {allocated:N0} bytes");
        }

        [Theory]
        [InlineData(5, 0, 28, "5 images of 0x28")]
        [InlineData(5, 28, 0, "5 images of 28x0")]
        [InlineData(int.MaxValue, 2, 0, "2147483647 images of 2x0")]
        public void A_zero_image_dimension_is_reported_without_contradiction(int count, int rows, int cols, string shape)
        {
            byte[] idx = IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { count, rows, cols }, Array.Empty<byte>());
            string path = WriteBytes("zero", idx);

            var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

            Assert.Contains(shape, e.Message);
            Assert.Contains("at least one row and one column", e.Message);
            Assert.DoesNotContain("more than a .NET array", e.Message);
        }

        [Fact]
        public void A_count_of_zero_is_a_valid_empty_file()
        {
            string path = WriteBytes("empty", IdxTestFiles.Idx(IdxTestFiles.LabelsMagic, new[] { 0 }, Array.Empty<byte>()));

            Assert.Empty(IdxReader.ReadLabels(path));
        }

        /// <summary>Runs a reader on another thread; a reader that blocks fails the test instead of hanging it.</summary>
        private static Exception ThrowsWithoutBlocking(Action read)
        {
            Task<Exception?> task = Task.Run(() =>
            {
                try
                {
                    read();
                    return null;
                }
                catch (Exception e)
                {
                    return e;
                }
            });
            Assert.True(task.Wait(TimeSpan.FromSeconds(30)), "the reader blocked on a special file");
            return Assert.IsAssignableFrom<Exception>(task.Result);
        }

        [SkippableFact]
        public void A_fifo_is_refused_without_opening_it_by_every_reader()
        {
            Skip.If(OperatingSystem.IsWindows(), "FIFOs are a Unix thing");
            string fifo = _temp.File("train-labels-idx1-ubyte");
            Programs.Run("mkfifo", fifo);

            foreach (Action read in new Action[]
            {
                () => IdxReader.ReadLabels(fifo),
                () => CsvReader.Read(fifo),
                () => NpyReader.Read(fifo, fifo),
            })
            {
                Exception e = ThrowsWithoutBlocking(read);
                Assert.IsType<IOException>(e);
                Assert.Contains(fifo, e.Message);
                Assert.Contains("a FIFO (named pipe), not a regular file", e.Message);
            }
        }

        [SkippableFact]
        public void A_character_device_is_refused()
        {
            Skip.If(OperatingSystem.IsWindows(), "device nodes are a Unix thing");
            string device = _temp.File("zero-device");
            (int exit, string error) = Programs.TryRun("mknod", device, "c", "1", "5"); // a twin of /dev/zero
            Skip.If(exit != 0, $"mknod is not permitted here ({error.Trim()}): creating a device node needs root");

            Exception e = ThrowsWithoutBlocking(() => IdxReader.ReadImages(device));

            Assert.IsType<IOException>(e);
            Assert.Contains("a character device, not a regular file", e.Message);
        }

        [Fact]
        public void A_directory_is_refused_with_its_kind()
        {
            string directory = _temp.Subdirectory("images");

            var e = Assert.Throws<IOException>(() => IdxReader.ReadImages(directory));

            Assert.Contains("is a directory, not a regular file", e.Message);
        }

        [SkippableFact]
        public void A_file_this_user_may_not_read_is_an_IOException_saying_so()
        {
            Skip.If(OperatingSystem.IsWindows(), "Unix permissions");
            string path = IdxTestFiles.WriteLabels(_temp.File("secret"), IdxTestFiles.Labels(3), gzip: false);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.None);
            }

            Skip.If(Environment.UserName == "root" || CanOpen(path), "this user reads files whatever their permissions (root)");

            var e = Assert.Throws<IOException>(() => IdxReader.ReadLabels(path));

            Assert.Contains($"{path} cannot be read: permission denied", e.Message);
        }

        private static bool CanOpen(string path)
        {
            try
            {
                File.OpenRead(path).Dispose();
                return true;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        }

        [SkippableFact]
        public void A_dangling_symlink_is_a_missing_file_that_says_where_it_points()
        {
            Skip.If(OperatingSystem.IsWindows(), "creating symlinks needs privileges on Windows");
            string link = _temp.File("labels");
            File.CreateSymbolicLink(link, _temp.File("nowhere"));

            var e = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadLabels(link));

            Assert.Contains("leads nowhere", e.Message);
        }

        [SkippableFact]
        public void A_symlink_to_a_valid_file_is_followed()
        {
            Skip.If(OperatingSystem.IsWindows(), "creating symlinks needs privileges on Windows");
            byte[] labels = IdxTestFiles.Labels(7);
            string target = IdxTestFiles.WriteLabels(_temp.File("real"), labels, gzip: true);
            string link = _temp.File("link");
            File.CreateSymbolicLink(link, target);

            Assert.Equal(labels, IdxReader.ReadLabels(link));
        }

        [Fact]
        public void Every_single_bit_flip_of_a_gzip_file_is_rejected_unless_gzip_leaves_that_bit_unprotected()
        {
            // Small, so every one of its bits can be tried: 3 images of 4x5 with some repetition for deflate to find.
            byte[] idx = IdxTestFiles.Idx(IdxTestFiles.ImagesMagic, new[] { 3, 4, 5 }, [.. IdxTestFiles.Pixels(1, 4, 5), .. new byte[40]]);
            byte[] file = IdxTestFiles.Gzip(idx);
            string path = _temp.File("flipped.gz");
            int lastDeflateByte = file.Length - 9;
            int rejected = 0;
            for (int offset = 0; offset < file.Length; offset++)
            {
                for (int bit = 0; bit < 8; bit++)
                {
                    byte[] flipped = (byte[])file.Clone();
                    flipped[offset] ^= (byte)(1 << bit);
                    File.WriteAllBytes(path, flipped);
                    try
                    {
                        (byte[] pixels, int count, _, _) = IdxReader.ReadImages(path);
                        // Unprotected: the text flag (FLG bit 0), time stamp, extra flags, OS byte, and padding bits after
                        // the final deflate block. What loads must be the original data.
                        bool unprotected = (offset == 3 && bit == 0) || offset is >= 4 and <= 9 || offset == lastDeflateByte;
                        Assert.True(unprotected, $"a flip of bit {bit} at offset {offset} of {file.Length} loaded");
                        Assert.Equal(3, count);
                        Assert.Equal(idx.AsSpan(16).ToArray(), pixels);
                    }
                    catch (InvalidDataException e)
                    {
                        Assert.Contains(path, e.Message);
                        rejected++;
                    }
                }
            }

            Assert.True(rejected >= 8 * (file.Length - 8), $"only {rejected} of {8 * file.Length} flips were rejected");
        }

        [Fact]
        public void Real_fashion_mnist_gzip_files_verify_if_installed()
        {
            string path = Path.Combine(FashionMnist.DefaultDirectory, "t10k-labels-idx1-ubyte.gz");
            if (!File.Exists(path))
            {
                return; // nothing to check on this machine; the synthetic files above cover the logic
            }

            byte[] labels = IdxReader.ReadLabels(path);

            Assert.Equal(10_000, labels.Length);
            Assert.All(labels, l => Assert.InRange(l, (byte)0, (byte)9));
        }
    }
}
