using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.Versioning;
using System.Text;
using System.Threading.Tasks;
using GenSoftmax.IO;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>SafeFile against real special files, all created inside a temporary directory.</summary>
    public sealed class SafeFileTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        private static void WriteText(string path, string text) => SafeFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(text)));

        /// <summary>Temporary files SafeFile might have left: ".NAME.HEX.tmp".</summary>
        private string[] TempFiles() => Directory.GetFiles(_dir.Path, ".*.tmp");

        /// <summary>Writing <paramref name="path"/> is refused, before and at write time, with its name and no temporary file left.</summary>
        private IOException Refused(string path)
        {
            var check = Assert.Throws<IOException>(() => SafeFile.CheckTarget(path));
            var e = Assert.Throws<IOException>(() => WriteText(path, "new content"));
            Assert.Equal(check.Message, e.Message);
            Assert.Contains($"'{Path.GetFullPath(path)}'", e.Message);
            Assert.Empty(TempFiles());
            return e;
        }

        [SkippableFact]
        [UnsupportedOSPlatform("windows")] // skipped there, at run time
        public void A_normal_write_creates_then_replaces_a_regular_file_keeping_its_permissions()
        {
            string path = _dir.File("model.bin");
            WriteText(path, "first");
            Assert.Equal("first", File.ReadAllText(path));

            Skip.If(OperatingSystem.IsWindows(), "Unix permissions");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            WriteText(path, "second, longer");
            Assert.Equal("second, longer", File.ReadAllText(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(new[] { "model.bin" }, Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        }

        [SkippableFact]
        public void A_symlink_to_a_file_elsewhere_is_refused_and_its_target_untouched()
        {
            Skip.If(OperatingSystem.IsWindows(), "symlinks need privileges on Windows");
            using var elsewhere = new TempDirectory();
            string target = elsewhere.File("precious.txt");
            File.WriteAllText(target, "precious");
            string link = _dir.File("model.bin");
            File.CreateSymbolicLink(link, target);

            IOException e = Refused(link);
            Assert.Contains("is a symbolic link", e.Message);
            Assert.Contains(target, e.Message);
            Assert.Equal("precious", File.ReadAllText(target));
            Assert.Equal(target, new FileInfo(link).LinkTarget);
        }

        [SkippableFact]
        public void A_dangling_symlink_is_refused_and_nothing_is_created_where_it_points()
        {
            Skip.If(OperatingSystem.IsWindows(), "symlinks need privileges on Windows");
            using var elsewhere = new TempDirectory();
            string target = elsewhere.File("planted.txt");
            string link = _dir.File("model.bin");
            File.CreateSymbolicLink(link, target);

            Assert.Contains("is a symbolic link", Refused(link).Message);
            Assert.False(File.Exists(target));
        }

        [Fact]
        public void A_directory_is_refused()
        {
            string directory = _dir.Subdirectory("models");
            Assert.Contains("is a directory", Refused(directory).Message);
            Assert.True(Directory.Exists(directory));
            Assert.Contains("names a directory", Assert.Throws<IOException>(() => WriteText(directory + "/", "x")).Message);
        }

        [SkippableFact]
        public void A_FIFO_is_refused_without_opening_it()
        {
            Skip.If(OperatingSystem.IsWindows(), "FIFOs are a Unix thing");
            string fifo = _dir.File("model.bin");
            Programs.Run("mkfifo", fifo);

            // Opening a FIFO waits for the other end: the refusal must come from its type alone.
            Task<IOException> write = Task.Run(() => Refused(fifo));
            Assert.True(write.Wait(TimeSpan.FromSeconds(10)), "writing to a FIFO blocked");
            Assert.Contains("is not a regular file", write.Result.Message);
            Assert.False(SafeFile.IsRegularFile(fifo));
        }

        [SkippableFact]
        public void A_character_device_is_refused()
        {
            Skip.If(OperatingSystem.IsWindows(), "device nodes are a Unix thing");
            string device = _dir.File("model.bin");
            (int exit, string error) = Programs.TryRun("mknod", device, "c", "1", "3"); // a twin of /dev/null, inside the temporary directory
            Skip.If(exit != 0, $"mknod is not permitted here ({error.Trim()}): creating a device node needs root");

            Assert.Contains("is not a regular file (a device, FIFO or socket)", Refused(device).Message);
            Assert.False(SafeFile.IsRegularFile(device));
            Assert.False(SafeFile.IsRegularFile(device, followLinks: true));
        }

        [Fact]
        public void A_missing_directory_is_refused()
        {
            string missing = Path.Combine(_dir.Path, "no-such-directory");
            IOException e = Refused(Path.Combine(missing, "model.bin"));
            Assert.Contains($"the directory '{missing}' does not exist", e.Message);
            Assert.False(Directory.Exists(missing));
        }

        [Fact]
        public void A_writer_that_throws_midway_leaves_the_old_file_intact_and_no_temporary_file()
        {
            string path = _dir.File("model.bin");
            WriteText(path, "old and good");
            var e = Assert.Throws<InvalidOperationException>(() => SafeFile.Write(path, stream =>
            {
                stream.Write(Encoding.UTF8.GetBytes("half of the new"));
                Assert.Single(TempFiles()); // the new content goes to a temporary file, not to the target
                throw new InvalidOperationException("the writer failed");
            }));
            Assert.Equal("the writer failed", e.Message);
            Assert.Equal("old and good", File.ReadAllText(path));
            Assert.Empty(TempFiles());
        }

        [SkippableFact]
        public void IsRegularFile_tells_the_kinds_of_file_apart()
        {
            string file = _dir.File("file");
            File.WriteAllText(file, "x");
            Assert.True(SafeFile.IsRegularFile(file));
            Assert.False(SafeFile.IsRegularFile(_dir.Path));
            Assert.False(SafeFile.IsRegularFile(_dir.File("missing")));

            Skip.If(OperatingSystem.IsWindows(), "symlinks need privileges on Windows");
            string link = _dir.File("link");
            File.CreateSymbolicLink(link, file);
            Assert.False(SafeFile.IsRegularFile(link));
            Assert.True(SafeFile.IsRegularFile(link, followLinks: true));
            Assert.False(SafeFile.IsRegularFile("/dev/null"));
            Assert.False(SafeFile.IsRegularFile("/dev/null", followLinks: true));
        }

        [SkippableFact]
        public void Symlinks_planted_at_predictable_temporary_names_are_never_followed()
        {
            Skip.If(OperatingSystem.IsWindows(), "symlinks need privileges on Windows");
            using var elsewhere = new TempDirectory();
            string victim = elsewhere.File("victim.txt");
            File.WriteAllText(victim, "precious");
            string target = _dir.File("REPORT");
            string[] planted = [target + ".tmp", _dir.File(".REPORT.tmp"), target + "~", target + ".new"];
            foreach (string link in planted)
            {
                File.CreateSymbolicLink(link, victim);
            }

            WriteText(target, "the report");

            Assert.Equal("the report", File.ReadAllText(target));
            Assert.True(SafeFile.IsRegularFile(target));
            Assert.Equal("precious", File.ReadAllText(victim));
            Assert.All(planted, link => Assert.Equal(victim, new FileInfo(link).LinkTarget));
        }

        [SkippableFact]
        public void Leftover_temporary_files_of_the_same_target_are_removed_at_the_next_save()
        {
            Skip.If(OperatingSystem.IsWindows(), "Unix file locking (a writer's exclusive lock marks its temporary file as live)");
            string target = _dir.File("m.gsm");
            WriteText(target, "old");
            DateTime longAgo = DateTime.UtcNow.AddHours(-1);
            string Leftover(string name, bool old)
            {
                string path = _dir.File(name);
                File.WriteAllText(path, "half a file from a save that was killed");
                if (old)
                {
                    File.SetLastWriteTimeUtc(path, longAgo);
                }

                return path;
            }

            string stale = Leftover(".m.gsm.0123456789abcdef.tmp", old: true);
            string fresh = Leftover(".m.gsm.fedcba9876543210.tmp", old: false); // may be another writer's, just created
            string live = Leftover(".m.gsm.00112233445566ff.tmp", old: true); // held open by a writer: its lock says so
            string otherTarget = Leftover(".m.gsm2.0123456789abcdef.tmp", old: true);
            string notOurs = Leftover(".m.gsm.notahexnumber!.tmp", old: true);
            using (new FileStream(live, FileMode.Open, FileAccess.Write, FileShare.None))
            {
                WriteText(target, "new");
            }

            Assert.Equal("new", File.ReadAllText(target));
            Assert.False(File.Exists(stale), "the leftover of a killed save is removed");
            Assert.True(File.Exists(fresh) && File.Exists(live) && File.Exists(otherTarget) && File.Exists(notOurs));
        }

        [Fact]
        public void CheckWritable_refuses_a_name_whose_temporary_name_is_too_long_and_leaves_nothing()
        {
            string fits = _dir.File(new string('a', SafeFile.MaxNameBytes - SafeFile.TemporaryNameExtra));
            Assert.Equal(fits, SafeFile.CheckWritable(fits));
            Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));

            string tooLong = _dir.File(new string('a', SafeFile.MaxNameBytes - SafeFile.TemporaryNameExtra + 1));
            IOException e = Assert.Throws<IOException>(() => SafeFile.CheckWritable(tooLong));
            Assert.Contains("would exceed the file-name limit of 255 bytes", e.Message);
            Assert.Contains($"at most {SafeFile.MaxNameBytes - SafeFile.TemporaryNameExtra} bytes", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
        }

        [Fact]
        public void The_temporary_file_is_new_each_time_unpredictable_and_beside_the_target()
        {
            string target = _dir.File("report.txt");
            var names = new List<string>();
            for (int i = 0; i < 3; i++)
            {
                SafeFile.Write(target, stream =>
                {
                    string temp = Assert.Single(TempFiles());
                    Assert.Equal(_dir.Path, Path.GetDirectoryName(temp));
                    Assert.Matches(@"^\.report\.txt\.[0-9a-f]{16}\.tmp$", Path.GetFileName(temp));
                    names.Add(temp);
                    stream.Write(Encoding.UTF8.GetBytes($"version {i}"));
                });
            }

            Assert.Equal(3, names.Distinct().Count()); // 64 random bits each: a name cannot be planted in advance
            Assert.Equal("version 2", File.ReadAllText(target));
            Assert.Empty(TempFiles());
        }

        [SkippableFact]
        public void A_target_swapped_for_a_symlink_while_writing_is_refused_at_the_rename()
        {
            Skip.If(OperatingSystem.IsWindows(), "symlinks need privileges on Windows");
            using var elsewhere = new TempDirectory();
            string victim = elsewhere.File("victim.txt");
            File.WriteAllText(victim, "precious");
            string target = _dir.File("model.bin");
            WriteText(target, "old");

            var e = Assert.Throws<IOException>(() => SafeFile.Write(target, stream =>
            {
                stream.Write(Encoding.UTF8.GetBytes("new"));
                File.Delete(target);
                File.CreateSymbolicLink(target, victim); // an attacker's race
            }));

            Assert.Contains("is a symbolic link", e.Message);
            Assert.Equal("precious", File.ReadAllText(victim));
            Assert.Equal(victim, new FileInfo(target).LinkTarget);
            Assert.Empty(TempFiles());
        }

        [SkippableFact]
        public void A_target_swapped_for_a_fifo_while_writing_is_refused_without_blocking()
        {
            Skip.If(OperatingSystem.IsWindows(), "FIFOs are a Unix thing");
            string target = _dir.File("report.txt");

            Task<Exception?> write = Task.Run<Exception?>(() => Record.Exception(() => SafeFile.Write(target, stream =>
            {
                stream.Write(Encoding.UTF8.GetBytes("new"));
                Programs.Run("mkfifo", target);
            })));

            Assert.True(write.Wait(TimeSpan.FromSeconds(30)), "SafeFile blocked on a FIFO");
            Assert.Contains("is not a regular file", Assert.IsType<IOException>(write.Result).Message);
            Assert.False(SafeFile.IsRegularFile(target));
            Assert.Empty(TempFiles());
        }
    }
}
