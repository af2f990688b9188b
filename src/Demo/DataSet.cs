using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using GenSoftmax.Data;
using GenSoftmax.Streaming;

namespace GenSoftmax.App
{
    /// <summary>The options that name a data set, shared by train, eval, predict and show.</summary>
    internal sealed class DataOptions
    {
        public Option<string?> Data { get; } = new("--data")
        {
            HelpName = "DIR|FILE",
            Description = "Data: a directory of IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...), " +
                $"a CSV/TSV file, or a .npy features file. Default: Fashion-MNIST from ${FashionMnist.EnvironmentVariable}, then " +
                    $"{FashionMnist.DefaultDirectory}.",
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

        public Option<long?> MemoryBudget { get; } = NumberOptions.Size(
            "--memory-budget",
            "Stream the data from disk holding at most SIZE of rows in memory (such as 256MB or 2GB; MB = 2^20 bytes) " +
                "instead of loading it: .npy files or an uncompressed IDX directory (convert a CSV with " +
                "'gensoftmax-cli convert').",
            "256MB");

        /// <summary>The data options, in the order help lists them (--memory-budget apart: only where data can stream).</summary>
        public Option[] Options => [Data, Labels, LabelColumn, NoHeader];

        /// <summary>Adds the options; <paramref name="streamable"/> adds --memory-budget (train, eval, predict).</summary>
        public void AddTo(Command command, bool hidden = false, bool streamable = false)
        {
            foreach (Option option in streamable ? [.. Options, MemoryBudget] : Options)
            {
                option.Hidden = hidden;
                command.Options.Add(option);
            }
        }

        public DataSpec Read(ParseResult parse) => new(
            parse.GetValue(Data), parse.GetValue(Labels), parse.GetValue(LabelColumn), parse.GetValue(NoHeader),
            parse.GetResult(MemoryBudget) is null ? null : parse.GetValue(MemoryBudget));
    }

    /// <summary>Where the data is and how to read it; with a memory budget, streamed from disk instead of loaded.</summary>
    internal sealed record DataSpec(string? Path, string? LabelsPath, string? LabelColumn, bool NoHeader, long? MemoryBudget = null)
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

    /// <summary>A streamed data set: the training rows and, when the source has them, separate test rows, on disk.</summary>
    internal sealed record StreamedData(RowSource Train, RowSource? Test, string Description) : IDisposable
    {
        /// <summary>"streamed with a memory budget of 16 MiB" (training and test rows together): the data line's words for it.</summary>
        public string How => $"streamed with a memory budget of {RowSource.FormatBytes(Train.MemoryBudget + (Test?.MemoryBudget ?? 0))}";

        /// <summary>The rows eval and predict read (the test split when there is one), checked against the model's inputs.</summary>
        public RowSource RowsFor(ISoftmaxModel model)
        {
            RowSource rows = Test ?? Train;
            if (rows.Inputs != model.Inputs)
            {
                throw new AppError($"the model takes {model.Inputs} inputs but {Description} has {rows.Inputs} per row: use the " +
                    "data the model was trained on.");
            }

            return rows;
        }

        public void Dispose()
        {
            Train.Dispose();
            Test?.Dispose();
        }
    }

    /// <summary>A loaded data set: the training rows and, when the source has them, separate test rows.</summary>
    internal sealed record LoadedData(LabeledData Train, LabeledData? Test, string Description, DataKind Kind);

    /// <summary>Reads IDX directories, CSV/TSV and .npy files with GenSoftmax.Data's readers.</summary>
    internal static class DataLoader
    {
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
                throw new AppError("--labels applies to .npy features only; leave it out (IDX directories " +
                    "and CSV files hold their labels).");
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
                    throw new AppError($"cannot read the directory '{spec.Path}': {e.Message} Give this user read and execute permission " +
                        $"on it, or copy the data elsewhere.", AppError.Failure);
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

        /// <summary>
        /// Opens a data set for streaming within <see cref="DataSpec.MemoryBudget"/>: .npy files (class names from NAME.classes.json
        /// when there is one) or an uncompressed IDX directory. <paramref name="weightsPath"/>: per-row weights, .npy only.
        /// </summary>
        public static StreamedData Open(DataSpec spec, IReadOnlyList<string>? classNames = null, string? weightsPath = null)
        {
            long budget = spec.MemoryBudget ?? RowSource.DefaultMemoryBudget;
            if (spec.Path is not null && !File.Exists(spec.Path) && !Directory.Exists(spec.Path))
            {
                throw new AppError($"--data '{spec.Path}' does not exist: give an IDX directory or a .npy file.");
            }

            try
            {
                switch (spec.Kind)
                {
                    case DataKind.Csv:
                        throw new AppError(
                            $"--memory-budget streams .npy files and IDX directories, not CSV: convert '{spec.Path}' once with " +
                            $"'gensoftmax-cli convert {spec.Path} --output NAME.npy', then train on NAME.npy.");
                    case DataKind.Idx:
                        if (weightsPath is not null)
                        {
                            throw new AppError("--sample-weights with --memory-budget applies to .npy data; leave it out for an IDX " +
                                "directory.");
                        }

                        string dir = FashionMnist.Locate(spec.Path);
                        (FileRowSource train, FileRowSource? test) = FileRowSource.OpenIdxDirectory(dir, classNames, budget);
                        if (classNames is null && train.Inputs == FashionMnist.ImageSize * FashionMnist.ImageSize &&
                            Math.Max(train.Classes, test?.Classes ?? 0) <= FashionMnist.ClassCount)
                        {
                            train.Dispose();
                            test?.Dispose();
                            (train, test) = FileRowSource.OpenIdxDirectory(dir, FashionMnist.ClassNames, budget);
                        }

                        return new StreamedData(train, test, $"IDX images in {dir}");
                    default:
                        (string features, string labels) = NpyPaths(spec);
                        FileRowSource source = FileRowSource.OpenNpy(features, labels, weightsPath, classNames
                            ?? ClassNamesBeside(features), budget);
                        return new StreamedData(source, null, $".npy arrays {features} and {labels}");
                }
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

        /// <summary>The class names 'convert' wrote beside <paramref name="features"/> (NAME.classes.json), or null.</summary>
        private static IReadOnlyList<string>? ClassNamesBeside(string features)
        {
            string path = Path.ChangeExtension(features, ".classes.json");
            return File.Exists(path) ? CsvConverter.ReadClassNames(path) : null;
        }

        /// <summary>The features and labels files of .npy data: --labels, or NAME.labels.npy beside NAME.npy.</summary>
        private static (string Features, string Labels) NpyPaths(DataSpec spec)
        {
            string features = spec.Path!;
            string labels = spec.LabelsPath ?? Path.ChangeExtension(features, ".labels.npy");
            if (!File.Exists(labels))
            {
                throw new AppError(spec.LabelsPath is null
                    ? $"no labels for '{features}': expected '{labels}' beside it; name the labels .npy file with --labels FILE."
                    : $"--labels '{labels}' does not exist.");
            }

            return (features, labels);
        }

        private static LoadedData LoadIdx(string? directory)
        {
            string dir = FashionMnist.Locate(directory);
            (LabeledData train, LabeledData test) = IdxReader.ReadDirectory(dir);

            // Fashion-MNIST's ten names when the files look like it (28x28, labels 0..9); class numbers otherwise.
            int classes = Math.Max(MaxLabel(train.Labels), MaxLabel(test.Labels)) + 1;
            bool fashionShaped = train.ImageHeight == FashionMnist.ImageSize && train.ImageWidth == FashionMnist.ImageSize;
            if (fashionShaped && classes <= FashionMnist.ClassCount)
            {
                IReadOnlyList<string> names = FashionMnist.ClassNames;
                train = LabeledData.FromImages(train.Pixels!, train.Labels, train.ImageHeight, train.ImageWidth, names);
                test = LabeledData.FromImages(test.Pixels!, test.Labels, test.ImageHeight, test.ImageWidth, names);
            }

            return new LoadedData(train, test, $"IDX images in {dir}", DataKind.Idx);
        }

        private static LoadedData LoadNpy(DataSpec spec, IReadOnlyList<string>? classNames)
        {
            (string features, string labels) = NpyPaths(spec);
            LabeledData data = NpyReader.Read(features, labels, classNames ?? ClassNamesBeside(features));
            return new LoadedData(data, null, $".npy arrays {features} and {labels}", DataKind.Npy);
        }

        private static LoadedData LoadCsv(DataSpec spec, IReadOnlyList<string>? classNames, int? classes)
        {
            LabeledData data = CsvReader.Read(spec.Path!, CsvOptionsFor(spec, classNames, classes));
            return new LoadedData(data, null, $"CSV {spec.Path}", DataKind.Csv);
        }

        /// <summary>How to read the CSV/TSV of <paramref name="spec"/>: its header and label column, the classes it must use.</summary>
        public static CsvOptions CsvOptionsFor(DataSpec spec, IReadOnlyList<string>? classNames, int? classes)
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
                    throw new AppError($"--label-column '{column}' is a name, but --no-header says the file has no header: give the " +
                        $"column's index (0 is the first, -1 the last).");
                }
                else
                {
                    options = options with { LabelColumnName = column };
                }
            }

            return options;
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
