using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GenSoftmax.Streaming
{
    /// <summary>
    /// A file whose rows are stored as they are trained on (float32 little-endian, or bytes), which the training windows map
    /// into memory instead of copying (<see cref="RowWindows"/>): a window of a cached file then costs the kernel the page
    /// tables of its blocks, not a copy of its bytes on a third thread beside the training threads (2 GB an epoch in
    /// 0.31-0.34 s on a 2-core Zen 4, against 0.013 s mapped; bench/results/2026-12-05-mapped-windows).
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
    /// without leases) <see cref="TryLease"/> says so and the windows copy rows as before.</para>
    /// </remarks>
    internal sealed partial class MappableRows
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

        private readonly SafeFileHandle _handle;
        private bool _leased;

        /// <summary>The rows of the file open as <paramref name="handle"/>, each <paramref name="rowBytes"/> bytes from byte
        /// <paramref name="dataOffset"/> on.</summary>
        public MappableRows(SafeFileHandle handle, long dataOffset, int rowBytes, bool isPixels)
        {
            _handle = handle;
            DataOffset = dataOffset;
            RowBytes = rowBytes;
            IsPixels = isPixels;
        }

        /// <summary>Where the first row starts in the file.</summary>
        public long DataOffset { get; }

        /// <summary>Bytes per row.</summary>
        public int RowBytes { get; }

        /// <summary>Whether the rows are bytes (pixels) rather than float32 features.</summary>
        public bool IsPixels { get; }

        /// <summary>Windows mapped so far (tests: that the mapped path ran).</summary>
        public int WindowsMapped { get; internal set; }

        /// <summary>The memory page size: mappings start and end on its multiples.</summary>
        public static int PageSize => Environment.SystemPageSize;

        /// <summary>Takes the read lease; false where none can be had (the rows are copied then).</summary>
        public bool TryLease()
        {
            if (!OperatingSystem.IsLinux() || _handle.IsInvalid || _handle.IsClosed)
            {
                return false;
            }

            _leased = Fcntl(_handle, SetSignal, UrgentSignal) == 0 && Fcntl(_handle, SetLease, ReadLock) == 0;
            return _leased;
        }

        /// <summary>Whether the lease is still held: false once another process has asked to write the file.</summary>
        public bool LeaseHeld => _leased && Fcntl(_handle, GetLease, 0) == ReadLock;

        /// <summary>Gives the lease up (a writer waiting for it goes on); nothing of the file may stay mapped.</summary>
        public void ReleaseLease()
        {
            if (_leased)
            {
                _leased = false;
                if (!_handle.IsClosed)
                {
                    Fcntl(_handle, SetLease, Unlock);
                }
            }
        }

        /// <summary>Reserves <paramref name="bytes"/> of address space, mapped to nothing (any access faults).</summary>
        /// <exception cref="IOException">The address space could not be reserved.</exception>
        public static unsafe byte* Reserve(nuint bytes)
        {
            void* address = Mmap(null, bytes, ProtNone, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
            if (address == (void*)-1)
            {
                throw new IOException($"Reserving {bytes:N0} bytes of address space for a window of rows failed (errno " +
                    $"{Marshal.GetLastPInvokeError()}).");
            }

            return (byte*)address;
        }

        /// <summary>Maps <paramref name="bytes"/> at <paramref name="address"/> (inside a reservation) back to nothing, dropping
        /// the file pages mapped there.</summary>
        public static unsafe void Clear(byte* address, nuint bytes)
        {
            void* got = Mmap(address, bytes, ProtNone, MapPrivate | MapAnonymous | MapNoReserve | MapFixed, -1, 0);
            if (got != address)
            {
                throw new IOException($"Unmapping a window of rows failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }

        /// <summary>
        /// Maps the file's bytes <c>[offset, offset + bytes)</c> read-only at <paramref name="address"/> (both page-aligned,
        /// inside a reservation) and reads them in (populated), so the training threads take no page faults on them.
        /// </summary>
        public unsafe void Map(byte* address, nuint bytes, long offset)
        {
            void* got = Mmap(address, bytes, ProtRead, MapShared | MapFixed | MapPopulate, (int)_handle.DangerousGetHandle(), offset);
            if (got != address)
            {
                throw new IOException($"Mapping {bytes:N0} bytes of rows at file offset {offset:N0} failed (errno " +
                    $"{Marshal.GetLastPInvokeError()}).");
            }
        }

        /// <summary>Returns a reservation to the system.</summary>
        public static unsafe void Free(byte* address, nuint bytes) => _ = Munmap(address, bytes);

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        private static partial int Fcntl(SafeFileHandle handle, int command, int argument);

        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        private static unsafe partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

        [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
        private static unsafe partial int Munmap(void* address, nuint length);
    }
}
