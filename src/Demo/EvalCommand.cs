using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.Text;
using GenSoftmax.Persistence;
using GenSoftmax.Streaming;

namespace GenSoftmax.App
{
    /// <summary><c>eval MODEL</c>: accuracy, per-class accuracy and the confusion matrix with class names.</summary>
    internal static class EvalCommand
    {
        public static Command Create()
        {
            var model = new Argument<string>("MODEL") { Description = "A model file written by 'train --save'." };
            var data = new DataOptions();
            var isa = Models.IsaOption();
            var command = new Command("eval",
                "Evaluate a saved model: accuracy, per-class accuracy and the confusion matrix (IDX: the test split; CSV/.npy: every row).")
            {
                model, isa,
            };
            data.AddTo(command, streamable: true);
            command.SetAction(parse =>
            {
                (ISoftmaxModel m, ModelFileContents contents) = Models.Load(parse.GetValue(model)!, parse.GetValue(isa));
                DataSpec spec = data.Read(parse);
                if (spec.MemoryBudget is not null)
                {
                    return EvaluateStreamed(m, contents, spec);
                }

                LoadedData loaded = DataLoader.Load(spec, contents.ClassNames, m.Classes);
                LabeledData set = loaded.Test ?? loaded.Train;
                CheckShape(m, set, loaded.Description);
                if (set.Count == 0)
                {
                    throw new AppError($"{loaded.Description} has no rows to evaluate.");
                }

                int[] predictions = new int[set.Count];
                m.Predict(set.All(), predictions);
                IReadOnlyList<string> names = Models.Names(contents.ClassNames ?? set.ClassNames, m.Classes);
                Console.Write(Render(
                    Confusion(predictions, set.Labels, names.Count), Printable.Of(names), loaded.Description
                        + (loaded.Test is null ? "" : " (test split)")));
                return 0;
            });
            return command;
        }

        /// <summary>eval --memory-budget: the rows are predicted as they stream past and counted into the confusion matrix.</summary>
        private static int EvaluateStreamed(ISoftmaxModel model, ModelFileContents contents, DataSpec spec)
        {
            using StreamedData data = DataLoader.Open(spec, contents.ClassNames);
            RowSource rows = data.RowsFor(model);

            IReadOnlyList<string> names = Models.Names(contents.ClassNames ?? rows.ClassNames, model.Classes);
            long[,] confusion = new long[model.Classes, model.Classes];
            StreamEvaluation.Predict(model, rows, (first, predictions, labels, _) =>
            {
                for (int i = 0; i < labels.Length; i++)
                {
                    if ((uint)labels[i] >= (uint)model.Classes)
                    {
                        throw new AppError(
                            $"{rows.Description}: row {first + i} has label {labels[i]}, but the model has {model.Classes} classes " +
                                $"(0..{model.Classes - 1}).");
                    }

                    confusion[labels[i], predictions[i]]++;
                }
            });
            string split = data.Test is null ? "" : " (test split)";
            Console.Write(Render(confusion, Printable.Of(names), $"{data.Description}{split}, {data.How}"));
            return 0;
        }

        /// <summary>The confusion matrix [true class, predicted class] of <paramref name="predictions"/> against <paramref
        /// name="labels"/>.</summary>
        public static long[,] Confusion(int[] predictions, int[] labels, int classes)
        {
            long[,] confusion = new long[classes, classes];
            for (int i = 0; i < labels.Length; i++)
            {
                confusion[labels[i], predictions[i]]++;
            }

            return confusion;
        }

        public static void CheckShape(ISoftmaxModel model, LabeledData data, string description)
        {
            if (data.Inputs != model.Inputs)
            {
                throw new AppError($"the model takes {model.Inputs} inputs but {description} has {data.Inputs} per row: use the data the " +
                    $"model was trained on.");
            }

            int row = Array.FindIndex(data.Labels, label => label >= model.Classes);
            if (row >= 0)
            {
                throw new AppError(
                    $"{description}: row {row} has label {data.Labels[row]}, but the model has {model.Classes} classes " +
                        $"(0..{model.Classes - 1}).");
            }
        }

        /// <summary>The accuracy line, the per-class table and the confusion matrix (rows: true class, columns: predicted).</summary>
        public static string Render(long[,] confusion, IReadOnlyList<string> names, string description)
        {
            int k = names.Count;
            long correct = 0, total = 0;
            for (int c = 0; c < k; c++)
            {
                correct += confusion[c, c];
                for (int p = 0; p < k; p++)
                {
                    total += confusion[c, p];
                }
            }

            var sb = new StringBuilder();
            CultureInfo inv = CultureInfo.InvariantCulture;
            sb.AppendLine(string.Create(inv, $"Accuracy {(double)correct / total:F4} ({correct:N0} of {total:N0}) on {description}"));
            sb.AppendLine();
            int nameWidth = Math.Max(5, MaxLength(names));
            sb.AppendLine(string.Create(inv, $"{"class".PadRight(nameWidth)}  {"rows",7}  {"correct",7}  accuracy"));
            for (int c = 0; c < k; c++)
            {
                long rows = 0;
                for (int p = 0; p < k; p++)
                {
                    rows += confusion[c, p];
                }

                string acc = rows == 0 ? "       -" : ((double)confusion[c, c] / rows).ToString("F4", inv).PadLeft(8);
                sb.AppendLine(string.Create(inv, $"{names[c].PadRight(nameWidth)}  {rows,7}  {confusion[c, c],7}  {acc}"));
            }

            sb.AppendLine();
            sb.AppendLine("Confusion matrix (rows: true class, columns: predicted class by number)");
            int cell = Math.Max(5, total.ToString(inv).Length + 1);
            sb.Append(' ', nameWidth + 5);
            for (int p = 0; p < k; p++)
            {
                sb.Append(p.ToString(inv).PadLeft(cell));
            }

            sb.AppendLine();
            for (int c = 0; c < k; c++)
            {
                sb.Append(string.Create(inv, $"{c,3}  {names[c].PadRight(nameWidth)}"));
                for (int p = 0; p < k; p++)
                {
                    sb.Append(confusion[c, p].ToString(inv).PadLeft(cell));
                }

                sb.AppendLine();
            }

            return sb.ToString();
        }

        private static int MaxLength(IReadOnlyList<string> names)
        {
            int max = 0;
            foreach (string n in names)
            {
                max = Math.Max(max, n.Length);
            }

            return max;
        }
    }
}
