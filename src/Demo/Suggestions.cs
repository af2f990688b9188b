using System;
using System.CommandLine;
using System.Linq;

namespace GenSoftmax.App
{
    /// <summary>"Did you mean --epochs?" for an option name that is a small typo away from one the command has.</summary>
    internal static class Suggestions
    {
        /// <summary>The closest option name of <paramref name="command"/> to <paramref name="token"/> (at most 2 edits, or a prefix), or
        /// null.</summary>
        public static string? For(string token, Command command)
        {
            if (!token.StartsWith('-'))
            {
                return null;
            }

            string given = token.Split('=', 2)[0];
            var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Distinct().ToArray();
            string? best = null;
            int bestDistance = int.MaxValue;
            foreach (string name in names)
            {
                int distance = name.StartsWith(given, StringComparison.Ordinal) && given.Length >= 4 ? 1 : Distance(given, name);
                if (distance < bestDistance)
                {
                    (best, bestDistance) = (name, distance);
                }
            }

            return bestDistance <= 2 ? best : null;
        }

        /// <summary>Levenshtein distance.</summary>
        private static int Distance(string a, string b)
        {
            int[] previous = new int[b.Length + 1], current = new int[b.Length + 1];
            for (int j = 0; j <= b.Length; j++)
            {
                previous[j] = j;
            }

            for (int i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                for (int j = 1; j <= b.Length; j++)
                {
                    current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                }

                (previous, current) = (current, previous);
            }

            return previous[b.Length];
        }
    }
}
