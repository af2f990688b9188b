using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using GenSoftmax.Persistence;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>Every command on small IDX, CSV and .npy files the tests write: shapes other than 784x10 train the run-time-shaped model.</summary>
    public sealed class SmallDataTests
    {
        private static double Reported(string output, string pattern) =>
            double.Parse(Regex.Match(output, pattern).Groups[1].Value, CultureInfo.InvariantCulture);

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void Idx_directory_of_8x6_images_in_3_classes(bool gzip)
        {
            using var dir = new TempDir();
            Directory.CreateDirectory(dir["idx"]);
            TestData.WriteIdxDirectory(dir["idx"], 8, 6, 3, gzip);
            AppRun train = AppProcess.Run(dir.Path, "train", "--data", "idx", "--epochs", "5", "--batch", "32", "--save", "m.gsm", "--plot", "c.png", "--report", "r.json", "--threads", "1");
            Assert.True(train.ExitCode == 0, train.ToString());
            Assert.Contains("600 training rows, 200 test rows, 48 inputs, 3 classes", train.Output);
            Assert.Contains("Model 48x3 (run-time-shaped)", train.Output);
            double accuracy = Reported(train.Output, @"test accuracy (\d\.\d{4})");
            Assert.True(accuracy > 0.9, train.ToString());

            (int w, int h) = TestData.PngSize(dir["c.png"]);
            Assert.True(w > 100 && h > 100, $"{w}x{h}");
            ModelFileInfo info = ModelFile.ReadInfo(dir["m.gsm"]);
            Assert.Equal((48, 3, (System.Collections.Generic.IReadOnlyList<string>?)null), (info.Inputs, info.Classes, info.ClassNames));

            AppRun eval = AppProcess.Run(dir.Path, "eval", "m.gsm", "--data", "idx");
            Assert.True(eval.ExitCode == 0, eval.ToString());
            Assert.Equal(accuracy, Reported(eval.Output, @"Accuracy (\d\.\d{4})"));

            AppRun predict = AppProcess.Run(dir.Path, "predict", "m.gsm", "--data", "idx", "-n", "2");
            Assert.True(predict.ExitCode == 0, predict.ToString());
            Assert.Equal(2, Regex.Matches(predict.Output, "true: ").Count);

            AppRun show = AppProcess.Run(dir.Path, "show", "--data", "idx", "--out", "grid.png", "--count", "6", "--columns", "3");
            Assert.True(show.ExitCode == 0, show.ToString());
            TestData.PngSize(dir["grid.png"]);

            // 8 x 6 images make 48 inputs, not a square: the weights cannot be drawn as pictures, and nothing is written.
            AppRun weights = AppProcess.Run(dir.Path, "show", "--weights", "m.gsm", "--out", "w.png");
            Assert.Equal(2, weights.ExitCode);
            Assert.Contains("the model has 48 inputs, which is not a square image", weights.Error);
            Assert.False(File.Exists(dir["w.png"]));
        }

        [Fact]
        public void Csv_with_string_labels_by_column_name_a_test_file_and_a_validation_split()
        {
            using var dir = new TempDir();
            string[] classes = ["cat", "dog", "owl", "yak"];
            TestData.WriteCsv(dir["train.csv"], 400, 12, classes, seed: 1, labelFirst: true);
            string[] testLabels = TestData.WriteCsv(dir["test.csv"], 100, 12, classes, seed: 2, labelFirst: true);
            AppRun train = AppProcess.Run(dir.Path, "train", "--data", "train.csv", "--label-column", "label", "--test", "test.csv",
                "--validation", "0.25", "--epochs", "8", "--batch", "16", "--save", "m.gsm", "--report", "r.json", "--momentum", "0.5", "--weight-decay", "0.0001");
            Assert.True(train.ExitCode == 0, train.ToString());
            Assert.Contains("300 training rows, 100 validation rows, 100 test rows, 12 inputs, 4 classes", train.Output);
            Assert.Contains("epoch  train loss  train acc   val acc  seconds", train.Output);
            Assert.Contains("momentum 0.5, weight decay 0.0001", train.Output);
            double test = Reported(train.Output, @"test accuracy (\d\.\d{4})");
            Assert.True(test > 0.9, train.ToString());
            Assert.True(Reported(train.Output, @"validation accuracy (\d\.\d{4})") > 0.9, train.ToString());
            Assert.Equal(classes, ModelFile.ReadInfo(dir["m.gsm"]).ClassNames);

            AppRun eval = AppProcess.Run(dir.Path, "eval", "m.gsm", "--data", "test.csv", "--label-column", "label");
            Assert.True(eval.ExitCode == 0, eval.ToString());
            Assert.Equal(test, Reported(eval.Output, @"Accuracy (\d\.\d{4})"));
            Assert.Matches(new Regex(@"^yak\s+\d+\s+\d+\s+\d\.\d{4}$", RegexOptions.Multiline), eval.Output);

            // Not images: predictions as CSV, one row per input row, with the class names.
            AppRun predict = AppProcess.Run(dir.Path, "predict", "m.gsm", "--data", "test.csv", "--label-column", "0");
            Assert.True(predict.ExitCode == 0, predict.ToString());
            string[] lines = predict.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("row,label,predicted,p_cat,p_dog,p_owl,p_yak", lines[0]);
            Assert.Equal(101, lines.Length);
            for (int i = 0; i < 100; i++)
            {
                string[] f = lines[i + 1].Split(',');
                Assert.Equal(i.ToString(CultureInfo.InvariantCulture), f[0]);
                Assert.Equal(testLabels[i], f[1]);
                Assert.Equal(1.0, f.Skip(3).Sum(p => double.Parse(p, CultureInfo.InvariantCulture)), 4);
            }
        }

        [Fact]
        public void Npy_features_and_labels()
        {
            using var dir = new TempDir();
            TestData.WriteNpy(dir["x.npy"], dir["x.labels.npy"], 300, 20, 5, seed: 3);
            TestData.WriteNpy(dir["t.npy"], dir["t.labels.npy"], 100, 20, 5, seed: 4);
            AppRun train = AppProcess.Run(dir.Path, "train", "--data", "x.npy", "--test", "t.npy", "--epochs", "10", "--batch", "20", "--save", "m.gsm", "--input", "float32");
            Assert.True(train.ExitCode == 0, train.ToString());
            Assert.Contains("300 training rows, 100 test rows, 20 inputs, 5 classes", train.Output);
            double test = Reported(train.Output, @"test accuracy (\d\.\d{4})");
            Assert.True(test > 0.8, train.ToString());

            AppRun eval = AppProcess.Run(dir.Path, "eval", "m.gsm", "--data", "t.npy", "--labels", "t.labels.npy");
            Assert.True(eval.ExitCode == 0, eval.ToString());
            Assert.Equal(test, Reported(eval.Output, @"Accuracy (\d\.\d{4})"));

            AppRun predict = AppProcess.Run(dir.Path, "predict", "m.gsm", "--data", "t.npy", "--wrong");
            Assert.True(predict.ExitCode == 0, predict.ToString());
            string[] lines = predict.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("row,label,predicted,p_0,p_1,p_2,p_3,p_4", lines[0]);
            Assert.Equal((int)Math.Round((1 - test) * 100), lines.Length - 1);
            Assert.All(lines.Skip(1), l => Assert.NotEqual(l.Split(',')[1], l.Split(',')[2]));
        }

        [Fact]
        public void Predict_writes_class_names_with_commas_and_quotes_as_valid_csv()
        {
            // The header had 8 fields over 7 data fields for a name with a comma: p_ was put before the opening quote.
            using var dir = new TempDir();
            string[] classes = ["plain", "with,comma", "with \"quote\""];
            var random = new Random(3);
            var csv = new System.Text.StringBuilder("a,b,c,d,e,label\n");
            for (int i = 0; i < 90; i++)
            {
                int y = i % 3;
                for (int k = 0; k < 5; k++)
                {
                    csv.Append(((k == y ? 2.0 : 0.0) + random.NextDouble()).ToString("F3", CultureInfo.InvariantCulture)).Append(',');
                }

                csv.Append('"').Append(classes[y].Replace("\"", "\"\"", StringComparison.Ordinal)).Append("\"\n");
            }

            File.WriteAllText(dir["train.csv"], csv.ToString());
            AppRun train = AppProcess.Run(dir.Path, "train", "--data", "train.csv", "--save", "m.gsm");
            Assert.True(train.ExitCode == 0, train.ToString());
            AppRun predict = AppProcess.Run(dir.Path, "predict", "m.gsm", "--data", "train.csv");
            Assert.True(predict.ExitCode == 0, predict.ToString());
            string[] lines = predict.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            // Class numbers follow the names' ordinal order: "with \"quote\"" (a space) before "with,comma".
            Assert.Equal("row,label,predicted,p_plain,\"p_with \"\"quote\"\"\",\"p_with,comma\"", lines[0].TrimEnd('\r'));
            Assert.Equal(91, lines.Length);
            Assert.All(lines.Skip(1), line => Assert.Equal(6, Regex.Matches(line, "(?:^|,)(\"(?:[^\"]|\"\")*\"|[^,]*)").Count));
        }

        [Fact]
        public void Class_names_with_control_characters_reach_the_terminal_escaped()
        {
            // An ESC or a line break in a label was printed raw by info and eval (a terminal would act on it).
            using var dir = new TempDir();
            string[] classes = ["calm", "esc\u001b[2Jhere", "two\rlines"];
            var random = new Random(5);
            var csv = new System.Text.StringBuilder("a,b,c,label\n");
            for (int i = 0; i < 60; i++)
            {
                int y = i % 3;
                for (int k = 0; k < 3; k++)
                {
                    csv.Append(((k == y ? 2.0 : 0.0) + random.NextDouble()).ToString("F3", CultureInfo.InvariantCulture)).Append(',');
                }

                csv.Append('"').Append(classes[y]).Append("\"\n");
            }

            File.WriteAllText(dir["d.csv"], csv.ToString());
            AppRun train = AppProcess.Run(dir.Path, "train", "--data", "d.csv", "--save", "m.gsm");
            Assert.True(train.ExitCode == 0, train.ToString());
            foreach (AppRun run in new[] { AppProcess.Run(dir.Path, "info", "m.gsm"), AppProcess.Run(dir.Path, "eval", "m.gsm", "--data", "d.csv") })
            {
                Assert.True(run.ExitCode == 0, run.ToString());
                Assert.DoesNotContain('\u001b', run.Output);
                Assert.DoesNotContain('\r', run.Output);
                Assert.Contains("esc\\e[2Jhere", run.Output);
                Assert.Contains("two\\rlines", run.Output);
            }
        }
    }
}
