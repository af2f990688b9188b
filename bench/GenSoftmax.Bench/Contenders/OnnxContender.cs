using System;
using GenSoftmax.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// ONNX Runtime (CPU execution provider) running the trained model as Gemm + Softmax (+ ArgMax), exported in
    /// memory by the GenSoftmax.Onnx package (<see cref="OnnxExport"/>, float features). Input and outputs are bound
    /// once to pinned managed arrays with an <see cref="OrtIoBinding"/>, so a run copies nothing on the managed side.
    /// </summary>
    public sealed class OnnxContender : Contender
    {
        private readonly int _threads;
        private readonly FashionModel _model = new();
        private readonly RunOptions _runOptions = new();
        private InferenceSession? _session;
        private OrtIoBinding? _predictBinding;
        private OrtIoBinding? _probabilitiesBinding;
        private OrtValue? _input;
        private OrtValue? _labelValue;
        private OrtValue? _probabilitiesValue;
        private long[] _labels = Array.Empty<long>();
        private float[] _probabilities = Array.Empty<float>();
        private float[]? _x;

        /// <param name="threads">Intra-op threads of the session.</param>
        public OnnxContender(int threads) => _threads = threads;

        /// <summary>Null when ONNX Runtime's native library loads here, else why not.</summary>
        public static string? UnavailableReason { get; } = Probe();

        /// <inheritdoc />
        public override string Name => Contenders.OnnxName(_threads);

        /// <inheritdoc />
        public override bool CanTrain => false;

        /// <inheritdoc />
        public override void SetParameters(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias)
        {
            weights.CopyTo(_model.Weights);
            bias.CopyTo(_model.Bias);
            using var options = new SessionOptions
            {
                IntraOpNumThreads = _threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            DisposeSession();
            _session = new InferenceSession(OnnxExport.ToBytes(_model), options);
            Bind();
        }

        /// <inheritdoc />
        public override void GetParameters(Span<float> weights, Span<float> bias)
        {
            _model.Weights.CopyTo(weights);
            _model.Bias.CopyTo(bias);
        }

        /// <inheritdoc />
        public override void Load(float[] x, int[] labels)
        {
            _x = x;
            _input?.Dispose();
            _labelValue?.Dispose();
            _probabilitiesValue?.Dispose();
            _labels = new long[labels.Length];
            _probabilities = new float[labels.Length * BenchData.Classes];
            _input = OrtValue.CreateTensorValueFromMemory(x, new long[] { labels.Length, BenchData.Inputs });
            _labelValue = OrtValue.CreateTensorValueFromMemory(_labels, new long[] { labels.Length });
            _probabilitiesValue = OrtValue.CreateTensorValueFromMemory(_probabilities, new long[] { labels.Length, BenchData.Classes });
            Bind();
        }

        /// <inheritdoc />
        public override void Predict(Span<int> predictions)
        {
            _session!.RunWithBinding(_runOptions, _predictBinding!);
            for (int i = 0; i < predictions.Length; i++)
            {
                predictions[i] = (int)_labels[i];
            }
        }

        /// <inheritdoc />
        public override void Probabilities(Span<float> probabilities)
        {
            _session!.RunWithBinding(_runOptions, _probabilitiesBinding!);
            _probabilities.CopyTo(probabilities);
        }

        /// <inheritdoc />
        public override void Dispose()
        {
            DisposeSession();
            _input?.Dispose();
            _labelValue?.Dispose();
            _probabilitiesValue?.Dispose();
            _runOptions.Dispose();
        }

        private void Bind()
        {
            if (_session is null || _x is null)
            {
                return;
            }

            _predictBinding?.Dispose();
            _probabilitiesBinding?.Dispose();
            _predictBinding = _session.CreateIoBinding();
            _predictBinding.BindInput(OnnxExport.InputName, _input!);
            _predictBinding.BindOutput(OnnxExport.LabelOutput, _labelValue!);
            _probabilitiesBinding = _session.CreateIoBinding();
            _probabilitiesBinding.BindInput(OnnxExport.InputName, _input!);
            _probabilitiesBinding.BindOutput(OnnxExport.ProbabilitiesOutput, _probabilitiesValue!);
        }

        private void DisposeSession()
        {
            _predictBinding?.Dispose();
            _probabilitiesBinding?.Dispose();
            _predictBinding = null;
            _probabilitiesBinding = null;
            _session?.Dispose();
            _session = null;
        }

        private static string? Probe()
        {
            try
            {
                _ = OrtEnv.Instance().GetVersionString();
                return null;
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
            {
                return (e.InnerException ?? e).Message.Split('\n')[0];
            }
        }
    }
}
