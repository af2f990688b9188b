using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// Writes the trained model as ONNX bytes (IR version 8, opset 13) without an ONNX or protobuf package:
    /// <code>
    /// x [N, 784] -> Gemm(x, W [10, 784], b [10], transB = 1) -> logits [N, 10]
    /// logits -> Softmax(axis = 1) -> probabilities [N, 10]
    /// logits -> ArgMax(axis = 1, keepdims = 0) -> label [N] (int64, the first index on ties, as select_last_index = 0)
    /// </code>
    /// Only the fields below are written; field numbers are those of onnx.proto.
    /// </summary>
    public static class OnnxSoftmaxModel
    {
        /// <summary>Graph input name.</summary>
        public const string Input = "x";

        /// <summary>Output with the softmax probabilities.</summary>
        public const string ProbabilitiesOutput = "probabilities";

        /// <summary>Output with the argmax class per row (int64).</summary>
        public const string LabelOutput = "label";

        private const int FloatType = 1; // TensorProto.DataType.FLOAT
        private const int Int64Type = 7; // TensorProto.DataType.INT64
        private const int AttributeInt = 2; // AttributeProto.AttributeType.INT

        /// <summary>The model for weights [classes, inputs] (class-major, so transB = 1) and bias [classes].</summary>
        public static byte[] Build(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int inputs, int classes)
        {
            if (weights.Length != inputs * classes || bias.Length != classes)
            {
                throw new ArgumentException($"Expected {classes}x{inputs} weights and {classes} biases, got {weights.Length} and {bias.Length}.");
            }

            var graph = new ProtoWriter();
            graph.Message(1, Node("gemm", "Gemm", new[] { Input, "W", "b" }, "logits", ("transB", 1)));         // node
            graph.Message(1, Node("softmax", "Softmax", new[] { "logits" }, ProbabilitiesOutput, ("axis", 1)));
            graph.Message(1, Node("argmax", "ArgMax", new[] { "logits" }, LabelOutput, ("axis", 1), ("keepdims", 0)));
            graph.String(2, "gensoftmax_softmax_regression");                                                  // name
            graph.Message(5, Tensor("W", new long[] { classes, inputs }, weights));                             // initializer
            graph.Message(5, Tensor("b", new long[] { classes }, bias));
            graph.Message(11, ValueInfo(Input, FloatType, "N", inputs));                                        // input
            graph.Message(12, ValueInfo(ProbabilitiesOutput, FloatType, "N", classes));                         // output
            graph.Message(12, ValueInfo(LabelOutput, Int64Type, "N", null));

            var opset = new ProtoWriter();
            opset.String(1, "");   // domain: the default ai.onnx
            opset.Int64(2, 13);    // version

            var model = new ProtoWriter();
            model.Int64(1, 8);                        // ir_version
            model.String(2, "GenSoftmax.Bench");      // producer_name
            model.Message(7, graph);                  // graph
            model.Message(8, opset);                  // opset_import
            return model.ToArray();
        }

        private static ProtoWriter Node(string name, string op, string[] inputs, string output, params (string Name, long Value)[] attributes)
        {
            var node = new ProtoWriter();
            foreach (string input in inputs)
            {
                node.String(1, input);   // input
            }

            node.String(2, output);      // output
            node.String(3, name);        // name
            node.String(4, op);          // op_type
            foreach ((string attributeName, long value) in attributes)
            {
                var attribute = new ProtoWriter();
                attribute.String(1, attributeName);   // name
                attribute.Int64(3, value);            // i
                attribute.Int64(20, AttributeInt);    // type
                node.Message(5, attribute);           // attribute
            }

            return node;
        }

        private static ProtoWriter Tensor(string name, long[] dims, ReadOnlySpan<float> values)
        {
            var tensor = new ProtoWriter();
            foreach (long dim in dims)
            {
                tensor.Int64(1, dim);    // dims (repeated, unpacked as proto2 writes it)
            }

            tensor.Int64(2, FloatType);  // data_type
            tensor.String(8, name);      // name
            // raw_data is little-endian IEEE 754, which is what MemoryMarshal gives on every platform .NET runs ONNX Runtime on.
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("raw_data must be little-endian.");
            }

            tensor.Bytes(9, MemoryMarshal.AsBytes(values));  // raw_data
            return tensor;
        }

        private static ProtoWriter ValueInfo(string name, int elementType, string batchDim, int? secondDim)
        {
            var shape = new ProtoWriter();
            var batch = new ProtoWriter();
            batch.String(2, batchDim);            // Dimension.dim_param
            shape.Message(1, batch);              // TensorShapeProto.dim
            if (secondDim is int size)
            {
                var dim = new ProtoWriter();
                dim.Int64(1, size);               // Dimension.dim_value
                shape.Message(1, dim);
            }

            var tensorType = new ProtoWriter();
            tensorType.Int64(1, elementType);     // TypeProto.Tensor.elem_type
            tensorType.Message(2, shape);         // TypeProto.Tensor.shape
            var type = new ProtoWriter();
            type.Message(1, tensorType);          // TypeProto.tensor_type
            var valueInfo = new ProtoWriter();
            valueInfo.String(1, name);            // ValueInfoProto.name
            valueInfo.Message(2, type);           // ValueInfoProto.type
            return valueInfo;
        }

        /// <summary>The protobuf wire format, as much as ONNX needs: varints and length-delimited fields.</summary>
        private sealed class ProtoWriter
        {
            private const int Varint = 0;
            private const int LengthDelimited = 2;
            private readonly MemoryStream _stream = new();

            public void Int64(int field, long value)
            {
                Tag(field, Varint);
                WriteVarint((ulong)value);
            }

            public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

            public void Bytes(int field, ReadOnlySpan<byte> value)
            {
                Tag(field, LengthDelimited);
                WriteVarint((ulong)value.Length);
                _stream.Write(value);
            }

            public void Message(int field, ProtoWriter message) => Bytes(field, message._stream.GetBuffer().AsSpan(0, (int)message._stream.Length));

            public byte[] ToArray() => _stream.ToArray();

            private void Tag(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

            private void WriteVarint(ulong value)
            {
                while (value >= 0x80)
                {
                    _stream.WriteByte((byte)(value | 0x80));
                    value >>= 7;
                }

                _stream.WriteByte((byte)value);
            }
        }
    }
}
