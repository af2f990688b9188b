using System;
using System.Collections.Generic;
using System.IO;
using GenSoftmax.Persistence;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>Bad input of every kind: one line on stderr, a non-zero exit code, never a stack trace, and nothing trained first.</summary>
    public sealed class ErrorTests : IDisposable
    {
        private readonly TempDir _dir = new();

        public ErrorTests()
        {
            Directory.CreateDirectory(_dir["idx"]);
            TestData.WriteIdxDirectory(_dir["idx"], 4, 4, 2, gzip: false);
            TestData.WriteCsv(_dir["five.csv"], 5, 3, ["a", "b"], seed: 1);
            File.WriteAllText(_dir["header-only.csv"], "f0,f1,label\n");
        }

        public void Dispose() => _dir.Dispose();

        public static TheoryData<string[], int, string> Cases => new()
        {
            { ["--epochs", "abc"], 2, "--epochs 'abc' is not a whole number" },
            { ["train", "--epochs", "0"], 2, "--epochs must be between 1 and" },
            { ["train", "--lr", "inf"], 2, "--lr 'inf' is not a finite number" },
            { ["train", "--lr", "NaN"], 2, "--lr 'NaN' is not a finite number" },
            { ["train", "--lr", "-1"], 2, "--lr must be above 0" },
            { ["train", "--lr", "1e39"], 2, "--lr '1e39' is not a finite number" },
            { ["train", "--isa", "5"], 2, "--isa '5' is not a kernel variant: use one of Portable, Avx2, Avx512" },
            { ["train", "--isa", "sse"], 2, "--isa 'sse' is not a kernel variant" },
            { ["train", "--validation", "1"], 2, "--validation must be at least 0 and below 1" },
            { ["train", "--frobnicate"], 2, "Unrecognized command or argument '--frobnicate'" },
            { ["eval"], 2, "Required argument missing" },
            { ["eval", "missing.gsm", "--data", "idx"], 2, "model file 'missing.gsm' does not exist" },
            { ["eval", "damaged.gsm", "--data", "idx"], 1, "damaged.gsm" },
            { ["eval", "idx", "--data", "idx"], 2, "is a directory, not a model file" },
            { ["train", "--data", "nowhere.csv"], 2, "--data 'nowhere.csv' does not exist" },
            { ["train", "--data", "empty-dir"], 1, "empty-dir" },
            { ["train", "--data", "five.csv", "--validation", "0.99"], 2, "the training split is empty" },
            { ["train", "--data", "header-only.csv"], 1, "header-only.csv" },
            { ["train", "--data", "idx", "--save", "no-such-dir/m.gsm"], 2, "--save" },
            { ["train", "--data", "idx", "--report", "idx"], 2, "--report" },
            { ["train", "--data", "idx", "--plot", "curves.gif"], 2, "must end in .png or .svg" },
            { ["train", "--data", "idx", "--label-column", "x"], 2, "apply to CSV/TSV data only" },
            { ["train", "--input", "int8"], 2, "--input 'int8' is not one of uint8, float32" },
            { ["train", "--recipe", "slow"], 2, "--recipe 'slow' is not one of fast, textbook" },
            { ["train", "--schedule", "linear"], 2, "--schedule 'linear' is not one of constant, step, cosine" },
            { ["train", "--loss", "hinge"], 2, "--loss 'hinge' is not one of cross-entropy, squared-error" },
            { ["train", "--warmup", "-1"], 2, "--warmup must be at least 0" },
            { ["train", "--warmup", "x"], 2, "--warmup 'x' is not a whole number" },
            { ["train", "--step-epochs", "3"], 2, "--step-epochs applies to --schedule step, but this run's schedule is cosine" },
            { ["train", "--recipe", "textbook", "--cosine-final", "0.1"], 2, "--cosine-final applies to --schedule cosine, but this run's schedule is constant" },
            { ["train", "--schedule", "step", "--step-factor", "0"], 2, "--step-factor must be above 0 and at most 1" },
            { ["train", "--schedule", "step", "--step-epochs", "0"], 2, "--step-epochs must be at least 1" },
            { ["train", "--cosine-final", "1"], 2, "--cosine-final must be at least 0 and below 1" },
            { ["train", "--label-smoothing", "1"], 2, "--label-smoothing must be at least 0 and below 1" },
            { ["train", "--soft-labels", "1.5"], 2, "--soft-labels must be above 0 and at most 1" },
            { ["train", "--early-stopping", "0"], 2, "--early-stopping must be at least 1" },
            { ["train", "--min-delta", "0.1"], 2, "--min-delta applies to early stopping: add --early-stopping PATIENCE" },
            { ["train", "--hold-out", "0.2"], 2, "--hold-out applies to early stopping" },
            { ["train", "--early-stopping", "3", "--hold-out", "1"], 2, "--hold-out must be above 0 and below 1" },
            { ["train", "--hypercomplex", "3"], 2, "--hypercomplex 3 has no declared model: use 2" },
            { ["train", "--data", "idx", "--hypercomplex", "2"], 2, "--hypercomplex 2 trains the declared 784x10 PHM model, but the data has 16 inputs and 2 classes" },
            { ["show", "--data", "five.csv", "--out", "s.png"], 2, "holds feature vectors, not images" },
            { ["show", "--data", "idx"], 2, "Option '--out' is required" },
            { ["predict", "m.gsm", "--count", "-3"], 2, "--count must be at least 1" },
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public void Bad_input_gives_one_line_and_an_exit_code(string[] args, int exitCode, string message)
        {
            Directory.CreateDirectory(_dir["empty-dir"]);
            File.WriteAllBytes(_dir["damaged.gsm"], CorruptModel());
            AppRun run = AppProcess.Run(_dir.Path, args);
            AssertOneLineError(run, exitCode, message);
        }

        [Fact]
        public void Output_paths_are_checked_before_training()
        {
            AppRun run = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--epochs", "1", "--plot", "gone/curves.png");
            AssertOneLineError(run, 2, "--plot");
            Assert.DoesNotContain("epoch", run.Output);
            Assert.Empty(run.Output);
        }

        [Fact]
        public void Out_of_memory_is_one_line()
        {
            // 32 MB of managed heap cannot hold a data set of 60 MB.
            string data = _dir["big"];
            Directory.CreateDirectory(data);
            byte[] pixels = new byte[60_000 * 1000];
            TestData.WriteIdx(Path.Combine(data, "train-images-idx3-ubyte"), pixels, [60_000, 25, 40], gzip: false);
            TestData.WriteIdx(Path.Combine(data, "train-labels-idx1-ubyte"), new byte[60_000], [60_000], gzip: false);
            TestData.WriteIdx(Path.Combine(data, "t10k-images-idx3-ubyte"), new byte[1000], [1, 25, 40], gzip: false);
            TestData.WriteIdx(Path.Combine(data, "t10k-labels-idx1-ubyte"), new byte[1], [1], gzip: false);
            AppRun run = AppProcess.Run(_dir.Path, ["train", "--data", "big"], new Dictionary<string, string?> { ["DOTNET_GCHeapHardLimit"] = "0x2000000" });
            AssertOneLineError(run, 3, "out of memory");
        }

        [SkippableFact]
        [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
        public void Unreadable_directory_is_one_line()
        {
            Skip.If(OperatingSystem.IsWindows(), "Unix permissions");

            // Root reads every directory through its DAC capabilities: run the app without them (setpriv, util-linux).
            string[]? wrapper = null;
            if (Environment.UserName == "root")
            {
                Skip.If(!File.Exists("/usr/bin/setpriv"), "running as root without setpriv, so a directory without read permission cannot be made here");
                wrapper = ["/usr/bin/setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"];
            }

            string locked = _dir["locked"];
            Directory.CreateDirectory(locked);
            TestData.WriteIdxDirectory(locked, 4, 4, 2, gzip: false);
            File.SetUnixFileMode(locked, UnixFileMode.None);
            try
            {
                AppRun run = AppProcess.Run(_dir.Path, ["train", "--data", "locked"], null, wrapper);
                AssertOneLineError(run, 1, "cannot read the directory 'locked'");
            }
            finally
            {
                File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        [Fact]
        public void Report_to_a_device_is_refused_before_training_and_the_device_stays()
        {
            AppRun run = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--epochs", "1", "--report", "/dev/full");
            AssertOneLineError(run, 2, "--report '/dev/full' cannot be written");
            Assert.Empty(run.Output);
            using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", "-c %F /dev/full") { RedirectStandardOutput = true })!;
            Assert.Equal("character special file", stat.StandardOutput.ReadToEnd().Trim());
        }

        [Fact]
        public void Resume_with_a_conflicting_option_is_refused()
        {
            AppRun first = AppProcess.Run(_dir.Path, "train", "--data", "idx", "--epochs", "1", "--save", "run.gsm", "--batch", "50");
            Assert.True(first.ExitCode == 0, first.ToString());
            AssertOneLineError(AppProcess.Run(_dir.Path, "train", "--data", "idx", "--resume", "run.gsm", "--batch", "64", "--epochs", "2"), 2, "--batch 64 conflicts with the batch size of the saved run, 50");
            AssertOneLineError(AppProcess.Run(_dir.Path, "train", "--data", "idx", "--resume", "run.gsm"), 2, "has already completed 1 epochs: pass --epochs 2");
            AssertOneLineError(AppProcess.Run(_dir.Path, "train", "--data", "idx", "--resume", "run.gsm", "--epochs", "2", "--hypercomplex", "2"), 2,
                "holds a dense run, but --hypercomplex 2 asks for a PHM one: leave --hypercomplex out to continue it");
        }

        internal static void AssertOneLineError(AppRun run, int exitCode, string message)
        {
            Assert.True(run.ExitCode == exitCode, $"expected exit {exitCode}\n{run}");
            string[] lines = run.Error.TrimEnd('\n').Split('\n');
            Assert.True(lines.Length == 1, $"expected one line on stderr\n{run}");
            Assert.StartsWith("error: ", lines[0]);
            Assert.Contains(message, lines[0]);
            Assert.DoesNotContain("   at ", run.Error);
            Assert.DoesNotContain("Exception", run.Error);
        }

        private byte[] CorruptModel()
        {
            // A real model file with one byte of its weights flipped: the checksum no longer holds.
            string path = _dir["good.gsm"];
            if (!File.Exists(path))
            {
                var model = new RuntimeSoftmaxModel(16, 2);
                ModelFile.Save(path, model);
            }

            byte[] bytes = File.ReadAllBytes(path);
            bytes[bytes.Length / 2] ^= 0x40;
            return bytes;
        }
    }
}
