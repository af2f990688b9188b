using System;
using System.IO;
using System.Linq;
using GenSoftmax.Data;
using Xunit;

namespace GenSoftmax.Data.Tests
{
    /// <summary>
    /// The rule for NAME.gz beside NAME: the first that is a regular file (following links) is used; a broken or looping
    /// link, a FIFO or a directory in place of NAME.gz never hides a valid NAME.
    /// </summary>
    public sealed class HostileDirectoryTests : IDisposable
    {
        private readonly TempDirectory _temp = new();

        public void Dispose() => _temp.Dispose();

        private const string Name = "train-images-idx3-ubyte";

        private (byte[] TrainPixels, byte[] TrainLabels, byte[] TestPixels, byte[] TestLabels) RawDataset() =>
            IdxTestFiles.WriteDataset(_temp.Path, gzip: false);

        [SkippableFact]
        public void A_dangling_gz_symlink_does_not_hide_the_raw_file_beside_it()
        {
            Skip.If(OperatingSystem.IsWindows(), "creating symlinks needs privileges on Windows");
            var data = RawDataset();
            File.CreateSymbolicLink(_temp.File(Name + ".gz"), _temp.File("deleted-long-ago.gz"));

            (LabeledData train, _) = FashionMnist.LoadFrom(FashionMnist.Locate(_temp.Path, null, "/nonexistent"));

            Assert.Equal(data.TrainPixels, train.Pixels);
        }

        [SkippableFact]
        public void A_looping_gz_symlink_does_not_hide_the_raw_file_beside_it()
        {
            Skip.If(OperatingSystem.IsWindows(), "creating symlinks needs privileges on Windows");
            var data = RawDataset();
            File.CreateSymbolicLink(_temp.File(Name + ".gz"), _temp.File(Name + ".gz"));

            (LabeledData train, _) = FashionMnist.LoadFrom(FashionMnist.Locate(_temp.Path, null, "/nonexistent"));

            Assert.Equal(data.TrainPixels, train.Pixels);
        }

        [SkippableFact]
        public void A_fifo_in_place_of_the_gz_file_does_not_hide_the_raw_file_or_block()
        {
            Skip.If(OperatingSystem.IsWindows(), "FIFOs are a Unix thing");
            var data = RawDataset();
            Programs.Run("mkfifo", _temp.File(Name + ".gz"));

            (LabeledData train, _) = FashionMnist.LoadFrom(FashionMnist.Locate(_temp.Path, null, "/nonexistent"));

            Assert.Equal(data.TrainPixels, train.Pixels);
        }

        [SkippableFact]
        public void When_only_unusable_entries_are_there_the_error_names_them()
        {
            Skip.If(OperatingSystem.IsWindows(), "creating symlinks needs privileges on Windows");
            RawDataset();
            File.Delete(_temp.File(Name));
            File.CreateSymbolicLink(_temp.File(Name + ".gz"), _temp.File("gone.gz"));
            Programs.Run("mkfifo", _temp.File(Name));

            var e = Assert.Throws<DatasetNotFoundException>(() => FashionMnist.Locate(_temp.Path, null, "/nonexistent"));

            Assert.Contains($"{Name}.gz is a symbolic link that leads nowhere", e.Message);
            Assert.Contains($"{Name} is a FIFO (named pipe)", e.Message);
            Assert.Equal(_temp.File(Name), e.FileName);
        }

        [SkippableFact]
        public void A_gz_symlink_to_a_valid_file_is_used()
        {
            Skip.If(OperatingSystem.IsWindows(), "creating symlinks needs privileges on Windows");
            RawDataset();
            string elsewhere = _temp.Subdirectory("elsewhere");
            byte[] pixels = IdxTestFiles.Pixels(5, 28, 28, seed: 99);
            string target = IdxTestFiles.WriteImages(Path.Combine(elsewhere, "images.gz"), pixels, 5, 28, 28, gzip: true);
            File.CreateSymbolicLink(_temp.File(Name + ".gz"), target);

            (LabeledData train, _) = FashionMnist.LoadFrom(FashionMnist.Locate(_temp.Path, null, "/nonexistent"));

            Assert.Equal(pixels, train.Pixels);
        }
    }
}
