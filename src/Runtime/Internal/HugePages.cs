using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GenSoftmax.Internal
{
    /// <summary>
    /// Arrays of rows that training reads in shuffled order, backed by 2 MiB pages where Linux offers them (transparent huge
    /// pages, <c>madvise(MADV_HUGEPAGE)</c>, as PyTorch's CPU allocator asks for its large tensors). A shuffled epoch reads
    /// each row from a different 4 KiB page of tens of megabytes, more pages than the TLB maps, so most rows cost a page
    /// walk; with 2 MiB pages 47 MB of pixels take 23 entries. Measured on Zen 5 (784 x 10 pixels, one thread, shuffled rows,
    /// 5 alternating pairs): 9.87-10.93 -> 9.53-10.18 ms an epoch; rows read in stored order unchanged
    /// (bench/results/2026-12-06-huge-pages). A hint only: where the kernel declines it (THP disabled, no free 2 MiB
    /// blocks) the array keeps 4 KiB pages and nothing else changes.
    /// </summary>
    internal static partial class HugePages
    {
        /// <summary>Arrays from this size on are advised: below it, a page walk a row is not what the time goes to.</summary>
        public const long MinBytes = 4L << 20;

        private const long PageBytes = 2L << 20;
        private const int MadvDontNeed = 4;
        private const int MadvHugePage = 14;

        /// <summary>
        /// An uninitialized array of <paramref name="length"/> elements, advised to huge pages before the caller fills it
        /// (pages are backed by the size the advice asks for when first written).
        /// </summary>
        public static T[] Allocate<T>(int length)
            where T : unmanaged
        {
            T[] array = GC.AllocateUninitializedArray<T>(length);
            AdviseAndDiscard(array);
            return array;
        }

        /// <summary>
        /// Advises the whole 2 MiB pages inside <paramref name="array"/> to huge pages and gives back the pages that already
        /// back them (Linux, arrays of at least <see cref="MinBytes"/>): <b>their contents read as zeros afterwards</b>. Memory
        /// the GC hands out again was often written before, through 4 KiB pages, which an advice alone leaves in place until
        /// the kernel's background collapsing gets to them (seconds to minutes); given back, the next write faults in 2 MiB.
        /// </summary>
        public static unsafe void AdviseAndDiscard<T>(T[] array)
            where T : unmanaged
        {
            long bytes = (long)array.Length * sizeof(T);
            if (!OperatingSystem.IsLinux() || bytes < MinBytes)
            {
                return;
            }

            // Large arrays live on the large object heap, which the GC does not move unless a program asks it to compact it;
            // if it did, the advice would stay with the old addresses, which costs nothing.
            long start = (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
            long first = (start + PageBytes - 1) & ~(PageBytes - 1);
            long end = (start + bytes) & ~(PageBytes - 1);
            if (end <= first)
            {
                return;
            }

            try
            {
                // A declined hint leaves 4 KiB pages; the range lies inside the array, whose contents are not yet defined.
                if (Madvise((nint)first, (nuint)(end - first), MadvHugePage) == 0)
                {
                    _ = Madvise((nint)first, (nuint)(end - first), MadvDontNeed);
                }
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // A C library without madvise under that name: the pages stay as they are.
            }
        }

        [LibraryImport("libc", EntryPoint = "madvise")]
        private static partial int Madvise(nint address, nuint length, int advice);
    }
}
