namespace GenSoftmax
{
    /// <summary>
    /// The instruction-set variants the generator emits for every model. Their order of preference, what each needs and
    /// how each is named are in one table (<see cref="IsaSelection.Preference"/>, <see cref="IsaSelection.TryParse"/>).
    /// </summary>
    public enum KernelIsa
    {
        /// <summary>Vector128 code that runs on any CPU .NET runs on (x64 SSE, ARM64 AdvSimd, or software).</summary>
        Portable = 0,

        /// <summary>AVX2 + FMA3 with 256-bit vectors.</summary>
        Avx2 = 1,

        /// <summary>AVX-512F with 512-bit vectors.</summary>
        Avx512 = 2,
    }
}
