using System;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>The Newton solver allocates its buffers once: an iteration, with its Hessian-vector products, allocates nothing.</summary>
    [Collection(AllocationCollection.Name)]
    public sealed class NewtonAllocationTests
    {
        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void Iterations_allocate_nothing(int threads)
        {
            LabeledData data = LbfgsSolverTests.Data(rows: 2000);
            (long Bytes, int Products) Allocated(int iterations)
            {
                // C = 1e4 is flat enough that these iterations all run in float, with products in every one.
                var options = new LbfgsOptions { C = 1e4, Tolerance = 1e-30, MaxIterations = iterations, Threads = threads };
                NewtonSolver.Fit(new RuntimeSoftmaxModel(data.Inputs, 4), data, options); // warm the JIT and the threads first

                // The least of three counts: the test runner's own threads allocate now and then (see LbfgsAllocationTests).
                long least = long.MaxValue;
                int products = 0;
                for (int repetition = 0; repetition < 3; repetition++)
                {
                    var model = new RuntimeSoftmaxModel(data.Inputs, 4);
                    long before = GC.GetTotalAllocatedBytes(precise: true);
                    SolverResult result = NewtonSolver.Fit(model, data, options);
                    least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
                    Assert.Equal(iterations, result.Iterations);
                    products = result.HessianProducts;
                }

                return (least, products);
            }

            (long few, int fewProducts) = Allocated(2);
            (long many, int manyProducts) = Allocated(8);
            Assert.True(manyProducts > fewProducts + 10, $"{fewProducts} and {manyProducts} products");
            Assert.True(many - few < 4096, $"6 more iterations ({manyProducts - fewProducts} more products) allocated {many - few:N0} more bytes");
        }
    }
}
