using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using GenSoftmax.Persistence;
using GenSoftmax.Tests.Hypercomplex;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>
    /// A Python user reads a model file with numpy alone, no GenSoftmax and no <c>safetensors</c> package: the header length,
    /// the JSON header, W and b as float32 arrays, and argmax(X W^T + b) predicts what the model predicts, row for row.
    /// </summary>
    public sealed class NumpyReaderTests : IDisposable
    {
        private const string Python = "/usr/bin/python3";

        /// <summary>The whole reader a user needs: the layout as docs/model-files.md states it.</summary>
        private const string Reader = """
            import json, struct, sys
            import numpy as np
            model, rows, out = sys.argv[1], sys.argv[2], sys.argv[3]
            with open(model, "rb") as f:
                (n,) = struct.unpack("<Q", f.read(8))
                header = json.loads(f.read(n))
                data = f.read()
            def tensor(name):
                entry = header[name]
                assert entry["dtype"] == "F32"
                begin, end = entry["data_offsets"]
                return np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"])
            W, b = tensor("W"), tensor("b")
            X = np.load(rows)
            np.save(out, np.argmax(X @ W.T + b, axis=1).astype("<i4"))
            """;

        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        [SkippableFact]
        public void A_dense_model_file_read_with_numpy_alone_predicts_what_the_model_predicts()
        {
            var model = new M17x10();
            var random = new Random(5);
            foreach (NamedTensor p in model.Parameters)
            {
                TestModels.Uniform(random, p.Length, -1f, 1f).CopyTo(p.Values);
            }

            string path = _dir.File("dense.safetensors");
            ModelFile.Save(path, model, new ModelFileContents { ClassNames = [.. Enumerable.Range(0, 10).Select(c => $"class {c}")] });
            AssertSamePredictions(model, path);
        }

        [SkippableFact]
        public void A_hypercomplex_model_file_read_with_numpy_alone_predicts_what_the_model_predicts()
        {
            // Saved by the trainer, with its state: the reader takes the materialised W and b and ignores the rest.
            var model = new Phm2x34x10();
            var trainer = new Trainer(model, new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                Epochs = 2, BatchSize = 16, Seed = 4, InitStdDev = 0.3f, Optimizer = new SgdOptions { Momentum = 0.9f },
            });
            trainer.Initialize();
            trainer.Fit(Training.HypercomplexTrainerTests.Data(8, rows: 200));
            string path = _dir.File("phm.safetensors");
            ModelFile.Save(path, trainer, classNames: null);
            AssertSamePredictions(model, path);
        }

        private void AssertSamePredictions(ISoftmaxModel model, string path)
        {
            Skip.IfNot(File.Exists(Python), $"{Python} is missing: the test runs the Python reader a user would write");
            (int numpy, string why) = Run("-c", "import numpy");
            Skip.If(numpy != 0, $"{Python} has no numpy ({why.Trim()}): the test runs the Python reader a user would write");

            const int Rows = 257;
            float[] features = TestModels.Uniform(new Random(9), Rows * model.Inputs, -2f, 2f);
            string rows = _dir.File("rows.npy");
            File.WriteAllBytes(rows, Npy("<f4", $"({Rows}, {model.Inputs})", features.SelectMany(BitConverter.GetBytes).ToArray()));
            string script = _dir.File("reader.py");
            File.WriteAllText(script, Reader);
            string output = _dir.File("predictions.npy");

            (int exit, string error) = Run(script, path, rows, output);
            Assert.True(exit == 0, $"the Python reader failed: {error}");

            byte[] npy = File.ReadAllBytes(output);
            int headerLength = BitConverter.ToUInt16(npy, 8);
            int[] python = [.. Enumerable.Range(0, Rows).Select(r => BitConverter.ToInt32(npy, 10 + headerLength + (4 * r)))];
            int[] expected = new int[Rows];
            model.Predict(Batch.Of(features), expected);

            // Every row, exactly: the rows are random, so no two logits of a row come near a tie that float32 sums in
            // another order could break the other way. A failure names the rows and their logit gaps.
            float[] logits = new float[Rows * model.Classes];
            model.Forward(Batch.Of(features), logits);
            float Gap(int r) => logits[(r * model.Classes) + python[r]] - logits[(r * model.Classes) + expected[r]];
            string[] differing = [.. Enumerable.Range(0, Rows).Where(r => python[r] != expected[r]).Select(r => string.Create(
                CultureInfo.InvariantCulture, $"row {r}: numpy {python[r]}, the model {expected[r]}, logit gap {Gap(r)}"))];
            Assert.True(differing.Length == 0, string.Join("; ", differing));
        }

        private static (int Exit, string Error) Run(params string[] arguments)
        {
            var start = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(60_000), "the Python reader did not finish within a minute");
            return (process.ExitCode, error);
        }

        /// <summary>A version 1.0 .npy file.</summary>
        private static byte[] Npy(string descr, string shape, byte[] data)
        {
            string dictionary = string.Create(
                CultureInfo.InvariantCulture, $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
            int padded = ((10 + dictionary.Length + 1 + 63) / 64 * 64) - 10;
            string header = dictionary.PadRight(padded - 1) + "\n";
            return [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, .. BitConverter.GetBytes((ushort)header.Length),
                .. System.Text.Encoding.ASCII.GetBytes(header), .. data];
        }
    }
}
