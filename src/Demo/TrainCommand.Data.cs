using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;

namespace GenSoftmax.App
{
    /// <summary>train's data: the training rows, the test rows (an IDX directory's own split, or --test) and --validation's.</summary>
    internal sealed partial class TrainCommand
    {
        /// <summary>The data a run trains and reports on.</summary>
        internal sealed record TrainingData(
            LoadedData Loaded, LabeledData Train, LabeledData? Validation, LabeledData? Test, IReadOnlyList<string>? Names, int Classes)
        {
            public double LoadSeconds { get; init; }

            /// <summary>The rows whose accuracy is shown after every epoch: the validation split, else the test set.</summary>
            public LabeledData? PerEpoch => Validation ?? Test;

            /// <summary>The per-epoch column's heading ("-" when there is neither).</summary>
            public string PerEpochName => Validation is not null ? "val acc" : Test is not null ? "test acc" : "-";

            /// <summary>The name of the per-epoch rows in the summary and the learning curves.</summary>
            public string CurveName => Validation is not null ? "validation" : "test";
        }

        /// <summary>Loads the training data, the test data (IDX: its own split; else --test) and the --validation split.</summary>
        private TrainingData LoadData(ParseResult parse, int seed, IReadOnlyList<string>? savedNames, int? savedClasses)
        {
            var watch = Stopwatch.StartNew();
            DataSpec spec = _data.Read(parse);
            LoadedData loaded = DataLoader.Load(spec, savedNames, savedClasses);
            LabeledData train = loaded.Train;
            LabeledData? test = loaded.Test;
            string? testPath = parse.GetValue(_test);
            if (testPath is not null)
            {
                if (loaded.Kind == DataKind.Idx)
                {
                    throw new AppError("--test applies to CSV/TSV and .npy data; an IDX directory holds its test split (t10k-*).");
                }

                test = DataLoader.Load(spec with { Path = testPath, LabelsPath = null }, train.ClassNames ?? savedNames, null).Train;
            }

            double fraction = parse.GetValue(_validation);
            LabeledData? validation = null;
            if (fraction > 0 && train.Count > 0)
            {
                // The same rows early stopping would hold out for this share and seed (HoldOut.Split: ⌈share × rows⌉).
                if (HoldOut.Size(train.Count, fraction) >= train.Count)
                {
                    throw new AppError(
                        $"the training split is empty: --validation {fraction} leaves none of the {train.Count} rows to train on; " +
                        "lower the fraction.");
                }

                (train, validation) = HoldOut.Split(train, fraction, seed);
            }

            if (train.Count == 0)
            {
                throw new AppError($"the training data ({loaded.Description}) has no rows.");
            }

            IReadOnlyList<string>? names = train.ClassNames ?? savedNames;
            int classes = DataLoader.MaxLabel(train.Labels) + 1;
            classes = Math.Max(Math.Max(classes, validation is null ? 0 : DataLoader.MaxLabel(validation.Labels) + 1), names?.Count ?? 0);
            int limit = Math.Max(classes, savedClasses ?? 0);
            if (test is not null && Array.FindIndex(test.Labels, label => label >= limit) is var row and >= 0)
            {
                // The model's classes come from the training rows: a test label beyond them is a mistake, not a class to add.
                throw new AppError(
                    $"test row {row} has label {test.Labels[row]}, which is not a class of the model: the training data " +
                    $"({loaded.Description}) has classes 0..{limit - 1}. Fix the label, or give test data labelled as the training data.",
                    AppError.Failure);
            }
            if (classes < 2)
            {
                throw new AppError(
                    $"the training data ({loaded.Description}) has only one class: a classifier needs labels of at least two classes.");
            }

            return new TrainingData(loaded, train, validation, test, names, classes) { LoadSeconds = watch.Elapsed.TotalSeconds };
        }
    }
}
