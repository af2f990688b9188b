using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using GenSoftmax.Data;
using GenSoftmax.Streaming;

namespace GenSoftmax.App
{
    /// <summary>
    /// <c>convert DATA --output NAME.npy</c>: a CSV/TSV file of any size into .npy files (CsvConverter) that train, eval and predict
    /// stream with --memory-budget and numpy reads: NAME.npy, NAME.labels.npy, NAME.classes.json.
    /// </summary>
    internal static class ConvertCommand
    {
        public static Command Create()
        {
            var input = new Argument<string>("DATA") { Description = "The CSV or TSV file to convert." };
            var output = new Option<string>("--output", "-o")
            {
                HelpName = "NAME.npy",
                Description = "The features file to write; the labels go to NAME.labels.npy and the class names to NAME.classes.json " +
                    "beside it.",
                Required = true,
            };
            var features = NumberOptions.Choice(
                "--features", "Store features as float32, or as uint8 (whole numbers 0..255, read as pixels).", "float32", "float32",
                    "uint8");
            var weights = new Option<string?>("--weight-column")
            {
                HelpName = "NAME",
                Description = "A column of row weights (finite, at least 0), by header name: written to NAME.weights.npy for " +
                    "--sample-weights.",
            };
            var data = new DataOptions();
            var command = new Command("convert", "Convert a CSV/TSV file of any size into .npy files, reading it once in bounded memory.")
            {
                input, output, features, weights, data.LabelColumn, data.NoHeader,
            };
            command.SetAction(parse =>
            {
                string csv = parse.GetValue(input)!;
                string target = Path.GetFullPath(parse.GetValue(output)!);
                if (!target.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                {
                    throw new AppError($"--output '{target}' must end in .npy: the labels and class names are written beside it as " +
                        $"NAME.labels.npy and NAME.classes.json.");
                }

                if (!File.Exists(csv))
                {
                    throw new AppError($"'{csv}' does not exist: give the CSV or TSV file to convert.");
                }

                OutputPaths.Check(
                    [(csv, "DATA")],
                    [(target, "--output"), (Path.ChangeExtension(target, ".labels.npy"), "--output's labels"),
                        (Path.ChangeExtension(target, ".classes.json"), "--output's class names"),
                        (Path.ChangeExtension(target, ".weights.npy"), "--output's weights")]);
                CsvOptions options = DataLoader.CsvOptionsFor(new DataSpec(csv, null, parse.GetValue(data.LabelColumn),
                    parse.GetValue(data.NoHeader)), null, null)
                    with { WeightColumnName = parse.GetValue(weights) };
                NpyFeatureType type = parse.GetValue(features) == "uint8" ? NpyFeatureType.UInt8 : NpyFeatureType.Float32;
                long total = new FileInfo(csv).Length;
                var watch = Stopwatch.StartNew();
                var progress = new ConvertProgress(total, watch, !Console.IsErrorRedirected);
                using var interrupt = new Interruption();
                NpyConversion result;
                try
                {
                    result = CsvConverter.ToNpy(csv, target, options, type, progress, interrupt.Token);
                }
                catch (OperationCanceledException) when (interrupt.Signal is { } signal)
                {
                    progress.Clear();
                    Console.Error.WriteLine($"interrupted ({signal}): nothing was written; the files of an earlier conversion, if any, " +
                        $"are as they were.");
                    return Interruption.ExitCode(signal);
                }
                catch (ArgumentException e) when (e is not ArgumentNullException)
                {
                    throw new AppError(e.Message.Split(" (Parameter")[0]);
                }

                progress.Clear();
                double seconds = watch.Elapsed.TotalSeconds;
                string classes = result.ClassNames is { } names ? $"{names.Count} class names" : "class numbers";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Converted {result.Rows:N0} rows of {result.Inputs} features ({type.ToString().ToLowerInvariant()}), " +
                    $"{classes}, from {RowSource.FormatBytes(total)} of text in {seconds:F2} s " +
                    $"({total / (1024.0 * 1024.0) / Math.Max(seconds, 1e-9):F0} MB/s): " +
                    $"{result.FeaturesPath}, {result.LabelsPath}, " +
                        $"{result.ClassNamesPath}{(result.WeightsPath is null ? "" : ", " + result.WeightsPath)}"));
                return 0;
            });
            return command;
        }

        /// <summary>On a terminal, one line on stderr redrawn as the CSV is read: share done and MB/s.</summary>
        private sealed class ConvertProgress(long total, Stopwatch watch, bool live) : IProgress<long>
        {
            private long _shown;

            public void Report(long value)
            {
                if (!live || watch.ElapsedMilliseconds - _shown < 200)
                {
                    return;
                }

                _shown = watch.ElapsedMilliseconds;
                double seconds = Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
                Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                    $"\rconverting: {100.0 * value / Math.Max(total, 1),5:F1}% of {RowSource.FormatBytes(total)}, " +
                        $"{value / (1024.0 * 1024.0) / seconds:F0} MB/s   "));
            }

            public void Clear()
            {
                if (live && _shown > 0)
                {
                    Console.Error.Write("\r" + new string(' ', 70) + "\r");
                }
            }
        }
    }
}
