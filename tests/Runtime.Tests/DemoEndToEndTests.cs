using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using GenSoftmax.Data;
using GenSoftmax.Tests.Data;
using GenSoftmax.Tests.Models;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>The demo as a user runs it: a real process on the real Fashion-MNIST files.</summary>
    public sealed class DemoEndToEndTests
    {
        private static string DemoAssembly => Path.GetFullPath(typeof(DemoEndToEndTests).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "DemoAssembly").Value!
            .Replace('\\', Path.DirectorySeparatorChar));

        private static (int ExitCode, string Output, string Error) RunDemo(string arguments, string? dataVariable = null, string? isaVariable = null)
        {
            var start = new ProcessStartInfo("dotnet", $"\"{DemoAssembly}\" {arguments}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            if (dataVariable is not null)
            {
                start.Environment[FashionMnist.EnvironmentVariable] = dataVariable;
            }

            if (isaVariable is not null)
            {
                start.Environment[IsaSelection.EnvironmentVariable] = isaVariable;
            }

            using Process process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "the demo did not finish within 5 minutes");
            return (process.ExitCode, stdout.Result, stderr);
        }

        [Theory]
        [InlineData("")]                                // defaults: uint8 pixels, all cores
        [InlineData("--input float32 --threads 1")]     // the textbook's float copy, the fused single-thread step
        public void Textbook_recipe_reaches_the_textbook_accuracy(string options)
        {
            // CI installs the data (apt-get install dataset-fashion-mnist); without it this test fails, saying so.
            string directory = FashionMnist.Locate();
            string report = Path.Combine(Path.GetTempPath(), $"gensoftmax-e2e-{Guid.NewGuid():N}.json");
            try
            {
                (int exit, string output, string error) = RunDemo($"--data \"{directory}\" --report \"{report}\" {options}");
                Assert.True(exit == 0, $"demo exited {exit}\n{output}\n{error}");
                // The demo's model starts with the default variant, which GENSOFTMAX_ISA (inherited by the demo) may force.
                Assert.Contains($"kernels: {IsaSelection.Default} (best on this CPU: {IsaSelection.Best})", output);
                Assert.Contains("SGD: batch 256, learning rate 0.1, 10 epochs, seed 42", output);
                Assert.Contains("epoch  train loss  train acc  test acc  seconds", output);

                using JsonDocument json = JsonDocument.Parse(File.ReadAllText(report));
                JsonElement root = json.RootElement;
                Assert.Equal(IsaSelection.Default.ToString(), root.GetProperty("isa").GetString());
                JsonElement[] epochs = root.GetProperty("epochs").EnumerateArray().ToArray();
                Assert.Equal(10, epochs.Length);
                for (int i = 0; i < epochs.Length; i++)
                {
                    Assert.Equal(i + 1, epochs[i].GetProperty("epoch").GetInt32());
                    Assert.True(epochs[i].GetProperty("seconds").GetDouble() > 0);
                }

                // PyTorch with the same recipe: test accuracy about 0.82 (0.81..0.83), last epoch's train loss about 0.45.
                double accuracy = root.GetProperty("test_accuracy").GetDouble();
                double lastLoss = epochs[^1].GetProperty("train_loss").GetDouble();
                Assert.True(accuracy >= 0.81, $"test accuracy {accuracy} < 0.81\n{output}");
                Assert.True(accuracy <= 0.86, $"test accuracy {accuracy} is above what a linear model reaches: suspicious\n{output}");
                Assert.InRange(lastLoss, 0.40, 0.50);

                // This recipe's own figures (seed 42), the same for every variant, thread count and input type so far:
                // epoch 10 train loss 0.4475, test accuracy 0.8297. Float rounding may move them a hair, no more.
                Assert.True(Math.Abs(lastLoss - 0.4475) <= 0.0005, $"epoch 10 train loss {lastLoss:F4}, expected 0.4475\n{output}");
                Assert.True(Math.Abs(accuracy - 0.8297) <= 0.002, $"test accuracy {accuracy:F4}, expected 0.8297\n{output}");
                Assert.Contains($"Test accuracy after 10 epochs: {accuracy:F4}", output);
                string lastLine = output.Split('\n').Single(l => l.StartsWith("   10 ", StringComparison.Ordinal));
                Assert.StartsWith($"   10  {lastLoss,10:F4}  {epochs[^1].GetProperty("train_accuracy").GetDouble(),9:F4}  {accuracy,8:F4}", lastLine);
                Assert.True(epochs[^1].GetProperty("train_loss").GetDouble() < epochs[0].GetProperty("train_loss").GetDouble());
                Assert.Equal(epochs.Sum(e => e.GetProperty("seconds").GetDouble()), root.GetProperty("train_seconds").GetDouble(), 6);
            }
            finally
            {
                File.Delete(report);
            }
        }

        /// <summary>The epoch lines of a run's output by epoch, without the seconds column.</summary>
        private static System.Collections.Generic.Dictionary<int, string> EpochLines(string output) => output
            .Split('\n')
            .Select(l => l.TrimEnd('\r'))
            .Where(l => Regex.IsMatch(l, @"^ *\d+ +\d+\.\d{4} +\d+\.\d{4} +\d+\.\d{4} +\d+\.\d{3}$"))
            .ToDictionary(l => int.Parse(l.AsSpan(0, 5), System.Globalization.CultureInfo.InvariantCulture), l => l[..^9]);

        [Fact]
        public void A_run_saved_and_resumed_in_another_process_ends_bit_identical_to_an_uninterrupted_run()
        {
            string data = $"--data \"{FashionMnist.Locate()}\"";
            using var dir = new TempDirectory();
            string a = dir.File("a.gsm"), b = dir.File("b.gsm"), c = dir.File("c.gsm");

            (int exit, string first, string error) = RunDemo($"{data} --epochs 2 --save \"{a}\"");
            Assert.True(exit == 0, $"the first run exited {exit}\n{first}\n{error}");
            Assert.Contains($"Model saved to {a}", first);
            (exit, string resumed, error) = RunDemo($"{data} --resume \"{a}\" --epochs 4 --save \"{b}\"");
            Assert.True(exit == 0, $"the resumed run exited {exit}\n{resumed}\n{error}");
            Assert.Contains($"Resuming '{a}': 2 epochs done.", resumed);
            Assert.Contains("Test accuracy after 4 epochs", resumed);
            (exit, string whole, error) = RunDemo($"{data} --epochs 4 --save \"{c}\"");
            Assert.True(exit == 0, $"the uninterrupted run exited {exit}\n{whole}\n{error}");

            // The printed epochs: 1-2, then 3-4 in another process, are those of the run that never stopped.
            var wholeLines = EpochLines(whole);
            Assert.Equal(new[] { 1, 2, 3, 4 }, wholeLines.Keys);
            Assert.Equal(wholeLines.Where(l => l.Key <= 2), EpochLines(first));
            Assert.Equal(wholeLines.Where(l => l.Key > 2), EpochLines(resumed));

            // And the saved models hold the same weights, bit for bit.
            var resumedModel = new M784x10();
            var wholeModel = new M784x10();
            ModelFileContents saved = ModelFile.Load(b, resumedModel);
            ModelFile.Load(c, wholeModel);
            Assert.Equal(wholeModel.Weights.ToArray(), resumedModel.Weights.ToArray());
            Assert.Equal(wholeModel.Bias.ToArray(), resumedModel.Bias.ToArray());
            Assert.Equal(FashionMnist.ClassNames, saved.ClassNames);
            Assert.Equal(4, saved.TrainingState!.CompletedEpochs);
            Assert.Equal(4, saved.TrainerOptions!.Epochs);

            // Options that would change the saved run's trajectory are refused, before any training.
            (exit, string output, error) = RunDemo($"{data} --resume \"{a}\" --epochs 4 --lr 0.5 --batch 256 --seed 7");
            Assert.Equal(2, exit);
            Assert.Contains("--lr 0.5 conflicts with the learning rate of the saved run, 0.1", error);
            Assert.Contains("--seed 7 conflicts with the seed of the saved run, 42", error);
            Assert.DoesNotContain("--batch", error); // given, but the same as saved
            Assert.DoesNotContain("epoch", output);

            (exit, _, error) = RunDemo($"{data} --resume \"{a}\" --epochs 2");
            Assert.Equal(2, exit);
            Assert.Contains("has already completed 2 epochs: pass --epochs 3 or more", error);

            // A file that is not a model, and a --save path that cannot be written, are reported before training.
            string foreign = dir.File("labels.idx");
            File.WriteAllBytes(foreign, [0, 0, 8, 1, 0, 0, 0, 1, 5]);
            (exit, output, error) = RunDemo($"{data} --resume \"{foreign}\"");
            Assert.Equal(1, exit);
            Assert.Contains($"error: '{foreign}' is not a GenSoftmax model file", error);
            Assert.DoesNotContain("Fashion-MNIST:", output);

            string nowhere = Path.Combine(dir.Path, "missing", "model.gsm");
            (exit, output, error) = RunDemo($"{data} --epochs 1 --save \"{nowhere}\"");
            Assert.Equal(2, exit);
            Assert.Contains("error: cannot write the model:", error);
            Assert.Contains("does not exist", error);
            Assert.DoesNotContain("Fashion-MNIST:", output);
        }

        [Fact]
        public void Missing_data_names_all_three_ways_to_provide_it_and_keeps_an_existing_report()
        {
            string empty = Directory.CreateTempSubdirectory("gensoftmax-nodata-").FullName;
            string report = Path.Combine(empty, "report.json");
            File.WriteAllText(report, "{\"kept\": true}");
            try
            {
                (int exit, string output, string error) = RunDemo($"--data \"{empty}\" --epochs 1 --report \"{report}\"");
                Assert.Equal(1, exit);
                Assert.Contains("--data", error);
                Assert.Contains(FashionMnist.EnvironmentVariable, error);
                Assert.Contains("apt-get install dataset-fashion-mnist", error);
                Assert.Equal("{\"kept\": true}", File.ReadAllText(report));
            }
            finally
            {
                Directory.Delete(empty, recursive: true);
            }
        }

        [Fact]
        public void Bad_arguments_are_refused_with_the_reason()
        {
            (int exit, _, string error) = RunDemo("--epochs 0");
            Assert.NotEqual(0, exit);
            Assert.Contains("--epochs must be at least 1", error);
        }

        [Fact]
        public void A_bad_GENSOFTMAX_ISA_is_one_clear_line_not_a_type_initializer_stack_trace()
        {
            (int exit, string output, string error) = RunDemo("--epochs 1", isaVariable: "sse9");
            Assert.Equal(2, exit);
            Assert.Equal("", output);
            Assert.Equal(
                "error: GENSOFTMAX_ISA='sse9' is not a kernel variant: set it to one of Portable, Avx2, Avx512, or unset it.",
                error.Trim());
        }
    }
}
