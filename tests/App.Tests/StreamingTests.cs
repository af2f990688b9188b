using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>Issue 23 in the app: convert, --memory-budget on train, eval and predict, and the data checks.</summary>
    public sealed class StreamingTests
    {
        [Fact]
        public void Csv_converted_then_trained_evaluated_and_predicted_streamed()
        {
            using var dir = new TempDir();
            string[] topics = ["billing", "shipping", "refund"];
            string[] truth = TestData.WriteCsv(dir["probe.csv"], 900, 24, topics, seed: 3);

            AppRun convert = AppProcess.Run(dir.Path, "convert", "probe.csv", "--output", "probe.npy");
            Assert.True(convert.ExitCode == 0, convert.ToString());
            Assert.Contains("Converted 900 rows of 24 features (float32), 3 class names", convert.Output);
            Assert.True(File.Exists(dir["probe.labels.npy"]) && File.Exists(dir["probe.classes.json"]), convert.ToString());

            AppRun train = AppProcess.Run(
                dir.Path, "train", "--data", "probe.npy", "--memory-budget", "16KB", "--epochs", "4", "--batch", "16", "--save", "m.gsm");
            Assert.True(train.ExitCode == 0, train.ToString());
            Assert.Contains("900 training rows, 24 inputs, 3 classes, streamed with a memory budget of 16 KiB", train.Output);
            Assert.Contains("MB/s", train.Output);
            Assert.Contains("memory: peak resident", train.Output);
            Match accuracy = Regex.Match(train.Output, @"After 4 epochs: train loss [0-9.]+, train accuracy ([0-9.]+)");
            Assert.True(accuracy.Success && double.Parse(accuracy.Groups[1].Value, CultureInfo.InvariantCulture) > 0.9, train.ToString());

            AppRun eval = AppProcess.Run(dir.Path, "eval", "m.gsm", "--data", "probe.npy", "--memory-budget", "16KB");
            Assert.True(eval.ExitCode == 0, eval.ToString());
            Assert.Contains("of 900) on .npy arrays probe.npy and probe.labels.npy, streamed with a memory budget of 16 KiB", eval.Output);

            // The same model on the same rows in memory gives the same predictions, in row order.
            AppRun streamed = AppProcess.Run(dir.Path, "predict", "m.gsm", "--data", "probe.npy", "--memory-budget", "16KB");
            AppRun loaded = AppProcess.Run(dir.Path, "predict", "m.gsm", "--data", "probe.npy");
            Assert.True(streamed.ExitCode == 0, streamed.ToString());
            Assert.Equal(loaded.Output, streamed.Output);
            string[] lines = streamed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(901, lines.Length);
            Assert.Equal(truth, lines.Skip(1).Select(l => l.Split(',')[1]));

            AppRun inMemory = AppProcess.Run(dir.Path, "train", "--data", "probe.npy", "--epochs", "1", "--solver", "sgd");
            Assert.Contains("3 classes, in memory (", inMemory.Output);
        }

        [Fact]
        public void Data_of_200_MB_trains_under_a_16_MB_budget_in_bounded_resident_memory()
        {
            using var dir = new TempDir();
            const int Rows = 100_000, Dims = 512; // 204.8 MB of float32
            TestData.WriteLargeNpy(dir["big.npy"], dir["big.labels.npy"], Rows, Dims, classes: 4);
            AppRun train = AppProcess.Run(
                dir.Path, "train", "--data", "big.npy", "--memory-budget", "16MB", "--epochs", "1", "--batch", "256", "--threads", "1");
            Assert.True(train.ExitCode == 0, train.ToString());
            Match peak = Regex.Match(train.Output, @"memory: peak resident ([0-9.]+) (MiB|GiB) \(VmHWM\), budget 16 MiB");
            Assert.True(peak.Success, train.ToString());
            double mib = double.Parse(peak.Groups[1].Value, CultureInfo.InvariantCulture) * (peak.Groups[2].Value == "GiB" ? 1024 : 1);
            // The budget plus the runtime's own (JIT, GC heap, the model): far below the 195 MiB a load would take.
            Assert.True(mib < 16 + 120, $"peak resident {mib} MiB: {train}");
            Match accuracy = Regex.Match(train.Output, @"train accuracy ([0-9.]+)");
            Assert.True(accuracy.Success && double.Parse(accuracy.Groups[1].Value, CultureInfo.InvariantCulture) > 0.95, train.ToString());
        }

        [Fact]
        public void Streamed_run_interrupted_and_resumed_ends_with_bit_identical_weights()
        {
            using var dir = new TempDir();
            TestData.WriteLargeNpy(dir["s.npy"], dir["s.labels.npy"], 60_000, 128, classes: 5); // 30.7 MB, 1 MB budget: 16 buffers an epoch
            string[] run = ["train", "--data", "s.npy", "--memory-budget", "1MB", "--epochs", "40", "--batch", "64", "--lr", "0.05",
                "--momentum", "0.9", "--threads", "2", "--solver", "sgd", "--seed", "3"];
            AppRun whole = AppProcess.Run(dir.Path, [.. run, "--save", "whole.gsm"], null);
            Assert.True(whole.ExitCode == 0, whole.ToString());

            AppRun cut = AppProcess.RunAndSignal(dir.Path, [.. run, "--save", "cut.gsm"], line => Regex.IsMatch(line, @"^\s+1\s+\d\.\d{4}"), 2);
            Assert.True(cut.ExitCode == 130, cut.ToString());
            Assert.Matches(new Regex(@"^interrupted \(SIGINT\) at epoch \d+, batch \d+: the run is saved in '.*cut\.gsm'"), cut.Error);

            AppRun resumed = AppProcess.Run(dir.Path, ["train", "--data", "s.npy", "--memory-budget", "1MB", "--resume", "cut.gsm", "--save", "cut.gsm"], null);
            Assert.True(resumed.ExitCode == 0, resumed.ToString());
            Assert.Contains("Resuming '", resumed.Output);
            RuntimeSoftmaxModel a = GenSoftmax.Persistence.ModelFile.Load(dir["whole.gsm"], out _);
            RuntimeSoftmaxModel b = GenSoftmax.Persistence.ModelFile.Load(dir["cut.gsm"], out _);
            Assert.True(
                MemoryMarshal.AsBytes(a.Weights).SequenceEqual(MemoryMarshal.AsBytes(b.Weights)) &&
                MemoryMarshal.AsBytes(a.Bias).SequenceEqual(MemoryMarshal.AsBytes(b.Bias)),
                "weights differ after resuming a streamed run");
        }

        [Fact]
        public void Streaming_errors_name_the_file_and_the_fix()
        {
            using var dir = new TempDir();
            TestData.WriteCsv(dir["d.csv"], 50, 4, ["a", "b"], seed: 1);
            AppRun csv = AppProcess.Run(dir.Path, "train", "--data", "d.csv", "--memory-budget", "1MB");
            Assert.Equal(2, csv.ExitCode);
            Assert.Contains("gensoftmax-cli convert d.csv --output NAME.npy", csv.Error);

            AppRun bad = AppProcess.Run(dir.Path, "train", "--data", "d.csv", "--memory-budget", "lots");
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("--memory-budget 'lots' is not a size", bad.Error);

            TestData.WriteNpy(dir["w.npy"], dir["w.labels.npy"], 40, 2000, 2, seed: 2);
            AppRun small = AppProcess.Run(dir.Path, "train", "--data", "w.npy", "--memory-budget", "4KB");
            Assert.Equal(1, small.ExitCode);
            Assert.Contains("w.npy", small.Error);
            Assert.Contains("give a budget of at least", small.Error);
        }

        [Fact]
        public void Classes_without_training_rows_are_warned_and_a_test_label_outside_the_model_names_its_row()
        {
            using var dir = new TempDir();
            TestData.WriteNpy(dir["t.npy"], dir["t.labels.npy"], 60, 6, 3, seed: 4);
            int[] labels = Enumerable.Range(0, 60).Select(i => i % 3).ToArray();
            labels[17] = 7; // a stray label: an 8-class model with classes 3..6 empty
            File.WriteAllBytes(dir["t.labels.npy"], File.ReadAllBytes(dir["t.labels.npy"])[..128].Concat(labels.SelectMany(BitConverter.GetBytes)).ToArray());
            AppRun train = AppProcess.Run(dir.Path, "train", "--data", "t.npy", "--epochs", "1", "--solver", "sgd", "--save", "m.gsm");
            Assert.True(train.ExitCode == 0, train.ToString());
            Assert.Contains("warning: Classes 3..6 (4 of the model's 8) have no training rows", train.Error);

            TestData.WriteNpy(dir["u.npy"], dir["u.labels.npy"], 30, 6, 3, seed: 5);
            labels = Enumerable.Range(0, 30).Select(i => i % 3).ToArray();
            labels[21] = 9;
            File.WriteAllBytes(dir["u.labels.npy"], File.ReadAllBytes(dir["u.labels.npy"])[..128].Concat(labels.SelectMany(BitConverter.GetBytes)).ToArray());
            AppRun eval = AppProcess.Run(dir.Path, "eval", "m.gsm", "--data", "u.npy", "--memory-budget", "1MB");
            Assert.Equal(2, eval.ExitCode);
            Assert.Contains("row 21 has label 9", eval.Error);

            // In memory: a --test label beyond the training data's classes is an error naming its row, not a class added to the model.
            AppRun test = AppProcess.Run(dir.Path, "train", "--data", "t.npy", "--test", "u.npy", "--epochs", "1", "--solver", "sgd");
            Assert.Equal(2, test.ExitCode);
            Assert.Contains("the test data's row 22 has label 9", test.Error);
        }
    }
}
