using System;
using System.Diagnostics;
using Xunit;

namespace GenSoftmax
{
    /// <summary>Runs the system's programs (mkfifo, ln, chmod) that make the special files the file tests need.</summary>
    internal static class Programs
    {
        /// <summary>Runs a program to its end and returns its exit code and standard error.</summary>
        public static (int Exit, string Error) TryRun(string program, params string[] arguments)
        {
            var start = new ProcessStartInfo(program)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), $"{program} did not finish");
            return (process.ExitCode, error);
        }

        /// <summary>Runs a program that must succeed.</summary>
        public static void Run(string program, params string[] arguments)
        {
            (int exit, string error) = TryRun(program, arguments);
            Assert.True(exit == 0, $"{program} {string.Join(' ', arguments)} exited {exit}: {error}");
        }
    }
}
