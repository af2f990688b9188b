using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace GenSoftmax.Onnx.Tests
{
    /// <summary>
    /// Exported models run in ONNX Runtime and give what the model gives on the same inputs: probabilities to 1e-6
    /// (absolute), labels exactly, for every kernel variant this CPU runs.
    /// </summary>
    public sealed class OnnxExportTests : IDisposable
    {
        /// <summary>The tolerance for probabilities, absolute.</summary>
        private const double ProbabilityTolerance = 1e-6;

        /// <summary>Logits: relative to the largest logit magnitude (float sums of up to 784 terms in another order).</summary>
        private const double LogitTolerance = 1e-5;

        private readonly string _directory = Directory.CreateTempSubdirectory("gensoftmax-onnx-").FullName;

        public void Dispose() => Directory.Delete(_directory, recursive: true);

        [Fact]
        public void FeaturesExport_MatchesModel_OnEveryVariant()
        {
            ProbeModel model = TrainedModels.Probe;
            float[] x = TrainedModels.ProbeTest;
            using var session = new InferenceSession(OnnxExport.ToBytes(model));
            Outputs onnx = Run(session, OrtValue.CreateTensorValueFromMemory(x, [TrainedModels.TestRows, model.Inputs]));
            foreach (KernelIsa isa in IsaSelection.Supported)
            {
                model.Isa = isa;
                Outputs expected = Expected(model, Batch.Of(x));
                AssertSame(expected, onnx, $"{isa}, float features");
            }
        }

        [Fact]
        public void PixelsExport_MatchesModel_OnEveryVariant()
        {
            ImageModel model = TrainedModels.Image;
            byte[] pixels = TrainedModels.ImageTest;
            using var session = new InferenceSession(OnnxExport.ToBytes(model, new OnnxExportOptions { Input = OnnxInput.Pixels }));
            Outputs onnx = Run(session, OrtValue.CreateTensorValueFromMemory(pixels, [TrainedModels.TestRows, model.Inputs]));
            foreach (KernelIsa isa in IsaSelection.Supported)
            {
                model.Isa = isa;
                Outputs expected = Expected(model, Batch.Of(pixels));
                AssertSame(expected, onnx, $"{isa}, uint8 pixels");
            }
        }

        [Fact]
        public void PixelModel_ExportedForFeatures_MatchesModelOnScaledPixels()
        {
            // A model trained on pixels, run on the floats a Python pipeline would feed it (ToTensor: pixel / 255).
            ImageModel model = TrainedModels.Image;
            float[] x = TrainedModels.ImageTest.Select(p => p / 255f).ToArray();
            using var session = new InferenceSession(OnnxExport.ToBytes(model, new OnnxExportOptions { Input = OnnxInput.Features }));
            Outputs onnx = Run(session, OrtValue.CreateTensorValueFromMemory(x, [TrainedModels.TestRows, model.Inputs]));
            model.Isa = IsaSelection.Best;
            AssertSame(Expected(model, Batch.Of(x)), onnx, "float features of a pixel model");
        }

        [Fact]
        public void SavedFile_LoadsByPath_AndMatchesBytes()
        {
            string path = Path.Combine(_directory, "probe.onnx");
            OnnxExport.Save(path, TrainedModels.Probe);
            Assert.Equal(OnnxExport.ToBytes(TrainedModels.Probe), File.ReadAllBytes(path));
            Assert.Equal(new[] { "probe.onnx" }, Directory.GetFiles(_directory).Select(Path.GetFileName));  // no temporary file left

            using var session = new InferenceSession(path);
            Outputs onnx = Run(session, OrtValue.CreateTensorValueFromMemory(TrainedModels.ProbeTest, [TrainedModels.TestRows, 37]));
            AssertSame(Expected(TrainedModels.Probe, Batch.Of(TrainedModels.ProbeTest)), onnx, "saved file");
        }

        [Fact]
        public void Export_IsDeterministic_AndStreamEqualsBytes()
        {
            var options = new OnnxExportOptions { Input = OnnxInput.Pixels, ClassNames = TrainedModels.AwkwardNames(10) };
            byte[] first = OnnxExport.ToBytes(TrainedModels.Image, options);
            using var stream = new MemoryStream();
            OnnxExport.Write(stream, TrainedModels.Image, options);
            Assert.Equal(first, OnnxExport.ToBytes(TrainedModels.Image, options));
            Assert.Equal(first, stream.ToArray());
        }

        [Theory]
        [InlineData(OnnxInput.Features)]
        [InlineData(OnnxInput.Pixels)]
        public void ClassNames_RoundTripThroughMetadata(OnnxInput input)
        {
            string[] names = TrainedModels.AwkwardNames(10);
            string path = Path.Combine(_directory, "named.onnx");
            OnnxExport.Save(path, TrainedModels.Image, new OnnxExportOptions { Input = input, ClassNames = names });

            using var session = new InferenceSession(path);
            Dictionary<string, string> metadata = session.ModelMetadata.CustomMetadataMap;
            Assert.Equal(names, JsonSerializer.Deserialize<string[]>(metadata[OnnxExport.ClassNamesKey]));
            Assert.Contains("Sandale à lanière", metadata[OnnxExport.ClassNamesKey], StringComparison.Ordinal);  // readable, not \u-escaped
        }

        [Fact]
        public void WithoutClassNames_MetadataHasNone()
        {
            using var session = new InferenceSession(OnnxExport.ToBytes(TrainedModels.Probe));
            Assert.False(session.ModelMetadata.CustomMetadataMap.ContainsKey(OnnxExport.ClassNamesKey));
        }

        [Theory]
        [InlineData(OnnxInput.Features, typeof(float))]
        [InlineData(OnnxInput.Pixels, typeof(byte))]
        public void Graph_DeclaresTypesShapesAndVersions(OnnxInput input, Type inputType)
        {
            var options = new OnnxExportOptions { Input = input, GraphName = "fashion", Description = "A test model." };
            byte[] bytes = OnnxExport.ToBytes(TrainedModels.Image, options);
            using var session = new InferenceSession(bytes);

            Assert.Single(session.InputMetadata);
            NodeMetadata x = session.InputMetadata[OnnxExport.InputName];
            Assert.Equal(inputType, x.ElementType);
            Assert.Equal(new[] { -1, 784 }, x.Dimensions);   // any batch size
            Assert.Equal(new[] { -1, 10 }, session.OutputMetadata[OnnxExport.ProbabilitiesOutput].Dimensions);
            Assert.Equal(new[] { -1, 10 }, session.OutputMetadata[OnnxExport.LogitsOutput].Dimensions);
            Assert.Equal(typeof(long), session.OutputMetadata[OnnxExport.LabelOutput].ElementType);
            Assert.Equal(new[] { -1 }, session.OutputMetadata[OnnxExport.LabelOutput].Dimensions);
            Assert.Equal("GenSoftmax", session.ModelMetadata.ProducerName);
            Assert.Equal("fashion", session.ModelMetadata.GraphName);
            Assert.Equal("A test model.", session.ModelMetadata.Description);

            ModelProto proto = ModelProto.Parser.ParseFrom(bytes);
            Assert.Equal(OnnxExport.IrVersion, proto.IrVersion);
            OperatorSetIdProto opset = Assert.Single(proto.OpsetImport);
            Assert.Equal((string.Empty, OnnxExport.OpsetVersion), (opset.Domain, opset.Version));
            string[] ops = proto.Graph.Node.Select(n => n.OpType).ToArray();
            Assert.Equal(input == OnnxInput.Pixels ? new[] { "Cast", "Gemm", "Softmax", "ArgMax" } : new[] { "Gemm", "Softmax", "ArgMax" }, ops);
            Assert.DoesNotContain(proto.Graph.Input, i => i.Name is "W" or "b");   // parameters are constants, not inputs
        }

        [Fact]
        public void OneRow_Runs()
        {
            // The batch dimension is symbolic: a single row gives the model's answer too.
            ProbeModel model = TrainedModels.Probe;
            using var session = new InferenceSession(OnnxExport.ToBytes(model));
            float[] one = TrainedModels.ProbeTest.AsSpan(3 * 37, 37).ToArray();
            AssertSame(Expected(model, Batch.Of(one)), Run(session, OrtValue.CreateTensorValueFromMemory(one, [1, 37])), "one row");
        }

        [Fact]
        public void MissingDirectory_IsAClearError()
        {
            string path = Path.Combine(_directory, "no-such-dir", "model.onnx");
            IOException e = Assert.Throws<IOException>(() => OnnxExport.Save(path, TrainedModels.Probe));
            Assert.Contains(Path.Combine(_directory, "no-such-dir"), e.Message, StringComparison.Ordinal);
            Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void DirectoryAsTarget_IsAClearError()
        {
            IOException e = Assert.Throws<IOException>(() => OnnxExport.Save(_directory, TrainedModels.Probe));
            Assert.Contains(_directory, e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void SymlinkTarget_IsRefused_AndItsTargetKept()
        {
            string victim = Path.Combine(_directory, "victim.txt");
            File.WriteAllText(victim, "keep me");
            string link = Path.Combine(_directory, "model.onnx");
            File.CreateSymbolicLink(link, victim);
            IOException e = Assert.Throws<IOException>(() => OnnxExport.Save(link, TrainedModels.Probe));
            Assert.Contains("symbolic link", e.Message, StringComparison.Ordinal);
            Assert.Equal("keep me", File.ReadAllText(victim));
        }

        [Fact]
        public void FailedExport_LeavesTheSavedFileWhole()
        {
            string path = Path.Combine(_directory, "model.onnx");
            OnnxExport.Save(path, TrainedModels.Probe);
            byte[] saved = File.ReadAllBytes(path);
            ArgumentException e = Assert.Throws<ArgumentException>(
                () => OnnxExport.Save(path, TrainedModels.Probe, new OnnxExportOptions { ClassNames = ["only", "three", "names"] }));
            Assert.Contains("ClassNames has 3 names but the model has 5 classes", e.Message, StringComparison.Ordinal);
            Assert.Equal(saved, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(_directory));
        }

        [Fact]
        public void Replacing_AnExportedFile_GivesTheNewModel()
        {
            string path = Path.Combine(_directory, "model.onnx");
            File.WriteAllText(path, "an older file");
            OnnxExport.Save(path, TrainedModels.Probe, new OnnxExportOptions { ClassNames = TrainedModels.AwkwardNames(5) });
            using var session = new InferenceSession(path);
            Assert.Equal(TrainedModels.AwkwardNames(5), JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap[OnnxExport.ClassNamesKey]));
        }

        [Fact]
        public void NonFiniteParameter_IsRefused_NamingIt()
        {
            var model = new ProbeModel();
            TrainedModels.Probe.Weights.CopyTo(model.Weights);
            TrainedModels.Probe.Bias.CopyTo(model.Bias);
            model.Weights[(2 * 37) + 11] = float.NaN;
            ArgumentException e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(model));
            Assert.Contains("Weights[2, 11] is NaN", e.Message, StringComparison.Ordinal);

            model.Weights[(2 * 37) + 11] = 0;
            model.Bias[4] = float.PositiveInfinity;
            e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(model));
            Assert.Contains("Bias[4] is +Infinity", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void BadOptions_AreRefused()
        {
            ArgumentException e = Assert.Throws<ArgumentException>(
                () => OnnxExport.ToBytes(TrainedModels.Probe, new OnnxExportOptions { ClassNames = ["a", "b", null!, "d", "e"] }));
            Assert.Contains("ClassNames[2] is null", e.Message, StringComparison.Ordinal);
            e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(TrainedModels.Probe, new OnnxExportOptions { Input = (OnnxInput)7 }));
            Assert.Contains("Input is 7", e.Message, StringComparison.Ordinal);
            e = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(TrainedModels.Probe, new OnnxExportOptions { GraphName = " " }));
            Assert.Contains("GraphName is empty", e.Message, StringComparison.Ordinal);
        }

        private sealed record Outputs(float[] Logits, float[] Probabilities, int[] Labels);

        private static Outputs Expected(ISoftmaxModel model, in Batch batch)
        {
            int n = batch.IsPixels ? batch.Pixels.Length / model.Inputs : batch.Features.Length / model.Inputs;
            var result = new Outputs(new float[n * model.Classes], new float[n * model.Classes], new int[n]);
            model.Forward(batch, result.Logits);
            model.Probabilities(batch, result.Probabilities);
            model.Predict(batch, result.Labels);
            return result;
        }

        private static Outputs Run(InferenceSession session, OrtValue input)
        {
            using (input)
            using (var runOptions = new RunOptions())
            using (IDisposableReadOnlyCollection<OrtValue> results = session.Run(
                runOptions, [OnnxExport.InputName], [input], [OnnxExport.LogitsOutput, OnnxExport.ProbabilitiesOutput, OnnxExport.LabelOutput]))
            {
                return new Outputs(
                    results[0].GetTensorDataAsSpan<float>().ToArray(),
                    results[1].GetTensorDataAsSpan<float>().ToArray(),
                    results[2].GetTensorDataAsSpan<long>().ToArray().Select(l => checked((int)l)).ToArray());
            }
        }

        private static void AssertSame(Outputs expected, Outputs onnx, string what)
        {
            Assert.Equal(expected.Probabilities.Length, onnx.Probabilities.Length);
            double logitScale = Math.Max(1, expected.Logits.Max(v => Math.Abs(v)));
            for (int i = 0; i < expected.Logits.Length; i++)
            {
                double diff = Math.Abs(expected.Logits[i] - onnx.Logits[i]);
                Assert.True(diff <= LogitTolerance * logitScale, $"{what}: logits[{i}] = {onnx.Logits[i]:R} from ONNX Runtime, {expected.Logits[i]:R} from the model");
            }

            for (int i = 0; i < expected.Probabilities.Length; i++)
            {
                double diff = Math.Abs(expected.Probabilities[i] - onnx.Probabilities[i]);
                Assert.True(
                    diff <= ProbabilityTolerance,
                    $"{what}: probabilities[{i}] = {onnx.Probabilities[i]:R} from ONNX Runtime, {expected.Probabilities[i]:R} from the model (|diff| {diff:E2})");
            }

            Assert.Equal(expected.Labels, onnx.Labels);
            // The data is separable enough that the model is sure of most rows: a test that compared only
            // uniform probabilities would prove little.
            Assert.True(expected.Probabilities.Max() > 0.9f, $"{what}: the trained model is never confident");
        }
    }
}
