using System.Text.RegularExpressions;

namespace GenSoftmax.App
{
    /// <summary>
    /// The data readers' messages say what to set in the library (<c>CsvOptions.HasHeader = false</c>); a user of the app
    /// sets options, not properties, so each such fix is restated as the app's option, or as what to do to the file where
    /// the app has no option for it.
    /// </summary>
    internal static partial class LibraryTerms
    {
        private static readonly (Regex Pattern, string Replacement)[] Rewrites =
        [
            (HasHeaderFalse(), "pass --no-header"),
            (HasHeaderTrue(), "leave out --no-header"),
            (LabelColumnNow(), "give --label-column NAME|INDEX ($1)"),
            (LabelColumn(), "give --label-column NAME|INDEX"),
            (LabelColumnProperty(), "(--label-column)"),
            (LabelsAsNames(), ""),
            (LabelsAreNumbers(), "the labels are read as class numbers"),
            (ClassNamesHas(), "the training data has"),
            (ClassNamesOf(), "classes of the training data"),
            (Separator(), "save it with ',', ';' or tab as the separator"),
            (LineBreaks(), "put each row on one line"),
        ];

        /// <summary><paramref name="message"/> with each library property in it replaced by the app's way to do the same.</summary>
        public static string ForApp(string message)
        {
            foreach ((Regex pattern, string replacement) in Rewrites)
            {
                message = pattern.Replace(message, replacement);
            }

            return message;
        }

        [GeneratedRegex(@"set CsvOptions\.HasHeader = false")]
        private static partial Regex HasHeaderFalse();

        [GeneratedRegex(@"set CsvOptions\.HasHeader = true")]
        private static partial Regex HasHeaderTrue();

        [GeneratedRegex(@"set CsvOptions\.LabelColumn \((now [^)]*)\) or LabelColumnName")]
        private static partial Regex LabelColumnNow();

        [GeneratedRegex(@"set CsvOptions\.LabelColumn or LabelColumnName")]
        private static partial Regex LabelColumn();

        [GeneratedRegex(@"\(LabelColumn(Name)?\)")]
        private static partial Regex LabelColumnProperty();

        [GeneratedRegex(@"; to read every label as a class name, set CsvOptions\.Labels = CsvLabels\.Names")]
        private static partial Regex LabelsAsNames();

        [GeneratedRegex(@"CsvOptions\.Labels is Numbers")]
        private static partial Regex LabelsAreNumbers();

        [GeneratedRegex(@"CsvOptions\.ClassNames has")]
        private static partial Regex ClassNamesHas();

        [GeneratedRegex(@"classes of CsvOptions\.ClassNames")]
        private static partial Regex ClassNamesOf();

        [GeneratedRegex(@"set CsvOptions\.Separator")]
        private static partial Regex Separator();

        [GeneratedRegex(@"set CsvOptions\.AllowLineBreaksInQuotes = true")]
        private static partial Regex LineBreaks();
    }
}
