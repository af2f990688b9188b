namespace GenSoftmax.Onnx
{
    /// <summary>What the exported graph takes as its input tensor, <see cref="OnnxExport.InputName"/>.</summary>
    public enum OnnxInput
    {
        /// <summary>
        /// float32 [N, Inputs]: the features exactly as passed to <c>Batch.Of(ReadOnlySpan&lt;float&gt;)</c> (for images,
        /// pixels already divided by 255).
        /// </summary>
        Features = 0,

        /// <summary>
        /// uint8 [N, Inputs]: pixels 0..255 as passed to <c>Batch.Of(ReadOnlySpan&lt;byte&gt;)</c>; the graph casts them to
        /// float and scales the product by 1/255, where GenSoftmax's kernels do.
        /// </summary>
        Pixels = 1,
    }
}
