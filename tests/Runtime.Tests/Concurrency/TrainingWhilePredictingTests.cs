using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Training;
using Xunit;
using Xunit.Abstractions;

namespace GenSoftmax.Tests.Concurrency
{
    /// <summary>
    /// A model trained by the Trainer while other threads predict with it: every prediction is computed from the
    /// parameters of one step. The trainer reports after every batch (between steps) and a synchronous progress copies the
    /// parameters then; afterwards each copy's outputs are recomputed on a fresh model with the same kernels, and every
    /// output recorded during training must equal one of them bit for bit. A large learning rate makes every step move the
    /// weights far, so an output computed from half of one step and half of the next matches none.
    /// </summary>
    public sealed class TrainingWhilePredictingTests
    {
        private const int Inputs = 64;
        private const int Classes = 10;
        private const int Predictors = 3;
        private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

        private readonly ITestOutputHelper _output;

        public TrainingWhilePredictingTests(ITestOutputHelper output) => _output = output;

        public enum Kind
        {
            /// <summary>A [SoftmaxModel] class.</summary>
            Generated,

            /// <summary>RuntimeSoftmaxModel.</summary>
            Runtime,

            /// <summary>A [SoftmaxModel(Hypercomplex = 2)] class (a HypercomplexSoftmaxModel over generated kernels), trained through its factors.</summary>
            Hypercomplex,
        }

        public static TheoryData<Kind, KernelIsa, bool> Cases()
        {
            var data = new TheoryData<Kind, KernelIsa, bool>();
            foreach (Kind kind in Enum.GetValues<Kind>())
            {
                foreach (KernelIsa isa in TestModels.Variants)
                {
                    data.Add(kind, isa, false);
                    data.Add(kind, isa, true);
                }
            }

            return data;
        }

        public static TheoryData<Kind, KernelIsa> ParallelCases()
        {
            var data = new TheoryData<Kind, KernelIsa>();
            foreach (Kind kind in Enum.GetValues<Kind>())
            {
                foreach (KernelIsa isa in TestModels.Variants)
                {
                    data.Add(kind, isa);
                }
            }

            return data;
        }

        [SkippableTheory]
        [MemberData(nameof(Cases))]
        public void Every_forward_during_training_sees_the_weights_of_one_step(Kind kind, KernelIsa isa, bool pixels)
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            ISoftmaxModel model = Create(kind, isa);
            (LabeledData data, float[] features, byte[] bytes) = Data(512, pixels, seed: 11);
            var recorders = new Dictionary<string, int>[Predictors];
            int during = 0;
            int phase = 0; // 0 before Fit, 1 during, 2 after
            var trainer = new Trainer(model, Options(kind, pixels));
            trainer.Initialize();
            var progress = new Snapshots(model, () => Volatile.Read(ref during));
            progress.Take(); // the initial parameters

            Worker[] predictors = new Worker[Predictors];
            using var started = new CountdownEvent(Predictors);
            for (int p = 0; p < Predictors; p++)
            {
                var seen = recorders[p] = new Dictionary<string, int>();
                int row = p; // each predictor its own row of the data
                predictors[p] = Worker.Start(
                    () =>
                    {
                        Span<float> logits = stackalloc float[Classes];
                        bool signalled = false;
                        while (true)
                        {
                            int before = Volatile.Read(ref phase);
                            Batch one = pixels ? Batch.Of(bytes.AsSpan(row * Inputs, Inputs)) : Batch.Of(features.AsSpan(row * Inputs, Inputs));
                            model.Forward(one, logits);
                            int after = Volatile.Read(ref phase);
                            Count(seen, Key(row, logits));
                            if (before == 1 && after == 1)
                            {
                                Interlocked.Increment(ref during);
                            }

                            if (!signalled)
                            {
                                started.Signal();
                                signalled = true;
                            }

                            if (before == 2)
                            {
                                return;
                            }
                        }
                    });
            }

            Assert.True(started.Wait(Bound), "the predictors did not start");
            Volatile.Write(ref phase, 1);
            trainer.Fit(data, progress: progress);
            Volatile.Write(ref phase, 2);
            Assert.True(Worker.JoinAll(Bound, predictors), "the predictors did not stop");

            // Each snapshot's logits for each predictor's row, from a fresh model with the same kernels.
            var expected = new HashSet<string>();
            ISoftmaxModel fresh = CreateDense(kind, isa);
            Span<float> o = stackalloc float[Classes];
            foreach ((float[] w, float[] b) in progress.Taken)
            {
                w.CopyTo(fresh.W);
                b.CopyTo(fresh.B);
                for (int row = 0; row < Predictors; row++)
                {
                    fresh.Forward(pixels ? Batch.Of(bytes.AsSpan(row * Inputs, Inputs)) : Batch.Of(features.AsSpan(row * Inputs, Inputs)), o);
                    expected.Add(Key(row, o));
                }
            }

            int total = recorders.Sum(r => r.Values.Sum());
            int unmatched = recorders.Sum(r => r.Where(e => !expected.Contains(e.Key)).Sum(e => e.Value));
            int distinct = recorders.Sum(r => r.Count);
            _output.WriteLine(
                $"{kind} {isa} {(pixels ? "bytes" : "floats")}: {progress.Taken.Count} snapshots, {total} forwards recorded " +
                $"({during} entirely during training, {distinct} distinct per row), {unmatched} matched no snapshot");
            Assert.True(during > 0, "no prediction ran while the trainer trained");
            Assert.True(progress.Taken.Count > 50, $"only {progress.Taken.Count} snapshots");
            Assert.True(distinct > Predictors * 10, $"the predictions saw only {distinct} distinct outputs: the weights barely moved");
            Assert.True(unmatched == 0, $"{unmatched} of {total} forwards matched the parameters of no step");
        }

        [SkippableTheory]
        [MemberData(nameof(ParallelCases))]
        public void Every_parallel_prediction_call_sees_the_weights_of_one_step(Kind kind, KernelIsa isa)
        {
            Skip.IfNot(IsaSelection.IsSupported(isa), $"{isa} kernels need instructions this CPU does not have");
            ISoftmaxModel model = Create(kind, isa);
            (LabeledData data, _, _) = Data(512, pixels: false, seed: 12);
            const int Rows = 4096;
            float[] rows = TestModels.Uniform(new Random(13), Rows * Inputs, -1f, 1f);
            var recorders = new Dictionary<string, int>[2];
            int during = 0;
            int phase = 0;
            var trainer = new Trainer(model, Options(kind));
            trainer.Initialize();
            var progress = new Snapshots(model, () => Volatile.Read(ref during));
            progress.Take();

            Worker[] predictors = new Worker[recorders.Length];
            using var started = new CountdownEvent(recorders.Length);
            for (int p = 0; p < recorders.Length; p++)
            {
                var seen = recorders[p] = new Dictionary<string, int>();
                predictors[p] = Worker.Start(
                    () =>
                    {
                        var predictions = new int[Rows];
                        bool signalled = false;
                        while (true)
                        {
                            int before = Volatile.Read(ref phase);
                            model.Predict(Batch.Of(rows), predictions, degreeOfParallelism: 2); // two chunks of 2048 rows
                            int after = Volatile.Read(ref phase);
                            Count(seen, Convert.ToHexString(MemoryMarshal.AsBytes(predictions.AsSpan())));
                            if (before == 1 && after == 1)
                            {
                                Interlocked.Increment(ref during);
                            }

                            if (!signalled)
                            {
                                started.Signal();
                                signalled = true;
                            }

                            if (before == 2)
                            {
                                return;
                            }
                        }
                    });
            }

            Assert.True(started.Wait(Bound), "the predictors did not start");
            Volatile.Write(ref phase, 1);
            trainer.Fit(data, progress: progress);
            Volatile.Write(ref phase, 2);
            Assert.True(Worker.JoinAll(Bound, predictors), "the predictors did not stop");

            var expected = new HashSet<string>();
            ISoftmaxModel fresh = CreateDense(kind, isa);
            var p1 = new int[Rows];
            foreach ((float[] w, float[] b) in progress.Taken)
            {
                w.CopyTo(fresh.W);
                b.CopyTo(fresh.B);
                fresh.Predict(Batch.Of(rows), p1);
                expected.Add(Convert.ToHexString(MemoryMarshal.AsBytes(p1.AsSpan())));
            }

            int total = recorders.Sum(r => r.Values.Sum());
            int unmatched = recorders.Sum(r => r.Where(e => !expected.Contains(e.Key)).Sum(e => e.Value));
            _output.WriteLine(
                $"{kind} {isa}: {progress.Taken.Count} snapshots ({expected.Count} distinct prediction sets), {total} calls of {Rows} rows recorded " +
                $"({during} entirely during training), {unmatched} matched no snapshot");
            Assert.True(during > 0, "no prediction ran while the trainer trained");
            Assert.True(expected.Count > 10, $"only {expected.Count} distinct prediction sets: the weights barely moved");
            Assert.True(unmatched == 0, $"{unmatched} of {total} calls matched the parameters of no step");
        }

        [Fact]
        public void Generated_classes_expose_a_gate_the_trainer_can_take()
        {
            // Without it the Trainer would find no gate (ISoftmaxModel.Gate's default is null) and write unguarded.
            ISoftmaxModel dense = new GateModel64x10();
            ISoftmaxModel phm = new GatePhmModel64x10();
            Assert.NotNull(dense.Gate);
            Assert.NotNull(phm.Gate);
            Assert.NotSame(dense.Gate, phm.Gate);
            Assert.Same(phm.Gate, phm.Gate);
        }

        [Theory]
        [InlineData(Kind.Generated)]
        [InlineData(Kind.Runtime)]
        [InlineData(Kind.Hypercomplex)]
        public void Training_parallel_prediction_and_nested_calls_finish_together(Kind kind)
        {
            ISoftmaxModel model = Create(kind, IsaSelection.Default);
            ParameterGate gate = model.Gate!;
            Assert.NotNull(gate);
            (LabeledData data, float[] features, _) = Data(1024, pixels: false, seed: 14);
            var options = Options(kind) with { Epochs = 4 };
            int stop = 0;
            int nested = 0;

            Worker Reader(int seed) => Worker.Start(
                () =>
                {
                    var predictions = new int[data.Count];
                    var logits = new float[Classes];
                    var dW = new float[Inputs * Classes];
                    var db = new float[Classes];
                    while (Volatile.Read(ref stop) == 0)
                    {
                        // One read held across nested calls: each passes through it, and so do ParallelPrediction's workers,
                        // while the trainer's writer waits for this thread.
                        using (gate.EnterRead())
                        {
                            model.Forward(Batch.Of(features.AsSpan(seed * Inputs, Inputs)), logits);
                            model.Predict(Batch.Of(features), predictions, degreeOfParallelism: 2);
                            model.LossAndGradient(data.Rows(new[] { seed, seed + 1 }), dW, db);
                            if (model is IHypercomplexModel h)
                            {
                                h.LossAndFactorGradient(data.Rows(new[] { seed }), new float[h.Layout.FactorALength], new float[h.Layout.FactorSLength], db);
                            }
                        }

                        model.Predict(Batch.Of(features), predictions, degreeOfParallelism: 2);
                        Interlocked.Increment(ref nested);
                    }
                });

            Worker[] readers = { Reader(0), Reader(1), Reader(2) };
            var trainer = new Trainer(model, options);
            Worker training = Worker.Start(
                () =>
                {
                    trainer.Initialize();
                    // The progress runs on the trainer's thread between steps: it may use the model like anyone else.
                    var onTrainerThread = new Reporter(_ =>
                    {
                        var predictions = new int[data.Count];
                        model.Predict(Batch.Of(features), predictions, degreeOfParallelism: 2);
                    });
                    trainer.Fit(data, progress: onTrainerThread);
                });

            Assert.True(training.Join(Bound), "training did not finish");
            Volatile.Write(ref stop, 1);
            Assert.True(Worker.JoinAll(Bound, readers), "the readers did not finish");
            Assert.Equal(options.Epochs, trainer.CompletedEpochs);
            Assert.True(Volatile.Read(ref nested) > 0);
        }

        private static TrainerOptions Options(Kind kind, bool pixels = false) => new()
        {
            Solver = TrainingSolver.Sgd,
            BatchSize = 32,
            Epochs = 6,
            Threads = 2,
            Seed = 5,
            // Large steps, so consecutive steps' outputs differ in every digit. The factors of a hypercomplex model are a
            // product, which diverges sooner: 1.5 on pixels (all positive) gave a NaN loss in epoch 3.
            Optimizer = new SgdOptions { LearningRate = kind != Kind.Hypercomplex ? 2f : pixels ? 0.5f : 1.5f },
        };

        private static ISoftmaxModel Create(Kind kind, KernelIsa isa)
        {
            ISoftmaxModel model = kind switch
            {
                Kind.Generated => new GateModel64x10(),
                Kind.Runtime => new RuntimeSoftmaxModel(Inputs, Classes),
                _ => new GatePhmModel64x10(),
            };
            model.Isa = isa;
            return model;
        }

        /// <summary>A model with the same kernels as <see cref="Create"/>'s, whose weights are set directly (a hypercomplex model runs its dense kernels on W).</summary>
        private static ISoftmaxModel CreateDense(Kind kind, KernelIsa isa)
        {
            ISoftmaxModel model = kind == Kind.Runtime ? new RuntimeSoftmaxModel(Inputs, Classes) : new GateModel64x10();
            model.Isa = isa;
            return model;
        }

        private static (LabeledData Data, float[] Features, byte[] Pixels) Data(int rows, bool pixels, int seed)
        {
            var random = new Random(seed);
            float[] features = TestModels.Uniform(random, rows * Inputs, -1f, 1f);
            var bytes = new byte[rows * Inputs];
            random.NextBytes(bytes);
            int[] labels = TestModels.Labels(random, rows, Classes);
            LabeledData data = pixels ? LabeledData.FromPixels(bytes, labels, Inputs) : LabeledData.FromFeatures(features, labels, Inputs);
            return (data, features, bytes);
        }

        private static string Key(int row, ReadOnlySpan<float> logits) => $"{row}:{Convert.ToHexString(MemoryMarshal.AsBytes(logits))}";

        private static void Count(Dictionary<string, int> seen, string key) =>
            CollectionsMarshal.GetValueRefOrAddDefault(seen, key, out _)++;

        /// <summary>
        /// Copies the parameters at every report (the trainer is between steps then), and before returning lets the
        /// predictors run at least once more, so that predictions are spread over the whole run whatever the machine's load.
        /// </summary>
        private sealed class Snapshots : IProgress<TrainingProgress>
        {
            private readonly ISoftmaxModel _model;
            private readonly Func<int> _predictions;

            public Snapshots(ISoftmaxModel model, Func<int> predictions)
            {
                _model = model;
                _predictions = predictions;
            }

            public List<(float[] Weights, float[] Bias)> Taken { get; } = new();

            public void Take() => Taken.Add((_model.Weights.ToArray(), _model.Bias.ToArray()));

            public void Report(TrainingProgress value)
            {
                Take();
                int before = _predictions();
                Assert.True(SpinWait.SpinUntil(() => _predictions() != before, Bound), "no prediction between two steps");
            }
        }

        private sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
        {
            public void Report(TrainingProgress value) => report(value);
        }
    }
}
