using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using GenSoftmax.Data;
using GenSoftmax.Persistence;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>Every command on the real Fashion-MNIST, as a user runs them one after another.</summary>
    public sealed class FashionMnistTests
    {
        [Fact]
        public void Fast_recipe_then_eval_predict_info_and_show()
        {
            // CI installs the data (scripts/ensure-data.sh); without it this test fails, saying so.
            string data = FashionMnist.Locate();
            using var dir = new TempDir();

            // No command: train with the fast recipe, the default.
            AppRun train = AppProcess.Run(dir.Path, "--data", data, "--save", "model.gsm", "--plot", "curves.svg", "--report", "run.json");
            Assert.True(train.ExitCode == 0, train.ToString());
            Assert.Contains("Model 784x10 (generated), kernels: " + IsaSelection.Best, train.Output);
            Assert.Contains("SGD: batch 512, learning rate 0.4, momentum 0.9, weight decay 0, 8 epochs, seed 42", train.Output);
            Assert.Contains("Recipe fast: schedule cosine to 0 of the rate, loss cross-entropy", train.Output);
            Assert.Contains("epoch  train loss  train acc  test acc  seconds  last lr", train.Output);
            Assert.Equal(8, Regex.Matches(train.Output, @"^\s+\d+\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+\d+\.\d{3}\s+\S+$", RegexOptions.Multiline).Count);
            Assert.Empty(train.Error);

            // The fast recipe reaches the best linear models' level (the Fashion-MNIST paper's linear baseline: 0.842).
            double accuracy = double.Parse(Regex.Match(train.Output, @"test accuracy (\d\.\d{4})").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(accuracy, 0.846, 0.86);
            using (JsonDocument json = JsonDocument.Parse(File.ReadAllText(dir["run.json"])))
            {
                JsonElement root = json.RootElement;
                Assert.Equal(IsaSelection.Best.ToString(), root.GetProperty("isa").GetString());
                Assert.Equal("generated", root.GetProperty("model").GetString());
                JsonElement[] epochs = root.GetProperty("epochs").EnumerateArray().ToArray();
                Assert.Equal(8, epochs.Length);
                Assert.InRange(epochs[^1].GetProperty("train_loss").GetDouble(), 0.30, 0.45);
                Assert.Equal("fast", root.GetProperty("recipe").GetString());
                Assert.Equal("cosine", root.GetProperty("schedule").GetProperty("kind").GetString());

                // Cosine: the rate falls every epoch, from just under 0.4 to almost 0.
                double[] rates = epochs.Select(e => e.GetProperty("learning_rate").GetDouble()).ToArray();
                Assert.InRange(rates[0], 0.3, 0.4);
                Assert.InRange(rates[^1], 0, 1e-4);
                Assert.True(rates.Zip(rates.Skip(1)).All(p => p.Second < p.First), string.Join(", ", rates));
                Assert.Equal(accuracy, Math.Round(root.GetProperty("test_accuracy").GetDouble(), 4));
                Assert.Equal(JsonValueKind.Null, root.GetProperty("validation_accuracy").ValueKind);
                Assert.Equal(FashionMnist.ClassNames, root.GetProperty("class_names").EnumerateArray().Select(e => e.GetString()!).ToArray());
            }

            // The plot: an SVG with the three series named in its legend.
            XDocument svg = XDocument.Load(dir["curves.svg"]);
            Assert.Equal("svg", svg.Root!.Name.LocalName);
            string svgText = File.ReadAllText(dir["curves.svg"]);
            Assert.Contains("train loss", svgText);
            Assert.Contains("train acc", svgText);
            Assert.Contains("test acc", svgText);

            // The model file: what train reported, eval reports.
            ModelFileInfo info = ModelFile.ReadInfo(dir["model.gsm"]);
            Assert.Equal((784, 10, true, 8), (info.Inputs, info.Classes, info.ChecksumValid, info.CompletedEpochs));
            AppRun eval = AppProcess.Run(dir.Path, "eval", "model.gsm", "--data", data);
            Assert.True(eval.ExitCode == 0, eval.ToString());
            Assert.Contains($"Accuracy {accuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)} (", eval.Output);
            Assert.Contains("of 10,000) on IDX images", eval.Output);
            foreach (string name in FashionMnist.ClassNames)
            {
                Assert.Matches(new Regex($@"^{Regex.Escape(name)}\s+1000\s+\d+\s+0\.\d{{4}}$", RegexOptions.Multiline), eval.Output);
            }

            // The confusion matrix: ten rows of ten counts, each row summing to the 1000 test images of its class.
            MatchCollection matrix = Regex.Matches(eval.Output, @"^\s*(\d)\s+(\S.*?)((?:\s+\d+){10})$", RegexOptions.Multiline);
            Assert.Equal(10, matrix.Count);
            long diagonal = 0;
            for (int c = 0; c < 10; c++)
            {
                long[] counts = matrix[c].Groups[3].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
                Assert.Equal(1000, counts.Sum());
                diagonal += counts[c];
            }

            Assert.Equal(Math.Round(accuracy * 10_000), diagonal);

            // predict: three images as half-block art, each with its true and predicted class and top probabilities.
            AppRun predict = AppProcess.Run(dir.Path, "predict", "model.gsm", "--data", data, "--count", "3");
            Assert.True(predict.ExitCode == 0, predict.ToString());
            Assert.Equal(3, Regex.Matches(predict.Output, @"true: ").Count);
            Assert.Equal(3, Regex.Matches(predict.Output, @"pred: ").Count);
            Assert.Contains("#0", predict.Output);
            Assert.Contains("true: Ankle boot", predict.Output); // the first test image
            Assert.Matches(new Regex(@"[\u2580\u2584\u2588]"), predict.Output);
            AppRun wrong = AppProcess.Run(dir.Path, "predict", "model.gsm", "--data", data, "--count", "2", "--wrong");
            Assert.True(wrong.ExitCode == 0, wrong.ToString());
            Assert.Equal(2, Regex.Matches(wrong.Output, @"\(wrong\)").Count);

            // info: the CPU, the variant and the model file's header.
            AppRun about = AppProcess.Run(dir.Path, "info", "model.gsm");
            Assert.True(about.ExitCode == 0, about.ToString());
            Assert.Contains($"Kernels used: {IsaSelection.Best}", about.Output);
            Assert.Contains("Shape:        784 inputs x 10 classes", about.Output);
            Assert.Contains("Checksum:     valid", about.Output);
            Assert.Contains("Training:     8 epochs done", about.Output);
            Assert.Contains("T-shirt/top, Trouser", about.Output);

            // show: a grid of 18 images (2 rows of 9) as a PNG.
            AppRun show = AppProcess.Run(dir.Path, "show", "--data", data, "--out", "samples.png");
            Assert.True(show.ExitCode == 0, show.ToString());
            (int width, int height) = TestData.PngSize(dir["samples.png"]);
            Assert.True(width > height * 3, $"an 9x2 grid is wide: {width}x{height}");

            // show --weights: the ten 28 x 28 templates in 2 rows of 5.
            AppRun templates = AppProcess.Run(dir.Path, "show", "--weights", "model.gsm", "--out", "weights.png");
            Assert.True(templates.ExitCode == 0, templates.ToString());
            Assert.Contains("The 10 classes' weight templates (28 x 28) of model.gsm", templates.Output);
            (int tw, int th) = TestData.PngSize(dir["weights.png"]);
            Assert.Equal((5 * (90 + 6) + 6, 2 * ((28 * 3) + 18 + 6) + 6), (tw, th));
        }

        /// <summary>
        /// The fast recipe's figures at seed 42 (2 threads, uint8), which README.md quotes: each kernel variant rounds its
        /// sums in its own order, so each has its own last digit.
        /// </summary>
        [SkippableTheory]
        [InlineData("avx512", "0.8463")]
        [InlineData("avx2", "0.8466")]
        [InlineData("portable", "0.8466")]
        public void Fast_recipe_gives_its_documented_accuracy_per_variant(string isa, string accuracy)
        {
            Skip.IfNot(IsaSelection.TryParse(isa, out KernelIsa variant) && IsaSelection.IsSupported(variant), $"this CPU does not run {isa}");
            string data = FashionMnist.Locate();
            using var dir = new TempDir();
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", data, "--isa", isa);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains($"test accuracy {accuracy} ", run.Output);
        }

        [Fact]
        public void Textbook_recipe_is_unchanged_to_four_decimals()
        {
            string data = FashionMnist.Locate();
            using var dir = new TempDir();
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", data, "--recipe", "textbook", "--threads", "2", "--input", "uint8", "--seed", "42");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("SGD: batch 256, learning rate 0.1, momentum 0, weight decay 0, 10 epochs, seed 42", run.Output);
            Assert.Contains("Recipe textbook: schedule constant, loss cross-entropy, label smoothing 0, targets hard labels, no early stopping", run.Output);
            Assert.Contains("After 10 epochs: train loss 0.4475, train accuracy 0.8475, test accuracy 0.8297", run.Output);
        }

        [Fact]
        public void The_dense_comparison_of_a_hypercomplex_run_trains_as_the_trainer_does()
        {
            // Plain SGD: the comparison (a trainer with the PHM run's options) reaches the textbook run's figures to 4
            // decimals, so the dense line beside the PHM one is the dense model's real result.
            string data = FashionMnist.Locate();
            using var dir = new TempDir();
            string[] textbook = ["train", "--data", data, "--recipe", "textbook", "--epochs", "2", "--threads", "2"];
            AppRun trainer = AppProcess.Run(dir.Path, textbook);
            AppRun both = AppProcess.Run(dir.Path, [.. textbook, "--hypercomplex", "2"]);
            Assert.True(trainer.ExitCode == 0, trainer.ToString());
            Assert.True(both.ExitCode == 0, both.ToString());
            Match expected = Regex.Match(trainer.Output, @"train loss (\d\.\d{4}), train accuracy \d\.\d{4}, test accuracy (\d\.\d{4})");
            Match dense = Regex.Match(both.Output, @"^dense\s+7,850 parameters, test accuracy (\d\.\d{4}), train loss (\d\.\d{4})", RegexOptions.Multiline);
            Assert.True(expected.Success && dense.Success, trainer.Output + both.Output);
            Assert.Equal((expected.Groups[1].Value, expected.Groups[2].Value), (dense.Groups[2].Value, dense.Groups[1].Value));
        }

        [Fact]
        public void Hypercomplex_model_is_trained_and_compared_with_the_dense_one()
        {
            string data = FashionMnist.Locate();
            using var dir = new TempDir();
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", data, "--hypercomplex", "2", "--save", "phm.gsm", "--report", "phm.json");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("hypercomplex (PHM, n = 2)", run.Output);
            Assert.Contains("3,938 parameters (8 in A, 3,920 in S, 10 bias) instead of 7,850", run.Output);
            Assert.Contains("learning rate 0.1 for the PHM model", run.Output);
            Match phm = Regex.Match(run.Output, @"^PHM n = 2\s+3,938 parameters, test accuracy (\d\.\d{4}), train loss \d\.\d{4}, epoch time fastest \d+ ms, mean \d+ ms$", RegexOptions.Multiline);
            Match dense = Regex.Match(run.Output, @"^dense\s+7,850 parameters, test accuracy (\d\.\d{4}), train loss \d\.\d{4}, epoch time fastest \d+ ms, mean \d+ ms$", RegexOptions.Multiline);
            Assert.True(phm.Success && dense.Success, run.Output);
            double phmAccuracy = double.Parse(phm.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            double denseAccuracy = double.Parse(dense.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(phmAccuracy, 0.80, 0.86);
            Assert.InRange(denseAccuracy, 0.82, 0.86);
            Assert.Equal(16, Regex.Matches(run.Output, @"^\s+\d\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+\d+\.\d{3}\s+\S+$", RegexOptions.Multiline).Count); // 8 epochs each

            // The saved file holds the factors, W = sum A_i (x) S_i, b and the run's state: it loads as a dense model, and
            // eval finds the accuracy train reported.
            ModelFileInfo info = ModelFile.ReadInfo(dir["phm.gsm"]);
            Assert.Equal((784, 10, true, 2, true, 8), (info.Inputs, info.Classes, info.ChecksumValid, info.HypercomplexFactors, info.HasTrainingState, info.CompletedEpochs));
            AppRun eval = AppProcess.Run(dir.Path, "eval", "phm.gsm", "--data", data);
            Assert.True(eval.ExitCode == 0, eval.ToString());
            Assert.Contains($"Accuracy {phm.Groups[1].Value} (", eval.Output);

            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(dir["phm.json"]));
            JsonElement root = json.RootElement;
            Assert.Equal(("hypercomplex", 2, 3938), (root.GetProperty("model").GetString(), root.GetProperty("hypercomplex").GetInt32(), root.GetProperty("parameters").GetInt32()));
            Assert.Equal(7850, root.GetProperty("dense_comparison").GetProperty("parameters").GetInt32());
            Assert.Equal(denseAccuracy, Math.Round(root.GetProperty("dense_comparison").GetProperty("accuracy").GetDouble(), 4));
            Assert.Equal(phmAccuracy, Math.Round(root.GetProperty("test_accuracy").GetDouble(), 4));
        }
    }
}
