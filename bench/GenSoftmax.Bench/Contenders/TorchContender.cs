using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
#if TORCHSHARP
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
#endif

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Whether TorchSharp's native libtorch loads here, decided once without letting TorchSharp try: its own
    /// fallback copies about 600 MB of libtorch into the output folder before failing with several pages of
    /// trace. libtorch 2.10 needs a newer libstdc++ (GLIBCXX_3.4.32, gcc 13) than Debian 12 has, so on such a
    /// machine the reason names the missing symbol version.
    /// </summary>
    public static class TorchAvailability
    {
        private static readonly Lazy<string?> s_reason = new(Probe);

        /// <summary>Null when TorchSharp works here, else why not.</summary>
        public static string? UnavailableReason => s_reason.Value;

        /// <summary>Whether TorchSharp works here.</summary>
        public static bool IsAvailable => UnavailableReason is null;

        private static string? Probe()
        {
#if !TORCHSHARP
            return "this build leaves TorchSharp out (built with -p:WithTorchSharp=false)";
#else
            string rid = RuntimeInformation.RuntimeIdentifier;
            string nativeDir = Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native");
            string library = OperatingSystem.IsWindows() ? "LibTorchSharp.dll"
                : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib"
                : "libLibTorchSharp.so";
            string path = Path.Combine(nativeDir, library);
            if (!File.Exists(path))
            {
                return $"{library} is not in {nativeDir} (TorchSharp-cpu ships libtorch for linux-x64, win-x64 and osx-arm64; this is {rid})";
            }

            try
            {
                // dlopen pulls in libtorch_cpu, libc10 and libgomp from the same folder; a failure carries the loader's message.
                NativeLibrary.Free(NativeLibrary.Load(path));
            }
            catch (DllNotFoundException e)
            {
                return "the native library does not load: " + LoaderMessage(e.Message);
            }

            try
            {
                using Tensor probe = torch.ones(3);
                float sum = probe.sum().item<float>();
                return sum == 3f ? null : $"torch.ones(3).sum() returned {sum}";
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or InvalidOperationException)
            {
                return (e.InnerException ?? e).Message.Split('\n')[0];
            }
#endif
        }

        /// <summary>The line of the loader's message that says what is missing, e.g. "version `GLIBCXX_3.4.32' not found (required by ...)".</summary>
        private static string LoaderMessage(string message)
        {
            string[] lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.FirstOrDefault(l => l.Contains("version", StringComparison.Ordinal) && l.Contains("not found", StringComparison.Ordinal))
                ?? lines.LastOrDefault(l => l.Contains(".so", StringComparison.Ordinal) || l.Contains(".dll", StringComparison.Ordinal))
                ?? message;
        }
    }


#if TORCHSHARP
    /// <summary>
    /// TorchSharp-cpu as a PyTorch user writes it: nn.Linear(784, 10), functional.cross_entropy on the logits,
    /// autograd, optim.SGD; <c>torch.set_num_threads</c> picks 1 thread or all cores. Batches are
    /// <c>narrow</c> views of tensors that hold the whole data set, so no copy happens per step.
    /// </summary>
    public sealed class TorchContender : Contender
    {
        private readonly int _threads;
        private readonly Linear _linear;
        private SGD? _sgd;
        private float _sgdRate = float.NaN;
        private Tensor? _x;
        private Tensor? _y;

        /// <param name="threads">Intra-op threads for libtorch.</param>
        public TorchContender(int threads)
        {
            if (TorchAvailability.UnavailableReason is { } reason)
            {
                throw new PlatformNotSupportedException("TorchSharp unavailable: " + reason);
            }

            _threads = threads;
            torch.set_num_threads(threads);
            _linear = nn.Linear(BenchData.Inputs, BenchData.Classes);
        }

        /// <inheritdoc />
        public override string Name => Contenders.TorchName(_threads);

        /// <inheritdoc />
        public override void SetParameters(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias)
        {
            using var scope = torch.NewDisposeScope();
            using (torch.no_grad())
            {
                _linear.weight!.copy_(torch.tensor(weights.ToArray(), new long[] { BenchData.Classes, BenchData.Inputs }));
                _linear.bias!.copy_(torch.tensor(bias.ToArray(), new long[] { BenchData.Classes }));
            }
        }

        /// <inheritdoc />
        public override void GetParameters(Span<float> weights, Span<float> bias)
        {
            _linear.weight!.data<float>().ToArray().CopyTo(weights);
            _linear.bias!.data<float>().ToArray().CopyTo(bias);
        }

        /// <inheritdoc />
        public override void Load(float[] x, int[] labels)
        {
            _x?.Dispose();
            _y?.Dispose();
            _x = torch.tensor(x, new long[] { labels.Length, BenchData.Inputs });
            _y = torch.tensor(labels.Select(static l => (long)l).ToArray(), new long[] { labels.Length });
        }

        /// <inheritdoc />
        public override float TrainStep(int start, int count, float learningRate)
        {
            if (_sgd is null || _sgdRate != learningRate)
            {
                _sgd?.Dispose();
                _sgd = torch.optim.SGD(_linear.parameters(), learningRate);
                _sgdRate = learningRate;
            }

            using var scope = torch.NewDisposeScope();
            _sgd.zero_grad();
            Tensor loss = nn.functional.cross_entropy(_linear.forward(_x!.narrow(0, start, count)), _y!.narrow(0, start, count));
            loss.backward();
            _sgd.step();
            return loss.item<float>();
        }

        /// <inheritdoc />
        public override float LossAndGradient(int start, int count, Span<float> dW, Span<float> db)
        {
            using var scope = torch.NewDisposeScope();
            _linear.zero_grad();
            Tensor loss = nn.functional.cross_entropy(_linear.forward(_x!.narrow(0, start, count)), _y!.narrow(0, start, count));
            loss.backward();
            _linear.weight!.grad!.data<float>().ToArray().CopyTo(dW);
            _linear.bias!.grad!.data<float>().ToArray().CopyTo(db);
            return loss.item<float>();
        }

        /// <inheritdoc />
        public override void Predict(Span<int> predictions)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            long[] classes = _linear.forward(_x!).argmax(1).data<long>().ToArray();
            for (int i = 0; i < classes.Length; i++)
            {
                predictions[i] = (int)classes[i];
            }
        }

        /// <inheritdoc />
        public override void Probabilities(Span<float> probabilities)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            nn.functional.softmax(_linear.forward(_x!), 1).data<float>().ToArray().CopyTo(probabilities);
        }

        /// <inheritdoc />
        public override void Dispose()
        {
            _sgd?.Dispose();
            _x?.Dispose();
            _y?.Dispose();
            _linear.Dispose();
        }
    }
#endif
}
