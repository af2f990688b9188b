using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace GenSoftmax.App
{
    /// <summary>
    /// Refuses, before any work, an output file that is one of the run's inputs or another output: the file a path leads
    /// to (after <c>..</c> and symbolic links; on Linux an existing file by device and inode, so hard links too) is compared,
    /// so <c>--save data.csv</c>, <c>--save DIR/train-images-idx3-ubyte</c>
    /// or <c>--save m.svg --plot m.svg</c> cannot overwrite what was read or written first.
    /// </summary>
    internal static partial class OutputPaths
    {
        private static readonly string[] IdxNames =
            ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

        /// <summary>Throws an <see cref="AppError"/> naming both options when an output is an input or an earlier output.</summary>
        /// <param name="inputs">Each input path with its option (null paths are skipped); a directory stands for its IDX files.</param>
        /// <param name="outputs">Each output path with its option (null paths are skipped).</param>
        /// <param name="allowed">Pairs of options that may name the same file (such as --checkpoint and --resume).</param>
        public static void Check(
            IEnumerable<(string? Path, string Option)> inputs, IEnumerable<(string? Path, string Option)> outputs,
            params (string Output, string Input)[] allowed)
        {
            var taken = new Dictionary<string, (string Option, string Path)>(StringComparer.Ordinal);
            foreach ((string? path, string option) in inputs)
            {
                if (path is null)
                {
                    continue;
                }

                foreach (string file in Expand(path))
                {
                    taken.TryAdd(Identity(file), (option, file));
                }
            }

            foreach ((string? path, string option) in outputs)
            {
                if (path is null)
                {
                    continue;
                }

                string key = Identity(path);
                if (taken.TryGetValue(key, out var first) && Array.IndexOf(allowed, (option, first.Option)) < 0)
                {
                    throw new AppError(
                        $"{option} {path} is the same file as {first.Option} {first.Path}: " +
                        $"writing it would replace what {first.Option} names. " +
                        $"Give {option} another file.");
                }

                taken.TryAdd(key, (option, path));
            }
        }

        /// <summary>A directory's IDX files (each with and without .gz), a .npy file with its companion labels, or the file.</summary>
        private static IEnumerable<string> Expand(string path)
        {
            if (Directory.Exists(path))
            {
                foreach (string name in IdxNames)
                {
                    yield return Path.Combine(path, name);
                    yield return Path.Combine(path, name + ".gz");
                }

                yield break;
            }

            yield return path;
            bool features = path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);
            if (features && !path.EndsWith(".labels.npy", StringComparison.OrdinalIgnoreCase))
            {
                yield return Path.ChangeExtension(path, ".labels.npy");
            }
        }

        /// <summary>An existing file's device and inode (Linux), else its full path with every symbolic link resolved.</summary>
        private static string Identity(string path)
        {
            if (OperatingSystem.IsLinux() && FileId(path) is { } id)
            {
                return id;
            }

            return ResolvedPath(path);
        }

        /// <summary>"dev:inode" of what <paramref name="path"/> leads to, or null when it does not exist (or stat is missing).</summary>
        private static string? FileId(string path)
        {
            // struct stat on Linux (x86-64 and the generic layout of arm64 alike) starts with st_dev and st_ino, 8 bytes each.
            Span<byte> status = stackalloc byte[256];
            try
            {
                if (Stat(path, ref status[0]) != 0)
                {
                    return null;
                }
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                return null;
            }

            return $"{BitConverter.ToUInt64(status[..8])}:{BitConverter.ToUInt64(status.Slice(8, 8))}";
        }

        [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
        private static partial int Stat(string path, ref byte status);

        /// <summary>The full path with every symbolic link on the way resolved, as far as the path exists.</summary>
        private static string ResolvedPath(string path)
        {
            string full = Path.GetFullPath(path);
            try
            {
                string? directory = Path.GetDirectoryName(full);
                string name = Path.GetFileName(full);
                if (directory is not null && name.Length > 0)
                {
                    directory = Resolve(directory, isDirectory: true);
                    full = Path.Combine(directory, name);
                }

                return Resolve(full, isDirectory: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return full;
            }
        }

        private static string Resolve(string path, bool isDirectory)
        {
            if (isDirectory)
            {
                string? parent = Path.GetDirectoryName(path);
                if (parent is not null)
                {
                    path = Path.Combine(Resolve(parent, isDirectory: true), Path.GetFileName(path));
                }
            }

            FileSystemInfo info = isDirectory ? new DirectoryInfo(path) : new FileInfo(path);
            return info.Exists && info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path : path;
        }
    }
}
