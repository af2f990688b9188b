using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using GenSoftmax.Persistence;
using GenSoftmax.Streaming;
using nietras.SeparatedValues;

namespace GenSoftmax.App
{
    /// <summary>
    /// <c>predict MODEL</c>: for images, N test images as greyscale half-block art with the true and predicted labels
    /// and the top probabilities (the textbook's predict_ch3); for other data, predictions as CSV on stdout.
    /// </summary>
    internal static class PredictCommand
    {
        public static Command Create()
        {
            var model = new Argument<string>("MODEL") { Description = "A model file written by 'train --save'." };
            var count = NumberOptions.OptionalInt("--count", "How many rows to show (default: 6 images, or every row as CSV).", 1, "6",
                "-n");
            var wrong = new Option<bool>("--wrong") { Description = "Show only rows the model gets wrong." };
            var csv = new Option<bool>("--csv") { Description = "Write CSV even for images." };
            var isa = Models.IsaOption();
            var data = new DataOptions();
            var command = new Command("predict",
                "Predict with a saved model: images drawn in the terminal with true and predicted labels, or CSV on stdout for other data.")
            {
                model, count, wrong, csv, isa,
            };
            data.AddTo(command, streamable: true);
            command.SetAction(parse =>
            {
                (ISoftmaxModel m, ModelFileContents contents) = Models.Load(parse.GetValue(model)!, parse.GetValue(isa));
                DataSpec spec = data.Read(parse);
                if (spec.MemoryBudget is not null)
                {
                    return PredictStreamed(m, contents, spec, parse.GetValue(count) ?? long.MaxValue, parse.GetValue(wrong));
                }

                LoadedData loaded = DataLoader.Load(spec, contents.ClassNames, m.Classes);
                LabeledData set = loaded.Test ?? loaded.Train;
                EvalCommand.CheckShape(m, set, loaded.Description);
                IReadOnlyList<string> names = Models.Names(contents.ClassNames ?? set.ClassNames, m.Classes);
                int[] predictions = new int[set.Count];
                m.Predict(set.All(), predictions);
                var rows = new List<int>();
                bool images = set.ImageHeight > 0 && !parse.GetValue(csv);
                int limit = parse.GetValue(count) ?? (images ? 6 : int.MaxValue);
                for (int i = 0; i < set.Count && rows.Count < limit; i++)
                {
                    if (!parse.GetValue(wrong) || predictions[i] != set.Labels[i])
                    {
                        rows.Add(i);
                    }
                }

                float[] probabilities = new float[rows.Count * m.Classes];
                if (rows.Count > 0)
                {
                    m.Probabilities(set.Rows(rows.ToArray()), probabilities);
                }

                if (images)
                {
                    bool color = !Console.IsOutputRedirected;
                    for (int j = 0; j < rows.Count; j++)
                    {
                        Console.Write(Art(set, rows[j], Printable.Of(names), probabilities.AsSpan(j * m.Classes, m.Classes), color));
                    }

                    if (rows.Count == 0)
                    {
                        Console.WriteLine(parse.GetValue(wrong) ? "No mistakes: the model classifies every row correctly." : "No rows.");
                    }
                }
                else
                {
                    // Sep writes the CSV, quoting class names that hold the separator, quotes or line breaks.
                    using SepWriter writer = CsvWriter();
                    for (int j = 0; j < rows.Count; j++)
                    {
                        int i = rows[j];
                        WriteRow(writer, i, set.Labels[i], predictions[i], probabilities.AsSpan(j * m.Classes, m.Classes), names);
                    }

                    if (rows.Count == 0)
                    {
                        WriteHeader(names);
                    }
                }

                return 0;
            });
            return command;
        }

        /// <summary>
        /// predict --memory-budget: the rows stream past the model and each prediction is written as CSV as soon as it is made, in
        /// row order, until --count rows (of --wrong ones) are out.
        /// </summary>
        private static int PredictStreamed(ISoftmaxModel model, ModelFileContents contents, DataSpec spec, long limit, bool wrongOnly)
        {
            using StreamedData data = DataLoader.Open(spec, contents.ClassNames);
            RowSource rows = data.RowsFor(model);

            IReadOnlyList<string> names = Models.Names(contents.ClassNames ?? rows.ClassNames, model.Classes);
            long written = 0;
            using var enough = new CancellationTokenSource();
            using (SepWriter writer = CsvWriter())
            {
                try
                {
                    StreamEvaluation.Predict(model, rows, (first, predictions, labels, p) =>
                    {
                        for (int i = 0; i < predictions.Length && written < limit; i++)
                        {
                            if ((uint)labels[i] >= (uint)names.Count)
                            {
                                throw new AppError($"{rows.Description}: row {first + i} has label {labels[i]}, but the model has " +
                                    $"{model.Classes} classes.");
                            }

                            if (!wrongOnly || predictions[i] != labels[i])
                            {
                                WriteRow(writer, first + i, labels[i], predictions[i], p.Slice(i * model.Classes, model.Classes), names);
                                written++;
                            }
                        }

                        if (written >= limit)
                        {
                            enough.Cancel();
                        }
                    }, probabilities: true, cancellationToken: enough.Token);
                }
                catch (OperationCanceledException) when (enough.IsCancellationRequested)
                {
                    // --count rows are written.
                }
            }

            if (written == 0)
            {
                WriteHeader(names);
            }

            return 0;
        }

        private static SepWriter CsvWriter() =>
            Sep.New(',').Writer(o => o with { Escape = true, CultureInfo = CultureInfo.InvariantCulture }).To(Console.Out, leaveOpen: true);

        /// <summary>One CSV row: row number, true and predicted class names, then each class's probability.</summary>
        private static void WriteRow(SepWriter writer, long index, int label, int predicted, ReadOnlySpan<float> p,
            IReadOnlyList<string> names)
        {
            using SepWriter.Row row = writer.NewRow();
            row["row"].Format(index);
            row["label"].Set(names[label]);
            row["predicted"].Set(names[predicted]);
            for (int c = 0; c < names.Count; c++)
            {
                row["p_" + names[c]].Set(p[c].ToString("G6", CultureInfo.InvariantCulture));
            }
        }

        /// <summary>The header alone, for output without rows (Sep writes the header with the first row).</summary>
        private static void WriteHeader(IReadOnlyList<string> names) =>
            Console.WriteLine(string.Join(",", new[] { "row", "label", "predicted" }.Concat(names.Select(n => Quote("p_" + n)))));

        private static string Quote(string s) =>
            s.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

        /// <summary>
        /// One image as half-block art: each character cell holds two pixel rows, the upper half '▀' drawn in the top
        /// pixel's grey and the lower in the bottom's (24-bit colour on a terminal; thresholded blocks otherwise).
        /// The labels and the top three probabilities stand to the right.
        /// </summary>
        public static string Art(LabeledData data, int row, IReadOnlyList<string> names, ReadOnlySpan<float> p, bool color)
        {
            int h = data.ImageHeight, w = data.ImageWidth;
            ReadOnlySpan<byte> image = data.Image(row);
            int predicted = 0;
            for (int c = 1; c < p.Length; c++)
            {
                predicted = p[c] > p[predicted] ? c : predicted;
            }

            int truth = data.Labels[row];
            float[] q = p.ToArray();
            var top = Enumerable.Range(0, q.Length).OrderByDescending(c => q[c]).Take(3).Select(c => (c, q[c])).ToList();
            var side = new List<string>
            {
                $"#{row}",
                $"true: {names[truth]}",
                $"pred: {names[predicted]}{(predicted == truth ? "" : "   (wrong)")}",
            };
            foreach ((int c, float pc) in top)
            {
                side.Add(string.Create(CultureInfo.InvariantCulture, $"  {pc,6:P1}  {names[c]}"));
            }

            var sb = new StringBuilder();
            int lines = (h + 1) / 2;
            int offset = Math.Max(0, (lines - side.Count) / 2);
            for (int y = 0; y < Math.Max(lines, side.Count); y++)
            {
                for (int x = 0; x < w && y >= lines; x++)
                {
                    sb.Append(' ');
                }

                for (int x = 0; x < w && y < lines; x++)
                {
                    byte top1 = image[2 * y * w + x];
                    byte bottom = 2 * y + 1 < h ? image[(2 * y + 1) * w + x] : (byte)0;
                    if (color)
                    {
                        sb.Append(CultureInfo.InvariantCulture,
                            $"\u001b[38;2;{top1};{top1};{top1}m\u001b[48;2;{bottom};{bottom};{bottom}m\u2580");
                    }
                    else
                    {
                        bool t = top1 >= 96, b = bottom >= 96;
                        sb.Append(t && b ? '\u2588' : t ? '\u2580' : b ? '\u2584' : ' ');
                    }
                }

                if (color && y < lines)
                {
                    sb.Append("\u001b[0m");
                }

                int sideLine = y - offset;
                if (sideLine >= 0 && sideLine < side.Count)
                {
                    sb.Append("  ").Append(side[sideLine]);
                }

                sb.Append('\n');
            }

            sb.Append('\n');
            return sb.ToString();
        }
    }
}
