// Compiled into every project that writes files (linked, not copied: Runtime, Onnx, the app), with FileKind.cs.
// Internal: the one way GenSoftmax writes a file is not part of any package's API.
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace GenSoftmax.IO
{
    /// <summary>
    /// The one way GenSoftmax writes a file (model, checkpoint, report, plot, export): never half a file, never
    /// through a planted link, never over something that is not a regular file.
    /// </summary>
    /// <remarks>
    /// <para>The content goes to a new temporary file in the target's directory, created exclusively under an
    /// unpredictable name (O_CREAT | O_EXCL: an existing file or symlink of that name is an error, never followed),
    /// is flushed to disk, and is then renamed over the target, so a reader sees the old file or the new one, whole.
    /// If writing fails the temporary file is deleted and the target is untouched.</para>
    /// <para>The target may be absent or a regular file. A symlink, directory, device, FIFO or socket at the target
    /// is refused with an <see cref="IOException"/> naming it: replacing <c>/dev/full</c> or a link's target is never
    /// what a user asked for.</para>
    /// <para>After the rename the directory is flushed too (fsync), so the new name survives a power cut. A save that was
    /// killed (SIGKILL, a crash) leaves its temporary file behind; the next save of the same target removes such leftovers
    /// (never one that another process still holds open for writing).</para>
    /// </remarks>
    internal static partial class SafeFile
    {
        /// <summary>The longest file name, in bytes, that common Linux, macOS and Windows file systems accept.</summary>
        internal const int MaxNameBytes = 255;

        /// <summary>Bytes the temporary name adds to the target's: '.', '.', 16 hex digits, '.tmp'.</summary>
        internal const int TemporaryNameExtra = 22;

        /// <summary>A leftover temporary file younger than this may be one another writer has just created: it is kept.</summary>
        private static readonly TimeSpan StaleAge = TimeSpan.FromSeconds(10);

        /// <summary>Writes a file atomically: <paramref name="write"/> fills a stream that becomes <paramref name="path"/>.</summary>
        /// <exception cref="IOException">The target is not a regular file, its directory does not exist or is not writable,
        /// or writing failed; the message names the path.</exception>
        internal static void Write(string path, Action<Stream> write)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            ArgumentNullException.ThrowIfNull(write);
            string full = CheckTarget(path);
            string directory = Path.GetDirectoryName(full)!;
            string temp = TemporaryName(full);
            FileStream stream;
            try
            {
                // CreateNew is O_CREAT | O_EXCL: it fails on any existing name, a dangling symlink included. Readable too, so a
                // writer can go back over what it wrote (conversion renumbers its labels at the end).
                stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"Cannot write '{full}': cannot create a file in '{directory}' ({e.Message}).", e);
            }

            try
            {
                using (stream)
                {
                    KeepPermissions(full, stream);
                    write(stream);
                    stream.Flush(flushToDisk: true);
                }

                // Again just before the rename, which replaces the name itself (never writes through a link): whatever
                // appeared there while the content was written is refused, not replaced.
                CheckTarget(full);
                File.Move(temp, full, overwrite: true);
            }
            catch
            {
                TryDelete(temp);
                throw;
            }

            SyncDirectory(directory);
            RemoveLeftovers(full);
        }

        /// <summary>
        /// Checks, before any work is done, that <paramref name="path"/> can be written now: <see cref="CheckTarget"/>, its
        /// temporary name within the file-name limit, and a file can be created in its directory (one is created and removed).
        /// Returns the full path.
        /// </summary>
        /// <exception cref="IOException">The message says what is wrong with the path and how to fix it.</exception>
        internal static string CheckWritable(string path)
        {
            string full = CheckTarget(path);
            string name = Path.GetFileName(full);
            int bytes = Encoding.UTF8.GetByteCount(name);
            if (bytes + TemporaryNameExtra > MaxNameBytes)
            {
                throw new IOException(
                    $"Cannot write '{full}': its name is {bytes} bytes long, and the temporary file written first " +
                    $"('.NAME.<16 hex digits>.tmp') would exceed the file-name limit of {MaxNameBytes} bytes; " +
                    $"choose a name of at most {MaxNameBytes - TemporaryNameExtra} bytes.");
            }

            string directory = Path.GetDirectoryName(full)!;
            try
            {
                using var probe = new FileStream(
                    TemporaryName(full), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"Cannot write '{full}': cannot create a file in '{directory}' ({e.Message}).", e);
            }

            return full;
        }

        /// <summary>A new temporary name beside <paramref name="full"/>: <c>.NAME.&lt;16 hex digits&gt;.tmp</c>.</summary>
        private static string TemporaryName(string full)
        {
            string unique = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
            return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{unique}.tmp");
        }

        /// <summary>Whether <paramref name="fileName"/> is a temporary name of the target named <paramref name="targetName"/>.</summary>
        internal static bool IsTemporaryOf(string fileName, string targetName)
        {
            // "." + NAME + "." + 16 lowercase hex digits + ".tmp"
            if (fileName.Length != targetName.Length + TemporaryNameExtra || !fileName.StartsWith('.') ||
                !fileName.AsSpan(1).StartsWith(targetName, StringComparison.Ordinal) || fileName[targetName.Length + 1] != '.' ||
                !fileName.EndsWith(".tmp", StringComparison.Ordinal))
            {
                return false;
            }

            foreach (char c in fileName.AsSpan(targetName.Length + 2, 16))
            {
                if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Removes temporary files of <paramref name="full"/> left by saves that were killed: those no process holds open (a
        /// writer holds its temporary file with an exclusive lock) and older than a few seconds. Best effort: a file that
        /// cannot be removed is left.
        /// </summary>
        private static void RemoveLeftovers(string full)
        {
            string directory = Path.GetDirectoryName(full)!;
            string name = Path.GetFileName(full);
            try
            {
                foreach (string candidate in Directory.EnumerateFiles(directory, ".*.tmp"))
                {
                    if (!IsTemporaryOf(Path.GetFileName(candidate), name) || !IsRegularFile(candidate) ||
                        DateTime.UtcNow - File.GetLastWriteTimeUtc(candidate) < StaleAge)
                    {
                        continue;
                    }

                    try
                    {
                        // Opened with FileShare.None: fails while a live writer holds its lock; deleted while this holds it.
                        using var stale = new FileStream(candidate, FileMode.Open, FileAccess.Write, FileShare.None, 1);
                        File.Delete(candidate);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // In use, or not ours to remove: left as it is.
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The directory cannot be listed: nothing is removed; the save itself succeeded.
            }
        }

        /// <summary>Flushes the directory's entries (the rename) to disk; best effort, and not on Windows.</summary>
        private static void SyncDirectory(string directory)
        {
            if (OperatingSystem.IsWindows())
            {
                return;
            }

            try
            {
                int fd = NativeOpen(directory, 0); // O_RDONLY: enough to fsync a directory on Linux and macOS
                if (fd >= 0)
                {
                    _ = NativeFsync(fd);
                    _ = NativeClose(fd);
                }
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // No libc of the usual name: the rename stands, only its durability is not forced.
            }
        }

        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
        private static partial int NativeOpen(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync")]
        private static partial int NativeFsync(int fd);

        [LibraryImport("libc", EntryPoint = "close")]
        private static partial int NativeClose(int fd);

        /// <summary>
        /// Checks, before any work is done, that <paramref name="path"/> could be written: its directory exists and
        /// the target is absent or a regular file. Returns the full path.
        /// </summary>
        /// <exception cref="IOException">The message says what is wrong with the path and how to fix it.</exception>
        internal static string CheckTarget(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            string full = Path.GetFullPath(path);
            string? directory = Path.GetDirectoryName(full);
            if (directory is null || Path.GetFileName(full).Length == 0)
            {
                throw new IOException($"Cannot write '{path}': it names a directory, not a file.");
            }

            if (!Directory.Exists(directory))
            {
                throw new IOException($"Cannot write '{full}': the directory '{directory}' does not exist.");
            }

            var info = new FileInfo(full);
            if (info.LinkTarget is not null)
            {
                throw new IOException(
                    $"Cannot write '{full}': it is a symbolic link (to '{info.LinkTarget}'); GenSoftmax replaces only regular files. " +
                    "Remove the link or choose another path.");
            }

            if (Directory.Exists(full))
            {
                throw new IOException($"Cannot write '{full}': it is a directory.");
            }

            if (info.Exists && !IsRegularFile(full))
            {
                throw new IOException(
                    $"Cannot write '{full}': it is not a regular file (a device, FIFO or socket); " +
                    "GenSoftmax replaces only regular files. Choose another path.");
            }

            return full;
        }

        /// <summary>
        /// Whether <paramref name="path"/> is a regular file, asked without opening it (opening a FIFO can block).
        /// A symlink is not a regular file unless <paramref name="followLinks"/> is set, which asks about its target.
        /// </summary>
        internal static bool IsRegularFile(string path, bool followLinks = false) =>
            FileKinds.Of(path, followLinks) == FileKind.Regular;

        /// <summary>A replaced file keeps its permissions (a model readable only by its owner stays so).</summary>
        private static void KeepPermissions(string target, FileStream temp)
        {
            if (OperatingSystem.IsWindows() || !File.Exists(target))
            {
                return;
            }

            try
            {
                File.SetUnixFileMode(temp.SafeFileHandle, File.GetUnixFileMode(target));
            }
            catch (FileNotFoundException)
            {
                // Removed meanwhile: the new file keeps the default permissions.
            }
        }

        private static void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The original failure is what the caller needs to see.
            }
        }
    }
}
