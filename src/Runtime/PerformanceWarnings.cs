using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Reflection;

namespace GenSoftmax
{
    /// <summary>
    /// Warnings about configurations in which the models run several times slower than they could and that nothing
    /// else would show: kernels compiled without optimisation (a Debug build of the assembly that declares the
    /// model), or a CPU whose fast instructions this program was compiled without (native AOT with no instruction set).
    /// </summary>
    /// <remarks>
    /// Each warning is issued once per process (the Debug warning once per assembly), when the first model is
    /// created. It goes to <see cref="Trace.TraceWarning(string)"/> and to every handler of <see cref="Issued"/>;
    /// when no handler is attached, it is also written to standard error as one line starting
    /// <c>GenSoftmax warning:</c>. Attach a handler to route the warnings to a log of your own (or to drop them).
    /// </remarks>
    public static class PerformanceWarnings
    {
        private static readonly object Gate = new();
        private static readonly List<string> IssuedWarnings = new();
        private static readonly HashSet<string> HandoverFailures = new(StringComparer.Ordinal);
        private static readonly HashSet<Assembly> CheckedAssemblies = new();
        private static bool _isaChecked;

        /// <summary>
        /// Raised once for each warning, with its text. While at least one handler is attached, warnings are not
        /// written to standard error.
        /// </summary>
        public static event Action<string>? Issued;

        /// <summary>Every warning issued so far in this process, oldest first.</summary>
        public static IReadOnlyList<string> All
        {
            get
            {
                lock (Gate)
                {
                    return IssuedWarnings.ToArray();
                }
            }
        }

        /// <summary>
        /// Whether the JIT optimises <paramref name="assembly"/>'s code: false for a Debug build (its
        /// <see cref="DebuggableAttribute"/> disables the JIT optimiser), where generated kernels run many times slower.
        /// </summary>
        /// <exception cref="ArgumentNullException"><paramref name="assembly"/> is null.</exception>
        public static bool IsOptimized(Assembly assembly)
        {
            ArgumentNullException.ThrowIfNull(assembly);
            return assembly.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };
        }

        /// <summary>
        /// Called when a model with generated kernels is created: warns once per assembly when the assembly that holds
        /// the kernels was compiled without optimisation, and once per process when the CPU has a faster variant than
        /// this program can run.
        /// </summary>
        internal static void CheckModel(Type kernels)
        {
            CheckIsa();
            Assembly assembly = kernels.Assembly;
            lock (Gate)
            {
                if (!CheckedAssemblies.Add(assembly))
                {
                    return;
                }
            }

            if (!IsOptimized(assembly))
            {
                string model = kernels.DeclaringType?.FullName ?? kernels.FullName ?? kernels.Name;
                Issue(
                    $"the kernels of {model} are compiled without optimisation, because '{assembly.GetName().Name}' is a Debug build, so " +
                    "training and prediction run many times slower than they can (bench/README.md in the " +
                        "GenSoftmax repository has the figures). " +
                    "Build and run with -c Release (dotnet run -c Release) for full speed.");
            }
        }

        /// <summary>Warns once per process when <see cref="IsaSelection.CpuBest"/> is a variant this program cannot run.</summary>
        internal static void CheckIsa()
        {
            lock (Gate)
            {
                if (_isaChecked)
                {
                    return;
                }

                _isaChecked = true;
            }

            if (IsaSelection.CompiledWithout is { } missing)
            {
                Issue(IsaSelection.CompiledWithoutMessage(missing));
            }
        }

        /// <summary>The library's copy of a run-time-shaped kernel failed to compile in the background
        /// (<see cref="Dynamic.PrecompiledKernelSet"/>): the precompiled copy keeps running.</summary>
        internal static void HandoverFailed(Exception e)
        {
            string warning = "a run-time-shaped kernel keeps running its precompiled code (a few percent slower): compiling " +
                $"this library's own copy in the background failed with {e.GetType().Name}: {e.Message}";
            lock (Gate)
            {
                if (!HandoverFailures.Add(warning))
                {
                    return; // each failure once, however many kernels it stops
                }
            }

            Issue(warning);
        }

        private static void Issue(string warning)
        {
            Action<string>? handlers;
            lock (Gate)
            {
                IssuedWarnings.Add(warning);
                handlers = Issued;
            }

            Trace.TraceWarning("GenSoftmax: " + warning);
            if (handlers is null)
            {
                Console.Error.WriteLine("GenSoftmax warning: " + warning);
            }
            else
            {
                handlers(warning);
            }
        }
    }
}
