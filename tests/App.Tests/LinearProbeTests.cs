using System;
using System.Globalization;
using System.Linq;
using GenSoftmax.Persistence;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>
    /// Issue 9's end-to-end test: a linear probe on 384-dimensional embeddings with string labels, written as CSV by the
    /// test, trained and saved by one process, loaded and used for prediction by another.
    /// </summary>
    public sealed class LinearProbeTests
    {
        [Fact]
        public void Probe_on_384_dimensional_vectors_with_string_labels_saved_and_predicted_in_a_fresh_process()
        {
            using var dir = new TempDir();
            string[] topics = ["billing", "login problem", "shipping", "refund", "feature request", "bug report"];
            TestData.WriteCsv(dir["embeddings.csv"], 600, 384, topics, seed: 7);
            string[] truth = TestData.WriteCsv(dir["new.csv"], 120, 384, topics, seed: 8);

            AppRun train = AppProcess.Run(dir.Path, "train", "--data", "embeddings.csv", "--epochs", "10", "--batch", "32", "--save", "probe.gsm", "--quiet");
            Assert.True(train.ExitCode == 0, train.ToString());
            Assert.StartsWith("After 10 epochs: train loss", train.Output.Trim());
            Assert.DoesNotContain("epoch  train loss", train.Output); // --quiet
            ModelFileInfo info = ModelFile.ReadInfo(AppPath(dir, "probe.gsm"));
            Assert.Equal(384, info.Inputs);
            Assert.Equal(topics.OrderBy(t => t, StringComparer.Ordinal).ToArray(), info.ClassNames); // names sorted ordinally

            // A fresh process loads the probe (a run-time-shaped 384x6 model) and predicts the new rows.
            AppRun predict = AppProcess.Run(dir.Path, "predict", "probe.gsm", "--data", "new.csv");
            Assert.True(predict.ExitCode == 0, predict.ToString());
            string[] lines = predict.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(121, lines.Length);
            int correct = 0;
            for (int i = 0; i < truth.Length; i++)
            {
                string[] f = lines[i + 1].Split(',');
                Assert.Equal(truth[i], f[1]);
                correct += f[2] == truth[i] ? 1 : 0;
                double[] p = f.Skip(3).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                Assert.Equal(topics.Length, p.Length);
                Assert.Equal(1.0, p.Sum(), 4);
            }

            Assert.True(correct >= 114, $"{correct} of 120 correct");

            // The same model in this process, loaded from the file, predicts the same classes.
            RuntimeSoftmaxModel model = ModelFile.Load(AppPath(dir, "probe.gsm"), out ModelFileContents contents);
            GenSoftmax.LabeledData data = GenSoftmax.Data.CsvReader.Read(dir["new.csv"], new GenSoftmax.Data.CsvOptions { ClassNames = contents.ClassNames });
            int[] predictions = new int[data.Count];
            model.Predict(data.All(), predictions);
            for (int i = 0; i < data.Count; i++)
            {
                Assert.Equal(contents.ClassNames![predictions[i]], lines[i + 1].Split(',')[2]);
            }
        }

        private static string AppPath(TempDir dir, string name) => dir[name];
    }
}
