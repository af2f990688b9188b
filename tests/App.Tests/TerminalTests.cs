using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>
    /// The app on a terminal: run under util-linux <c>script</c>, which gives it a pseudo-terminal as stdout, so the live
    /// Spectre.Console progress and the 24-bit grey images are what it prints.
    /// </summary>
    public sealed class TerminalTests
    {
        private static AppRun OnTerminal(string workingDirectory, string arguments)
        {
            Skip.If(!File.Exists("/usr/bin/script"), "util-linux script is not installed: no pseudo-terminal to run the app on");
            string command = $"dotnet {AppProcess.AppAssembly} {arguments}";
            return AppProcess.RunCommand(workingDirectory, "/usr/bin/script", ["-qec", command, "/dev/null"], new Dictionary<string, string?> { ["TERM"] = "xterm-256color", ["COLUMNS"] = "100" });
        }

        [SkippableFact]
        public void Train_shows_live_progress_and_a_summary_table()
        {
            using var dir = new TempDir();
            Directory.CreateDirectory(dir["idx"]);
            TestData.WriteIdxDirectory(dir["idx"], 8, 6, 3, gzip: false);
            AppRun run = OnTerminal(dir.Path, "train --data idx --epochs 2 --batch 50 --threads 1 --save m.gsm");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("epoch 1/2 12/12 loss", run.Output);
            Assert.Contains("epoch 2/2 12/12 loss", run.Output);
            Assert.Contains("img/s", run.Output);
            Assert.Matches(@"img/s test acc \d\.\d{4}", run.Output); // an ended epoch shows its test accuracy
            Assert.Contains("training summary", run.Output);
            Assert.DoesNotContain("epoch  train loss  train acc", run.Output); // the redirected-output table
            Assert.Contains("After 2 epochs", run.Output);

            AppRun predict = OnTerminal(dir.Path, "predict m.gsm --data idx --count 1");
            Assert.True(predict.ExitCode == 0, predict.ToString());
            Assert.Contains("\u001b[38;2;", predict.Output); // grey foreground (top pixel) ...
            Assert.Contains("\u001b[48;2;", predict.Output); // ... on grey background (bottom pixel)
            Assert.Contains("\u2580", predict.Output);
            Assert.Contains("true: ", predict.Output);
        }
    }
}
