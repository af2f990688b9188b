using System;

namespace GenSoftmax.App
{
    /// <summary>A problem the user can fix: printed as one line on stderr, with an exit code, never a stack trace.</summary>
    internal sealed class AppError : Exception
    {
        /// <summary>Exit code for bad input (options, data, files).</summary>
        public const int Usage = 2;

        /// <summary>Exit code for a failure while running (I/O, training).</summary>
        public const int Failure = 1;

        public AppError(string message, int exitCode = Usage)
            : base(message)
        {
            ExitCode = exitCode;
        }

        public AppError()
            : this("error")
        {
        }

        public AppError(string message)
            : this(message, Usage)
        {
        }

        public AppError(string message, Exception innerException)
            : base(message, innerException)
        {
            ExitCode = Failure;
        }

        public int ExitCode { get; }
    }
}
