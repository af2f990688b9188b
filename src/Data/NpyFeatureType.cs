namespace GenSoftmax.Data
{
    /// <summary>How <see cref="CsvConverter"/> stores features in the .npy file it writes.</summary>
    public enum NpyFeatureType
    {
        /// <summary>float32 (<c>'&lt;f4'</c>): any finite value, 4 bytes each.</summary>
        Float32,

        /// <summary>uint8 (<c>'|u1'</c>): whole numbers 0..255, one byte each, read as pixels (scaled by 1/255 in the kernels).</summary>
        UInt8,
    }
}
