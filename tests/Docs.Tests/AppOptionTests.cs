using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace GenSoftmax.Docs.Tests
{
    /// <summary>
    /// docs/app.md and the app agree: each command has a section ("## `train`"), whose option tables list exactly the
    /// options of that command's --help; the root's options that train lacks are in the "## `gensoftmax-cli`" section;
    /// and every --option named anywhere on the page is an option of some command.
    /// </summary>
    public sealed class AppOptionTests
    {
        private const string Page = "docs/app.md";
        private const string Root = "gensoftmax-cli";

        private static readonly Lazy<Dictionary<string, SortedSet<string>>> HelpOptions = new(ReadHelp);

        [Fact]
        public void Every_command_has_a_section_listing_exactly_its_options()
        {
            Dictionary<string, SortedSet<string>> help = HelpOptions.Value;
            Dictionary<string, SortedSet<string>> page = PageOptions();
            var problems = new List<string>();
            foreach ((string command, SortedSet<string> options) in help)
            {
                SortedSet<string> expected = command == Root
                    ? new SortedSet<string>(options.Except(help["train"]), StringComparer.Ordinal)
                    : options;
                if (!page.TryGetValue(command, out SortedSet<string>? documented))
                {
                    problems.Add($"no section '## `{command}`' on {Page}");
                    continue;
                }

                foreach (string o in expected.Except(documented))
                {
                    problems.Add($"{command}: {o} is in the app's help but not in its section of {Page}");
                }

                foreach (string o in documented.Except(expected))
                {
                    problems.Add($"{command}: {o} is in its section of {Page} but not in the app's help");
                }
            }

            foreach (string command in page.Keys.Except(help.Keys))
            {
                problems.Add($"{Page} has a section for '{command}', which the app does not have");
            }

            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public void Every_option_named_on_the_page_exists()
        {
            var all = new HashSet<string>(HelpOptions.Value.Values.SelectMany(o => o), StringComparer.Ordinal) { "--help" };
            // Lines that run dotnet name dotnet's options (--project), not the app's.
            string text = string.Join('\n', Pages.Read(Page).Split('\n').Where(line => !line.Contains("dotnet ", StringComparison.Ordinal)));
            string[] unknown = Regex.Matches(text, @"(?<![\w-])--[a-z][a-z0-9-]*")
                .Select(m => m.Value)
                .Where(o => !all.Contains(o))
                .Distinct()
                .ToArray();
            Assert.True(unknown.Length == 0, $"{Page} names options the app does not have: {string.Join(", ", unknown)}");
        }

        /// <summary>Long option names in the first cell of each table row ("| `--epochs N` |"), per "## `command`" section.</summary>
        private static Dictionary<string, SortedSet<string>> PageOptions()
        {
            var sections = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
            SortedSet<string>? current = null;
            foreach (string line in Pages.Prose(Page).Split('\n'))
            {
                Match heading = Regex.Match(line, @"^## `([a-z-]+)`");
                if (heading.Success)
                {
                    current = sections[heading.Groups[1].Value] = new SortedSet<string>(StringComparer.Ordinal);
                    continue;
                }

                if (line.StartsWith("## ", StringComparison.Ordinal))
                {
                    current = null;
                }
                else if (current is not null && line.StartsWith('|'))
                {
                    string first = line.Split('|', StringSplitOptions.None)[1];
                    foreach (Match m in Regex.Matches(first, @"(?<![\w-])--[a-z][a-z0-9-]*"))
                    {
                        current.Add(m.Value);
                    }
                }
            }

            return sections;
        }

        /// <summary>The root's and each command's long options from --help, commands from the root's "Commands:" list.</summary>
        private static Dictionary<string, SortedSet<string>> ReadHelp()
        {
            string root = Run("--help");
            var help = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal) { [Root] = Options(root) };
            string commands = root[(root.IndexOf("Commands:", StringComparison.Ordinal) + "Commands:".Length)..];
            foreach (Match m in Regex.Matches(commands, @"^  ([a-z][a-z-]*)\b", RegexOptions.Multiline))
            {
                help[m.Groups[1].Value] = Options(Run(m.Groups[1].Value, "--help"));
            }

            Assert.True(help.Count > 3, "the root help lists no commands:\n" + root);
            return help;
        }

        private static SortedSet<string> Options(string help)
        {
            int start = help.IndexOf("Options:", StringComparison.Ordinal);
            Assert.True(start >= 0, "no Options: section in\n" + help);
            int end = help.IndexOf("Commands:", start, StringComparison.Ordinal);
            string section = help[start..(end < 0 ? help.Length : end)];
            var options = new SortedSet<string>(StringComparer.Ordinal);
            foreach (Match m in Regex.Matches(section, @"^\s+(?:-\S+,\s+)*(--[a-z][a-z0-9-]*)", RegexOptions.Multiline))
            {
                options.Add(m.Groups[1].Value);
            }

            options.Remove("--help");
            return options;
        }

        private static string Run(params string[] args)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Pages.AppAssembly);
            foreach (string a in args)
            {
                start.ArgumentList.Add(a);
            }

            start.Environment["NO_COLOR"] = "1";
            start.Environment["COLUMNS"] = "400";
            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"gensoftmax-cli {string.Join(' ', args)} exited {process.ExitCode}:\n{output}");
            return output;
        }
    }
}
