using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace GenSoftmax.App
{
    /// <summary>
    /// Numeric options that parse with the invariant culture and check their range in one place: text that is not a
    /// number, or a number out of range (NaN and infinity included), is a parse error naming the option, the value and
    /// a valid example — never an exception from a validator reading a value that did not parse.
    /// </summary>
    internal static class NumberOptions
    {
        public static Option<int> Int(string name, string description, int defaultValue, int min, int max, string example,
            params string[] aliases) =>
            new(name, aliases)
            {
                Description = description,
                HelpName = "N",
                DefaultValueFactory = _ => defaultValue,
                CustomParser = r =>
                {
                    string text = Token(r);
                    if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v))
                    {
                        r.AddError($"{name} '{text}' is not a whole number: give one such as {example}.");
                        return defaultValue;
                    }

                    if (v < min || v > max)
                    {
                        r.AddError(max == int.MaxValue ? $"{name} must be at least {min}, such as {example}; got {v}."
                            : $"{name} must be between {min} and {max}, such as {example}; got {v}.");
                    }

                    return v;
                },
            };

        /// <summary>An optional whole number of at least <paramref name="min"/>: null when the option is not given.</summary>
        public static Option<int?> OptionalInt(string name, string description, int min, string example, params string[] aliases) =>
            new(name, aliases)
            {
                Description = description,
                HelpName = "N",
                CustomParser = r =>
                {
                    string text = Token(r);
                    if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v))
                    {
                        r.AddError($"{name} '{text}' is not a whole number: give one such as {example}.");
                        return null;
                    }

                    if (v < min)
                    {
                        r.AddError($"{name} must be at least {min}, such as {example}; got {v}.");
                    }

                    return v;
                },
            };

        /// <summary>A float in [min, max) when <paramref name="maxExclusive"/>, else [min, max]; positive means min exclusive
        /// too.</summary>
        public static Option<float> Float(string name, string description, float defaultValue, float min, bool minExclusive, float max,
            bool maxExclusive, string example) =>
            Real(name, description, defaultValue, defaultValue, min, minExclusive, max, maxExclusive, example, float.MaxValue,
                v => (float)v);

        public static Option<double> Double(string name, string description, double defaultValue, double min, bool minExclusive, double max,
            bool maxExclusive, string example) =>
            Real(name, description, defaultValue, defaultValue, min, minExclusive, max, maxExclusive, example, double.MaxValue, v => v);

        /// <summary>A real number option of type <typeparamref name="T"/>, parsed and range-checked as a double.</summary>
        private static Option<T> Real<T>(string name, string description, T defaultValue, double fallback, double min, bool minExclusive,
            double max, bool maxExclusive, string example, double largest, Func<double, T> convert) =>
            new(name)
            {
                Description = description,
                HelpName = "X",
                DefaultValueFactory = _ => defaultValue,
                CustomParser = r => convert(Check(r, name, min, minExclusive, max, maxExclusive, example, fallback, largest)),
            };

        private static double Check(ArgumentResult r, string name, double min, bool minExclusive, double max, bool maxExclusive,
            string example, double fallback, double largest)
        {
            string text = Token(r);
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v)
                || Math.Abs(v) > largest)
            {
                r.AddError($"{name} '{text}' is not a finite number: give one such as {example}.");
                return fallback;
            }

            bool low = minExclusive ? v <= min : v < min;
            bool high = maxExclusive ? v >= max : v > max;
            if (low || high)
            {
                string lower = minExclusive ? $"above {min.ToString(CultureInfo.InvariantCulture)}"
                    : $"at least {min.ToString(CultureInfo.InvariantCulture)}";
                string upper = double.IsPositiveInfinity(max) ? "" : maxExclusive
                    ? $" and below {max.ToString(CultureInfo.InvariantCulture)}"
                        : $" and at most {max.ToString(CultureInfo.InvariantCulture)}";
                r.AddError($"{name} must be {lower}{upper}, such as {example}; got {text}.");
            }

            return v;
        }

        /// <summary>
        /// A size in bytes: a number with an optional unit, B, KB, MB, GB or TB (powers of 1024; KiB, MiB, GiB, TiB and K, M, G, T
        /// alike), such as 512MB or 1.5GB; at least one kilobyte.
        /// </summary>
        public static Option<long?> Size(string name, string description, string example) =>
            new(name)
            {
                Description = description,
                HelpName = "SIZE",
                CustomParser = r =>
                {
                    string text = Token(r).Trim();
                    int split = 0;
                    while (split < text.Length && (char.IsAsciiDigit(text[split]) || text[split] == '.'))
                    {
                        split++;
                    }

                    string unit = text[split..].Trim().ToUpperInvariant().Replace("IB", "B", StringComparison.Ordinal);
                    int power = unit switch { "" or "B" => 0, "K" or "KB" => 1, "M" or "MB" => 2, "G" or "GB" => 3, "T" or "TB" => 4, _ =>
                        -1 };
                    if (power < 0 || !double.TryParse(text.AsSpan(0, split), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture,
                        out double number))
                    {
                        r.AddError($"{name} '{text}' is not a size: give one such as {example} (a number with B, KB, MB, GB or TB).");
                        return null;
                    }

                    double bytes = number * Math.Pow(1024, power);
                    if (!(bytes >= 1024 && bytes < long.MaxValue))
                    {
                        r.AddError($"{name} must be at least 1KB, such as {example}; got {text}.");
                        return null;
                    }

                    return (long)bytes;
                },
            };

        /// <summary>A word from a fixed list (e.g. --recipe fast|textbook); anything else is a one-line error naming the valid
        /// ones.</summary>
        public static Option<string> Choice(string name, string description, string? defaultValue, params string[] values)
        {
            var option = new Option<string>(name)
            {
                Description = description,
                HelpName = string.Join('|', values),
                CustomParser = r =>
                {
                    string text = Token(r);
                    if (Array.IndexOf(values, text) < 0)
                    {
                        r.AddError($"{name} '{text}' is not one of {string.Join(", ", values)}: give one such as {values[0]}.");
                        return defaultValue ?? values[0];
                    }

                    return text;
                },
            };
            if (defaultValue is not null)
            {
                option.DefaultValueFactory = _ => defaultValue;
            }

            return option;
        }

        private static string Token(ArgumentResult r) => r.Tokens.Count == 0 ? "" : r.Tokens[0].Value;
    }
}
