using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GenSoftmax.Streaming
{
    /// <summary>
    /// A file whose rows are stored as they are trained on (float32 little-endian, or bytes), which the training windows
    /// fill page by page in place of copying rows (<see cref="RowWindows"/>): a file that may be cached is mapped into
    /// memory, a file larger than the cache can hold is read around the cache (O_DIRECT) straight into the window. Either
    /// way each block lands at an address with the same offset in its page as in the file, so no byte is copied: a window
    /// of a cached file costs the kernel the page tables of its blocks (2 GB in 0.013 s, against 0.31-0.34 s to copy it on
    /// a third thread beside the two training threads of a 2-core Zen 4; bench/results/2026-12-05-mapped-windows).
    /// </summary>
    /// <remarks>
    /// <para>A mapped page whose file is truncated under it stops the process with SIGBUS, so rows are mapped only under a
    /// read lease (<c>F_SETLEASE</c>): another process that opens the file to write or truncate it waits until the lease is
    /// released, which <see cref="RowWindows"/> does at its next window (it checks <see cref="LeaseHeld"/> there, unmaps,
    /// and reads through copies from then on, so a changed file is the clear error it is without mapping). The lease is
    /// broken by force after <c>/proc/sys/fs/lease-break-time</c> seconds (45 by default): a window trained on for longer
    /// than that could still see its file truncated. The break's signal is SIGURG, which is ignored by default; nothing
    /// handles it, the lease is polled.</para>
    /// <para>Where a lease cannot be had (not Linux, a file this user does not own, a file open for writing, a file system
    /// without leases) <see cref="TryLease"/> says so and the windows copy rows as before. Direct reads need no lease: the
    /// window's memory is its own.</para>
    /// </remarks>
    internal sealed partial class PagedRows
    {
        private const int SetSignal = 10;      // F_SETSIG
        private const int SetLease = 1024;     // F_SETLEASE
        private const int GetLease = 1025;     // F_GETLEASE
        private const int ReadLock = 0;        // F_RDLCK
        private const int Unlock = 2;          // F_UNLCK
        private const int UrgentSignal = 23;   // SIGURG: ignored unless handled

        private const int ProtNone = 0;
        private const int ProtRead = 1;
        private const int MapShared = 0x01;
        private const int MapPrivate = 0x02;
        private const int MapFixed = 0x10;
        private const int MapAnonymous = 0x20;
        private const int MapNoReserve = 0x4000;
        private const int MapPopulate = 0x8000;

        /// <summary>Bytes per direct read call: as fast as larger calls, and the progress count moves between them.</summary>
        private const int DirectChunk = 4 << 20;

        private readonly SafeFileHandle _handle;
        private readonly object _gate = new();
        private int _leases; // windows holding the lease: it is given up when the last lets go

        /// <summary>
        /// The rows of the file open as <paramref name="handle"/>, each <paramref name="rowBytes"/> bytes from byte <paramref
        /// name="dataOffset"/> on; <paramref name="direct"/> when the handle reads around the page cache (O_DIRECT).
        /// </summary>
        public PagedRows(SafeFileHandle handle, long dataOffset, int rowBytes, bool isPixels, bool direct)
        {
            _handle = handle;
            DataOffset = dataOffset;
            RowBytes = rowBytes;
            IsPixels = isPixels;
            IsDirect = direct;
        }

        /// <summary>Where the first row starts in the file.</summary>
        public long DataOffset { get; }

        /// <summary>Bytes per row.</summary>
        public int RowBytes { get; }

        /// <summary>Whether the rows are bytes (pixels) rather than float32 features.</summary>
        public bool IsPixels { get; }

        /// <summary>Whether windows are read into their own memory around the page cache rather than mapped.</summary>
        public bool IsDirect { get; }

        /// <summary>Windows filled in place so far (tests: that the paged path ran).</summary>
        public int WindowsFilled { get; internal set; }

        /// <summary>The memory page size: mappings and direct reads start and end on its multiples.</summary>
        public static int PageSize => Environment.SystemPageSize;

        /// <summary>
        /// Takes the read lease that mapping needs (or shares it with the windows that hold it); false where none can be had
        /// (the rows are copied then). Each true is matched by one <see cref="ReleaseLease"/>.
        /// </summary>
        public bool TryLease()
        {
            lock (_gate)
            {
                if (_leases == 0)
                {
                    if (!OperatingSystem.IsLinux() || IsDirect || _handle.IsInvalid || _handle.IsClosed
                        || Fcntl(_handle, SetSignal, UrgentSignal) != 0 || Fcntl(_handle, SetLease, ReadLock) != 0)
                    {
                        return false;
                    }
                }
                else if (!LeaseHeld)
                {
                    return false; // being broken: a writer is waiting for the windows that hold it
                }

                _leases++;
                return true;
            }
        }

        /// <summary>Whether the lease is still held: false once another process has asked to write the file.</summary>
        public bool LeaseHeld => _leases > 0 && Fcntl(_handle, GetLease, 0) == ReadLock;

        /// <summary>Lets go of the lease; the last holder gives it up (a writer waiting for it goes on), and nothing of the
        /// file may stay mapped by the caller.</summary>
        public void ReleaseLease()
        {
            lock (_gate)
            {
                if (_leases > 0 && --_leases == 0 && !_handle.IsClosed)
                {
                    Fcntl(_handle, SetLease, Unlock);
                }
            }
        }

        /// <summary>
        /// Address space for a window of <paramref name="bytes"/>: for mapping, reserved and mapped to nothing (any access
        /// faults); for direct reads, memory of the window's own, page-aligned.
        /// </summary>
        /// <exception cref="IOException">The address space could not be reserved.</exception>
        public unsafe byte* Allocate(nuint bytes)
        {
            if (IsDirect)
            {
                return (byte*)NativeMemory.AlignedAlloc(bytes, (nuint)PageSize);
            }

            void* address = Mmap(null, bytes, ProtNone, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
            if (address == (void*)-1)
            {
                throw new IOException($"Reserving {bytes:N0} bytes of address space for a window of rows failed (errno " +
                    $"{Marshal.GetLastPInvokeError()}).");
            }

            return (byte*)address;
        }

        /// <summary>Returns a window's memory from <see cref="Allocate"/>.</summary>
        public unsafe void Free(byte* address, nuint bytes)
        {
            if (IsDirect)
            {
                NativeMemory.AlignedFree(address);
            }
            else
            {
                _ = Munmap(address, bytes);
            }
        }

        /// <summary>Empties a window before it is filled again: a mapped window's file pages are unmapped.</summary>
        public unsafe void Clear(byte* address, nuint bytes)
        {
            if (IsDirect)
            {
                return;
            }

            void* got = Mmap(address, bytes, ProtNone, MapPrivate | MapAnonymous | MapNoReserve | MapFixed, -1, 0);
            if (got != address)
            {
                throw new IOException($"Unmapping a window of rows failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }

        /// <summary>
        /// Puts the file's bytes <c>[offset, offset + bytes)</c> at <paramref name="address"/> (both page-aligned, inside a
        /// window's memory): mapped read-only and read in (populated, so the training threads take no page faults on them), or
        /// read around the page cache. Returns the bytes the file had there: fewer only at its end.
        /// </summary>
        public unsafe long Fill(byte* address, nuint bytes, long offset)
        {
            if (!IsDirect)
            {
                int fd = (int)_handle.DangerousGetHandle();
                void* got = Mmap(address, bytes, ProtRead, MapShared | MapFixed | MapPopulate, fd, offset);
                if (got != address)
                {
                    throw new IOException($"Mapping {bytes:N0} bytes of rows at file offset {offset:N0} failed (errno " +
                        $"{Marshal.GetLastPInvokeError()}).");
                }

                return (long)bytes;
            }

            long done = 0;
            while (done < (long)bytes)
            {
                int chunk = (int)Math.Min(DirectChunk, (long)bytes - done);
                int got = RandomAccess.Read(_handle, new Span<byte>(address + done, chunk), offset + done);
                done += got;
                if (got < chunk)
                {
                    break; // the end of the file
                }
            }

            return done;
        }

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        private static partial int Fcntl(SafeFileHandle handle, int command, int argument);

        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        private static unsafe partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

        [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
        private static unsafe partial int Munmap(void* address, nuint length);
    }
}
