using System.Globalization;

namespace GenSoftmax
{
    /// <summary>A count with its noun in the right number, for messages: "1 row", "2 rows", "1 class", "0 batches".</summary>
    internal static class Plural
    {
        /// <summary><paramref name="count"/> (invariant, in <paramref name="format"/> if given) and the noun, singular only for
        /// 1.</summary>
        public static string Of(long count, string singular, string? format = null) =>
            count.ToString(format, CultureInfo.InvariantCulture) + " " + (count == 1 ? singular : PluralOf(singular));

        /// <summary>The same for a count that may not be whole (1.0 is singular).</summary>
        public static string Of(double count, string singular, string? format = null) =>
            count.ToString(format, CultureInfo.InvariantCulture) + " " + (count == 1 ? singular : PluralOf(singular));

        private static string PluralOf(string singular) =>
            singular.EndsWith("ss", System.StringComparison.Ordinal) || singular.EndsWith("tch", System.StringComparison.Ordinal)
                ? singular + "es"
                : singular + "s";
    }
}
