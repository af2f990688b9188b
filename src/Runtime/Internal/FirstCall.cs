using System.Runtime.CompilerServices;

namespace GenSoftmax.Internal
{
    /// <summary>How the methods whose loops run long from their first call are compiled.</summary>
    internal static class FirstCall
    {
        /// <summary>
        /// For a scalar method that loops over a data set's rows or labels, or once a batch, from its first call: in the
        /// package's ReadyToRun image (src/ReadyToRun.targets) no flag, so its precompiled code runs from the first call
        /// (crossgen2 leaves out methods marked <see cref="MethodImplOptions.AggressiveOptimization"/>); in the IL build,
        /// that flag: one fully optimised compile at the first call instead of tier 0 and an on-stack replacement.
        /// Methods over <c>Vector&lt;T&gt;</c> or wider vectors keep the flag everywhere: the image, made for every x64 CPU,
        /// holds no code for them (src/ReadyToRun.targets).
        /// </summary>
        public const MethodImplOptions Optimized =
#if READY_TO_RUN_IMAGE
            default;
#else
            MethodImplOptions.AggressiveOptimization;
#endif
    }
}
