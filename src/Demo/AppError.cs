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

        /// <summary>Exit code when the data or model does not fit in memory.</summary>
        public const int OutOfMemory = 3;

        /// <summary>Exit code for anything the code did not expect: a bug (sysexits' EX_SOFTWARE).</summary>
        public const int Internal = 70;

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
