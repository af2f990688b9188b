using System;
using System.Collections.Generic;

namespace GenSoftmax.Data
{
    /// <summary>
    /// How to read a CSV or TSV file of labelled rows: one column of labels, every other column a feature. The defaults
    /// read a file written by pandas' <c>to_csv(index=False)</c> or a spreadsheet: a header line, the label in the
    /// last column, the separator detected.
    /// </summary>
    public sealed record CsvOptions
    {
        /// <summary>
        /// Whether the first line (blank lines aside) is a header of column names. True by default, as in pandas and
        /// Sep. A header must have unique names and must not look like a row of data (every feature field a number, and
        /// the label a number too or some feature name a fraction such as <c>0.25</c>; the names 0, 1, 2, ... that pandas
        /// gives unnamed columns are a header): such a line is reported as an error rather than silently dropped, so a
        /// file without a header needs <c>HasHeader = false</c>.
        /// </summary>
        public bool HasHeader { get; init; } = true;

        /// <summary>
        /// The separator between fields, or null (the default) to detect it from the first line: the most frequent
        /// of <c>','</c>, <c>';'</c> and tab outside quotes (ties go to tab, then <c>';'</c>).
        /// </summary>
        public char? Separator { get; init; }

        /// <summary>
        /// The label column by position: <c>0</c> is the first column, <c>^1</c> (the default) the last. Ignored when
        /// <see cref="LabelColumnName"/> is set.
        /// </summary>
        public Index LabelColumn { get; init; } = ^1;

        /// <summary>The label column by its name in the header (exact, case-sensitive), or null to use <see cref="LabelColumn"/>.</summary>
        public string? LabelColumnName { get; init; }

        /// <summary>
        /// The column of row weights by its name in the header (scikit-learn's <c>sample_weight</c>: finite, at least 0), or null
        /// (the default) for none. It is not a feature; the rows get <see cref="LabeledData.Weights"/>.
        /// </summary>
        public string? WeightColumnName { get; init; }

        /// <summary>Whether labels are class numbers or class names; by default decided by the first row of data.</summary>
        public CsvLabels Labels { get; init; } = CsvLabels.Auto;

        /// <summary>
        /// The classes, in class-index order, when they are known in advance: the training set's
        /// <see cref="LabeledData.ClassNames"/> when reading its test set, or a model's class names. Every label must
        /// then be one of them (or, with <see cref="CsvLabels.Numbers"/>, a number below their count). Null (the
        /// default): the classes are the distinct labels of the file, sorted by ordinal string comparison, so two files
        /// with the same classes map them to the same numbers whatever the order of their rows.
        /// </summary>
        public IReadOnlyList<string>? ClassNames { get; init; }

        /// <summary>
        /// The number of classes of the model the data is for, or null. A label that is not one of them (a class
        /// number of at least <c>Classes</c>, or one name too many) is reported with its line and column.
        /// </summary>
        public int? Classes { get; init; }

        /// <summary>
        /// Whether a quoted field may hold both line breaks and the separator (<c>"black,&#10;white"</c>). False by
        /// default: such a field is almost always a closing quote that is missing, and reading on would join the following
        /// rows into one field (a label taking in whole rows, every one of them lost), so it is an error naming the line
        /// where it starts. A quoted field with line breaks but no separator (<c>"two&#10;lines"</c>) is read either way:
        /// every row holds a separator, so it takes in no row. Set true only for a file whose fields are meant to span
        /// lines; the quotes must still be well formed.
        /// </summary>
        public bool AllowLineBreaksInQuotes { get; init; }

        /// <summary>Throws when a setting is invalid, naming it and a valid example.</summary>
        /// <exception cref="ArgumentException">A setting is out of range or two settings disagree.</exception>
        public void Validate()
        {
            // Sep's rule: tab or printable ASCII, but not the quote (fields are quoted with it) or '#'.
            if (Separator is char separator && separator != '\t' && (separator < ' ' || separator > '~' || separator is '"' or '#'))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(Separator), $"'{Escape(separator)}'",
                        "The separator must be tab or a printable ASCII character other than '\"' and '#', such as ',', ';' or '\\t'.");
            }

            if (LabelColumnName is not null)
            {
                if (LabelColumnName.Length == 0)
                {
                    throw new ArgumentException("LabelColumnName is empty: give the name of the label column as in the header, or null " +
                        "to use LabelColumn.", nameof(LabelColumnName));
                }

                if (!HasHeader)
                {
                    throw new ArgumentException(
                        $"LabelColumnName is '{LabelColumnName}' but HasHeader is false: a column has a name only in a header. Use " +
                            $"LabelColumn (0 is the first column, ^1 the last) or set HasHeader = true.",
                        nameof(LabelColumnName));
                }
            }
            else if (LabelColumn.Equals(^0))
            {
                throw new ArgumentOutOfRangeException(nameof(LabelColumn), "^0",
                    "LabelColumn ^0 is past the last column: the last column is ^1, the first is 0.");
            }

            if (WeightColumnName is not null && (WeightColumnName.Length == 0 || !HasHeader || WeightColumnName == LabelColumnName))
            {
                throw new ArgumentException(
                    WeightColumnName.Length == 0
                        ? "WeightColumnName is empty: give the name of the weight column as in the header, or null for none."
                    : !HasHeader ? $"WeightColumnName is '{WeightColumnName}' but HasHeader is false: a column has a name only in a header."
                    : $"WeightColumnName and LabelColumnName are both '{WeightColumnName}': the weights and the labels are different " +
                        $"columns.",
                    nameof(WeightColumnName));
            }

            if (Labels is not (CsvLabels.Auto or CsvLabels.Numbers or CsvLabels.Names))
            {
                throw new ArgumentOutOfRangeException(nameof(Labels), Labels, "Labels must be CsvLabels.Auto, Numbers or Names.");
            }

            if (Classes is int classes && (classes < ModelLimits.MinClasses || classes > ModelLimits.MaxClasses))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(Classes), classes,
                        $"Classes must be a model's class count, {ModelLimits.MinClasses}..{ModelLimits.MaxClasses}, or null.");
            }

            if (ClassNames is { } names)
            {
                if (names.Count == 0)
                {
                    throw new ArgumentException("ClassNames is empty: give the name of every class in class-index order, or null to take " +
                        "them from the file.", nameof(ClassNames));
                }

                if (Classes is int count && count != names.Count)
                {
                    throw new ArgumentException(
                        $"ClassNames has {names.Count} names but Classes is {count}: give one name per class, or leave Classes null.",
                            nameof(ClassNames));
                }

                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (int i = 0; i < names.Count; i++)
                {
                    if (string.IsNullOrEmpty(names[i]) || !seen.Add(names[i]))
                    {
                        throw new ArgumentException(
                            $"ClassNames[{i}] is {(names[i] is null ? "null" : names[i].Length == 0 ? "empty" : $"'{names[i]}' again")}: " +
                                $"class names must be non-empty and unique.",
                            nameof(ClassNames));
                    }
                }
            }
        }

        internal static string Escape(char c) => c switch
        {
            '\t' => "\\t",
            '\r' => "\\r",
            '\n' => "\\n",
            _ when char.IsControl(c) => $"\\u{(int)c:X4}",
            _ => c.ToString(),
        };
    }
}
