using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Linq;
using System.Text;

namespace GenSoftmax.App
{
    /// <summary>
    /// A command's --help with its options under headings (System.CommandLine's own help lists them in one block): the
    /// description, usage, then each group as "Heading:" over its options, in the layout of the library's help.
    /// </summary>
    internal sealed class GroupedHelp(
        Command command, IReadOnlyList<(string Heading, Option[] Options)> groups, SynchronousCommandLineAction others)
        : SynchronousCommandLineAction
    {
        /// <summary>
        /// Gives <paramref name="command"/>'s --help the grouped layout; the root's help option serves every command
        /// (it is recursive), so the other commands keep the library's help.
        /// </summary>
        public static void Use(RootCommand root, Command command, IReadOnlyList<(string Heading, Option[] Options)> groups)
        {
            HelpOption help = root.Options.OfType<HelpOption>().Single();
            help.Action = new GroupedHelp(command, groups, (SynchronousCommandLineAction)help.Action!);
        }

        /// <summary>As the library's help: asking for help is not a parse error, even where a required argument is missing.</summary>
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            if (parseResult.CommandResult.Command != command)
            {
                return others.Invoke(parseResult);
            }

            Console.Out.Write(Render());
            return 0;
        }

        /// <summary>The help text.</summary>
        public string Render()
        {
            var rows = new List<(string? Heading, string Name, string Description)>();
            foreach ((string heading, Option[] options) in groups)
            {
                rows.Add((heading, "", ""));
                rows.AddRange(options.Where(o => !o.Hidden).Select(o => ((string?)null, Name(o), Describe(o))));
            }

            rows.Add(("Help", "", ""));
            rows.Add((null, "-?, -h, --help", "Show help and usage information"));
            int width = rows.Max(r => r.Name.Length) + 2;

            var text = new StringBuilder();
            text.Append("Description:\n  ").Append(command.Description).Append("\n\n");
            text.Append("Usage:\n  gensoftmax-cli ").Append(command.Name).Append(" [options]\n\n");
            text.Append("Options:\n");
            foreach ((string? heading, string name, string description) in rows)
            {
                if (heading is not null)
                {
                    text.Append('\n').Append(heading).Append(":\n");
                    continue;
                }

                text.Append("  ").Append(name.PadRight(width)).Append(description).Append('\n');
            }

            return text.Append('\n').ToString();
        }

        /// <summary>"-q, --quiet" or "--epochs &lt;N&gt;": aliases shortest first, then the value's name.</summary>
        private static string Name(Option option)
        {
            string names = string.Join(", ",
                option.Aliases.OrderBy(a => a.Length).ThenBy(a => a, StringComparer.Ordinal).Append(option.Name));
            if (option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool))
            {
                return names; // a flag
            }

            Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            string value = option.HelpName
                ?? (type.IsEnum ? string.Join('|', Enum.GetNames(type)) : option.Name.TrimStart('-').ToUpperInvariant());
            return $"{names} <{value}>";
        }

        /// <summary>The description, and the default where it does not depend on anything else (never for flags).</summary>
        private static string Describe(Option option)
        {
            string description = option.Description ?? "";
            if (!option.HasDefaultValue || option.ValueType == typeof(bool) || option.GetDefaultValue() is not { } value)
            {
                return description;
            }

            return $"{description} [default: {Convert.ToString(value, CultureInfo.InvariantCulture)}]";
        }
    }
}
