using System.Runtime.CompilerServices;

namespace GenSoftmax.Dynamic
{
    /// <summary>How the run-time-shaped kernels (<see cref="RuntimeKernels{TOps, TVec}"/>) are compiled.</summary>
    internal static class KernelCompilation
    {
        /// <summary>
        /// Fully optimised at the first call (<see cref="MethodImplOptions.AggressiveOptimization"/>), so no epoch runs
        /// tier-0 kernels; none in the ReadyToRun images of the kernel assemblies (src/KernelImages), whose kernels are
        /// precompiled there (crossgen2 leaves out methods with that flag).
        /// </summary>
        public const MethodImplOptions Options =
#if KERNEL_IMAGE
            default;
#else
            MethodImplOptions.AggressiveOptimization;
#endif
    }
}
