// Compiled into every project that opens or writes files (linked, not copied: Runtime, Data, Onnx, the app), so all
// of them tell a regular file from a FIFO, device or dangling link the same way. Internal: not part of any package's API.
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace GenSoftmax.IO
{
    /// <summary>What a path names, asked without opening it (opening a FIFO for reading waits for a writer).</summary>
    internal enum FileKind
    {
        /// <summary>Nothing: the path does not exist (or, following links, a link's target does not).</summary>
        Missing,
        Regular,
        Directory,
        Fifo,
        CharacterDevice,
        BlockDevice,
        Socket,
        SymbolicLink,
        /// <summary>A symlink whose target is missing, or a loop of links (only when following links).</summary>
        BrokenLink,
        Other,
    }

    internal static class FileKinds
    {
        /// <summary>The kind of <paramref name="path"/>; with <paramref name="followLinks"/>, of what its links lead to.</summary>
        internal static FileKind Of(string path, bool followLinks)
        {
            if (OperatingSystem.IsWindows())
            {
                return OfWindows(path, followLinks);
            }

            // stat/lstat through the runtime's own native shim (what File.GetAttributes calls on Unix). Its status
            // record starts with two 32-bit fields, Flags and Mode, in every .NET version, and the shim checks at
            // compile time that its S_IF* type bits are the platform's, so Mode's type bits can be read as POSIX ones.
            Span<byte> status = stackalloc byte[512];
            if (followLinks)
            {
                if (Native.Stat(path, ref status[0]) != 0)
                {
                    return Native.LStat(path, ref status[0]) == 0 ? FileKind.BrokenLink : FileKind.Missing;
                }
            }
            else if (Native.LStat(path, ref status[0]) != 0)
            {
                return FileKind.Missing;
            }

            int mode = BitConverter.ToInt32(status.Slice(4, 4)); // native byte order, as the shim wrote it
            return (mode & 0xF000) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0x1000 => FileKind.Fifo,
                0x2000 => FileKind.CharacterDevice,
                0x6000 => FileKind.BlockDevice,
                0xC000 => FileKind.Socket,
                0xA000 => FileKind.SymbolicLink,
                _ => FileKind.Other,
            };
        }

        private static FileKind OfWindows(string path, bool followLinks)
        {
            FileSystemInfo info = new FileInfo(path);
            if (!info.Exists && !Directory.Exists(path))
            {
                return info.LinkTarget is not null ? (followLinks ? FileKind.BrokenLink : FileKind.SymbolicLink) : FileKind.Missing;
            }

            FileAttributes attributes = File.GetAttributes(path);
            if (!followLinks && (attributes & FileAttributes.ReparsePoint) != 0)
            {
                return FileKind.SymbolicLink;
            }

            if ((attributes & FileAttributes.Directory) != 0)
            {
                return FileKind.Directory;
            }

            return (attributes & FileAttributes.Device) != 0 ? FileKind.CharacterDevice : FileKind.Regular;
        }

        /// <summary>"a FIFO (named pipe)", "a directory", ...: for messages.</summary>
        internal static string Describe(FileKind kind) => kind switch
        {
            FileKind.Missing => "missing",
            FileKind.Regular => "a regular file",
            FileKind.Directory => "a directory",
            FileKind.Fifo => "a FIFO (named pipe)",
            FileKind.CharacterDevice => "a character device",
            FileKind.BlockDevice => "a block device",
            FileKind.Socket => "a socket",
            FileKind.SymbolicLink => "a symbolic link",
            FileKind.BrokenLink => "a symbolic link that leads nowhere (its target is missing, or the links form a loop)",
            _ => "not a regular file",
        };

        /// <summary>
        /// Opens a data file for reading, after checking that it is (through any links) a regular file: a FIFO would
        /// block the open until some writer appears, a device could stream forever, a directory is a mistake.
        /// </summary>
        /// <param name="path">The file.</param>
        /// <param name="what">What the file should be, for the message: "an IDX file".</param>
        /// <param name="bufferSize">The stream's buffer size.</param>
        /// <exception cref="FileNotFoundException">Nothing is there, or a symlink there leads nowhere.</exception>
        /// <exception cref="IOException">It is a directory, FIFO, device or socket (the message names it and its kind), or
        /// this user may not read it.</exception>
        internal static FileStream OpenData(string path, string what, int bufferSize)
        {
            FileKind kind = Of(path, followLinks: true);
            switch (kind)
            {
                case FileKind.Regular:
                    break;
                case FileKind.Missing:
                    // Let the runtime say which part of the path is missing, with its usual exception type.
                    break;
                case FileKind.BrokenLink:
                    throw new FileNotFoundException(
                        $"{path} is {Describe(kind)}: there is no file to read. Point the link at the data, or remove it.", path);
                default:
                    throw new IOException(
                        $"{path} is {Describe(kind)}, not a regular file, so it cannot be {what}: GenSoftmax reads data only from " +
                        "regular files (a FIFO or device could block or never end). Copy the data into a file and pass its path.");
            }

            // The check and the open are two steps; a file swapped for a FIFO in between is outside what this guards.
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, FileOptions.SequentialScan);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new IOException(
                    $"{path} cannot be read: permission denied. Give this user read access to it " +
                    "(and search access to its directories).", e);
            }
        }
    }

    internal static partial class Native
    {
        [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_LStat", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int LStat(string path, ref byte status);

        [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Stat(string path, ref byte status);
    }
}
