using System;
using System.IO;

namespace GenSoftmax.Persistence
{
    /// <summary>
    /// Thrown when a model file cannot be loaded: it is missing, empty, truncated, damaged (its checksum does not
    /// match), foreign (not a GenSoftmax model file), from a newer format version, or holds a model of another shape
    /// than the one it is loaded into. The message names the file and the problem; the model is left untouched.
    /// </summary>
    public sealed class ModelFileException : IOException
    {
        /// <summary>Creates the exception with a default message.</summary>
        public ModelFileException()
            : this("The model file could not be loaded.")
        {
        }

        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What is wrong with the file and how to fix it.</param>
        public ModelFileException(string message)
            : this(message, innerException: null)
        {
        }

        /// <summary>Creates the exception with a message and the exception that caused it.</summary>
        /// <param name="message">What is wrong with the file and how to fix it.</param>
        /// <param name="innerException">The cause, or null.</param>
        public ModelFileException(string message, Exception? innerException)
            : base(message, innerException)
        {
        }

        /// <summary>Creates the exception for a file.</summary>
        /// <param name="path">The file, as the caller named it.</param>
        /// <param name="message">What is wrong with the file and how to fix it; it names the file.</param>
        /// <param name="innerException">The cause, or null.</param>
        public ModelFileException(string path, string message, Exception? innerException)
            : base(message, innerException)
        {
            Path = path;
        }

        /// <summary>The file that could not be loaded, as the caller named it (null if unknown).</summary>
        public string? Path { get; }
    }
}
