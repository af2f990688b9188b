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
        private static readonly (string Library, string App)[] Phrases =
        [
            ("set CsvOptions.HasHeader = false", "pass --no-header"),
            ("set CsvOptions.HasHeader = true", "leave out --no-header"),
            ("set CsvOptions.LabelColumn or LabelColumnName", "give --label-column NAME|INDEX"),
            ("(LabelColumnName)", "(--label-column)"),
            ("(LabelColumn)", "(--label-column)"),
            ("; to read every label as a class name, set CsvOptions.Labels = CsvLabels.Names", ""),
            ("CsvOptions.Labels is Numbers", "the labels are read as class numbers"),
            ("CsvOptions.ClassNames has", "the training data has"),
            ("classes of CsvOptions.ClassNames", "classes of the training data"),
            ("set CsvOptions.Separator", "save it with ',', ';' or tab as the separator"),
            ("set CsvOptions.AllowLineBreaksInQuotes = true", "put each row on one line"),
        ];

        /// <summary><paramref name="message"/> with each library property in it replaced by the app's way to do the same.</summary>
        public static string ForApp(string message)
        {
            message = LabelColumnNow().Replace(message, "give --label-column NAME|INDEX ($1)");
            foreach ((string library, string app) in Phrases)
            {
                message = message.Replace(library, app, System.StringComparison.Ordinal);
            }

            return message;
        }

        /// <summary>"set CsvOptions.LabelColumn (now ^1) or LabelColumnName", which names the current value.</summary>
        [GeneratedRegex(@"set CsvOptions\.LabelColumn \((now [^)]*)\) or LabelColumnName")]
        private static partial Regex LabelColumnNow();
    }
}
