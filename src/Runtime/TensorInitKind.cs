namespace GenSoftmax
{
    /// <summary>The rules of <see cref="TensorInit"/>.</summary>
    public enum TensorInitKind
    {
        /// <summary>All zeros.</summary>
        Zeros,

        /// <summary>N(0, σ²) with the trainer's σ.</summary>
        Normal,

        /// <summary>N(0, σ²) with a σ of the tensor's own.</summary>
        NormalFixed,
    }
}
