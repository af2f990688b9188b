using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using GenSoftmax.IO;
using Onnx;
using Google.Protobuf;

namespace GenSoftmax.Onnx
{
    /// <summary>
    /// Writes a trained model as an ONNX graph that ONNX Runtime (native, .NET, Python, onnxruntime-web), ML.NET's
    /// ONNX transformer or any ONNX consumer runs, giving the model's own probabilities and labels:
    /// <code>
    /// input [N, Inputs] float32                  input [N, Inputs] uint8 (OnnxInput.Pixels)
    ///   |                                          -> Cast(to = float)
    ///   -> Gemm(W [Classes, Inputs], b [Classes], transB = 1, alpha = 1 or 1/255) -> logits [N, Classes]
    /// logits -> Softmax(axis = 1)                                  -> probabilities [N, Classes]
    /// logits -> ArgMax(axis = 1, keepdims = 0, select_last_index = 0) -> label [N] int64 (the first on ties)
    /// </code>
    /// IR version <see cref="IrVersion"/> and opset <see cref="OpsetVersion"/> of the default domain: accepted by ONNX
    /// Runtime since 1.10 and onnxruntime-web.
    /// </summary>
    /// <remarks>
    /// <para>Byte pixels: GenSoftmax's kernels compute <c>o = (Σ_k x_k W_ck) · (1/255) + b_c</c>, scaling the
    /// product, not each pixel or weight. Gemm's <c>alpha</c> is that same scale in the same place
    /// (<c>Y = alpha · A Bᵀ + beta · C</c>), and Cast of a byte to float is exact, so the graph repeats the kernels'
    /// arithmetic: only the summation order differs. A <c>Mul</c> by 1/255 before Gemm rounds every scaled pixel,
    /// and folding 1/255 into the weights rounds every weight, each adding an error the model does not make.</para>
    /// <para>The protobuf encoding is Google.Protobuf's, with the ONNX schema's message classes from the OnnxSharp
    /// package. Weights and bias are initializers (constants, not graph inputs).</para>
    /// </remarks>
    public static class OnnxExport
    {
        /// <summary>Name of the graph's input: float32 or uint8 [N, Inputs], see <see cref="OnnxInput"/>.</summary>
        public const string InputName = "input";

        /// <summary>Name of the output with the logits O = X Wᵀ + b, float32 [N, Classes].</summary>
        public const string LogitsOutput = "logits";

        /// <summary>Name of the output with the row-wise softmax of the logits, float32 [N, Classes].</summary>
        public const string ProbabilitiesOutput = "probabilities";

        /// <summary>Name of the output with the most likely class of each row, int64 [N] (the first on ties, as <c>Predict</c>).</summary>
        public const string LabelOutput = "label";

        /// <summary>Metadata key (<c>metadata_props</c>) of the class names: a JSON array of strings, one per class in index
        /// order.</summary>
        public const string ClassNamesKey = "class_names";

        /// <summary>The ONNX IR version written (8: ONNX 1.10).</summary>
        public const long IrVersion = 8;

        /// <summary>The opset of the default (ai.onnx) domain written: 13, where Softmax normalises along one axis only.</summary>
        public const long OpsetVersion = 13;

        /// <summary>
        /// The largest weights-plus-bias an export holds: an ONNX file is one protobuf message, at most 2 GiB, and
        /// this export does not write external data files.
        /// </summary>
        private const long MaxParameterBytes = 2_000_000_000;

        private const string BatchDimension = "N";
        private const string WeightsName = "W";
        private const string BiasName = "b";
        private const string CastOutput = "input_float";
        private const float PixelScale = 1f / 255f;

        /// <summary>
        /// Writes <paramref name="model"/> as an ONNX file at <paramref name="path"/>, atomically: the old file, if any,
        /// stays whole until the new one is complete (see <see cref="SafeFile.Write"/>).
        /// </summary>
        /// <exception cref="ArgumentException">The model has non-finite or wrongly sized parameters, or an option is invalid.</exception>
        /// <exception cref="IOException">The path cannot be written: its directory does not exist, it is not a regular
        /// file, or writing failed; the message names the path.</exception>
        public static void Save(string path, ISoftmaxModel model, OnnxExportOptions? options = null)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentException.ThrowIfNullOrEmpty(path);
            SafeFile.CheckTarget(path); // a bad path fails before the model is encoded
            ModelProto proto = Build(model, options);
            SafeFile.Write(path, stream => proto.WriteTo(stream));
        }

        /// <summary>The ONNX file of <paramref name="model"/> as bytes, e.g. for <c>new InferenceSession(bytes)</c>.</summary>
        /// <exception cref="ArgumentException">The model has non-finite or wrongly sized parameters, or an option is invalid.</exception>
        public static byte[] ToBytes(ISoftmaxModel model, OnnxExportOptions? options = null) => Build(model, options).ToByteArray();

        /// <summary>Writes the ONNX file of <paramref name="model"/> to <paramref name="destination"/>, which stays open.</summary>
        /// <exception cref="ArgumentException">The model has non-finite or wrongly sized parameters, or an option is invalid.</exception>
        public static void Write(Stream destination, ISoftmaxModel model, OnnxExportOptions? options = null)
        {
            ArgumentNullException.ThrowIfNull(destination);
            Build(model, options).WriteTo(destination);
        }

        /// <summary>The ONNX model of <paramref name="model"/>'s current parameters.</summary>
        internal static ModelProto Build(ISoftmaxModel model, OnnxExportOptions? options)
        {
            ArgumentNullException.ThrowIfNull(model);
            options ??= new OnnxExportOptions();
            int d = model.Inputs;
            int q = model.Classes;
            CheckOptions(options, q);
            float[] weights = Parameters(model, d, q, out float[] bias);
            bool pixels = options.Input == OnnxInput.Pixels;

            var graph = new GraphProto { Name = options.GraphName };
            graph.Initializer.Add(FloatTensor(WeightsName, [q, d], weights));
            graph.Initializer.Add(FloatTensor(BiasName, [q], bias));

            string gemmInput = InputName;
            if (pixels)
            {
                // uint8 -> float is exact; the 1/255 goes to Gemm's alpha, where the kernels apply it.
                graph.Node.Add(Node("Cast", "cast", [InputName], CastOutput, IntAttribute("to", (long)TensorProto.Types.DataType.Float)));
                gemmInput = CastOutput;
            }

            NodeProto gemm = Node("Gemm", "gemm", [gemmInput, WeightsName, BiasName], LogitsOutput, IntAttribute("transB", 1));
            if (pixels)
            {
                gemm.Attribute.Add(new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = PixelScale });
            }

            graph.Node.Add(gemm);
            graph.Node.Add(Node("Softmax", "softmax", [LogitsOutput], ProbabilitiesOutput, IntAttribute("axis", 1)));
            graph.Node.Add(Node(
                "ArgMax", "argmax", [LogitsOutput], LabelOutput,
                IntAttribute("axis", 1), IntAttribute("keepdims", 0), IntAttribute("select_last_index", 0)));

            graph.Input.Add(ValueInfo(InputName, pixels ? TensorProto.Types.DataType.Uint8 : TensorProto.Types.DataType.Float, d));
            graph.Output.Add(ValueInfo(LogitsOutput, TensorProto.Types.DataType.Float, q));
            graph.Output.Add(ValueInfo(ProbabilitiesOutput, TensorProto.Types.DataType.Float, q));
            graph.Output.Add(ValueInfo(LabelOutput, TensorProto.Types.DataType.Int64, secondDimension: null));

            var result = new ModelProto
            {
                IrVersion = IrVersion,
                ProducerName = "GenSoftmax",
                ProducerVersion = ProducerVersion,
                DocString = options.Description ?? string.Create(
                    CultureInfo.InvariantCulture,
                    $"Softmax regression ({Plural.Of(d, "input")}, {Plural.Of(q, "class")}) exported by GenSoftmax: probabilities = " +
                        $"softmax(input W^T + b), " +
                    $"{(pixels ? "input uint8 pixels scaled by 1/255" : "input float32 features")}."),
                Graph = graph,
            };
            result.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OpsetVersion });
            if (options.ClassNames is { } names)
            {
                result.MetadataProps.Add(new StringStringEntryProto { Key = ClassNamesKey, Value = ClassNamesJson(names) });
            }

            return result;
        }

        private static void CheckOptions(OnnxExportOptions options, int classes)
        {
            if (options.Input is not (OnnxInput.Features or OnnxInput.Pixels))
            {
                throw new ArgumentException(
                    $"OnnxExportOptions.Input is {(int)options.Input}, which is not an OnnxInput: use OnnxInput.Features or " +
                        $"OnnxInput.Pixels.", nameof(options));
            }

            if (string.IsNullOrWhiteSpace(options.GraphName))
            {
                throw new ArgumentException("OnnxExportOptions.GraphName is empty: give the graph a name, or leave the default.",
                    nameof(options));
            }

            if (options.ClassNames is { } names)
            {
                if (names.Count != classes)
                {
                    throw new ArgumentException(
                        $"OnnxExportOptions.ClassNames has {Plural.Of(names.Count, "name")} but the model has " +
                            $"{Plural.Of(classes, "class")}: give one name per " +
                            $"class, in class-index order.",
                        nameof(options));
                }

                for (int c = 0; c < names.Count; c++)
                {
                    if (names[c] is null)
                    {
                        throw new ArgumentException($"OnnxExportOptions.ClassNames[{c}] is null: give every class a name.",
                            nameof(options));
                    }
                }
            }
        }

        /// <summary>Copies and checks the parameters: the right sizes, finite, and small enough for one protobuf message.</summary>
        private static float[] Parameters(ISoftmaxModel model, int inputs, int classes, out float[] bias)
        {
            if (inputs < 1 || classes < 1)
            {
                throw new ArgumentException($"The model has {Plural.Of(inputs, "input")} and {Plural.Of(classes, "class")}: both must be " +
                    $"at least 1.",
                    nameof(model));
            }

            long bytes = ((long)inputs * classes + classes) * sizeof(float);
            if (bytes > MaxParameterBytes)
            {
                throw new ArgumentException(
                    $"The model's {classes} x {inputs} weights take {Plural.Of(bytes, "byte", "N0")}, more than an ONNX file can hold: " +
                        $"ONNX is one protobuf " +
                    "message of at most 2 GiB, and this export does not write external data files. Export a " +
                        "model with fewer inputs or classes.",
                    nameof(model));
            }

            float[] weights = model.Weights.ToArray();
            bias = model.Bias.ToArray();
            if (weights.Length != inputs * classes || bias.Length != classes)
            {
                throw new ArgumentException(
                    $"The model's Weights has {Plural.Of(weights.Length, "element")} and Bias {bias.Length}, but a model of " +
                        $"{Plural.Of(inputs, "input")} and " +
                        $"{Plural.Of(classes, "class")} " +
                    $"has {(long)inputs * classes} ([{classes}, {inputs}]) and {classes}.",
                    nameof(model));
            }

            int bad = Array.FindIndex(weights, w => !float.IsFinite(w));
            if (bad >= 0)
            {
                throw NotFinite($"Weights[{bad / inputs}, {bad % inputs}] is {Describe(weights[bad])}");
            }

            bad = Array.FindIndex(bias, b => !float.IsFinite(b));
            if (bad >= 0)
            {
                throw NotFinite($"Bias[{bad}] is {Describe(bias[bad])}");
            }

            return weights;
        }

        private static string Describe(float value) => float.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";

        private static ArgumentException NotFinite(string what) => new(
            $"The model's {what}: a model with a non-finite parameter gives NaN probabilities in every runtime. " +
            "Training diverged; train again with a smaller learning rate (SgdOptions.LearningRate) before exporting.",
            "model");

        private static TensorProto FloatTensor(string name, long[] dims, float[] values)
        {
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.Add(dims);
            // float_data (packed fixed32) rather than raw_data: protobuf writes it little-endian on every platform.
            tensor.FloatData.Add(values);
            return tensor;
        }

        private static NodeProto Node(string opType, string name, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = opType, Name = name };
            node.Input.Add(inputs);
            node.Output.Add(output);
            node.Attribute.Add(attributes);
            return node;
        }

        private static AttributeProto IntAttribute(string name, long value) =>
            new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

        /// <summary>A tensor value [N] or [N, secondDimension], N symbolic (any batch size).</summary>
        private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType elementType, int? secondDimension)
        {
            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
            if (secondDimension is int size)
            {
                shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = size });
            }

            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
            };
        }

        /// <summary>The class names as a JSON array; non-ASCII letters are written as themselves, so the metadata reads as
        /// written.</summary>
        private static string ClassNamesJson(IReadOnlyList<string> names)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                writer.WriteStartArray();
                foreach (string name in names)
                {
                    writer.WriteStringValue(name);
                }

                writer.WriteEndArray();
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }

        /// <summary>This package's version without the source revision, e.g. "0.1.0".</summary>
        private static string ProducerVersion { get; } = Version();

        private static string Version()
        {
            string? version = typeof(OnnxExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            if (string.IsNullOrEmpty(version))
            {
                return "0.0.0";
            }

            int plus = version.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? version : version.Substring(0, plus);
        }
    }
}
