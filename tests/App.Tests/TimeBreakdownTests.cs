using System;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>
    /// train ends with where its wall time went (start, load, train, evaluate, other, total), printed and in the report.
    /// Only the shape and the arithmetic are checked, never a speed: the machine may be busy.
    /// </summary>
    public sealed class TimeBreakdownTests
    {
        private static readonly Regex TimeLine = new(
            @"^time: start (?<start>\S+) s, load (?<load>\S+) s, train (?<train>\S+) s, evaluate (?<evaluate>\S+) s, other (?<other>\S+) s, total (?<total>\S+) s$",
            RegexOptions.Multiline);

        private static double Seconds(Match m, string part) =>
            double.Parse(m.Groups[part].Value.TrimEnd('\r'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture); // no sign: never negative

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void Train_prints_and_reports_a_breakdown_that_adds_up(bool gzip)
        {
            using var dir = new TempDir();
            Directory.CreateDirectory(dir["idx"]);
            TestData.WriteIdxDirectory(dir["idx"], 8, 6, 3, gzip);
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "idx", "--epochs", "2", "--batch", "50", "--threads", "1", "--report", "r.json");
            Assert.True(run.ExitCode == 0, run.ToString());

            Match line = Assert.Single(TimeLine.Matches(run.Output));
            string[] parts = ["start", "load", "train", "evaluate", "other"];
            double sum = 0;
            foreach (string part in parts)
            {
                sum += Seconds(line, part);
            }

            double total = Seconds(line, "total");
            Assert.True(total > 0, run.Output);
            Assert.True(Math.Abs(sum - total) <= 0.003, $"parts sum to {sum}, total {total}: {line.Value}"); // each printed to 0.001 s
            Assert.True(Seconds(line, "start") > 0, line.Value); // the runtime's start-up is never free
            Assert.True(Seconds(line, "load") > 0 && Seconds(line, "train") > 0, line.Value);

            // The line follows the result it times.
            Assert.True(run.Output.IndexOf("After 2 epochs", StringComparison.Ordinal) < line.Index, run.Output);

            using JsonDocument report = JsonDocument.Parse(File.ReadAllText(dir["r.json"]));
            JsonElement time = report.RootElement.GetProperty("time_seconds");
            double reportedSum = 0;
            foreach (string part in parts)
            {
                double value = time.GetProperty(part).GetDouble();
                Assert.True(value >= 0, $"{part} {value}");
                Assert.Equal(Seconds(line, part), value, 0.0006); // the printed figures, unrounded
                reportedSum += value;
            }

            Assert.Equal(time.GetProperty("total").GetDouble(), reportedSum, 1e-9);
        }

        [Fact]
        public void Quiet_prints_only_the_result_but_the_report_still_has_the_breakdown()
        {
            using var dir = new TempDir();
            Directory.CreateDirectory(dir["idx"]);
            TestData.WriteIdxDirectory(dir["idx"], 8, 6, 3, gzip: true);
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "idx", "--epochs", "1", "--batch", "50", "--threads", "1", "--report", "r.json", "--quiet");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.DoesNotMatch(TimeLine, run.Output);
            using JsonDocument report = JsonDocument.Parse(File.ReadAllText(dir["r.json"]));
            Assert.True(report.RootElement.GetProperty("time_seconds").GetProperty("total").GetDouble() > 0);
        }

        [Fact]
        public void A_damaged_training_images_file_is_reported_before_a_damaged_test_file()
        {
            // The training images are read on another thread than the rest; the error is still the first file's, as if
            // the files were read one by one, and it is the reader's own message (not an AggregateException).
            using var dir = new TempDir();
            Directory.CreateDirectory(dir["idx"]);
            TestData.WriteIdxDirectory(dir["idx"], 8, 6, 3, gzip: true);
            string images = dir["idx/train-images-idx3-ubyte.gz"];
            byte[] bytes = File.ReadAllBytes(images);
            bytes[^8] ^= 0xFF; // the trailer's CRC-32
            File.WriteAllBytes(images, bytes);
            // The test labels are damaged too, in their body only: every header is read and checked before any body,
            // so a damaged header would be reported first, whichever file it is in.
            string testLabels = dir["idx/t10k-labels-idx1-ubyte.gz"];
            byte[] labelBytes = File.ReadAllBytes(testLabels);
            labelBytes[^8] ^= 0xFF;
            File.WriteAllBytes(testLabels, labelBytes);

            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "idx", "--epochs", "1");
            Assert.Equal(1, run.ExitCode);
            Assert.Matches(new Regex(@"^error: .*train-images-idx3-ubyte\.gz \(gzip\): checksum mismatch"), run.Error);
            Assert.DoesNotContain("t10k", run.Error);
            Assert.DoesNotContain("AggregateException", run.Error);
        }
    }
}
