using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using GenSoftmax.IO;

namespace GenSoftmax.Data
{
    // Pairs of files and directories of pairs: what a caller reads; the file format itself is in IdxReader.cs.
    public static partial class IdxReader
    {
        internal const string TrainImagesFile = "train-images-idx3-ubyte";
        internal const string TrainLabelsFile = "train-labels-idx1-ubyte";
        internal const string TestImagesFile = "t10k-images-idx3-ubyte";
        internal const string TestLabelsFile = "t10k-labels-idx1-ubyte";

        /// <summary>The four file names of an IDX directory, without the optional <c>.gz</c> suffix.</summary>
        internal static readonly string[] FileNames = { TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile };

        /// <summary>Reads an images file and its labels file as one data set.</summary>
        /// <param name="imagesPath">The images (magic <c>0x00000803</c>: unsigned bytes, [count, rows, cols]),
        /// gzip-compressed or raw.</param>
        /// <param name="labelsPath">The labels (magic <c>0x00000801</c>: unsigned bytes, [count]), gzip-compressed or raw.</param>
        /// <param name="classNames">The name of each class in label order, or null; when given, every label must be below
        /// its count.</param>
        /// <returns>The images as pixel rows with their height and width, and one label per image.</returns>
        /// <exception cref="InvalidDataException">A file is not valid IDX data (wrong magic number, truncated, trailing bytes,
        /// corrupt gzip data), the image and label counts differ, or a label has no name in <paramref name="classNames"/>.</exception>
        /// <exception cref="FileNotFoundException">A file does not exist, or is a symlink that leads nowhere.</exception>
        /// <exception cref="IOException">A path names a directory, FIFO, device or socket, not a regular file.</exception>
        public static LabeledData Read(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null)
        {
            ArgumentException.ThrowIfNullOrEmpty(imagesPath);
            ArgumentException.ThrowIfNullOrEmpty(labelsPath);
            DirectoryRules rules = DirectoryRules.For(classNames);
            CheckHeaders(imagesPath, labelsPath, rules);
            (byte[] pixels, int count, int rows, int cols) = ReadImages(imagesPath, rules);
            return Combine(imagesPath, pixels, count, rows, cols, labelsPath, ReadLabels(labelsPath), rules);
        }

        /// <summary>
        /// Reads a directory laid out like MNIST: a training split (<c>train-images-idx3-ubyte</c>,
        /// <c>train-labels-idx1-ubyte</c>) and a test split (<c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>),
        /// with images of any one size.
        /// </summary>
        /// <remarks>
        /// For each file, <c>NAME.gz</c> is read if it is a regular file (following symlinks), else <c>NAME</c>; an entry that
        /// is not a regular file (a dangling or looping symlink, a FIFO, a directory) is passed over, as
        /// <see cref="FashionMnist"/> does.
        /// </remarks>
        /// <param name="directory">The directory holding the four files.</param>
        /// <param name="classNames">The name of each class in label order, or null; when given, every label must be below
        /// its count.</param>
        /// <returns>Both splits, each with its images' height and width.</returns>
        /// <exception cref="FileNotFoundException">One of the four files is missing or not a regular file.</exception>
        /// <exception cref="InvalidDataException">A file is not valid IDX data, a split's image and label counts differ, the
        /// two splits' images differ in size, or a label has no name in <paramref name="classNames"/>.</exception>
        public static (LabeledData Train, LabeledData Test) ReadDirectory(string directory, IReadOnlyList<string>? classNames = null)
        {
            ArgumentException.ThrowIfNullOrEmpty(directory);
            return ReadDirectory(directory, DirectoryRules.For(classNames));
        }

        /// <summary>Reads both splits of an IDX directory, holding each file to <paramref name="rules"/>.</summary>
        /// <remarks>
        /// The training images are most of the work (inflating Fashion-MNIST's 26 MB of gzip into 47 MB), so they are read on
        /// a pool thread while this thread reads the other three files. Errors are the ones a file-by-file load gives, in its
        /// order: each outcome is replayed as training images, their size, training labels, their count and values, then the
        /// test split; an exception is rethrown as itself (never an <see cref="AggregateException"/>).
        /// </remarks>
        internal static (LabeledData Train, LabeledData Test) ReadDirectory(string directory, DirectoryRules rules)
        {
            string imagesPath = Resolve(directory, TrainImagesFile) ?? throw Missing(directory, TrainImagesFile);
            string labelsPath = Resolve(directory, TrainLabelsFile) ?? throw Missing(directory, TrainLabelsFile);
            string testImagesPath = Resolve(directory, TestImagesFile) ?? throw Missing(directory, TestImagesFile);
            string testLabelsPath = Resolve(directory, TestLabelsFile) ?? throw Missing(directory, TestLabelsFile);

            // What the four headers say is checked before any body is read or inflated: a count mismatch, a wrong image size
            // or splits of different sizes cost a few hundred bytes, not the gigabytes a damaged or hostile file declares.
            (int rows, int cols) = CheckHeaders(imagesPath, labelsPath, rules);
            (int testRows, int testCols) = CheckHeaders(testImagesPath, testLabelsPath, rules);
            if (testRows != rows || testCols != cols)
            {
                throw DifferentSizes(directory, rows, cols, testRows, testCols);
            }

            Task<(byte[] Pixels, int Count, int Rows, int Cols)> images = Task.Run(() => ReadImages(imagesPath, rules));

            byte[]? rawLabels = null;
            LabeledData? test = null;
            ExceptionDispatchInfo? labelsFailure = null, testFailure = null;
            try
            {
                rawLabels = ReadLabels(labelsPath);
            }
            catch (Exception e)
            {
                labelsFailure = ExceptionDispatchInfo.Capture(e);
            }

            if (labelsFailure is null)
            {
                try
                {
                    test = ReadSplit(directory, TestImagesFile, TestLabelsFile, rules);
                }
                catch (Exception e)
                {
                    testFailure = ExceptionDispatchInfo.Capture(e);
                }
            }

            // GetResult rethrows the task's own exception; it is awaited even when this thread failed, so no read outlives the call.
            (byte[] pixels, int count, rows, cols) = images.GetAwaiter().GetResult();
            labelsFailure?.Throw();
            LabeledData train = Combine(imagesPath, pixels, count, rows, cols, labelsPath, rawLabels!, rules);
            testFailure?.Throw();
            if (test!.ImageHeight != rows || test.ImageWidth != cols)
            {
                throw DifferentSizes(directory, rows, cols, test.ImageHeight, test.ImageWidth);
            }

            return (train, test);
        }

        private static InvalidDataException DifferentSizes(string directory, int rows, int cols, int testRows, int testCols) => new(
            $"{directory}: the training images are {rows}x{cols} but the test images are {testRows}x{testCols}; " +
            "both splits must have one image size.");

        /// <summary>
        /// Reads only the headers of an images file and its labels file (a gzip file inflates its first bytes only) and checks
        /// what they can tell: each header alone, as a full read would, then the image size against <paramref name="rules"/>
        /// and one label per image. Returns the image size.
        /// </summary>
        private static (int Rows, int Cols) CheckHeaders(string imagesPath, string labelsPath, DirectoryRules rules)
        {
            Span<int> images = stackalloc int[3];
            Span<int> labels = stackalloc int[1];
            ReadDeclared(imagesPath, images, "images");
            CheckImageSize(imagesPath, images[1], images[2], rules);
            ReadDeclared(labelsPath, labels, "labels");
            if (labels[0] != images[0])
            {
                throw CountMismatch(imagesPath, images[0], labelsPath, labels[0]);
            }

            return (images[1], images[2]);
        }

        private static InvalidDataException CountMismatch(string imagesPath, int images, string labelsPath, int labels) => new(
            $"{imagesPath} holds {images} images but {labelsPath} holds {labels} labels; the two files must have one label per image.");

        private static void CheckImageSize(string imagesPath, int rows, int cols, DirectoryRules rules)
        {
            if (rules.ImageSize > 0 && (rows != rules.ImageSize || cols != rules.ImageSize))
            {
                throw new InvalidDataException(
                    $"{imagesPath} holds {rows}x{cols} images; {rules.Source} images are {rules.ImageSize}x{rules.ImageSize}.");
            }
        }

        /// <summary>
        /// The path of <paramref name="name"/>.gz or else <paramref name="name"/> in the directory, whichever is first a
        /// regular file (following symlinks), or null. A name that is anything else (a symlink that leads nowhere or loops,
        /// a FIFO, a directory, a device) is passed over, so it never hides a valid file beside it.
        /// </summary>
        internal static string? Resolve(string directory, string name)
        {
            string gz = Path.Combine(directory, name + ".gz");
            if (FileKinds.Of(gz, followLinks: true) == FileKind.Regular)
            {
                return gz;
            }

            string raw = Path.Combine(directory, name);
            return FileKinds.Of(raw, followLinks: true) == FileKind.Regular ? raw : null;
        }

        private static LabeledData ReadSplit(string directory, string imagesName, string labelsName, DirectoryRules rules)
        {
            string imagesPath = Resolve(directory, imagesName) ?? throw Missing(directory, imagesName);
            string labelsPath = Resolve(directory, labelsName) ?? throw Missing(directory, labelsName);
            (byte[] pixels, int count, int rows, int cols) = ReadImages(imagesPath, rules);
            return Combine(imagesPath, pixels, count, rows, cols, labelsPath, ReadLabels(labelsPath), rules);
        }

        /// <summary>Reads an images file and checks its image size against <paramref name="rules"/>.</summary>
        private static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string imagesPath, DirectoryRules rules)
        {
            (byte[] pixels, int count, int rows, int cols) = ReadImages(imagesPath);
            CheckImageSize(imagesPath, rows, cols, rules);
            return (pixels, count, rows, cols);
        }

        /// <summary>One split from its images and raw labels: one label per image, each below the rules' class count.</summary>
        private static LabeledData Combine(
            string imagesPath, byte[] pixels, int count, int rows, int cols, string labelsPath, byte[] rawLabels, DirectoryRules rules)
        {
            if (rawLabels.Length != count)
            {
                throw CountMismatch(imagesPath, count, labelsPath, rawLabels.Length);
            }

            int[] labels = new int[rawLabels.Length];
            for (int i = 0; i < rawLabels.Length; i++)
            {
                byte label = rawLabels[i];
                if (label >= rules.Classes)
                {
                    throw new InvalidDataException(
                        $"{labelsPath}: label {i} is {label}, but {rules.Source} has {rules.Classes} classes " +
                        $"(labels 0..{rules.Classes - 1}).");
                }

                labels[i] = label;
            }

            return LabeledData.FromImages(pixels, labels, rows, cols, rules.ClassNames);
        }

        private static FileNotFoundException Missing(string directory, string name) => new(
            $"{Path.Combine(directory, name)}[.gz] is missing or not a regular file: " +
            $"an IDX directory holds {string.Join(", ", FileNames)}, " +
            "each raw or gzip-compressed with a .gz suffix.",
            Path.Combine(directory, name));

        /// <summary>What the files of a directory must hold, and what a broken rule is called in an error.</summary>
        /// <param name="ImageSize">The height and width every image must have, or 0 for any one size.</param>
        /// <param name="Classes">Every label must be below this (256: any byte).</param>
        /// <param name="Source">The data set's name in errors ("Fashion-MNIST", "the class names").</param>
        /// <param name="ClassNames">The names the loaded data carries, or null.</param>
        internal readonly record struct DirectoryRules(int ImageSize, int Classes, string Source, IReadOnlyList<string>? ClassNames)
        {
            /// <summary>Any image size; labels below the count of <paramref name="classNames"/> when given.</summary>
            public static DirectoryRules For(IReadOnlyList<string>? classNames)
            {
                if (classNames is { Count: 0 })
                {
                    throw new ArgumentException(
                        "classNames is empty: give the name of every class in class-index order, or null.", nameof(classNames));
                }

                return classNames is null
                    ? new DirectoryRules(0, byte.MaxValue + 1, "the data", null)
                    : new DirectoryRules(0, classNames.Count, "the class names list", classNames);
            }
        }
    }
}
