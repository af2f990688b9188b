using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics.X86;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>
    /// A CPU with a faster kernel variant than the program runs says so once: here the runtime is told not to use AVX2
    /// (DOTNET_EnableAVX2=0), the JIT's form of a native binary published without an instruction set.
    /// </summary>
    public sealed class PerformanceWarningTests
    {
        private static readonly Dictionary<string, string?> NoAvx2 = new() { ["DOTNET_EnableAVX2"] = "0" };

        [SkippableFact]
        public void Train_and_info_name_the_setting_that_hides_avx2_once()
        {
            Skip.IfNot(X86Base.IsSupported && (X86Base.CpuId(7, 0).Ebx & (1 << 5)) != 0, "this CPU has no AVX2 to turn off");
            using var dir = new TempDir();
            TestData.WriteCsv(dir["train.csv"], 200, 12, ["a", "b", "c"], seed: 1);

            AppRun train = AppProcess.Run(dir.Path, ["train", "--data", "train.csv", "--epochs", "1", "--batch", "16"], NoAvx2);
            Assert.True(train.ExitCode == 0, train.ToString());
            string warning = Assert.Single(train.Error.Split('\n'), l => l.StartsWith("warning:", StringComparison.Ordinal));
            Assert.Contains($"this CPU has {IsaSelection.CpuBest}", warning);
            Assert.Contains("Portable kernels", warning);
            Assert.Contains("DOTNET_EnableAVX2=0", warning);
            Assert.Contains("kernels: Portable", train.Output);

            AppRun info = AppProcess.Run(dir.Path, ["info"], NoAvx2);
            Assert.True(info.ExitCode == 0, info.ToString());
            Assert.Contains($"Missing:      {IsaSelection.CpuBest}", info.Output);
            Assert.Single(info.Error.Split('\n'), l => l.StartsWith("warning:", StringComparison.Ordinal) && l.Contains("DOTNET_EnableAVX2=0", StringComparison.Ordinal));

            // Without the setting nothing is missing, and nothing is said.
            AppRun plain = AppProcess.Run(dir.Path, "train", "--data", "train.csv", "--epochs", "1", "--batch", "16");
            Assert.True(plain.ExitCode == 0, plain.ToString());
            Assert.DoesNotContain("warning:", plain.Error, StringComparison.Ordinal);
        }
    }
}
