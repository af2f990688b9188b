using System.IO;
using Xunit;

namespace GenSoftmax.App.Tests
{
    public class InfoCommandTests
    {
        [Fact]
        public void A_damaged_model_file_is_described_and_the_command_fails()
        {
            using var dir = new TempDir();
            TestData.WriteCsv(dir["d.csv"], rows: 40, dims: 3, ["a", "b"], seed: 3);
            AppRun train = AppProcess.Run(dir.Path, "train", "--data", "d.csv", "--save", "m.gsm");
            Assert.True(train.ExitCode == 0, train.ToString());
            AppRun healthy = AppProcess.Run(dir.Path, "info", "m.gsm");
            Assert.True(healthy.ExitCode == 0, healthy.ToString());
            Assert.Equal("", healthy.Error);

            // One byte of the last tensor flipped: the structure still reads, the checksum does not hold.
            byte[] bytes = File.ReadAllBytes(dir["m.gsm"]);
            bytes[^1] ^= 0x40;
            File.WriteAllBytes(dir["m.gsm"], bytes);
            AppRun damaged = AppProcess.Run(dir.Path, "info", "m.gsm");

            Assert.Equal(1, damaged.ExitCode);
            Assert.Contains("Checksum:     INVALID", damaged.Output);
            Assert.StartsWith("error: ", damaged.Error);
            Assert.Contains("m.gsm", damaged.Error);
            Assert.Single(damaged.Error.TrimEnd().Split('\n'));
        }
    }
}
