using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;

namespace GenSoftmax.App
{
    /// <summary>
    /// <c>show --out FILE.png</c>: sample images of a data set in a grid with their labels (the textbook's show_images);
    /// with <c>--weights MODEL</c>, each class's weight template (its row of W as an image).
    /// </summary>
    internal static class ShowCommand
    {
        public static Command Create()
        {
            var count = NumberOptions.Int("--count", "How many images (the first of the training split).", 18, 1, 1000, "18", "-n");
            var columns = NumberOptions.Int("--columns", "Images per row of the grid.", 9, 1, 100, "9");
            var output = new Option<FileInfo>("--out", "-o") { HelpName = "FILE.png", Description = "The PNG file to write.",
                Required = true };
            var weights = new Option<string?>("--weights")
            {
                HelpName = "MODEL",
                Description = "Draw the model's weight templates (each class's row of W as an image) instead of data.",
            };
            var data = new DataOptions();
            var command = new Command("show", "Draw sample images of a data set, or a model's weight templates, in a grid to a PNG file.")
            {
                count, columns, output, weights,
            };
            data.AddTo(command);
            command.SetAction(parse =>
            {
                string path = parse.GetValue(output)!.FullName;
                Pictures.CheckExtension(path, "--out", svgAllowed: false);
                TrainCommand.CheckWritable(path, "--out");
                if (parse.GetValue(weights) is { } modelPath)
                {
                    bool columnsGiven = parse.GetResult(columns) is { Implicit: false };
                    DrawWeights(modelPath, path, columnsGiven ? parse.GetValue(columns) : 5);
                    return 0;
                }

                LoadedData loaded = DataLoader.Load(data.Read(parse));
                LabeledData set = loaded.Train;
                if (set.ImageHeight == 0 || !set.IsPixels)
                {
                    throw new AppError($"{loaded.Description} holds feature vectors, not images: show draws IDX images or uint8 .npy " +
                        $"arrays of shape [n, height, width].");
                }

                int n = Math.Min(parse.GetValue(count), set.Count);
                var rows = new List<int>(n);
                for (int i = 0; i < n; i++)
                {
                    rows.Add(i);
                }

                Pictures.ImageGrid(path, set, rows, i =>
                    DataLoader.ClassName(set.ClassNames, set.Labels[i]), Math.Min(parse.GetValue(columns), n));
                Console.WriteLine($"{Plural.Of(n, "image")} of {loaded.Description} drawn to {path}");
                return 0;
            });
            return command;
        }

        /// <summary>The templates of a model whose inputs are a square image (Fashion-MNIST's 784 = 28 x 28).</summary>
        private static void DrawWeights(string modelPath, string path, int columns)
        {
            (ISoftmaxModel model, Persistence.ModelFileContents contents) = Models.Load(modelPath, isa: null);
            int side = (int)Math.Round(Math.Sqrt(model.Inputs));
            if (side * side != model.Inputs)
            {
                throw new AppError($"--weights {modelPath}: the model has {Plural.Of(model.Inputs, "input")}, which is not a square " +
                    "image, so its weights cannot be drawn as pictures (Fashion-MNIST's 784 inputs are 28 x 28).");
            }

            IReadOnlyList<string> names = Printable.Of(Models.Names(contents.ClassNames, model.Classes));
            Pictures.WeightGrid(path, model.Weights.ToArray(), side, side, names, Math.Min(columns, model.Classes));
            Console.WriteLine($"The {Plural.Of(model.Classes, "class")}' weight templates ({side} x {side}) of {modelPath} drawn to " +
                $"{path} " +
                "(red: a bright pixel raises the class's score, blue: lowers it)");
        }
    }
}
