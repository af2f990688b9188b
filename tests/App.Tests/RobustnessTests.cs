using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using GenSoftmax.Persistence;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>
    /// Nothing a user gives is lost: outputs checked before any work (hard links, writability, name length), exit codes that
    /// say what happened (70 for a bug), and every signal that ends a run saves it.
    /// </summary>
    public sealed class RobustnessTests : IDisposable
    {
        private const int SigHup = 1;
        private const int SigInt = 2;

        private readonly TempDir _dir = new();

        public RobustnessTests()
        {
            TestData.WriteCsv(_dir["data.csv"], 60, 4, ["a", "b"], seed: 1);
        }

        public void Dispose() => _dir.Dispose();

        [SkippableFact]
        public void A_hard_link_to_the_data_is_the_same_file()
        {
            Skip.IfNot(OperatingSystem.IsLinux(), "device and inode are compared on Linux");
            using (var ln = System.Diagnostics.Process.Start("ln", [_dir["data.csv"], _dir["hard.csv"]]))
            {
                ln.WaitForExit();
                Assert.Equal(0, ln.ExitCode);
            }

            byte[] before = File.ReadAllBytes(_dir["data.csv"]);
            AppRun run = AppProcess.Run(_dir.Path, "train", "--data", "data.csv", "--save", "hard.csv");
            ErrorTests.AssertOneLineError(run, 2, "--save hard.csv is the same file as --data data.csv");
            Assert.Empty(run.Output);
            Assert.Equal(before, File.ReadAllBytes(_dir["data.csv"]));
        }

        [Theory]
        [InlineData("--save")]
        [InlineData("--report")]
        [InlineData("--checkpoint")]
        public void An_output_whose_temporary_name_is_too_long_is_refused_before_the_data_is_read(string option)
        {
            string name = new string('m', 240) + ".out"; // 244 bytes: fine alone, but '.NAME.<16 hex>.tmp' is 266
            AppRun run = AppProcess.Run(_dir.Path, "train", "--data", "data.csv", "--epochs", "1", option, name);
            ErrorTests.AssertOneLineError(run, 2, $"{option} '{_dir[name]}' cannot be written");
            Assert.Contains("file-name limit of 255 bytes", run.Error);
            Assert.Empty(run.Output);
        }

        [SkippableFact]
        [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
        public void An_output_in_a_read_only_directory_is_refused_before_the_data_is_read()
        {
            Skip.If(OperatingSystem.IsWindows(), "Unix permissions");
            string[]? wrapper = null;
            if (Environment.UserName == "root")
            {
                // Root writes anywhere through its DAC capabilities: run the app without them (setpriv, util-linux).
                Skip.If(!File.Exists("/usr/bin/setpriv"), "running as root without setpriv");
                wrapper = ["/usr/bin/setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"];
            }

            Directory.CreateDirectory(_dir["locked"]);
            File.SetUnixFileMode(_dir["locked"], UnixFileMode.UserRead | UnixFileMode.UserExecute);
            try
            {
                AppRun run = AppProcess.Run(_dir.Path, ["train", "--data", "data.csv", "--checkpoint", "locked/run.ckpt"], null, wrapper);
                ErrorTests.AssertOneLineError(run, 2, "--checkpoint");
                Assert.Contains("cannot create a file in", run.Error);
                Assert.Empty(run.Output);
            }
            finally
            {
                File.SetUnixFileMode(_dir["locked"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        [Fact]
        public void An_internal_error_exits_70_in_one_line()
        {
            AppRun run = AppProcess.Run(
                _dir.Path, ["train", "--data", "data.csv"], new Dictionary<string, string?> { ["GENSOFTMAX_TEST_FAULT"] = "internal" });
            Assert.True(run.ExitCode == 70, run.ToString());
            Assert.Equal(
                "error: unexpected InvalidOperationException: fault injected by GENSOFTMAX_TEST_FAULT=internal (please report this)",
                run.Error.TrimEnd('\n'));
        }

        [Theory]
        [InlineData(new[] { SigHup }, 129, "SIGHUP")] // a closed terminal or SSH session
        [InlineData(new[] { SigInt, SigInt }, 130, "SIGINT")] // a second Ctrl+C at once must not cut the save short
        public void A_run_ended_by_a_signal_is_saved(int[] signals, int exitCode, string name)
        {
            string data = GenSoftmax.Data.FashionMnist.Locate();
            AppRun cut = AppProcess.RunAndSignal(
                _dir.Path, ["train", "--data", data, "--solver", "sgd", "--epochs", "60", "--threads", "2", "--save", "cut.gsm"],
                line => Regex.IsMatch(line, @"^\s+1\s+\d\.\d{4}"), signals);
            Assert.True(cut.ExitCode == exitCode, cut.ToString());
            Assert.Matches(new Regex($@"^interrupted \({name}\) at epoch \d+, batch \d+: the run is saved in '.*cut\.gsm'"), cut.Error);
            ModelFileInfo saved = ModelFile.ReadInfo(_dir["cut.gsm"]);
            Assert.True(saved.HasTrainingState && saved.ChecksumValid);
            Assert.Empty(Directory.GetFiles(_dir.Path, ".*.tmp"));
        }
    }
}
