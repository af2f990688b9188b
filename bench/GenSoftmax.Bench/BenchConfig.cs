using System;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace GenSoftmax.Bench
{
    /// <summary>The suite's BenchmarkDotNet configuration: the work columns, and the filter for cases left out on purpose.</summary>
    public static class BenchConfig
    {
        /// <summary>
        /// The full suite uses BenchmarkDotNet's default job (pilot, warm-up, 15–100 iterations until the error is
        /// small); <paramref name="shortRun"/> uses its ShortRun job (1 launch, 3 warm-ups, 3 iterations).
        /// </summary>
        public static IConfig Create(bool shortRun)
        {
            Job job = (shortRun ? Job.ShortRun : Job.Default).WithId(shortRun ? "ShortRun" : "Full");
#if !TORCHSHARP
            // BenchmarkDotNet builds the project again for its child processes: keep TorchSharp out of that build too.
            job = job.WithArguments(new[] { new MsBuildArgument("/p:WithTorchSharp=false") });
#endif
            return DefaultConfig.Instance
                .AddJob(job.AsDefault())
                .AddColumn(WorkColumn.All)
                .AddFilter(new SimpleFilter(IsRunnable))
                .WithOptions(ConfigOptions.DisableLogFile)
                .WithSummaryStyle(DefaultConfig.Instance.SummaryStyle.WithMaxParameterColumnWidth(20));
        }

        /// <summary>False for a case whose method needs an ISA this CPU lacks, or that does not run with its contender.</summary>
        public static bool IsRunnable(BenchmarkCase benchmarkCase)
        {
            MethodInfo method = benchmarkCase.Descriptor.WorkloadMethod;
            if (method.GetCustomAttribute<RequiresIsaAttribute>() is { } isa && !IsaSelection.IsSupported(isa.Isa))
            {
                return false;
            }

            if (benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Contender")?.Value is not string contender)
            {
                return true;
            }

            if (method.GetCustomAttribute<SkipContendersAttribute>() is { } skip && skip.Contenders.Contains(contender, StringComparer.Ordinal))
            {
                return false;
            }

            return method.GetCustomAttribute<OnlyContendersAttribute>() is not { } only
                || only.Prefixes.Any(prefix => contender.StartsWith(prefix, StringComparison.Ordinal));
        }
    }
}
