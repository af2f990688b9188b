using System;
using System.Runtime.InteropServices;

namespace GenSoftmax.Internal
{
    /// <summary>
    /// Which CPU the calling thread runs on, and moving it off CPUs it shares, on Linux (elsewhere: unknown, and no move).
    /// The trainer's worker threads use it when they find themselves on the same CPU as another of the step's threads
    /// (<see cref="Training.DataParallelStep"/>): the kernel's scheduler can keep two threads that hand work to each other on
    /// one CPU for tens of milliseconds while the other CPU idles.
    /// </summary>
    internal static partial class ThreadPlacement
    {
        private const int MaskWords = 16; // 1,024 CPUs

        // Cleared when libc cannot be reached, a call throws, reading the mask fails (a machine of more than 1,024 CPUs: the
        // kernel refuses a smaller mask), or putting a thread's mask back fails: placement then stays the scheduler's alone.
        private static bool s_available = OperatingSystem.IsLinux();

        /// <summary>Whether this process can read and change where its threads run.</summary>
        public static bool Supported => s_available;

        /// <summary>The CPU the calling thread is running on, or -1 where that is unknown.</summary>
        public static int CurrentCpu()
        {
            if (!s_available)
            {
                return -1;
            }

            try
            {
                return SchedGetCpu();
            }
#pragma warning disable CA1031 // best effort: any failure leaves placement to the scheduler
            catch (Exception)
#pragma warning restore CA1031
            {
                s_available = false;
                return -1;
            }
        }

        /// <summary>The CPUs the calling thread may run on, ascending; empty where that is unknown.</summary>
        public static unsafe int[] AllowedCpus()
        {
            if (!s_available)
            {
                return [];
            }

            ulong* allowed = stackalloc ulong[MaskWords];
            try
            {
                if (SchedGetAffinity(0, MaskWords * sizeof(ulong), allowed) != 0)
                {
                    s_available = false;
                    return [];
                }
            }
#pragma warning disable CA1031 // best effort: any failure leaves placement to the scheduler
            catch (Exception)
#pragma warning restore CA1031
            {
                s_available = false;
                return [];
            }

            var cpus = new System.Collections.Generic.List<int>();
            for (int cpu = 0; cpu < MaskWords * 64; cpu++)
            {
                if ((allowed[cpu / 64] & (1UL << (cpu % 64))) != 0)
                {
                    cpus.Add(cpu);
                }
            }

            return cpus.ToArray();
        }

        /// <summary>
        /// Moves the calling thread to a CPU outside <paramref name="avoid"/> among those it may run on, and leaves the set it
        /// may run on as it was (the scheduler keeps it where it was moved until it has a reason to move it). Returns whether it
        /// moved: false where unsupported, when every CPU it may run on is in <paramref name="avoid"/>, or when a call fails.
        /// </summary>
        // Heap masks, not stackalloc: a method with stackalloc and loops is compiled fully optimised at its first call
        // (0.65 ms, on a training thread), and this runs a few times a training.
        public static unsafe bool MoveOff(ReadOnlySpan<int> avoid)
        {
            if (!s_available)
            {
                return false;
            }

            var allowed = new ulong[MaskWords];
            var elsewhere = new ulong[MaskWords];
            try
            {
                fixed (ulong* a = allowed, e = elsewhere)
                {
                    if (SchedGetAffinity(0, MaskWords * sizeof(ulong), a) != 0)
                    {
                        s_available = false;
                        return false;
                    }

                    bool any = false;
                    for (int w = 0; w < MaskWords; w++)
                    {
                        ulong bits = allowed[w];
                        foreach (int cpu in avoid)
                        {
                            if ((uint)cpu < MaskWords * 64 && cpu / 64 == w)
                            {
                                bits &= ~(1UL << (cpu % 64));
                            }
                        }

                        elsewhere[w] = bits;
                        any |= bits != 0;
                    }

                    // Narrowing the set moves the thread at once; widening it again moves it nowhere.
                    if (!any || SchedSetAffinity(0, MaskWords * sizeof(ulong), e) != 0)
                    {
                        return false;
                    }

                    if (SchedSetAffinity(0, MaskWords * sizeof(ulong), a) != 0)
                    {
                        s_available = false; // this thread stays narrowed; no thread narrows itself again
                    }

                    return true;
                }
            }
#pragma warning disable CA1031 // best effort: any failure leaves placement to the scheduler
            catch (Exception)
#pragma warning restore CA1031
            {
                s_available = false;
                return false;
            }
        }

        [LibraryImport("libc", EntryPoint = "sched_getcpu")]
        [SuppressGCTransition] // a few nanoseconds through the vDSO, called once a step
        private static partial int SchedGetCpu();

        [LibraryImport("libc", EntryPoint = "sched_getaffinity")]
        private static unsafe partial int SchedGetAffinity(int thread, nint bytes, ulong* mask);

        [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
        private static unsafe partial int SchedSetAffinity(int thread, nint bytes, ulong* mask);
    }
}
