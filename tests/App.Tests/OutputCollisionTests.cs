using System.IO;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>An output that names an input or another output is refused before any work, and nothing is overwritten.</summary>
    public sealed class OutputCollisionTests
    {
        [Theory]
        [InlineData("--save", "data.csv", "", "", "--save data.csv is the same file as --data data.csv")]
        [InlineData("--report", "data.csv", "", "", "--report data.csv is the same file as --data data.csv")]
        [InlineData("--save", "m.svg", "--plot", "m.svg", "--plot m.svg is the same file as --save")]
        [InlineData("--save", "x", "--report", "x", "--report x is the same file as --save")]
        [InlineData("--save", "sub/../data.csv", "", "", "is the same file as --data data.csv")]
        [InlineData("--save", "link.csv", "", "", "--save link.csv is the same file as --data data.csv")]
        [InlineData("--save", "test.csv", "", "", "--save test.csv is the same file as --test test.csv")]
        public void An_output_naming_an_input_or_another_output_is_refused_and_nothing_is_written(string a, string b, string c, string d, string message)
        {
            using var dir = new TempDir();
            Directory.CreateDirectory(dir["sub"]);
            TestData.WriteCsv(dir["data.csv"], 60, 4, ["a", "b"], seed: 1, labelFirst: false);
            TestData.WriteCsv(dir["test.csv"], 20, 4, ["a", "b"], seed: 2, labelFirst: false);
            File.CreateSymbolicLink(dir["link.csv"], dir["data.csv"]);
            byte[] before = File.ReadAllBytes(dir["data.csv"]);
            string[] args = c.Length == 0
                ? ["train", "--data", "data.csv", "--test", "test.csv", a, b]
                : ["train", "--data", "data.csv", "--test", "test.csv", a, b, c, d];
            AppRun run = AppProcess.Run(dir.Path, args);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains(message, run.Error);
            Assert.DoesNotContain("Data:", run.Output);
            Assert.Equal(before, File.ReadAllBytes(dir["data.csv"]));
        }

        [Fact]
        public void A_save_into_an_idx_directory_over_one_of_its_files_is_refused()
        {
            using var dir = new TempDir();
            Directory.CreateDirectory(dir["idx"]);
            TestData.WriteIdxDirectory(dir["idx"], 8, 6, 3, gzip: false);
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "idx", "--save", "idx/train-images-idx3-ubyte");
            Assert.Equal(2, run.ExitCode);
            Assert.Contains("is the same file as --data", run.Error);
        }

        [Fact]
        public void The_checkpoint_may_be_the_resumed_file()
        {
            using var dir = new TempDir();
            TestData.WriteCsv(dir["data.csv"], 60, 4, ["a", "b"], seed: 1, labelFirst: false);
            AppRun first = AppProcess.Run(dir.Path, "train", "--data", "data.csv", "--epochs", "1", "--batch", "16", "--save", "m.gsm");
            Assert.True(first.ExitCode == 0, first.ToString());
            AppRun resumed = AppProcess.Run(dir.Path, "train", "--data", "data.csv", "--resume", "m.gsm", "--checkpoint", "m.gsm", "--epochs", "2");
            Assert.True(resumed.ExitCode == 0, resumed.ToString());
        }
    }
}
