using System.IO;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>A stray label does not silently make a model of more classes: the training data's gaps are named, a test label past them is an error.</summary>
    public sealed class LabelRangeTests
    {
        [Fact]
        public void A_stray_training_label_warns_about_the_classes_it_leaves_empty()
        {
            using var dir = new TempDir();
            Directory.CreateDirectory(dir["idx"]);
            TestData.WriteIdxDirectory(dir["idx"], 8, 6, 3, gzip: false);
            (_, byte[] labels) = TestData.Images(600, 8, 6, 3, 1);
            labels[17] = 255; // one stray label: classes 3..254 have no rows
            TestData.WriteIdx(dir["idx/train-labels-idx1-ubyte"], labels, [labels.Length], gzip: false);

            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "idx", "--epochs", "1", "--solver", "sgd");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("Model 48x256", run.Output);
            Assert.Contains("warning: Classes 3..254 (252 of the model's 256) have no training rows", run.Error);
        }

        [Fact]
        public void A_test_label_past_the_training_classes_is_an_error_naming_the_row()
        {
            using var dir = new TempDir();
            Directory.CreateDirectory(dir["idx"]);
            TestData.WriteIdxDirectory(dir["idx"], 8, 6, 3, gzip: false);
            (_, byte[] labels) = TestData.Images(200, 8, 6, 3, 2);
            labels[41] = 200;
            TestData.WriteIdx(dir["idx/t10k-labels-idx1-ubyte"], labels, [labels.Length], gzip: false);

            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "idx", "--epochs", "1");
            Assert.Equal(2, run.ExitCode);
            Assert.Equal(
                "error: the test data's row 42 has label 200, but the training data's classes are 0..2: a model cannot predict a class " +
                "it never saw. Check the test labels, or train on data that has that class.",
                run.Error.TrimEnd());
            Assert.DoesNotContain("epoch", run.Output);
        }
    }
}
