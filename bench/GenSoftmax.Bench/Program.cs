using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Configs;
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

            // Reports stay under the directory the suite was started from, as BenchmarkDotNet does by default.
            string artifacts = Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");
            EnterProjectDirectory();
            IEnumerable<Summary> summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
                .Run(rest.ToArray(), BenchConfig.Create(shortRun).WithArtifactsPath(artifacts));
            bool failed = false;
            foreach (Summary summary in summaries)
            {
                failed |= summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success);
            }

            return failed ? 1 : 0;
        }

        /// <summary>
        /// BenchmarkDotNet builds its child processes from this project and looks for the .csproj under the current
        /// directory only: started from anywhere but the repository or the project folder, it fails to build.
        /// </summary>
        private static void EnterProjectDirectory()
        {
            string? project = typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "ProjectDirectory")?.Value;
            if (project is null || !Directory.Exists(project))
            {
                return;
            }

            string current = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Directory.GetCurrentDirectory())) + Path.DirectorySeparatorChar;
            string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(project)) + Path.DirectorySeparatorChar;
            if (!full.StartsWith(current, StringComparison.Ordinal))
            {
                Directory.SetCurrentDirectory(project);
            }
        }

        /// <summary>What every report starts with: machine, ISA, the measured peak, the data, and peers that cannot run here.</summary>
        internal static void PrintHeader(TextWriter output)
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
