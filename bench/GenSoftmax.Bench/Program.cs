using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// <c>dotnet run -c Release --project bench/GenSoftmax.Bench -- [--verify | --short] [BenchmarkDotNet options]</c>
    /// </summary>
    public static class Program
    {
        /// <summary>Runs the verification (<c>--verify</c>), the short suite (<c>--short</c>) or the full suite.</summary>
        public static int Main(string[] args)
        {
            var rest = new List<string>(args);
            if (rest.Remove("--verify"))
            {
                return Verify.Run(Console.Out);
            }

            if (rest.Remove("--help") || rest.Remove("-h"))
            {
                Console.WriteLine("""
                    GenSoftmax benchmarks (BenchmarkDotNet).
                      --verify   check every contender against the scalar reference on one batch, no timing; exit 1 on mismatch
                      --short    ShortRun job (1 launch, 3 warm-ups, 3 iterations): the whole suite in a few minutes
                      (none)     the full suite with BenchmarkDotNet's default job
                    Any other option goes to BenchmarkDotNet, e.g. --filter '*Predict*' or --list flat.
                    Without --filter every benchmark runs.
                    """);
                return 0;
            }

            bool shortRun = rest.Remove("--short");
            PrintHeader(Console.Out);
            if (!rest.Any(a => a.StartsWith("--filter", StringComparison.Ordinal) || a == "-f" || a.StartsWith("--list", StringComparison.Ordinal)))
            {
                rest.AddRange(new[] { "--filter", "*" });
            }

            IEnumerable<Summary> summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.ToArray(), BenchConfig.Create(shortRun));
            bool failed = false;
            foreach (Summary summary in summaries)
            {
                failed |= summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success);
            }

            return failed ? 1 : 0;
        }

        /// <summary>What every report starts with: machine, ISA, the measured peak, the data, and peers that cannot run here.</summary>
        internal static void PrintHeader(System.IO.TextWriter output)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"GenSoftmax bench: .NET {Environment.Version}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, kernels {string.Join("/", IsaSelection.Supported)} (best {IsaSelection.Best})"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Peak FMA, one core (best of 15 quick runs): Vector512 {PeakFma.Measured.Vector512:F1} GFLOP/s, Vector256 {PeakFma.Measured.Vector256:F1} GFLOP/s; \"% peak\" is relative to {PeakFma.SingleCoreGflops:F1} x threads"));
            output.WriteLine("Data: " + BenchData.Source);
            foreach (string line in Contenders.Unavailable())
            {
                output.WriteLine(line);
            }
        }
    }
}
