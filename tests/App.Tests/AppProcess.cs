using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>The result of one run of the app.</summary>
    public sealed record AppRun(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    /// <summary>Runs the built app as a real process: <c>dotnet gensoftmax-cli.dll ARGS</c> in a working directory.</summary>
    public static class AppProcess
    {
        public static string AppAssembly => Path.GetFullPath(typeof(AppProcess).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "AppAssembly").Value!
            .Replace('\\', Path.DirectorySeparatorChar));

        public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args, IDictionary<string, string?>? environment = null, string[]? wrapper = null)
        {
            var start = new ProcessStartInfo(wrapper is null ? "dotnet" : wrapper[0])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory,
            };
            if (wrapper is not null)
            {
                foreach (string w in wrapper[1..])
                {
                    start.ArgumentList.Add(w);
                }

                start.ArgumentList.Add("dotnet");
            }

            start.ArgumentList.Add(AppAssembly);
            foreach (string a in args)
            {
                start.ArgumentList.Add(a);
            }

            // The tests choose the data explicitly; an inherited variant choice would change what they check.
            start.Environment.Remove("GENSOFTMAX_ISA");
            if (environment is not null)
            {
                foreach ((string key, string? value) in environment)
                {
                    start.Environment[key] = value;
                }
            }

            return start;
        }

        public static AppRun Run(string workingDirectory, params string[] args) => Run(workingDirectory, args, null);

        public static AppRun Run(string workingDirectory, IEnumerable<string> args, IDictionary<string, string?>? environment, string[]? wrapper = null)
        {
            using Process process = Process.Start(StartInfo(workingDirectory, args, environment, wrapper))!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"gensoftmax-cli {string.Join(' ', args)} did not finish within 3 minutes");
            }

            return new AppRun(process.ExitCode, stdout.Result, stderr);
        }

        /// <summary>Runs another program (which runs the app), such as script(1) for a pseudo-terminal.</summary>
        public static AppRun RunCommand(string workingDirectory, string program, IEnumerable<string> args, IDictionary<string, string?> environment)
        {
            var start = new ProcessStartInfo(program)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory,
            };
            foreach (string a in args)
            {
                start.ArgumentList.Add(a);
            }

            start.Environment.Remove("GENSOFTMAX_ISA");
            foreach ((string key, string? value) in environment)
            {
                start.Environment[key] = value;
            }

            using Process process = Process.Start(start)!;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{program} {string.Join(' ', args)} did not finish within 3 minutes");
            }

            return new AppRun(process.ExitCode, stdout.Result, stderr);
        }

        /// <summary>
        /// Starts the app, and sends <paramref name="signal"/> the moment a line of its stdout satisfies <paramref name="ready"/>.
        /// The app runs at the lowest CPU priority (nice 19), so on a busy machine this test's thread wakes up and sends the
        /// signal while the app is still training, rather than after it has finished (nice execs the app: same process id).
        /// </summary>
        public static AppRun RunAndSignal(string workingDirectory, IEnumerable<string> args, Func<string, bool> ready, int signal) =>
            RunAndSignal(workingDirectory, args, ready, [signal]);

        /// <summary>As above, sending each of <paramref name="signals"/> in turn, back to back.</summary>
        /// <remarks>
        /// The app's stdout is read, and the signals sent, on a thread of this method's own: read through the thread pool
        /// (<c>BeginOutputReadLine</c>), the line waited for reached the test only when the pool had a thread free, which in
        /// a CI run of many tests blocked on their own processes was after the app (60 epochs in 0.4 s on an AVX-512
        /// machine) had finished.
        /// </remarks>
        public static AppRun RunAndSignal(string workingDirectory, IEnumerable<string> args, Func<string, bool> ready, int[] signals)
        {
            using Process process = Process.Start(StartInfo(workingDirectory, args, null, ["nice", "-n", "19"]))!;
            var output = new StringBuilder();
            bool signalled = false;
            string? failure = null;
            var reader = new Thread(() =>
            {
                while (process.StandardOutput.ReadLine() is { } line)
                {
                    output.AppendLine(line);
                    if (!signalled && ready(line))
                    {
                        signalled = true;
                        foreach (int signal in signals)
                        {
                            if (Kill(process.Id, signal) != 0)
                            {
                                failure = $"kill({process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}";
                            }
                        }
                    }
                }
            })
            {
                IsBackground = true,
                Name = "app stdout",
            };
            reader.Start();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the app did not exit within 2 minutes");
            process.WaitForExit();
            Assert.True(reader.Join(TimeSpan.FromMinutes(1)), "the app's stdout was not closed after it exited");
            var run = new AppRun(process.ExitCode, output.ToString(), stderr.Result);
            Assert.True(signalled, $"the app never printed the line to interrupt at\n{run}");
            Assert.True(failure is null, $"{failure}\n{run}");
            return run;
        }

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int Kill(int pid, int signal);
    }

    /// <summary>A temporary directory, deleted with everything in it.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = Directory.CreateTempSubdirectory("gensoftmax-app-").FullName;
        }

        public string Path { get; }

        public string this[string name] => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
