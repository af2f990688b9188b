using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;
using GenSoftmax.Data;

namespace GenSoftmax.App
{
    /// <summary>The options that name a data set, shared by train, eval, predict and show.</summary>
    internal sealed class DataOptions
    {
        public Option<string?> Data { get; } = new("--data")
        {
            HelpName = "DIR|FILE",
            Description = "Data: a directory of IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...), " +
                $"a CSV/TSV file, or a .npy features file. Default: Fashion-MNIST from ${FashionMnist.EnvironmentVariable}, then {FashionMnist.DefaultDirectory}.",
        };

        public Option<string?> Labels { get; } = new("--labels")
        {
            HelpName = "FILE",
            Description = "For .npy features: the labels .npy file (default: NAME.labels.npy beside NAME.npy).",
        };

        public Option<string?> LabelColumn { get; } = new("--label-column")
        {
            HelpName = "NAME|INDEX",
            Description = "For CSV/TSV: the label column, by header name or by index (0 is the first column, -1 the last; default -1).",
        };

        public Option<bool> NoHeader { get; } = new("--no-header")
        {
            Description = "For CSV/TSV: the file has no header line.",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Data);
            command.Options.Add(Labels);
            command.Options.Add(LabelColumn);
            command.Options.Add(NoHeader);
        }

        public DataSpec Read(ParseResult parse) => new(parse.GetValue(Data), parse.GetValue(Labels), parse.GetValue(LabelColumn), parse.GetValue(NoHeader));
    }

    /// <summary>Where the data is and how to read it.</summary>
    internal sealed record DataSpec(string? Path, string? LabelsPath, string? LabelColumn, bool NoHeader)
    {
        public DataKind Kind => Path is null || Directory.Exists(Path) ? DataKind.Idx
            : System.IO.Path.GetExtension(Path).Equals(".npy", StringComparison.OrdinalIgnoreCase) ? DataKind.Npy
            : DataKind.Csv;
    }

    internal enum DataKind
    {
        Idx,
        Csv,
        Npy,
    }

    /// <summary>A loaded data set: the training rows and, when the source has them, separate test rows.</summary>
    internal sealed record LoadedData(LabeledData Train, LabeledData? Test, string Description, DataKind Kind);

    /// <summary>Reads IDX directories, CSV/TSV and .npy files with the runtime's readers.</summary>
    internal static class DataLoader
    {
        private const string TrainImages = "train-images-idx3-ubyte";
        private const string TrainLabels = "train-labels-idx1-ubyte";
        private const string TestImages = "t10k-images-idx3-ubyte";
        private const string TestLabels = "t10k-labels-idx1-ubyte";

        /// <summary>Loads a data set. <paramref name="classNames"/>: a model's classes, which the labels must be among.</summary>
        public static LoadedData Load(DataSpec spec, IReadOnlyList<string>? classNames = null, int? classes = null)
        {
            if (spec.Path is not null && !File.Exists(spec.Path) && !Directory.Exists(spec.Path))
            {
                throw new AppError($"--data '{spec.Path}' does not exist: give an IDX directory, a .csv/.tsv file or a .npy file.");
            }

            if (spec.Kind != DataKind.Csv && (spec.LabelColumn is not null || spec.NoHeader))
            {
                throw new AppError("--label-column and --no-header apply to CSV/TSV data only; leave them out for IDX and .npy data.");
            }

            if (spec.Kind != DataKind.Npy && spec.LabelsPath is not null)
            {
                throw new AppError("--labels applies to .npy features only; leave it out (IDX directories and CSV files hold their labels).");
            }

            if (spec.Path is not null && Directory.Exists(spec.Path))
            {
                try
                {
                    using IEnumerator<string> entries = Directory.EnumerateFileSystemEntries(spec.Path).GetEnumerator();
                    entries.MoveNext();
                }
                catch (Exception e) when (e is UnauthorizedAccessException or IOException)
                {
                    throw new AppError($"cannot read the directory '{spec.Path}': {e.Message} Give this user read and execute permission on it, or copy the data elsewhere.", AppError.Failure);
                }
            }

            try
            {
                return spec.Kind switch
                {
                    DataKind.Idx => LoadIdx(spec.Path),
                    DataKind.Npy => LoadNpy(spec, classNames),
                    _ => LoadCsv(spec, classNames, classes),
                };
            }
            catch (UnauthorizedAccessException e)
            {
                throw new AppError($"cannot read the data: {e.Message}", AppError.Failure);
            }
            catch (ArgumentException e) when (e is not ArgumentNullException)
            {
                throw new AppError($"the data does not fit: {e.Message}", AppError.Failure);
            }
        }

        private static LoadedData LoadIdx(string? directory)
        {
            string dir = FashionMnist.Locate(directory);
            (LabeledData train, LabeledData test) = ReadIdxSplits(dir);
            if (train.ImageHeight != test.ImageHeight || train.ImageWidth != test.ImageWidth)
            {
                throw new AppError($"{dir}: the training images are {train.ImageHeight}x{train.ImageWidth} but the test images are {test.ImageHeight}x{test.ImageWidth}; both splits must have one size.", AppError.Failure);
            }

            // Fashion-MNIST's ten names when the files look like it (28x28, labels 0..9); class numbers otherwise.
            int classes = Math.Max(MaxLabel(train.Labels), MaxLabel(test.Labels)) + 1;
            IReadOnlyList<string>? names = train.ImageHeight == FashionMnist.ImageSize && train.ImageWidth == FashionMnist.ImageSize && classes <= FashionMnist.ClassCount
                ? FashionMnist.ClassNames
                : null;
            if (names is not null)
            {
                train = LabeledData.FromImages(train.Pixels!, train.Labels, train.ImageHeight, train.ImageWidth, names);
                test = LabeledData.FromImages(test.Pixels!, test.Labels, test.ImageHeight, test.ImageWidth, names);
            }

            return new LoadedData(train, test, $"IDX images in {dir}", DataKind.Idx);
        }

        /// <summary>
        /// Both splits. The training images are most of the load (inflating Fashion-MNIST's 26 MB of gzip into 47 MB), so
        /// they are read on a pool thread while this thread reads the other three files. Errors are the ones a file-by-file
        /// load gives, in its order (training images, training labels, their count, then the test split), each rethrown as
        /// itself, never as an <see cref="AggregateException"/>.
        /// </summary>
        private static (LabeledData Train, LabeledData Test) ReadIdxSplits(string dir)
        {
            string imagesPath = Find(dir, TrainImages, "training");
            string labelsPath = Find(dir, TrainLabels, "training");
            Task<(byte[] Pixels, int Count, int Rows, int Cols)> images = Task.Run(() => IdxReader.ReadImages(imagesPath));

            byte[]? rawLabels = null;
            LabeledData? test = null;
            ExceptionDispatchInfo? labelsFailure = null, testFailure = null;
            try
            {
                rawLabels = IdxReader.ReadLabels(labelsPath);
            }
            catch (Exception e)
            {
                labelsFailure = ExceptionDispatchInfo.Capture(e);
            }

            if (labelsFailure is null)
            {
                try
                {
                    test = ReadIdxSplit(dir, TestImages, TestLabels, "test");
                }
                catch (Exception e)
                {
                    testFailure = ExceptionDispatchInfo.Capture(e);
                }
            }

            // GetResult rethrows the task's own exception; it is awaited even when this thread failed, so no read outlives the load.
            (byte[] pixels, int count, int rows, int cols) = images.GetAwaiter().GetResult();
            labelsFailure?.Throw();
            LabeledData train = Combine(imagesPath, pixels, count, rows, cols, labelsPath, rawLabels!);
            testFailure?.Throw();
            return (train, test!);
        }

        private static LabeledData ReadIdxSplit(string dir, string imagesName, string labelsName, string what)
        {
            string images = Find(dir, imagesName, what);
            string labels = Find(dir, labelsName, what);
            (byte[] pixels, int count, int rows, int cols) = IdxReader.ReadImages(images);
            return Combine(images, pixels, count, rows, cols, labels, IdxReader.ReadLabels(labels));
        }

        private static LabeledData Combine(string images, byte[] pixels, int count, int rows, int cols, string labels, byte[] raw)
        {
            if (raw.Length != count)
            {
                throw new AppError($"{images} holds {count} images but {labels} holds {raw.Length} labels: the two files must have one label per image.", AppError.Failure);
            }

            int[] labelInts = new int[raw.Length];
            for (int i = 0; i < raw.Length; i++)
            {
                labelInts[i] = raw[i];
            }

            return LabeledData.FromImages(pixels, labelInts, rows, cols);
        }

        private static string Find(string dir, string name, string what)
        {
            foreach (string candidate in new[] { name, name + ".gz" })
            {
                string path = Path.Combine(dir, candidate);
                if (File.Exists(path))
                {
                    return path;
                }
            }

            throw new AppError($"{dir} has no {name} or {name}.gz (the {what} split): an IDX directory holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each optionally gzipped.", AppError.Failure);
        }

        private static LoadedData LoadNpy(DataSpec spec, IReadOnlyList<string>? classNames)
        {
            string features = spec.Path!;
            string labels = spec.LabelsPath ?? Path.ChangeExtension(features, ".labels.npy");
            if (!File.Exists(labels))
            {
                throw new AppError(spec.LabelsPath is null
                    ? $"no labels for '{features}': expected '{labels}' beside it; name the labels .npy file with --labels FILE."
                    : $"--labels '{labels}' does not exist.");
            }

            LabeledData data = NpyReader.Read(features, labels, classNames);
            return new LoadedData(data, null, $".npy arrays {features} and {labels}", DataKind.Npy);
        }

        private static LoadedData LoadCsv(DataSpec spec, IReadOnlyList<string>? classNames, int? classes)
        {
            var options = new CsvOptions { HasHeader = !spec.NoHeader, ClassNames = classNames, Classes = classes };
            if (spec.LabelColumn is { } column)
            {
                if (int.TryParse(column, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index))
                {
                    options = options with { LabelColumn = index < 0 ? ^(-index) : index };
                }
                else if (spec.NoHeader)
                {
                    throw new AppError($"--label-column '{column}' is a name, but --no-header says the file has no header: give the column's index (0 is the first, -1 the last).");
                }
                else
                {
                    options = options with { LabelColumnName = column };
                }
            }

            LabeledData data = CsvReader.Read(spec.Path!, options);
            return new LoadedData(data, null, $"CSV {spec.Path}", DataKind.Csv);
        }

        /// <summary>Splits off a random <paramref name="fraction"/> of the rows (by <paramref name="seed"/>) as a validation set.</summary>
        public static (LabeledData Train, LabeledData Validation) Split(LabeledData data, double fraction, int seed)
        {
            int validation = (int)Math.Round(data.Count * fraction);
            int[] order = new int[data.Count];
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }

            new Random(seed).Shuffle(order);
            int[] validationRows = order[..validation];
            int[] trainRows = order[validation..];
            Array.Sort(validationRows);
            Array.Sort(trainRows);
            return (Subset(data, trainRows), Subset(data, validationRows));
        }

        /// <summary>The given rows of <paramref name="data"/>, in that order, with its shape and class names.</summary>
        public static LabeledData Subset(LabeledData data, ReadOnlySpan<int> rows)
        {
            int d = data.Inputs;
            int[] labels = new int[rows.Length];
            for (int i = 0; i < rows.Length; i++)
            {
                labels[i] = data.Labels[rows[i]];
            }

            if (data.Pixels is { } pixels)
            {
                byte[] copy = new byte[(long)rows.Length * d];
                for (int i = 0; i < rows.Length; i++)
                {
                    pixels.AsSpan(rows[i] * d, d).CopyTo(copy.AsSpan(i * d, d));
                }

                return data.ImageHeight > 0
                    ? LabeledData.FromImages(copy, labels, data.ImageHeight, data.ImageWidth, data.ClassNames)
                    : LabeledData.FromPixels(copy, labels, d, data.ClassNames);
            }

            float[] features = data.Features!;
            float[] fcopy = new float[(long)rows.Length * d];
            for (int i = 0; i < rows.Length; i++)
            {
                features.AsSpan(rows[i] * d, d).CopyTo(fcopy.AsSpan(i * d, d));
            }

            return LabeledData.FromFeatures(fcopy, labels, d, data.ClassNames);
        }

        public static int MaxLabel(ReadOnlySpan<int> labels)
        {
            int max = -1;
            foreach (int l in labels)
            {
                max = Math.Max(max, l);
            }

            return max;
        }

        /// <summary>The name of class <paramref name="c"/>, or its number when the data has no names.</summary>
        public static string ClassName(IReadOnlyList<string>? names, int c) =>
            names is not null && c < names.Count ? names[c] : c.ToString(CultureInfo.InvariantCulture);
    }
}
