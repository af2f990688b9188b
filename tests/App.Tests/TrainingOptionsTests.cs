using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using GenSoftmax.Persistence;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>
    /// The chapter's options on small IDX data the tests write: recipes, schedules, losses, smoothing, soft labels, early
    /// stopping and divergence, each checked in the JSON report and the output of a real process.
    /// </summary>
    public sealed class TrainingOptionsTests : IDisposable
    {
        private readonly TempDir _dir = new();

        public TrainingOptionsTests()
        {
            Directory.CreateDirectory(_dir["idx"]);
            TestData.WriteIdxDirectory(_dir["idx"], 4, 4, 3, gzip: false);
        }

        public void Dispose() => _dir.Dispose();

        private JsonElement Train(string report, params string[] args)
        {
            AppRun run = AppProcess.Run(_dir.Path, ["train", "--data", "idx", "--threads", "1", "--report", report, .. args]);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Empty(run.Error);
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(_dir[report]));
            return json.RootElement.Clone();
        }

        private static double[] Epochs(JsonElement report, string field) =>
            report.GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty(field).GetDouble()).ToArray();

        [Fact]
        public void The_default_recipe_is_fast_and_explicit_options_override_either_recipe()
        {
            JsonElement fast = Train("fast.json", "--batch", "16");
            Assert.Equal("fast", fast.GetProperty("recipe").GetString());
            Assert.Equal(16, fast.GetProperty("batch_size").GetInt32()); // given
            Assert.Equal(8, fast.GetProperty("epochs").GetArrayLength()); // the recipe's
            Assert.Equal(0.4, fast.GetProperty("learning_rate").GetDouble(), 6);
            Assert.Equal(0.9, fast.GetProperty("momentum").GetDouble(), 6);
            Assert.Equal("cosine", fast.GetProperty("schedule").GetProperty("kind").GetString());
            double[] rates = Epochs(fast, "learning_rate");
            for (int e = 1; e < rates.Length; e++)
            {
                Assert.True(rates[e] < rates[e - 1], $"cosine rates must fall epoch by epoch: {string.Join(", ", rates)}");
            }

            JsonElement textbook = Train("textbook.json", "--recipe", "textbook", "--epochs", "3");
            Assert.Equal("textbook", textbook.GetProperty("recipe").GetString());
            Assert.Equal(256, textbook.GetProperty("batch_size").GetInt32());
            Assert.Equal(0.1, textbook.GetProperty("learning_rate").GetDouble(), 6);
            Assert.Equal(0, textbook.GetProperty("momentum").GetDouble());
            Assert.Equal("constant", textbook.GetProperty("schedule").GetProperty("kind").GetString());
            Assert.Equal([0.1, 0.1, 0.1], Epochs(textbook, "learning_rate").Select(r => Math.Round(r, 6)));
            Assert.Equal(JsonValueKind.Null, textbook.GetProperty("early_stopping").ValueKind);
            Assert.Equal("completed", textbook.GetProperty("outcome").GetProperty("reason").GetString());
        }

        [Fact]
        public void Step_schedule_with_warm_up_gives_the_rates_it_promises()
        {
            // Warm-up 1 epoch ends at the base rate; then x0.5 every 2 epochs: epochs 1-2 at 0.4, 3-4 at 0.2, 5 at 0.1.
            AppRun run = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--threads", "1", "--epochs", "5", "--schedule", "step", "--step-epochs", "2",
                "--step-factor", "0.5", "--warmup", "1", "--report", "step.json");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("schedule step x0.5 every 2 epochs after 1 warm-up epoch", run.Output);
            Assert.Contains("epoch  train loss  train acc  test acc  seconds  last lr", run.Output);
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(_dir["step.json"]));
            JsonElement schedule = json.RootElement.GetProperty("schedule");
            Assert.Equal(("step", 1, 2, 0.5), (schedule.GetProperty("kind").GetString(), schedule.GetProperty("warmup_epochs").GetInt32(),
                schedule.GetProperty("step_epochs").GetInt32(), Math.Round(schedule.GetProperty("step_factor").GetDouble(), 6)));
            Assert.Equal([0.4, 0.4, 0.2, 0.2, 0.1], Epochs(json.RootElement, "learning_rate").Select(r => Math.Round(r, 6)));
            Assert.Equal(5, Regex.Matches(run.Output, @"^\s+\d\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+\d+\.\d{3}\s+0\.[124]$", RegexOptions.Multiline).Count);
        }

        [Fact]
        public void Loss_smoothing_and_soft_labels_change_what_is_minimised_and_are_reported()
        {
            string[] common = ["--recipe", "textbook", "--epochs", "4", "--batch", "16"];
            JsonElement plain = Train("plain.json", common);
            JsonElement squared = Train("squared.json", [.. common, "--loss", "squared-error", "--lr", "0.05"]);
            JsonElement smoothed = Train("smoothed.json", [.. common, "--label-smoothing", "0.2"]);
            JsonElement soft = Train("soft.json", [.. common, "--soft-labels", "0.7"]);

            Assert.Equal("cross-entropy", plain.GetProperty("loss").GetString());
            Assert.Equal("squared-error", squared.GetProperty("loss").GetString());
            Assert.Equal(0.2, smoothed.GetProperty("label_smoothing").GetDouble(), 6);
            Assert.Equal(JsonValueKind.Null, plain.GetProperty("soft_labels").ValueKind);
            Assert.Equal(0.7, soft.GetProperty("soft_labels").GetDouble(), 6);

            // Squared error starts at 1/2 (logits near 0, one-hot targets) and falls; cross-entropy at ln 3 = 1.0986.
            Assert.InRange(Epochs(squared, "train_loss")[0], 0.01, 0.5);
            Assert.True(Epochs(squared, "train_loss")[^1] < Epochs(squared, "train_loss")[0]);
            Assert.InRange(Epochs(plain, "train_loss")[0], Epochs(squared, "train_loss")[0], 1.0986);

            // Hard labels on this separable data go below both floors below, so the floors say something.
            Assert.True(Epochs(plain, "train_loss")[^1] < 0.4851, $"plain loss {Epochs(plain, "train_loss")[^1]}");

            // A target of 0.7 (or smoothed labels) is a distribution with entropy > 0, which bounds its cross-entropy below:
            // H(0.7, 0.15, 0.15) = 0.8188; H(0.8 + 0.2/3, 0.2/3, 0.2/3) = 0.4851. Hard labels have no such floor.
            Assert.All(Epochs(soft, "train_loss"), l => Assert.True(l > 0.8188, $"soft-target loss {l} below the targets' entropy"));
            Assert.All(Epochs(smoothed, "train_loss"), l => Assert.True(l > 0.4851, $"smoothed loss {l} below the targets' entropy"));
            Assert.NotEqual(Epochs(plain, "train_loss")[^1], Epochs(smoothed, "train_loss")[^1]);
        }

        [Fact]
        public void Early_stopping_says_when_why_and_which_epoch_was_best()
        {
            // An improvement must exceed 1000: none does, so epoch 1 stays best and patience 2 ends the run after epoch 3.
            AppRun run = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--threads", "1", "--epochs", "20", "--early-stopping", "2", "--min-delta", "1000",
                "--hold-out", "0.25", "--report", "stop.json", "--save", "stop.gsm");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("early stopping: patience 2, min delta 1000, 0.25 of the training rows held out", run.Output);
            Assert.Contains("Stopped early after epoch 3: the held-out rows stopped improving; the best epoch was 1", run.Output);
            Assert.Contains("whose weights the model now holds", run.Output);
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(_dir["stop.json"]));
            JsonElement root = json.RootElement;
            JsonElement outcome = root.GetProperty("outcome");
            Assert.Equal(("early-stopped", 3, 1, true), (outcome.GetProperty("reason").GetString(), outcome.GetProperty("last_epoch").GetInt32(),
                outcome.GetProperty("best_epoch").GetInt32(), outcome.GetProperty("restored_best_weights").GetBoolean()));
            Assert.Equal(3, root.GetProperty("epochs").GetArrayLength());
            Assert.Equal(2, root.GetProperty("early_stopping").GetProperty("patience").GetInt32());
            double[] heldOut = Epochs(root, "held_out_loss");
            Assert.Equal(heldOut[0], outcome.GetProperty("best_held_out_loss").GetDouble(), 5);

            // The stopped run has nothing left to train: resuming it says so in one line (it ended in .NET's "Index was out of range").
            AppRun resumed = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--resume", "stop.gsm", "--epochs", "25");
            Assert.Equal(2, resumed.ExitCode);
            Assert.Contains("already stopped early after epoch 3 (best epoch 1), so it has nothing left to train", resumed.Error);
            Assert.DoesNotContain("Index was out of range", resumed.Error);

            // Without early stopping the same run trains all its epochs.
            JsonElement all = Train("all.json", "--epochs", "5");
            Assert.Equal(5, all.GetProperty("epochs").GetArrayLength());
            Assert.Equal("completed", all.GetProperty("outcome").GetProperty("reason").GetString());
        }

        [Fact]
        public void Divergence_is_one_line_with_epoch_and_batch_and_saves_the_last_finite_weights()
        {
            AppRun run = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--threads", "1", "--lr", "1e37", "--save", "d.gsm", "--report", "d.json");
            Assert.Equal(1, run.ExitCode);
            Assert.Matches(new Regex(@"^error: Training diverged at epoch 1, batch \d+ of \d+: .* saved in '.*d\.gsm'\.$"), run.Error.TrimEnd());
            Assert.Single(run.Error.TrimEnd().Split('\n'));
            Assert.DoesNotContain("After ", run.Output);

            RuntimeSoftmaxModel model = ModelFile.Load(_dir["d.gsm"], out ModelFileContents contents);
            Assert.True(model.Weights.ToArray().All(float.IsFinite), "saved weights must be finite");
            Assert.True(model.Bias.ToArray().All(float.IsFinite));
            Assert.NotNull(contents.TrainingState);

            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(_dir["d.json"]));
            JsonElement outcome = json.RootElement.GetProperty("outcome");
            Assert.Equal("diverged", outcome.GetProperty("reason").GetString());
            Assert.Equal(1, outcome.GetProperty("diverged_epoch").GetInt32());
            Assert.Equal(Regex.Match(run.Error, @"batch (\d+)").Groups[1].Value, outcome.GetProperty("diverged_batch").GetInt32().ToString(CultureInfo.InvariantCulture));

            // Without --save nothing is written, and the message says so.
            AppRun unsaved = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--threads", "1", "--lr", "1e37");
            Assert.Equal(1, unsaved.ExitCode);
            Assert.Contains("Nothing was saved (no --save).", unsaved.Error);
        }

        [Fact]
        public void Resume_refuses_new_options_that_conflict_with_the_saved_run()
        {
            AppRun first = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--threads", "1", "--recipe", "textbook", "--epochs", "1", "--save", "run.gsm");
            Assert.True(first.ExitCode == 0, first.ToString());
            ErrorTests.AssertOneLineError(
                AppProcess.Run(_dir.Path, "train", "--data", "idx", "--resume", "run.gsm", "--epochs", "2", "--schedule", "cosine"), 2,
                "--schedule cosine conflicts with the schedule of the saved run, constant");
            ErrorTests.AssertOneLineError(
                AppProcess.Run(_dir.Path, "train", "--data", "idx", "--resume", "run.gsm", "--epochs", "2", "--loss", "squared-error"), 2,
                "--loss squared-error conflicts with the loss of the saved run, cross-entropy");
            ErrorTests.AssertOneLineError(
                AppProcess.Run(_dir.Path, "train", "--data", "idx", "--resume", "run.gsm", "--epochs", "2", "--early-stopping", "2"), 2,
                "--early-stopping 2 conflicts with the early-stopping patience of the saved run, none");
            ErrorTests.AssertOneLineError(
                AppProcess.Run(_dir.Path, "train", "--data", "idx", "--resume", "run.gsm", "--epochs", "2", "--recipe", "fast"), 2,
                "--recipe fast conflicts with the saved run's options");

            // The saved run's own recipe is no conflict.
            AppRun resumed = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--resume", "run.gsm", "--epochs", "2", "--recipe", "textbook", "--label-smoothing", "0");
            Assert.True(resumed.ExitCode == 0, resumed.ToString());
            Assert.Contains("After 2 epochs", resumed.Output);
        }

        [Fact]
        public void A_hold_out_share_that_leaves_nothing_to_train_on_is_refused_as_validation_is()
        {
            // --hold-out 0.9999999 trained on one row while the same --validation was refused.
            AppRun holdOut = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--early-stopping", "2", "--hold-out", "0.9999999");
            Assert.Equal(2, holdOut.ExitCode);
            Assert.Contains("the training split is empty: --hold-out 0.9999999 leaves none of the", holdOut.Error);
            AppRun validation = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--validation", "0.9999999");
            Assert.Equal(2, validation.ExitCode);
            Assert.Contains("the training split is empty: --validation 0.9999999 leaves none of the", validation.Error);
        }
    }
}
