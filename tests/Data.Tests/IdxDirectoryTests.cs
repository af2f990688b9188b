using System;
using System.IO;
using Xunit;

namespace GenSoftmax.Data.Tests
{
    /// <summary>IdxReader's pair and directory reads: <see cref="LabeledData"/> of any image size, Fashion-MNIST's file rules.</summary>
    public sealed class IdxDirectoryTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void Read_pairs_images_with_labels_as_LabeledData()
        {
            byte[] pixels = IdxTestFiles.Pixels(4, 5, 7);
            byte[] labels = { 2, 0, 1, 2 };
            string images = IdxTestFiles.WriteImages(_dir.File("i.idx"), pixels, 4, 5, 7, gzip: true);
            string labelsPath = IdxTestFiles.WriteLabels(_dir.File("l.idx"), labels, gzip: false);

            LabeledData data = IdxReader.Read(images, labelsPath, ["a", "b", "c"]);

            Assert.Equal(4, data.Count);
            Assert.Equal((5, 7), (data.ImageHeight, data.ImageWidth));
            Assert.Equal(pixels, data.Pixels);
            Assert.Equal(new[] { 2, 0, 1, 2 }, data.Labels);
            Assert.Equal(new[] { "a", "b", "c" }, data.ClassNames);
        }

        [Fact]
        public void Read_rejects_a_label_without_a_name_and_a_count_mismatch()
        {
            string images = IdxTestFiles.WriteImages(_dir.File("i.idx"), IdxTestFiles.Pixels(3, 2, 2), 3, 2, 2, gzip: false);
            string three = IdxTestFiles.WriteLabels(_dir.File("three.idx"), new byte[] { 0, 1, 2 }, gzip: false);
            string two = IdxTestFiles.WriteLabels(_dir.File("two.idx"), new byte[] { 0, 1 }, gzip: false);

            var unnamed = Assert.Throws<InvalidDataException>(() => IdxReader.Read(images, three, ["a", "b"]));
            Assert.Contains("label 2 is 2", unnamed.Message);
            var mismatch = Assert.Throws<InvalidDataException>(() => IdxReader.Read(images, two));
            Assert.Contains("one label per image", mismatch.Message);
        }

        [Fact]
        public void ReadDirectory_reads_images_of_any_size_and_any_byte_label()
        {
            IdxTestFiles.WriteSplit(_dir.Path, "train", IdxTestFiles.Pixels(6, 3, 4), new byte[] { 0, 200, 1, 2, 3, 4 }, gzip: true, 3, 4);
            IdxTestFiles.WriteSplit(_dir.Path, "t10k", IdxTestFiles.Pixels(2, 3, 4, seed: 5), new byte[] { 7, 255 }, gzip: false, 3, 4);

            (LabeledData train, LabeledData test) = IdxReader.ReadDirectory(_dir.Path);

            Assert.Equal((6, 3, 4), (train.Count, train.ImageHeight, train.ImageWidth));
            Assert.Equal((2, 3, 4), (test.Count, test.ImageHeight, test.ImageWidth));
            Assert.Equal(200, train.Labels[1]);
            Assert.Equal(255, test.Labels[1]);
            Assert.Null(train.ClassNames);
        }

        [Fact]
        public void ReadDirectory_reads_NAME_gz_before_NAME_as_FashionMnist_does()
        {
            IdxTestFiles.WriteSplit(_dir.Path, "train", IdxTestFiles.Pixels(2, 3, 3), new byte[] { 1, 1 }, gzip: true, 3, 3);
            IdxTestFiles.WriteSplit(_dir.Path, "train", IdxTestFiles.Pixels(5, 3, 3), new byte[] { 0, 0, 0, 0, 0 }, gzip: false, 3, 3);
            IdxTestFiles.WriteSplit(_dir.Path, "t10k", IdxTestFiles.Pixels(1, 3, 3), new byte[] { 0 }, gzip: false, 3, 3);

            (LabeledData train, _) = IdxReader.ReadDirectory(_dir.Path);

            Assert.Equal(new[] { 1, 1 }, train.Labels);
        }

        [Fact]
        public void ReadDirectory_passes_over_a_NAME_gz_that_is_not_a_regular_file()
        {
            IdxTestFiles.WriteSplit(_dir.Path, "train", IdxTestFiles.Pixels(2, 3, 3), new byte[] { 1, 0 }, gzip: false, 3, 3);
            IdxTestFiles.WriteSplit(_dir.Path, "t10k", IdxTestFiles.Pixels(1, 3, 3), new byte[] { 0 }, gzip: false, 3, 3);
            Directory.CreateDirectory(_dir.File("train-labels-idx1-ubyte.gz"));

            (LabeledData train, _) = IdxReader.ReadDirectory(_dir.Path);

            Assert.Equal(new[] { 1, 0 }, train.Labels);
        }

        [Fact]
        public void ReadDirectory_rejects_splits_of_two_image_sizes_and_names_a_missing_file()
        {
            IdxTestFiles.WriteSplit(_dir.Path, "train", IdxTestFiles.Pixels(2, 3, 3), new byte[] { 1, 0 }, gzip: false, 3, 3);
            var missing = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadDirectory(_dir.Path));
            Assert.Contains("t10k-images-idx3-ubyte[.gz]", missing.Message);

            IdxTestFiles.WriteSplit(_dir.Path, "t10k", IdxTestFiles.Pixels(1, 2, 2), new byte[] { 0 }, gzip: false, 2, 2);
            var sizes = Assert.Throws<InvalidDataException>(() => IdxReader.ReadDirectory(_dir.Path));
            Assert.Contains("the training images are 3x3 but the test images are 2x2", sizes.Message);
        }
    }
}
