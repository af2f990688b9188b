using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using GenSoftmax.IO;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Finds and loads Fashion-MNIST (Zalando): 28x28 greyscale images of clothing in 10 classes, 60,000 for
    /// training and 10,000 for testing, as four IDX files (each gzip-compressed with a <c>.gz</c> suffix, or raw).
    /// </summary>
    /// <remarks>
    /// The data is looked for in an explicit directory if one is given (and only there), otherwise in the directory
    /// named by the environment variable <see cref="EnvironmentVariable"/> when it is set (and only there: a setting
    /// that lacks the data is an error), otherwise in <see cref="DefaultDirectory"/>, where the Debian/Ubuntu package
    /// <c>dataset-fashion-mnist</c> installs it.
    /// <para>For each of the four files, <c>NAME.gz</c> is used if it is a regular file (following symlinks), else
    /// <c>NAME</c>; an entry that is not a regular file (a symlink that leads nowhere or loops, a FIFO, a directory) is
    /// passed over, and if neither is usable the error names what was found instead.</para>
    /// </remarks>
    public static class FashionMnist
    {
        /// <summary>The environment variable that may name the directory holding the data.</summary>
        public const string EnvironmentVariable = "GENSOFTMAX_FASHION_MNIST";

        /// <summary>Where <c>sudo apt-get install dataset-fashion-mnist</c> puts the data; searched last.</summary>
        public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

        /// <summary>Height and width of every image.</summary>
        public const int ImageSize = 28;

        /// <summary>Number of classes.</summary>
        public const int ClassCount = 10;

        /// <summary>The name of each class, indexed by label 0..9.</summary>
        public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(new[]
        {
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        });

        /// <summary>Finds the directory that holds the four Fashion-MNIST files.</summary>
        /// <param name="directory">A directory to use instead of the search; if given, only it is tried.</param>
        /// <returns>The full path of the directory.</returns>
        /// <exception cref="DatasetNotFoundException">No tried directory holds all four files. The message says what
        /// was tried, which files were missing, and the ways to provide the data.</exception>
        public static string Locate(string? directory = null) =>
            Locate(directory, Environment.GetEnvironmentVariable(EnvironmentVariable), DefaultDirectory);

        /// <summary>Loads the training and test sets.</summary>
        /// <param name="directory">A directory to use instead of the search (see <see cref="Locate(string?)"/>).</param>
        /// <returns>The 60,000 training and 10,000 test images with their labels (for the official files).</returns>
        /// <exception cref="DatasetNotFoundException">The files were not found.</exception>
        /// <exception cref="InvalidDataException">A file is not valid IDX data, the images are not 28x28, the image and
        /// label counts differ, or a label is not in 0..9.</exception>
        public static (LabeledData Train, LabeledData Test) Load(string? directory = null) =>
            LoadFrom(Locate(directory));

        /// <summary>Loads the training and test sets with the search inputs given explicitly (for tests).</summary>
        internal static (LabeledData Train, LabeledData Test) Load(
            string? directory, string? environmentValue, string defaultDirectory) =>
            LoadFrom(Locate(directory, environmentValue, defaultDirectory));

        /// <summary>
        /// Finds the data from an explicit <paramref name="directory"/> (only it, if given), else
        /// <paramref name="environmentValue"/> (if not empty), else <paramref name="defaultDirectory"/>.
        /// </summary>
        internal static string Locate(string? directory, string? environmentValue, string defaultDirectory)
        {
            var tried = new List<(string Path, string Source, string Problem, string? Missing)>(2);
            if (directory is not null)
            {
                if (string.IsNullOrWhiteSpace(directory))
                {
                    throw NotFound(
                        new List<(string, string, string, string?)> { ("\"\"", "given explicitly", "the directory name is empty", null) },
                        explicitOnly: true);
                }

                if (TryDirectory(directory, "given explicitly", tried, out string? found))
                {
                    return found;
                }

                throw NotFound(tried, explicitOnly: true);
            }

            if (!string.IsNullOrWhiteSpace(environmentValue))
            {
                // A directory set in the environment is an explicit choice: when it lacks the data, that is the error,
                // not a reason to train silently on another copy.
                if (TryDirectory(environmentValue, $"from {EnvironmentVariable}", tried, out string? fromEnvironment))
                {
                    return fromEnvironment;
                }

                throw NotFound(tried, explicitOnly: true, fromEnvironment: true);
            }

            if (TryDirectory(defaultDirectory, "default", tried, out string? fromDefault))
            {
                return fromDefault;
            }

            throw NotFound(tried, explicitOnly: false);
        }

        /// <summary>Loads both splits from a directory that holds the four files: 28x28 images, labels 0..9.</summary>
        internal static (LabeledData Train, LabeledData Test) LoadFrom(string directory) =>
            IdxReader.ReadDirectory(directory, new IdxReader.DirectoryRules(ImageSize, ClassCount, "Fashion-MNIST", null));

        /// <summary>Why neither <paramref name="name"/>.gz nor <paramref name="name"/> could be used, when something is there.</summary>
        private static string? Unusable(string directory, string name)
        {
            var found = new List<string>(2);
            foreach (string candidate in new[] { name + ".gz", name })
            {
                FileKind kind = FileKinds.Of(Path.Combine(directory, candidate), followLinks: true);
                if (kind is not (FileKind.Missing or FileKind.Regular))
                {
                    found.Add($"{candidate} is {FileKinds.Describe(kind)}");
                }
            }

            return found.Count == 0 ? null : string.Join("; ", found);
        }

        private static bool TryDirectory(
            string directory,
            string source,
            List<(string Path, string Source, string Problem, string? Missing)> tried,
            out string found)
        {
            string full;
            try
            {
                full = Path.GetFullPath(directory);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
            {
                tried.Add((directory, source, $"not a valid path ({e.Message})", null));
                found = "";
                return false;
            }

            if (!Directory.Exists(full))
            {
                string problem = File.Exists(full) ? "is a file, not a directory" : "does not exist";
                tried.Add((full, source, problem, null));
                found = "";
                return false;
            }

            List<string>? missing = null;
            foreach (string name in IdxReader.FileNames)
            {
                if (IdxReader.Resolve(full, name) is null)
                {
                    string? why = Unusable(full, name);
                    (missing ??= new List<string>(IdxReader.FileNames.Length)).Add(
                        why is null ? name + "[.gz]" : $"{name}[.gz] ({why}, not a regular file)");
                }
            }

            if (missing is null)
            {
                found = full;
                return true;
            }

            string what = missing.Count == IdxReader.FileNames.Length
                ? "exists but holds none of the four files"
                : $"exists but is missing {missing.Count} of the four files: {string.Join(", ", missing)}";
            tried.Add((full, source, what,
                Path.Combine(full, missing[0].Substring(0, missing[0].IndexOf("[.gz]", StringComparison.Ordinal)))));
            found = "";
            return false;
        }

        private static DatasetNotFoundException NotFound(
            List<(string Path, string Source, string Problem, string? Missing)> tried, bool explicitOnly, bool fromEnvironment = false)
        {
            var message = new StringBuilder();
            message.Append(fromEnvironment
                ? $"Fashion-MNIST was not found in the directory {EnvironmentVariable} names"
                : explicitOnly ? "Fashion-MNIST was not found in the directory given" : "Fashion-MNIST was not found");
            message.AppendLine(". Tried:");
            var paths = new List<string>(tried.Count);
            string? fileName = null;
            foreach ((string path, string source, string problem, string? missing) in tried)
            {
                message.Append("  - ").Append(path).Append(" (").Append(source).Append("): ").Append(problem).AppendLine(".");
                paths.Add(path);
                fileName ??= missing ?? path;
            }

            message.Append("The directory must hold the four files ").Append(string.Join(", ", IdxReader.FileNames))
                .AppendLine(", each raw or gzip-compressed with a .gz suffix. To provide the data, do one of:");
            message.AppendLine("  - pass the directory explicitly (FashionMnist.Load(directory), or the option " +
                "an application offers for it);");
            message.Append("  - set the environment variable ").Append(EnvironmentVariable).AppendLine("=DIR;");
            message.Append("  - install the Debian/Ubuntu package: sudo apt-get install dataset-fashion-mnist (it installs into ")
                .Append(DefaultDirectory).Append(").");
            if (fromEnvironment)
            {
                message.AppendLine().Append("(A directory set in ").Append(EnvironmentVariable).Append(" is the " +
                    "only one tried; unset it to use ")
                    .Append(DefaultDirectory).Append(".)");
            }
            else if (explicitOnly)
            {
                message.AppendLine().Append("(A directory given explicitly is the only one tried; ").Append(EnvironmentVariable)
                    .Append(" and ").Append(DefaultDirectory).Append(" were not searched.)");
            }

            return new DatasetNotFoundException(message.ToString(), paths, fileName);
        }
    }
}
