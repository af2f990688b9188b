using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;

namespace GenSoftmax.App
{
    /// <summary><c>show --out FILE.png</c>: sample images of a data set in a grid with their labels (the textbook's show_images).</summary>
    internal static class ShowCommand
    {
        public static Command Create()
        {
            var count = NumberOptions.Int("--count", "How many images (the first of the training split).", 18, 1, 1000, "18", "-n");
            var columns = NumberOptions.Int("--columns", "Images per row of the grid.", 9, 1, 100, "9");
            var output = new Option<FileInfo>("--out", "-o") { HelpName = "FILE.png", Description = "The PNG file to write.",
                Required = true };
            var data = new DataOptions();
            var command = new Command("show", "Draw sample images of a data set in a grid with their labels, to a PNG file.") { count,
                columns, output };
            data.AddTo(command);
            command.SetAction(parse =>
            {
                string path = parse.GetValue(output)!.FullName;
                Pictures.CheckExtension(path, "--out", svgAllowed: false);
                TrainCommand.CheckWritable(path, "--out");
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
    }
}
