using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace GenSoftmax.App.Tests
{
    /// <summary>The exact solver in the app: chosen by default on small data, named with --solver, its C given, searched or refused.</summary>
    public sealed class SolverTests
    {
        private static readonly string[] Species = ["setosa", "versicolor", "virginica"];

        /// <summary>Iris as two CSV files: every fifth row (from row 2) for testing, the rest for training.</summary>
        private static void WriteIris(TempDir dir)
        {
            using JsonDocument fixtures = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "sklearn.json")));
            JsonElement set = fixtures.RootElement.GetProperty("sets").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "iris");
            long[] x = set.GetProperty("x").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            int[] y = set.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var train = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width,species\n");
            var test = new StringBuilder(train.ToString());
            for (int i = 0; i < y.Length; i++)
            {
                string row = string.Join(",", x.Skip(i * 4).Take(4).Select(v => (v / 10.0).ToString("0.0", CultureInfo.InvariantCulture))) + "," + Species[y[i]];
                (i % 5 == 2 ? test : train).Append(row).Append('\n');
            }

            File.WriteAllText(dir["iris.csv"], train.ToString());
            File.WriteAllText(dir["iris-test.csv"], test.ToString());
        }

        private static double Reported(string output, string pattern) =>
            double.Parse(Regex.Match(output, pattern).Groups[1].Value, CultureInfo.InvariantCulture);

        [Fact]
        public void Small_data_with_every_default_is_solved_exactly_and_beats_the_minibatch_recipe()
        {
            using var dir = new TempDir();
            WriteIris(dir);
            AppRun exact = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--test", "iris-test.csv", "--report", "r.json");
            Assert.True(exact.ExitCode == 0, exact.ToString());
            Assert.Contains("Exact solver (L-BFGS): C 1, tolerance 0.0001, at most 100 iterations", exact.Output);
            Assert.Matches(@"Exact solver: (converged|stopped at the iteration limit)", exact.Output);
            double exactAccuracy = Reported(exact.Output, @"test accuracy (\d\.\d{4})");
            Assert.True(exactAccuracy >= 0.93, exact.ToString());
            using (JsonDocument report = JsonDocument.Parse(File.ReadAllBytes(dir["r.json"])))
            {
                Assert.Equal("lbfgs", report.RootElement.GetProperty("solver").GetString());
                Assert.Equal(1, report.RootElement.GetProperty("exact_solver").GetProperty("c").GetDouble());
            }

            AppRun sgd = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--test", "iris-test.csv", "--solver", "sgd");
            Assert.True(sgd.ExitCode == 0, sgd.ToString());
            Assert.Contains("warning: The batch (512 rows) holds the whole training set (120 rows)", sgd.Error);
            Assert.True(Reported(sgd.Output, @"test accuracy (\d\.\d{4})") < exactAccuracy - 0.1, sgd.ToString());
        }

        [Theory]
        [InlineData("lbfgs")]
        [InlineData("newton")]
        public void The_exact_solver_shows_every_iteration_and_its_end(string solver)
        {
            using var dir = new TempDir();
            WriteIris(dir);
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--solver", solver, "--report", "r.json");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("iteration  objective        largest gradient element  passes", run.Output);
            MatchCollection lines = Regex.Matches(run.Output, @"^\s+(\d+)  \d+\.?\d*\S*\s+\S+\s+\d+$", RegexOptions.Multiline);
            Match end = Regex.Match(run.Output, @"Exact solver: (converged|stopped at the iteration limit) after (\d+) iterations");
            Assert.True(end.Success, run.ToString());
            int iterations = int.Parse(end.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.Equal(iterations, lines.Count);
            Assert.Equal(Enumerable.Range(1, iterations).Select(i => i.ToString(CultureInfo.InvariantCulture)), lines.Select(m => m.Groups[1].Value));
            using JsonDocument report = JsonDocument.Parse(File.ReadAllBytes(dir["r.json"]));
            JsonElement exact = report.RootElement.GetProperty("exact_solver");
            Assert.Equal(iterations, exact.GetProperty("iterations").GetInt32());
            Assert.True(exact.GetProperty("gradient_norm").GetDouble() >= 0 && exact.GetProperty("objective").GetDouble() > 0);
            Assert.Equal(solver, report.RootElement.GetProperty("solver").GetString());
            Assert.Equal(solver == "newton", exact.GetProperty("hessian_products").GetInt32() > 0);
        }

        [Fact]
        public void C_auto_searches_and_reports_the_curve_and_class_weights_balance()
        {
            using var dir = new TempDir();
            WriteIris(dir);
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--test", "iris-test.csv", "--c", "auto", "--class-weight", "balanced",
                "--max-iterations", "500", "--report", "r.json", "--plot", "c.svg");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(10, Regex.Matches(run.Output, @"^  C \S+\s+held-out loss", RegexOptions.Multiline).Count);
            Assert.Contains("Held-out loss and accuracy against C drawn to", run.Output);
            string svg = File.ReadAllText(dir["c.svg"]);
            Assert.Contains("log10 C", svg);
            Assert.Contains("chosen C = ", svg);
            Assert.Single(Regex.Matches(run.Output, "<- best"));
            using JsonDocument report = JsonDocument.Parse(File.ReadAllBytes(dir["r.json"]));
            JsonElement exact = report.RootElement.GetProperty("exact_solver");
            Assert.Equal(10, exact.GetProperty("c_search").GetArrayLength());
            Assert.True(exact.GetProperty("class_weights_balanced").GetBoolean());
        }

        [Fact]
        public void Class_weights_from_a_json_file_weigh_the_rows_of_each_named_class()
        {
            using var dir = new TempDir();
            WriteIris(dir);
            // Class weights equal to 'balanced' on iris.csv give the same fit as 'balanced' (the objective printed to the last digit).
            AppRun balanced = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--class-weight", "balanced", "--report", "b.json");
            Assert.True(balanced.ExitCode == 0, balanced.ToString());
            string[] names = File.ReadLines(dir["iris.csv"]).Skip(1).Select(l => l.Split(',')[^1].Trim('"')).Distinct().Order().ToArray();
            int[] counts = names.Select(n => File.ReadLines(dir["iris.csv"]).Skip(1).Count(l => l.Split(',')[^1].Trim('"') == n)).ToArray();
            int total = counts.Sum();
            string json = "{" + string.Join(", ", names.Select((n, i) =>
                $"\"{n}\": {((double)total / (names.Length * counts[i])).ToString("R", CultureInfo.InvariantCulture)}")) + "}";
            File.WriteAllText(dir["w.json"], json);
            AppRun fromFile = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--class-weight", "w.json", "--report", "f.json");
            Assert.True(fromFile.ExitCode == 0, fromFile.ToString());
            double Objective(string report) =>
                JsonDocument.Parse(File.ReadAllBytes(dir[report])).RootElement.GetProperty("exact_solver").GetProperty("objective").GetDouble();
            Assert.Equal(Objective("b.json"), Objective("f.json"), 6);

            // One class (setosa, the separable one: its rows lose little) weighed 5 times: the objective grows.
            File.WriteAllText(dir["five.json"], $"{{\"{names[0]}\": 5}}");
            AppRun five = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--class-weight", "five.json", "--report", "5.json");
            Assert.True(five.ExitCode == 0, five.ToString());
            Assert.True(Objective("5.json") > Objective("f.json") * 1.05, $"{Objective("5.json")} vs {Objective("f.json")}");

            File.WriteAllText(dir["bad.json"], "{\"no such class\": 2}");
            AppRun unknown = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--class-weight", "bad.json");
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains("Class 'no such class' is not a class of this data", unknown.Error);
            File.WriteAllText(dir["neg.json"], $"{{\"{names[0]}\": -1}}");
            AppRun negative = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--class-weight", "neg.json");
            Assert.Equal(2, negative.ExitCode);
            Assert.Contains("is -1: class weights must be finite and at least 0", negative.Error);
        }

        [Fact]
        public void Class_weights_from_a_JSON_or_CSV_file_weigh_the_classes_they_name()
        {
            using var dir = new TempDir();
            WriteIris(dir);
            File.WriteAllText(dir["w.json"], "{\"virginica\": 3, \"setosa\": 0.5}");
            File.WriteAllText(dir["w.csv"], "class,weight\nsetosa,0.5\nvirginica,3\n");
            File.WriteAllText(dir["bad.json"], "{\"daisy\": 2}");
            double Objective(params string[] extra)
            {
                AppRun run = AppProcess.Run(dir.Path, ["train", "--data", "iris.csv", "--solver", "lbfgs", "--report", "r.json", .. extra]);
                Assert.True(run.ExitCode == 0, run.ToString());
                using JsonDocument report = JsonDocument.Parse(File.ReadAllBytes(dir["r.json"]));
                return report.RootElement.GetProperty("exact_solver").GetProperty("objective").GetDouble();
            }

            double json = Objective("--class-weight", "w.json"), csv = Objective("--class-weight", "w.csv"), none = Objective();
            Assert.Equal(json, csv);
            Assert.NotEqual(none, json, 3);
            AppRun bad = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--class-weight", "bad.json");
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("Class 'daisy' is not a class of this data", bad.Error);
        }

        [Theory]
        [InlineData("0")]
        [InlineData("-1")]
        [InlineData("NaN")]
        [InlineData("abc")]
        public void A_C_that_is_not_a_positive_number_is_refused_in_one_line(string c)
        {
            using var dir = new TempDir();
            WriteIris(dir);
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--c", c);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"--c {c} is not a penalty strength", run.Error);
            Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        [Theory]
        [InlineData("--solver", "lbfgs", "--batch", "32", "--batch applies to minibatch SGD")]
        [InlineData("--solver", "newton", "--batch", "32", "--solver newton solves exactly")]
        [InlineData("--solver", "sgd", "--c", "1", "--c applies to the exact solver")]
        [InlineData("--epochs", "3", "--c", "1", "choose one with --solver sgd or --solver lbfgs")]
        [InlineData("--class-weight", "heavy", "--c", "1", "--class-weight heavy is not a weighting this app knows: use --class-weight balanced, or a JSON or CSV file")]
        public void Options_of_the_other_solver_are_refused_naming_them(string a, string b, string c, string d, string message)
        {
            using var dir = new TempDir();
            WriteIris(dir);
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", a, b, c, d);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains(message, run.Error);
        }

        [Fact]
        public void Without_a_test_set_there_is_no_column_of_NaN()
        {
            using var dir = new TempDir();
            WriteIris(dir);
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--solver", "sgd", "--batch", "16", "--epochs", "2");
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("epoch  train loss  train acc  seconds  last lr", run.Output);
            Assert.DoesNotContain("NaN", run.Output);
        }

        [Fact]
        public void Sample_weights_from_npy_change_the_fit_and_bad_ones_are_refused_in_one_line()
        {
            using var dir = new TempDir();
            WriteIris(dir);
            // 120 training rows: weight 0 on every virginica row leaves that class out of the fit.
            string[] lines = File.ReadAllLines(dir["iris.csv"]);
            float[] weights = lines.Skip(1).Select(l => l.EndsWith("virginica", StringComparison.Ordinal) ? 0f : 1f).ToArray();
            TestData.WriteWeights(dir["w.npy"], weights);
            AppRun run = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--test", "iris-test.csv", "--sample-weights", "w.npy", "--report", "r.json");
            Assert.True(run.ExitCode == 0, run.ToString());
            double weighted = Reported(run.Output, @"test accuracy (\d\.\d{4})");
            Assert.True(weighted < 0.8, $"without virginica the model cannot classify a third of the test rows: {weighted}");

            TestData.WriteWeights(dir["short.npy"], [1f, 2f]);
            AppRun wrongLength = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--sample-weights", "short.npy");
            Assert.Equal(2, wrongLength.ExitCode);
            Assert.Contains("holds 2 weights but the data has 120 rows", wrongLength.Error);

            float[] negative = weights.Select(w => w).ToArray();
            negative[7] = -1f;
            TestData.WriteWeights(dir["negative.npy"], negative);
            AppRun bad = AppProcess.Run(dir.Path, "train", "--data", "iris.csv", "--sample-weights", "negative.npy");
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("--sample-weights negative.npy: Weight 7 is -1", bad.Error);
            Assert.Single(bad.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }
}
