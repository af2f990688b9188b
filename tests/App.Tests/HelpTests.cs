using System.Linq;
using System.Text.RegularExpressions;
using System.IO;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>The root help leads with the commands, examples and exit codes; a mistyped option gets a suggestion.</summary>
    public sealed class HelpTests
    {
        [Fact]
        public void Root_help_lists_commands_examples_and_exit_codes_not_the_train_options()
        {
            AppRun run = AppProcess.Run(Path.GetTempPath(), "--help");
            Assert.Equal(0, run.ExitCode);
            Assert.Contains("Commands:", run.Output);
            Assert.Contains("Examples:", run.Output);
            Assert.Contains("Exit codes: 0 done, 1 failure while running, 2 bad input", run.Output);
            Assert.DoesNotContain("--epochs", run.Output);
            AppRun train = AppProcess.Run(Path.GetTempPath(), "train", "--help");
            Assert.Contains("--epochs", train.Output);
            Assert.Contains("--solver", train.Output);
        }

        [Fact]
        public void Train_help_states_each_recipes_value_instead_of_one_default_in_groups()
        {
            AppRun run = AppProcess.Run(Path.GetTempPath(), "train", "--help");
            Assert.Equal(0, run.ExitCode);
            foreach (string option in new[] { "--epochs", "--batch", "--lr", "--momentum", "--threads", "--soft-labels" })
            {
                string line = Assert.Single(run.Output.Split('\n'), l => l.TrimStart().StartsWith(option + " ", System.StringComparison.Ordinal));
                Assert.DoesNotContain("[default:", line);
            }

            Assert.Contains("fast 8, textbook 10", run.Output);
            Assert.Contains("fast 512, textbook 256", run.Output);
            Assert.Contains("[default: 100]", run.Output); // --max-iterations: the same whatever the recipe
            int At(string option) => run.Output.IndexOf($"\n  {option} ", System.StringComparison.Ordinal);
            Assert.True(At("--data") < At("--recipe") && At("--recipe") < At("--solver") && At("--solver") < At("--save"), run.Output);

            // Each group under its heading, the headings in order, every option once.
            string[] headings = ["Data:", "Model and kernels:", "Recipe and optimizer:", "Learning-rate schedule:", "Early stopping:",
                "Exact solver and weights:", "Output:", "Help:"];
            int[] where = headings.Select(h => run.Output.IndexOf("\n" + h + "\n", System.StringComparison.Ordinal)).ToArray();
            Assert.All(where, i => Assert.True(i > 0, run.Output));
            Assert.Equal(where.Order(), where);
            Assert.True(At("--data") > where[0] && At("--data") < where[1] && At("--isa") > where[1] && At("--isa") < where[2], run.Output);
            Assert.True(At("--early-stopping") > where[4] && At("--early-stopping") < where[5], run.Output);
            Assert.Single(Regex.Matches(run.Output, @"\n  --epochs "));
            Assert.Contains("\n  --no-header  ", run.Output); // a flag: no value name, no default
            Assert.Contains("\n  -q, --quiet  ", run.Output);
        }

        [Theory]
        [InlineData("train", "--epoch", "--epochs")]
        [InlineData("train", "--lerning-rate", null)]
        [InlineData("train", "--momentun", "--momentum")]
        [InlineData(null, "--epoch", "--epochs")]
        public void A_mistyped_option_gets_the_closest_name_in_one_line(string? command, string typo, string? suggestion)
        {
            string[] args = command is null ? [typo, "3"] : [command, typo, "3"];
            AppRun run = AppProcess.Run(Path.GetTempPath(), args);
            Assert.Equal(2, run.ExitCode);
            Assert.Single(run.Error.Split('\n', System.StringSplitOptions.RemoveEmptyEntries));
            if (suggestion is null)
            {
                Assert.DoesNotContain("Did you mean", run.Error);
            }
            else
            {
                Assert.Contains($"Did you mean {suggestion}?", run.Error);
            }
        }
    }
}
