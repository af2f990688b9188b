using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using GenSoftmax.Training;

namespace GenSoftmax.Bench
{
    /// <summary>Which kernels a <see cref="RuntimeShapedBenchmarks"/> case runs.</summary>
    public enum ShapeKernels
    {
        /// <summary>Kernels the generator emitted for the shape (<c>[SoftmaxModel]</c>): the compiler.</summary>
        Generated,

        /// <summary><see cref="RuntimeSoftmaxModel"/>: loops over run-time sizes, the interpreter.</summary>
        Runtime,
    }

    /// <summary>
    /// Question (run-time shapes): what does compile-time specialisation buy? The same work through the generated kernels of a shape and
    /// through <see cref="RuntimeSoftmaxModel"/> of the same shape, in the same variant: one SGD step on a batch of 256
    /// rows and the predictions of 10,000 rows, for 784 x 10 (Fashion-MNIST, the suite's data and weights), 17 x 3
    /// (tiny: overhead decides) and 3072 x 100 (CIFAR-100 sized: the weights outgrow L2). The other shapes use random
    /// float features in 0..1 and weights drawn as <see cref="Trainer.Initialize(ISoftmaxModel, int, float)"/> draws them;
    /// speed does not depend on the values.
    /// </summary>
    [MemoryDiagnoser]
    public class RuntimeShapedBenchmarks
    {
        private const int BatchSize = BenchData.BatchSize;
        private const int PredictRows = BenchData.TestCount;

        private readonly int[] _predictions = new int[PredictRows];
        private ISoftmaxModel _model = null!;
        private Sgd _sgd = null!;
        private float[] _x = Array.Empty<float>();
        private int[] _labels = Array.Empty<int>();

        /// <summary>Kernel variant, set through <see cref="ISoftmaxModel.Isa"/> on either model.</summary>
        [ParamsSource(nameof(Variants))]
        public KernelIsa Isa { get; set; }

        /// <summary>Generated or run-time-shaped kernels.</summary>
        [Params(ShapeKernels.Generated, ShapeKernels.Runtime)]
        public ShapeKernels Kernels { get; set; }

        /// <summary>The variants this CPU runs, best first.</summary>
        public static IEnumerable<KernelIsa> Variants => IsaSelection.Supported;

        /// <summary>784 x 10 training: the suite's first batch from the suite's initial weights.</summary>
        [GlobalSetup(Target = nameof(Step784x10))]
        public void SetupStep784x10()
        {
            Create(() => new FashionModel(), BenchData.Inputs, BenchData.Classes);
            BenchData.InitialWeights.AsSpan().CopyTo(_model.Parameters[0].Values);
            (_x, _labels) = (BenchData.TrainX, BenchData.TrainY);
        }

        /// <summary>784 x 10 prediction: the 10,000 test images with the weights after one epoch.</summary>
        [GlobalSetup(Target = nameof(Predict784x10))]
        public void SetupPredict784x10()
        {
            Create(() => new FashionModel(), BenchData.Inputs, BenchData.Classes);
            BenchData.TrainedWeights.AsSpan().CopyTo(_model.Parameters[0].Values);
            BenchData.TrainedBias.AsSpan().CopyTo(_model.Parameters[1].Values);
            (_x, _labels) = (BenchData.TestX, BenchData.TestY);
        }

        /// <summary>17 x 3 on random data.</summary>
        [GlobalSetup(Targets = new[] { nameof(Step17x3), nameof(Predict17x3) })]
        public void Setup17x3() => CreateRandom(() => new Shape17x3(), 17, 3);

        /// <summary>392 x 10 on random data.</summary>
        [GlobalSetup(Target = nameof(Step392x10))]
        public void Setup392x10() => CreateRandom(() => new Shape392x10(), 392, 10);

        /// <summary>3072 x 100 on random data.</summary>
        [GlobalSetup(Targets = new[] { nameof(Step3072x100), nameof(Predict3072x100) })]
        public void Setup3072x100() => CreateRandom(() => new Shape3072x100(), 3072, 100);

        /// <summary>One SGD step (loss, gradient, update) on 256 rows of 784 features.</summary>
        [Benchmark, Work(ShapeFlop.Step784x10, BatchSize)]
        public float Step784x10() => Step();

        /// <summary>Predictions of 10,000 rows of 784 features.</summary>
        [Benchmark, Work(ShapeFlop.Predict784x10, PredictRows)]
        public int Predict784x10() => Predict();

        /// <summary>One SGD step on 256 rows of 392 features, 10 classes: W and dW fit in L1 together.</summary>
        [Benchmark, Work(ShapeFlop.Step392x10, BatchSize)]
        public float Step392x10() => Step();

        /// <summary>One SGD step on 256 rows of 17 features, 3 classes.</summary>
        [Benchmark, Work(ShapeFlop.Step17x3, BatchSize)]
        public float Step17x3() => Step();

        /// <summary>Predictions of 10,000 rows of 17 features, 3 classes.</summary>
        [Benchmark, Work(ShapeFlop.Predict17x3, PredictRows)]
        public int Predict17x3() => Predict();

        /// <summary>One SGD step on 256 rows of 3072 features, 100 classes.</summary>
        [Benchmark, Work(ShapeFlop.Step3072x100, BatchSize)]
        public float Step3072x100() => Step();

        /// <summary>Predictions of 10,000 rows of 3072 features, 100 classes.</summary>
        [Benchmark, Work(ShapeFlop.Predict3072x100, PredictRows)]
        public int Predict3072x100() => Predict();

        private float Step() =>
            _sgd.Step(Batch.Of(_x.AsSpan(0, BatchSize * _model.Inputs)).WithLabels(_labels.AsSpan(0, BatchSize))).Loss;

        private int Predict()
        {
            _model.Predict(Batch.Of(_x.AsSpan(0, PredictRows * _model.Inputs)), _predictions);
            return _predictions[^1];
        }

        /// <summary>The case's model: the generated one or a run-time-shaped one of the same shape, in the case's variant.</summary>
        private void Create(Func<ISoftmaxModel> generated, int inputs, int classes)
        {
            _model = Kernels == ShapeKernels.Generated ? generated() : new RuntimeSoftmaxModel(inputs, classes);
            if (_model.Inputs != inputs || _model.Classes != classes)
            {
                throw new InvalidOperationException($"The generated model is {_model.Inputs} x {_model.Classes}, not {inputs} x {classes}.");
            }

            _model.Isa = Isa;
            _sgd = new Sgd(_model, new SgdOptions { LearningRate = BenchData.LearningRate });
        }

        private void CreateRandom(Func<ISoftmaxModel> generated, int inputs, int classes)
        {
            Create(generated, inputs, classes);
            Trainer.Initialize(_model, BenchData.Seed);
            var random = new Random(BenchData.Seed);
            _x = new float[PredictRows * inputs];
            for (int i = 0; i < _x.Length; i++)
            {
                _x[i] = random.NextSingle();
            }

            _labels = new int[PredictRows];
            for (int i = 0; i < _labels.Length; i++)
            {
                _labels[i] = random.Next(classes);
            }
        }
    }

    /// <summary>
    /// FLOP per call of <see cref="RuntimeShapedBenchmarks"/>, counted as <see cref="Flop"/> counts them: per row, one FMA
    /// (2 FLOP) per weight in the forward product, and in a step as many again in the weight gradient.
    /// </summary>
    public static class ShapeFlop
    {
        /// <summary>256 x 784 x 10 x 2 FMAs.</summary>
        public const double Step784x10 = Flop.Batch;

        /// <summary>10,000 x 784 x 10 FMAs.</summary>
        public const double Predict784x10 = Flop.Predict;

        /// <summary>256 x 392 x 10 x 2 FMAs: half of <see cref="Step784x10"/>.</summary>
        public const double Step392x10 = 4.0 * 256 * 392 * 10;

        /// <summary>256 x 17 x 3 x 2 FMAs = 26,112 FMAs.</summary>
        public const double Step17x3 = 4.0 * 256 * 17 * 3;

        /// <summary>10,000 x 17 x 3 FMAs.</summary>
        public const double Predict17x3 = 2.0 * 10_000 * 17 * 3;

        /// <summary>256 x 3072 x 100 x 2 FMAs = 157 M FMAs = 315 MFLOP.</summary>
        public const double Step3072x100 = 4.0 * 256 * 3072 * 100;

        /// <summary>10,000 x 3072 x 100 FMAs = 3.07 G FMAs = 6.14 GFLOP.</summary>
        public const double Predict3072x100 = 2.0 * 10_000 * 3072 * 100;
    }
}
