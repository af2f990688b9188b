using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using CsCheck;
using Xunit;
using Xunit.Abstractions;

namespace GenSoftmax.Fuzz
{
    /// <summary>
    /// Runs property-based tests (CsCheck generators) over mutated files of one format: every case must end in a correct
    /// load or the format's documented exception naming the file, within a time bound (a hang detector, not a speed test)
    /// and without allocating more than the file can justify.
    /// </summary>
    /// <remarks>
    /// The cases come from a fixed seed, so a CI run is repeatable; <c>GENSOFTMAX_FUZZ_CASES</c> sets the cases per
    /// format (default <see cref="DefaultCases"/>), <c>GENSOFTMAX_FUZZ_SEED</c> another seed, and
    /// <c>GENSOFTMAX_FUZZ_REPORT</c> a file to which each format appends its outcome counts. A failure names the seed,
    /// the case number and the mutation, which is enough to rebuild the file.
    /// </remarks>
    internal static class FuzzRunner
    {
        private const int DefaultCases = 300;
        private const ulong DefaultSeed = 13_2026_11_30;

        /// <summary>Generous: a case that takes this long is hung, not slow (the machine may be busy).</summary>
        private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(30);

        private static int Cases =>
            int.TryParse(Environment.GetEnvironmentVariable("GENSOFTMAX_FUZZ_CASES"), CultureInfo.InvariantCulture, out int n) && n > 0
                ? n
                : DefaultCases;

        private static ulong Seed =>
            ulong.TryParse(Environment.GetEnvironmentVariable("GENSOFTMAX_FUZZ_SEED"), CultureInfo.InvariantCulture, out ulong s)
                ? s
                : DefaultSeed;

        /// <summary>
        /// Runs <see cref="Cases"/> mutations of <paramref name="format"/>'s valid file in <paramref name="directory"/>: each
        /// must load correctly or throw the documented exception naming the file, in time and within the allocation bound.
        /// </summary>
        public static void Run(FuzzFormat format, string directory, ITestOutputHelper output)
        {
            if (format.Companion is { } companion)
            {
                File.WriteAllBytes(Path.Combine(directory, companion.Name), companion.Bytes);
            }

            string path = Path.Combine(directory, format.FileName);

            // The valid file loads: otherwise every "rejected" below would prove nothing.
            File.WriteAllBytes(path, format.Valid);
            format.CheckLoaded(format.Valid, new Truncate(int.MaxValue, false), format.Load(path));

            ulong seed = Seed ^ (ulong)StableHash(format.Name);
            var pcg = new PCG(1, seed);
            var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
            int loaded = 0, rejected = 0;
            for (int i = 0; i < Cases; i++)
            {
                Mutation mutation = format.Mutations.Generate(pcg, null, out _);
                byte[] bytes = mutation.Apply(format.Valid);
                File.WriteAllBytes(path, bytes);
                string where = $"{format.Name} case {i} of seed {Seed} ({mutation}; {bytes.Length} bytes)";

                Task<(object? Result, Exception? Error, long Allocated)> run = Task.Run(() =>
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    try
                    {
                        object result = format.Load(path);
                        return (result, (Exception?)null, GC.GetAllocatedBytesForCurrentThread() - before);
                    }
                    catch (Exception e)
                    {
                        return ((object?)null, e, GC.GetAllocatedBytesForCurrentThread() - before);
                    }
                });
                Assert.True(run.Wait(PerCase), $"{where}: did not finish within {PerCase.TotalSeconds} s (a hang)");
                (object? result, Exception? error, long allocated) = run.Result;

                long bound = format.AllocationBound(bytes);
                Assert.True(allocated <= bound, $"{where}: allocated {allocated:N0} bytes, more than the file justifies ({bound:N0})");

                string outcome;
                if (error is null)
                {
                    try
                    {
                        format.CheckLoaded(bytes, mutation, result!);
                    }
                    catch (Exception e)
                    {
                        throw new Xunit.Sdk.XunitException($"{where}: loaded, but wrongly: {e.Message}");
                    }

                    outcome = "loaded";
                    loaded++;
                }
                else
                {
                    Assert.True(error.GetType() == format.Documented,
                        $"{where}: threw {error.GetType().Name}, not the documented {format.Documented.Name}: {error}");
                    bool namesFile = error.Message.Contains(format.FileName, StringComparison.Ordinal) ||
                        (format.Companion is { } c && error.Message.Contains(c.Name, StringComparison.Ordinal));
                    Assert.True(namesFile,
                        $"{where}: the message does not name the file: {error.Message}");
                    Assert.False(error.Message.Contains("unsupported compression method", StringComparison.OrdinalIgnoreCase),
                        $"{where}: damage reported as an unsupported compression method: {error.Message}");
                    try
                    {
                        format.CheckRejected?.Invoke(bytes, error);
                    }
                    catch (Exception e)
                    {
                        throw new Xunit.Sdk.XunitException($"{where}: rejected, but wrongly: {e.Message}");
                    }

                    outcome = "rejected";
                    rejected++;
                }

                string kind = mutation.Kind;
                counts[$"{kind}: {outcome}"] = counts.GetValueOrDefault($"{kind}: {outcome}") + 1;
            }

            string summary = $"{format.Name}: {Cases} cases (seed {Seed}): {loaded} loaded correctly, " +
                $"{rejected} rejected with {format.Documented.Name}, 0 other exceptions, hangs or over-allocations; by mutation: " +
                string.Join("; ", counts.Select(c => $"{c.Key} {c.Value}"));
            output.WriteLine(summary);
            if (Environment.GetEnvironmentVariable("GENSOFTMAX_FUZZ_REPORT") is { Length: > 0 } report)
            {
                File.AppendAllText(report, summary + Environment.NewLine);
            }

            Assert.True(rejected > 0, $"{format.Name}: no mutated file was rejected; the mutations are not reaching the reader");
        }

        private static int StableHash(string text)
        {
            int hash = 17;
            foreach (char c in text)
            {
                hash = unchecked(hash * 31 + c);
            }

            return hash;
        }
    }
}
