using System;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>
    /// Tests that count the process's allocations, or read process-wide state they set: they run alone, after the tests
    /// that run in parallel.
    /// </summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class AllocationCollection
    {
        public const string Name = "allocation counting";
    }

    /// <summary>The exact solver allocates its buffers once: an iteration allocates nothing.</summary>
    [Collection(AllocationCollection.Name)]
    public sealed class LbfgsAllocationTests
    {
        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void Iterations_allocate_nothing_beyond_the_fixed_history(int threads)
        {
            LabeledData data = LbfgsSolverTests.Data(rows: 2000);
            long Allocated(int iterations)
            {
                var model = new RuntimeSoftmaxModel(data.Inputs, 4);
                var options = new LbfgsOptions { C = 1e4, Tolerance = 1e-30, MaxIterations = iterations, Threads = threads };
                LbfgsSolver.Fit(model, data, options); // warm the JIT and the thread pool first

                // The counter is the whole process's: the test runner's own threads allocate now and then (a CI run saw
                // 68 KB in one window). The solver's allocations would be in every repetition, so the least of three counts.
                long least = long.MaxValue;
                for (int repetition = 0; repetition < 3; repetition++)
                {
                    model = new RuntimeSoftmaxModel(data.Inputs, 4);
                    long before = GC.GetTotalAllocatedBytes(precise: true);
                    SolverResult result = LbfgsSolver.Fit(model, data, options);
                    least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
                    Assert.Equal(iterations, result.Iterations);
                }

                return least;
            }

            long few = Allocated(5), many = Allocated(45);
            Assert.True(many - few < 4096, $"40 more iterations allocated {many - few:N0} more bytes ({few:N0} for 5, {many:N0} for 45)");
        }
    }
}
