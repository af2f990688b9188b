using System;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GenSoftmax.Internal;
using Xunit;

namespace GenSoftmax.Tests.Internal
{
    /// <summary>
    /// The arrays that hold training rows ask Linux for 2 MiB pages (transparent huge pages, MADV_HUGEPAGE) before they are
    /// filled; the kernel's own account of the mapping (/proc/self/smaps) says whether it was asked and what it gave.
    /// </summary>
    public sealed class HugePagesTests
    {
        private const string Setting = "/sys/kernel/mm/transparent_hugepage/enabled";

        [SkippableFact]
        public void A_large_array_of_rows_is_backed_by_huge_pages_where_the_kernel_offers_them()
        {
            SkipWithoutHugePages();
            byte[] rows = HugePages.Allocate<byte>(24 << 20);
            rows.AsSpan().Fill(7);
            (string flags, long hugeKb) = Mapping(Address(rows) + (nuint)(12 << 20));
            Assert.Contains(" hg", flags, StringComparison.Ordinal); // the mapping was advised (VmFlags "hg": MADV_HUGEPAGE)
            Assert.True(hugeKb >= 2048, $"no 2 MiB page backs the advised array ({hugeKb} kB of huge pages in its mapping)");
            Assert.Equal(7, rows[(24 << 20) - 1]);
            GC.KeepAlive(rows);
        }

        [SkippableFact]
        public void Memory_written_before_through_small_pages_is_given_back_and_faulted_in_as_huge_pages()
        {
            // What the GC hands out again has often been written before (another array's, earlier), through 4 KiB pages or
            // 2 MiB ones; an advice alone leaves those in place. The array's own written pages stand in for such memory.
            SkipWithoutHugePages();
            byte[] rows = GC.AllocateUninitializedArray<byte>(24 << 20);
            rows.AsSpan().Fill(3);
            nuint middle = Address(rows) + (nuint)(12 << 20);
            HugePages.AdviseAndDiscard(rows);
            Assert.Equal(0, rows[12 << 20]); // given back: the whole 2 MiB pages inside the array read as zeros
            long before = Mapping(middle).HugeKb; // other arrays' huge pages in the same mapping, if any; none of these rows'
            rows.AsSpan().Fill(7);
            (string flags, long after) = Mapping(middle);
            Assert.Contains(" hg", flags, StringComparison.Ordinal);
            Assert.True(after - before >= 10 * 2048, $"the rewritten rows brought {after - before} kB of huge pages, not 20 MiB");
            GC.KeepAlive(rows);
        }

        [SkippableFact]
        public void Pixels_read_from_IDX_files_and_their_floats_are_advised()
        {
            // The arrays training reads rows from in shuffled order: pixels as the reader returns them, and as floats.
            SkipWithoutHugePages();
            const int Rows = 10_000, Side = 28;
            string directory = Directory.CreateTempSubdirectory("gensoftmax-huge-").FullName;
            try
            {
                string images = Path.Combine(directory, "images.idx"), labels = Path.Combine(directory, "labels.idx");
                using (var w = new BinaryWriter(File.Create(images)))
                {
                    foreach (int value in new[] { 0x803, Rows, Side, Side })
                    {
                        w.Write(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value));
                    }

                    w.Write(new byte[Rows * Side * Side]);
                }

                using (var w = new BinaryWriter(File.Create(labels)))
                {
                    w.Write(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(0x801));
                    w.Write(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Rows));
                    w.Write(new byte[Rows]);
                }

                LabeledData data = GenSoftmax.Data.IdxReader.Read(images, labels);
                byte[] pixels = data.Pixels!;
                Assert.Contains(" hg", Mapping(Address(pixels) + (nuint)(pixels.Length / 2)).Flags, StringComparison.Ordinal);
                float[] floats = data.ToFloats();
                Assert.Contains(" hg", Mapping(Address(floats) + (nuint)(floats.Length * 2)).Flags, StringComparison.Ordinal);
                GC.KeepAlive(pixels);
                GC.KeepAlive(floats);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        private static void SkipWithoutHugePages()
        {
            Skip.IfNot(OperatingSystem.IsLinux(), "transparent huge pages are Linux's");
            string mode = File.Exists(Setting) ? File.ReadAllText(Setting).Trim() : "(no setting)";
            Skip.If(!mode.Contains("[always]", StringComparison.Ordinal) && !mode.Contains("[madvise]", StringComparison.Ordinal),
                $"this kernel offers no transparent huge pages to a program that asks: {mode}");
        }

        // The address as an offset from null (no unsafe code in the tests).
        private static nuint Address<T>(T[] values) =>
            (nuint)Unsafe.ByteOffset(ref Unsafe.NullRef<T>(), ref MemoryMarshal.GetArrayDataReference(values));

        /// <summary>The VmFlags and AnonHugePages of the mapping of /proc/self/smaps that holds <paramref name="address"/>.</summary>
        private static (string Flags, long HugeKb) Mapping(nuint address)
        {
            bool inside = false;
            long hugeKb = -1;
            foreach (string line in File.ReadLines("/proc/self/smaps"))
            {
                int space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space > 0 && line[space - 1] != ':')
                {
                    // A mapping's first line: "start-end perms offset device inode path", addresses in hex.
                    int dash = line.IndexOf('-', StringComparison.Ordinal);
                    ulong start = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    ulong end = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    inside = start <= address && address < end;
                    continue;
                }

                if (inside && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                {
                    hugeKb = long.Parse(line.AsSpan(14).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
                else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
                {
                    return (line + " ", hugeKb);
                }
            }

            throw new InvalidOperationException($"No mapping of /proc/self/smaps holds 0x{address:x}.");
        }
    }
}
