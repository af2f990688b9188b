using System;
using System.Collections.Generic;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// The contenders by name, as the <c>Contender</c> parameter of the benchmarks lists them: only those that run
    /// on this machine, so an unavailable peer is reported once (see <see cref="Unavailable"/>) instead of failing.
    /// </summary>
    public static class Contenders
    {
        /// <summary>The scalar double reference.</summary>
        public const string Reference = "Reference";

        /// <summary>The TensorPrimitives baseline.</summary>
        public const string TensorPrimitives = "TensorPrimitives";

        private const string GeneratedPrefix = "Gen-";
        private const string TorchPrefix = "Torch-";
        private const string OnnxPrefix = "ORT-";

        /// <summary>Thread counts for the multi-threaded peers: 1, and all cores when there are more.</summary>
        public static IReadOnlyList<int> ThreadCounts { get; } = Environment.ProcessorCount > 1 ? new[] { 1, Environment.ProcessorCount } : new[] { 1 };

        /// <summary>"Gen-Avx512" etc.</summary>
        public static string GeneratedName(KernelIsa isa) => GeneratedPrefix + isa;

        /// <summary>"Torch-1T" etc.</summary>
        public static string TorchName(int threads) => $"{TorchPrefix}{threads}T";

        /// <summary>"ORT-1T" etc.</summary>
        public static string OnnxName(int threads) => $"{OnnxPrefix}{threads}T";

        /// <summary>Contenders that train, best generated variant first.</summary>
        public static IEnumerable<string> Training()
        {
            foreach (KernelIsa isa in IsaSelection.Supported) // most preferred first
            {
                yield return GeneratedName(isa);
            }

            yield return TensorPrimitives;
            yield return Reference;
            if (TorchAvailability.IsAvailable)
            {
                foreach (int threads in ThreadCounts)
                {
                    yield return TorchName(threads);
                }
            }
        }

        /// <summary>Contenders that predict: the trainers plus ONNX Runtime.</summary>
        public static IEnumerable<string> Prediction()
        {
            foreach (string name in Training())
            {
                yield return name;
            }

            if (OnnxContender.UnavailableReason is null)
            {
                foreach (int threads in ThreadCounts)
                {
                    yield return OnnxName(threads);
                }
            }
        }

        /// <summary>Peers that cannot run here, with the reason, for the start of every report.</summary>
        public static IEnumerable<string> Unavailable()
        {
            if (TorchAvailability.UnavailableReason is { } torch)
            {
                yield return "TorchSharp unavailable: " + torch;
            }

            if (OnnxContender.UnavailableReason is { } onnx)
            {
                yield return "ONNX Runtime unavailable: " + onnx;
            }

            foreach (KernelIsa isa in new[] { KernelIsa.Avx512, KernelIsa.Avx2 })
            {
                if (!IsaSelection.IsSupported(isa))
                {
                    yield return $"Generated {isa} kernels unavailable: this CPU or runtime lacks the instructions";
                }
            }
        }

        /// <summary>Creates a contender by name.</summary>
        public static Contender Create(string name)
        {
            if (name == Reference)
            {
                return new ReferenceContender();
            }

            if (name == TensorPrimitives)
            {
                return new TensorPrimitivesContender();
            }

            if (name.StartsWith(GeneratedPrefix, StringComparison.Ordinal) && Enum.TryParse(name.AsSpan(GeneratedPrefix.Length), out KernelIsa isa))
            {
                return new GeneratedContender(isa);
            }

            if (name.StartsWith(TorchPrefix, StringComparison.Ordinal))
            {
#if TORCHSHARP
                return new TorchContender(ThreadsOf(name));
#else
                throw new PlatformNotSupportedException("TorchSharp unavailable: " + TorchAvailability.UnavailableReason);
#endif
            }

            if (name.StartsWith(OnnxPrefix, StringComparison.Ordinal))
            {
                return new OnnxContender(ThreadsOf(name));
            }

            throw new ArgumentException($"Unknown contender '{name}'.", nameof(name));
        }

        /// <summary>Threads a contender runs on: the number before "T" in "Torch-2T" and "ORT-2T", else 1.</summary>
        public static int ThreadsOf(string name)
        {
            int dash = name.IndexOf('-', StringComparison.Ordinal);
            return name.EndsWith('T') && dash >= 0 && int.TryParse(name.AsSpan(dash + 1, name.Length - dash - 2), out int threads) ? threads : 1;
        }
    }
}
