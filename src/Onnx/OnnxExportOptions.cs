using System.Collections.Generic;

namespace GenSoftmax.Onnx
{
    /// <summary>How <see cref="OnnxExport"/> writes a model: the input type, class names, and names in the file.</summary>
    public sealed record OnnxExportOptions
    {
        /// <summary>The input tensor's type: float features (the default) or byte pixels scaled by 1/255 in the graph.</summary>
        public OnnxInput Input { get; init; } = OnnxInput.Features;

        /// <summary>
        /// One name per class, in class-index order, stored in the model's metadata under
        /// <see cref="OnnxExport.ClassNamesKey"/> as a JSON array of strings; null (the default) stores none.
        /// </summary>
        public IReadOnlyList<string>? ClassNames { get; init; }

        /// <summary>The graph's name (<c>GraphProto.name</c>); ONNX Runtime reports it as the graph name in the model metadata.</summary>
        public string GraphName { get; init; } = "gensoftmax_softmax_regression";

        /// <summary>A description of the model (<c>ModelProto.doc_string</c>); null writes one that states the graph.</summary>
        public string? Description { get; init; }
    }
}
