using System;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// The work one call of a benchmark method does, read by <see cref="WorkColumn"/> to turn the mean time into
    /// GFLOP/s, percent of the measured FMA peak, images per second and, for memory benchmarks, GB/s read.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
    public sealed class WorkAttribute : Attribute
    {
        /// <param name="flop">Floating-point operations per call, an FMA counting as two.</param>
        /// <param name="images">Images per call (0 when the method does not process images).</param>
        public WorkAttribute(double flop, int images = 0)
        {
            Flop = flop;
            Images = images;
        }

        /// <summary>Floating-point operations per call, an FMA counting as two.</summary>
        public double Flop { get; }

        /// <summary>Images per call.</summary>
        public int Images { get; }

        /// <summary>Bytes of memory read per call, for a GB/s column (0 when the method is not a memory benchmark).</summary>
        public double Bytes { get; set; }
    }

    /// <summary>FLOP counts of the benchmarked operations. Only the two matrix products count: forward and weight gradient.</summary>
    public static class Flop
    {
        /// <summary>One FMA of weights and inputs per (row, weight) in each of forward and dW: 2 FMAs x 2 FLOP.</summary>
        private const double PerImageTrain = BenchData.Inputs * BenchData.Classes * 2.0 * 2.0;

        /// <summary>Forward only: 1 FMA x 2 FLOP per (row, weight).</summary>
        private const double PerImagePredict = BenchData.Inputs * BenchData.Classes * 2.0;

        /// <summary>A training batch of 256: 256 x 784 x 10 x 2 FMAs = 4.01 M FMAs = 8.03 MFLOP.</summary>
        public const double Batch = BenchData.BatchSize * PerImageTrain;

        /// <summary>An epoch of 60,000: 60,000 x 784 x 10 x 2 FMAs = 940.8 M FMAs = 1.88 GFLOP.</summary>
        public const double Epoch = BenchData.TrainCount * PerImageTrain;

        /// <summary>Predicting the 10,000 test images: 78.4 M FMAs = 157 MFLOP.</summary>
        public const double Predict = BenchData.TestCount * PerImagePredict;
    }

    /// <summary>
    /// Drops benchmark cases that cannot run here or that the suite leaves out on purpose, so nothing fails for a
    /// reason the reader already knows.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
    public sealed class SkipContendersAttribute : Attribute
    {
        /// <param name="contenders">Values of the <c>Contender</c> parameter this method is not run with.</param>
        public SkipContendersAttribute(params string[] contenders) => Contenders = contenders;

        /// <summary>Values of the <c>Contender</c> parameter this method is not run with.</summary>
        public string[] Contenders { get; }
    }

    /// <summary>The method runs only with contenders whose name starts with one of these prefixes.</summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
    public sealed class OnlyContendersAttribute : Attribute
    {
        /// <param name="prefixes">Prefixes of the <c>Contender</c> values the method runs with, e.g. "Gen-".</param>
        public OnlyContendersAttribute(params string[] prefixes) => Prefixes = prefixes;

        /// <summary>Prefixes of the <c>Contender</c> values the method runs with.</summary>
        public string[] Prefixes { get; }
    }

    /// <summary>The method needs this kernel variant's instructions; it is left out on CPUs without them.</summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
    public sealed class RequiresIsaAttribute : Attribute
    {
        /// <param name="isa">The instruction set the method calls.</param>
        public RequiresIsaAttribute(KernelIsa isa) => Isa = isa;

        /// <summary>The instruction set the method calls.</summary>
        public KernelIsa Isa { get; }
    }
}
