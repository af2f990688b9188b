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
        /// Starts the app, waits until a line of its stdout satisfies <paramref name="ready"/>, sends <paramref name="signal"/>.
        /// The app runs at the lowest CPU priority (nice 19), so on a busy machine this test's thread wakes up and sends the
        /// signal while the app is still training, rather than after it has finished (nice execs the app: same process id).
        /// </summary>
        public static AppRun RunAndSignal(string workingDirectory, IEnumerable<string> args, Func<string, bool> ready, int signal) =>
            RunAndSignal(workingDirectory, args, ready, [signal]);

        /// <summary>As above, sending each of <paramref name="signals"/> in turn, back to back.</summary>
        public static AppRun RunAndSignal(string workingDirectory, IEnumerable<string> args, Func<string, bool> ready, int[] signals)
        {
            using Process process = Process.Start(StartInfo(workingDirectory, args, null, ["nice", "-n", "19"]))!;
            var output = new StringBuilder();
            using var seen = new ManualResetEventSlim();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (output)
                {
                    output.AppendLine(e.Data);
                }

                if (ready(e.Data))
                {
                    seen.Set();
                }
            };
            process.BeginOutputReadLine();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(seen.Wait(TimeSpan.FromMinutes(2)), "the app never printed the line to interrupt at");
            foreach (int signal in signals)
            {
                Assert.Equal(0, Kill(process.Id, signal));
            }

            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the app did not exit after the signal");
            process.WaitForExit();
            lock (output)
            {
                return new AppRun(process.ExitCode, output.ToString(), stderr.Result);
            }
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
