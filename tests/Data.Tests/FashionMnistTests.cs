using System;
using System.IO;
using System.Linq;
using GenSoftmax.Data;
using Xunit;

namespace GenSoftmax.Data.Tests
{
    public sealed class FashionMnistTests : IDisposable
    {
        private readonly TempDirectory _temp = new TempDirectory();

        public void Dispose() => _temp.Dispose();

        private static int[] Ints(byte[] labels) => labels.Select(b => (int)b).ToArray();

        [Fact]
        public void ClassNames_AreTheTenClassesInLabelOrder()
        {
            Assert.Equal(
                new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
                FashionMnist.ClassNames);
            Assert.Equal(FashionMnist.ClassCount, FashionMnist.ClassNames.Count);
        }

        [Fact]
        public void Constants_AreTheDocumentedOnes()
        {
            Assert.Equal("GENSOFTMAX_FASHION_MNIST", FashionMnist.EnvironmentVariable);
            Assert.Equal("/usr/share/datasets/fashion-mnist", FashionMnist.DefaultDirectory);
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void Load_RoundTripsBothSplits(bool gzip)
        {
            var written = IdxTestFiles.WriteDataset(_temp.Path, gzip);

            (LabeledData train, LabeledData test) = FashionMnist.Load(_temp.Path);

            Assert.Equal(5, train.Count);
            Assert.Equal(3, test.Count);
            Assert.Equal(784, train.Inputs);
            Assert.Equal(28, test.ImageHeight);
            Assert.Equal(28, test.ImageWidth);
            Assert.Equal(28, train.ImageHeight);
            Assert.Equal(28, train.ImageWidth);
            Assert.True(train.IsPixels);
            Assert.True(test.IsPixels);
            Assert.Equal(written.TrainPixels, train.Pixels);
            Assert.Equal(Ints(written.TrainLabels), train.Labels);
            Assert.Equal(written.TestPixels, test.Pixels);
            Assert.Equal(Ints(written.TestLabels), test.Labels);
        }

        [Fact]
        public void Load_AcceptsAMixOfCompressedAndRawFiles()
        {
            byte[] trainPixels = IdxTestFiles.Pixels(5, 28, 28);
            byte[] trainLabels = IdxTestFiles.Labels(5);
            IdxTestFiles.WriteSplit(_temp.Path, "train", trainPixels, trainLabels, gzip: true);
            IdxTestFiles.WriteSplit(_temp.Path, "t10k", IdxTestFiles.Pixels(2, 28, 28), IdxTestFiles.Labels(2), gzip: false);

            (LabeledData train, LabeledData test) = FashionMnist.Load(_temp.Path);

            Assert.Equal(trainPixels, train.Pixels);
            Assert.Equal(2, test.Count);
        }

        [Fact]
        public void Load_PrefersTheGzipFileWhenBothExist()
        {
            var compressed = IdxTestFiles.WriteDataset(_temp.Path, gzip: true, seed: 1);
            IdxTestFiles.WriteDataset(_temp.Path, gzip: false, seed: 50);

            (LabeledData train, LabeledData test) = FashionMnist.Load(_temp.Path);

            Assert.Equal(compressed.TrainPixels, train.Pixels);
            Assert.Equal(compressed.TestPixels, test.Pixels);
        }

        [Fact]
        public void Load_RejectsImageAndLabelCountMismatch()
        {
            IdxTestFiles.WriteDataset(_temp.Path);
            IdxTestFiles.WriteLabels(_temp.File("t10k-labels-idx1-ubyte.gz"), IdxTestFiles.Labels(4), gzip: true);

            AssertLoadFails("3 images", "4 labels", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
        }

        [Fact]
        public void Load_RejectsLabelOutOfRange()
        {
            IdxTestFiles.WriteDataset(_temp.Path);
            IdxTestFiles.WriteLabels(_temp.File("train-labels-idx1-ubyte.gz"), new byte[] { 0, 9, 10, 1, 2 }, gzip: true);

            AssertLoadFails("train-labels-idx1-ubyte.gz", "label 2 is 10", "0..9");
        }

        [Fact]
        public void Load_RejectsImagesThatAreNot28x28()
        {
            IdxTestFiles.WriteDataset(_temp.Path);
            IdxTestFiles.WriteImages(_temp.File("train-images-idx3-ubyte.gz"), IdxTestFiles.Pixels(5, 28, 27), 5, 28, 27, gzip: true);

            AssertLoadFails("train-images-idx3-ubyte.gz", "28x27", "28x28");
        }

        [Fact]
        public void Load_ReportsCorruptFiles()
        {
            IdxTestFiles.WriteDataset(_temp.Path);
            File.WriteAllBytes(_temp.File("t10k-images-idx3-ubyte.gz"), new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });

            AssertLoadFails("t10k-images-idx3-ubyte.gz");
        }

        [Fact]
        public void Locate_ExplicitDirectoryWinsOverEnvironmentAndDefault()
        {
            string chosen = _temp.Subdirectory("explicit");
            string environment = _temp.Subdirectory("env");
            string fallback = _temp.Subdirectory("default");
            IdxTestFiles.WriteDataset(chosen);
            IdxTestFiles.WriteDataset(environment);
            IdxTestFiles.WriteDataset(fallback);

            Assert.Equal(chosen, FashionMnist.Locate(chosen, environment, fallback));
        }

        [Fact]
        public void Locate_EnvironmentWinsOverDefault()
        {
            string environment = _temp.Subdirectory("env");
            string fallback = _temp.Subdirectory("default");
            IdxTestFiles.WriteDataset(environment);
            IdxTestFiles.WriteDataset(fallback);

            Assert.Equal(environment, FashionMnist.Locate(null, environment, fallback));
        }

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("   ")]
        public void Locate_UsesDefaultWhenEnvironmentIsUnset(string? environmentValue)
        {
            string fallback = _temp.Subdirectory("default");
            IdxTestFiles.WriteDataset(fallback, gzip: false);

            Assert.Equal(fallback, FashionMnist.Locate(null, environmentValue, fallback));
        }

        [Fact]
        public void Locate_AnEnvironmentDirectoryLackingTheDataIsAnErrorNotAFallback()
        {
            // GENSOFTMAX_FASHION_MNIST=/nonexistent trained silently on the system's copy.
            string fallback = _temp.Subdirectory("default");
            IdxTestFiles.WriteDataset(fallback);
            string missing = _temp.File("missing");

            var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Locate(null, missing, fallback));
            Assert.StartsWith("Fashion-MNIST was not found in the directory GENSOFTMAX_FASHION_MNIST names", e.Message);
            Assert.Contains(missing + " (from GENSOFTMAX_FASHION_MNIST): does not exist", e.Message);
            Assert.Equal(new[] { missing }, e.TriedDirectories);
            Assert.Contains("unset it to use", e.Message);
        }

        [Fact]
        public void Locate_ReturnsAFullPath()
        {
            string data = _temp.Subdirectory("data");
            IdxTestFiles.WriteDataset(data);
            string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), data);

            Assert.Equal(data, FashionMnist.Locate(relative, null, _temp.File("none")));
        }

        [Fact]
        public void Locate_NothingFound_NamesWhatWasTriedAndAllThreeWaysToProvideTheData()
        {
            string fallback = _temp.File("default-missing");

            var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Locate(null, null, fallback));

            Assert.IsAssignableFrom<FileNotFoundException>(e);
            Assert.Equal(new[] { fallback }, e.TriedDirectories);
            Assert.Contains(fallback + " (default): does not exist", e.Message);
            AssertNamesAllThreeWays(e.Message);
        }

        [Fact]
        public void Locate_ExplicitDirectoryIsTheOnlyOneTried()
        {
            string chosen = _temp.Subdirectory("explicit");
            string environment = _temp.Subdirectory("env");
            string fallback = _temp.Subdirectory("default");
            IdxTestFiles.WriteDataset(environment);
            IdxTestFiles.WriteDataset(fallback);

            var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Locate(chosen, environment, fallback));

            Assert.Equal(new[] { chosen }, e.TriedDirectories);
            Assert.Contains(chosen + " (given explicitly): exists but holds none of the four files", e.Message);
            Assert.DoesNotContain(environment, e.Message);
            Assert.Contains("only one tried", e.Message);
            AssertNamesAllThreeWays(e.Message);
        }

        [Fact]
        public void Locate_ExplicitDirectoryThatDoesNotExist_SaysSo()
        {
            string chosen = _temp.File("no-such-dir");

            var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Locate(chosen, null, FashionMnist.DefaultDirectory));

            Assert.Contains(chosen + " (given explicitly): does not exist", e.Message);
            AssertNamesAllThreeWays(e.Message);
        }

        [Fact]
        public void Locate_PartialDirectory_NamesTheMissingFiles()
        {
            string partial = _temp.Subdirectory("partial");
            IdxTestFiles.WriteSplit(partial, "train", IdxTestFiles.Pixels(1, 28, 28), IdxTestFiles.Labels(1), gzip: true);

            var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Locate(null, partial, _temp.File("none")));

            Assert.Contains(
                partial + " (from GENSOFTMAX_FASHION_MNIST): exists but is missing 2 of the four files: " +
                "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]",
                e.Message);
            Assert.Equal(Path.Combine(partial, "t10k-images-idx3-ubyte"), e.FileName);
            AssertNamesAllThreeWays(e.Message);
        }

        [Fact]
        public void Locate_FileInsteadOfDirectory_SaysSo()
        {
            string file = IdxTestFiles.Write(_temp.File("a-file"), new byte[1], gzip: false);

            var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Locate(file, null, FashionMnist.DefaultDirectory));

            Assert.Contains("is a file, not a directory", e.Message);
        }

        [Fact]
        public void Locate_EmptyExplicitDirectory_IsReported()
        {
            var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Locate("", null, FashionMnist.DefaultDirectory));

            Assert.Contains("empty", e.Message);
            AssertNamesAllThreeWays(e.Message);
        }

        [Fact]
        public void PublicLocateAndLoad_WithExplicitDirectory_UseOnlyThatDirectory()
        {
            var written = IdxTestFiles.WriteDataset(_temp.Path);

            Assert.Equal(_temp.Path, FashionMnist.Locate(_temp.Path));
            Assert.Equal(written.TrainPixels, FashionMnist.Load(_temp.Path).Train.Pixels);

            string empty = _temp.Subdirectory("empty");
            var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Load(empty));
            Assert.Equal(new[] { empty }, e.TriedDirectories);
        }

        [Fact]
        public void InternalLoad_UsesTheSearch()
        {
            string environment = _temp.Subdirectory("env");
            var written = IdxTestFiles.WriteDataset(environment);

            (LabeledData train, _) = FashionMnist.Load(null, environment, _temp.File("none"));

            Assert.Equal(written.TrainPixels, train.Pixels);
        }

        private static void AssertNamesAllThreeWays(string message)
        {
            // The library names its own way to pass a directory, not a particular application's command-line option.
            Assert.Contains("pass the directory explicitly (FashionMnist.Load(directory)", message);
            Assert.Contains("GENSOFTMAX_FASHION_MNIST=DIR", message);
            Assert.Contains("sudo apt-get install dataset-fashion-mnist", message);
            Assert.Contains("/usr/share/datasets/fashion-mnist", message);
            foreach (string name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
            {
                Assert.Contains(name, message);
            }
        }

        /// <summary>Loading the temporary directory fails with one error that says every part of <paramref name="expected"/>.</summary>
        private void AssertLoadFails(params string[] expected)
        {
            var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_temp.Path));
            foreach (string part in expected)
            {
                Assert.Contains(part, e.Message);
            }
        }
    }
}
