// Compiled into every project that writes files (linked, not copied: Runtime, Onnx, the app), with FileKind.cs.
// Internal: the one way GenSoftmax writes a file is not part of any package's API.
using System;
using System.IO;
using System.Security.Cryptography;

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
    /// </remarks>
    internal static class SafeFile
    {
        /// <summary>Writes a file atomically: <paramref name="write"/> fills a stream that becomes <paramref name="path"/>.</summary>
        /// <exception cref="IOException">The target is not a regular file, its directory does not exist or is not writable,
        /// or writing failed; the message names the path.</exception>
        internal static void Write(string path, Action<Stream> write)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            ArgumentNullException.ThrowIfNull(write);
            string full = CheckTarget(path);
            string directory = Path.GetDirectoryName(full)!;
            string unique = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
            string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{unique}.tmp");
            FileStream stream;
            try
            {
                // CreateNew is O_CREAT | O_EXCL: it fails on any existing name, a dangling symlink included.
                stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
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
        }

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
