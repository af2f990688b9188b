using System;
using System.Collections.Generic;
using System.IO;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Thrown when a data set's files cannot be found. The message names every directory that was tried, what was
    /// missing there, and how to provide the data.
    /// </summary>
    public sealed class DatasetNotFoundException : FileNotFoundException
    {
        /// <summary>Creates the exception with a default message.</summary>
        public DatasetNotFoundException()
            : this("The data set was not found.")
        {
        }

        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What was not found and how to provide it.</param>
        public DatasetNotFoundException(string message)
            : this(message, null)
        {
        }

        /// <summary>Creates the exception with a message and the exception that caused it.</summary>
        /// <param name="message">What was not found and how to provide it.</param>
        /// <param name="innerException">The cause, or null.</param>
        public DatasetNotFoundException(string message, Exception? innerException)
            : base(message, innerException)
        {
            TriedDirectories = Array.Empty<string>();
        }

        /// <summary>Creates the exception for a search that found no complete copy of the data set.</summary>
        /// <param name="message">What was not found and how to provide it.</param>
        /// <param name="triedDirectories">The directories searched, in order.</param>
        /// <param name="fileName">The first file that was missing, or the first directory tried.</param>
        public DatasetNotFoundException(string message, IReadOnlyList<string> triedDirectories, string? fileName)
            : base(message, fileName)
        {
            ArgumentNullException.ThrowIfNull(triedDirectories);
            TriedDirectories = triedDirectories;
        }

        /// <summary>The directories that were searched, in order (empty if unknown).</summary>
        public IReadOnlyList<string> TriedDirectories { get; }
    }
}
