using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Columns computed from each benchmark's <see cref="WorkAttribute"/> and its mean time: GFLOP/s, percent of the
    /// measured FMA peak of the cores the case uses, images per second, and GB/s read for memory benchmarks.
    /// </summary>
    public sealed class WorkColumn : IColumn
    {
        private readonly Kind _kind;

        private WorkColumn(Kind kind) => _kind = kind;

        /// <summary>What the column shows.</summary>
        public enum Kind
        {
            /// <summary>Work FLOP / mean time.</summary>
            Gflops,

            /// <summary>GFLOP/s / (single-core peak x cores used).</summary>
            PercentOfPeak,

            /// <summary>Images / mean time.</summary>
            ImagesPerSecond,

            /// <summary>Bytes read / mean time, in GB/s (10^9 bytes a second).</summary>
            BytesPerSecond,
        }

        /// <summary>The four columns, in table order.</summary>
        public static IColumn[] All { get; } =
        {
            new WorkColumn(Kind.Gflops), new WorkColumn(Kind.PercentOfPeak), new WorkColumn(Kind.ImagesPerSecond),
            new WorkColumn(Kind.BytesPerSecond),
        };

        /// <inheritdoc />
        public string Id => "GenSoftmax.Work." + _kind;

        /// <inheritdoc />
        public string ColumnName => _kind switch
        {
            Kind.Gflops => "GFLOP/s",
            Kind.PercentOfPeak => "% peak",
            Kind.ImagesPerSecond => "img/s",
            _ => "GB/s",
        };

        /// <inheritdoc />
        public bool AlwaysShow => true;

        /// <inheritdoc />
        public ColumnCategory Category => ColumnCategory.Custom;

        /// <inheritdoc />
        public int PriorityInCategory => (int)_kind;

        /// <inheritdoc />
        public bool IsNumeric => true;

        /// <inheritdoc />
        public UnitType UnitType => UnitType.Dimensionless;

        /// <inheritdoc />
        public string Legend => _kind switch
        {
            Kind.Gflops => "Floating-point operations per second (an FMA is 2 FLOP; only the forward and weight-gradient products are counted)",
            Kind.PercentOfPeak => string.Create(CultureInfo.InvariantCulture,
                $"GFLOP/s as a share of the single-core FMA peak measured at start-up ({PeakFma.SingleCoreGflops:F1} GFLOP/s, {PeakFma.Kind}) times the threads the case uses"),
            Kind.ImagesPerSecond => "Images processed per second",
            _ => "Bytes of memory read per second, in 10^9 (memory benchmarks only)",
        };

        /// <inheritdoc />
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        /// <inheritdoc />
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            WorkAttribute? work = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<WorkAttribute>();
            double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
            if (work is null || meanNs is not > 0)
            {
                return "-";
            }

            double seconds = meanNs.Value * 1e-9;
            double gflops = work.Flop / seconds / 1e9;
            if (work.Flop <= 0 && _kind != Kind.BytesPerSecond)
            {
                return "-";
            }

            return _kind switch
            {
                Kind.Gflops => gflops.ToString("F1", CultureInfo.InvariantCulture),
                Kind.PercentOfPeak => PeakFma.SingleCoreGflops > 0
                    ? (100 * gflops / (PeakFma.SingleCoreGflops * ThreadsOf(benchmarkCase))).ToString("F1", CultureInfo.InvariantCulture) + "%"
                    : "-",
                Kind.ImagesPerSecond => work.Images > 0 ? FormatRate(work.Images / seconds) : "-",
                _ => work.Bytes > 0 ? (work.Bytes / seconds / 1e9).ToString("F1", CultureInfo.InvariantCulture) : "-",
            };
        }

        /// <inheritdoc />
        /// <remarks>The GB/s column appears only in tables with a memory benchmark.</remarks>
        public bool IsAvailable(Summary summary) => _kind != Kind.BytesPerSecond || summary.BenchmarksCases.Any(
            c => c.Descriptor.WorkloadMethod.GetCustomAttribute<WorkAttribute>() is { Bytes: > 0 });

        /// <inheritdoc />
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        /// <inheritdoc />
        public override string ToString() => ColumnName;

        /// <summary>Threads a case runs on: every core for a method named "...AllCores", else its <c>Threads</c> parameter, or the
        /// contender's, else 1.</summary>
        internal static int ThreadsOf(BenchmarkCase benchmarkCase)
        {
            if (benchmarkCase.Descriptor.WorkloadMethod.Name.EndsWith("AllCores", StringComparison.Ordinal))
            {
                return Environment.ProcessorCount;
            }

            foreach (var parameter in benchmarkCase.Parameters.Items)
            {
                if (parameter.Name == "Threads" && parameter.Value is int threads)
                {
                    return threads;
                }

                if (parameter.Name == "Contender" && parameter.Value is string contender)
                {
                    return Contenders.ThreadsOf(contender);
                }
            }

            return 1;
        }

        private static string FormatRate(double perSecond) => perSecond >= 1e6
            ? (perSecond / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M"
            : (perSecond / 1e3).ToString("F1", CultureInfo.InvariantCulture) + " k";
    }
}
