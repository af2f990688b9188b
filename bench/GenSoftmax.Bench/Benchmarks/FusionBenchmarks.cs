using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Question 4: what does fusion buy? The generated fused LossAndGradient on a batch of 256 against the same
    /// result computed in four separate passes (<see cref="UnfusedLossAndGradient"/>): the generated Forward of the
    /// same variant into a [256, 10] matrix, then softmax, loss and gradient passes with TensorPrimitives.
    /// </summary>
    [MemoryDiagnoser]
    public class FusionBenchmarks
    {
        private readonly FashionModel _model = new();
        private readonly UnfusedLossAndGradient _unfused = new();
        private readonly float[] _dW = new float[BenchData.Classes * BenchData.Inputs];
        private readonly float[] _db = new float[BenchData.Classes];

        /// <summary>Kernel variant of both the fused kernel and the unfused forward pass.</summary>
        [ParamsSource(nameof(Variants))]
        public KernelIsa Isa { get; set; }

        /// <summary>The variants this CPU runs, best first.</summary>
        public static IEnumerable<KernelIsa> Variants => IsaSelection.Supported;

        /// <summary>Sets the initial weights and selects the variant, once.</summary>
        [GlobalSetup]
        public void Setup()
        {
            BenchData.InitialWeights.AsSpan().CopyTo(_model.Weights);
            _model.Isa = Isa;
        }

        /// <summary>Forward, softmax, loss and gradient in one generated kernel.</summary>
        [Benchmark(Baseline = true), Work(Flop.Batch, BenchData.BatchSize)]
        public float Fused() => _model.LossAndGradient(Batch.Of(BenchData.BatchX).WithLabels(BenchData.BatchY), _dW, _db).Loss;

        /// <summary>The same in four passes over a [256, 10] logits matrix.</summary>
        [Benchmark, Work(Flop.Batch, BenchData.BatchSize)]
        public float Unfused() => _unfused.Run(_model, BenchData.BatchX, BenchData.BatchY, _dW, _db);
    }
}
