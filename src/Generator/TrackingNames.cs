namespace GenSoftmax.Generator
{
    /// <summary>Names of the pipeline steps, shared with the incremental tests.</summary>
    internal static class TrackingNames
    {
        public const string Parse = nameof(Parse);
        public const string Spec = nameof(Spec);
    }
}
