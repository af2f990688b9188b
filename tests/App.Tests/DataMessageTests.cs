using System.IO;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>The data readers' fixes are stated as the app's options (or as what to do to the file), never as library properties.</summary>
    public sealed class DataMessageTests
    {
        [Theory]
        [InlineData("1,2,0\n3,4,1\n", null, "pass --no-header")]
        [InlineData("a,b,label\n1,2,x\n3,4,y\n", "a,b,label\n1,2,z\n", "is not one of the 2 classes of the training data ('x', 'y')")]
        [InlineData("a\n1\n2\n", null, "save it with ',', ';' or tab as the separator")]
        [InlineData("a,b,label\n1,2,0\n3,4,7.5\n", null, "give --label-column NAME|INDEX")]
        public void Csv_errors_name_the_apps_options(string train, string? test, string expected)
        {
            using var dir = new TempDir();
            File.WriteAllText(dir["train.csv"], train);
            string[] args = ["train", "--data", "train.csv", "--epochs", "1"];
            if (test is not null)
            {
                File.WriteAllText(dir["test.csv"], test);
                args = [.. args, "--test", "test.csv"];
            }

            AppRun run = AppProcess.Run(dir.Path, args);
            Assert.Equal(1, run.ExitCode);
            Assert.Contains(expected, run.Error);
            Assert.DoesNotContain("CsvOptions", run.Error);
            Assert.DoesNotContain("LabelColumnName", run.Error);
            Assert.Single(run.Error.TrimEnd().Split('\n'));
        }
    }
}
