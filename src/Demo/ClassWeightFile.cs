using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;

namespace GenSoftmax.App
{
    /// <summary>
    /// <c>--class-weight FILE</c>: a JSON object of class to weight, scikit-learn's <c>class_weight</c> dictionary, such as
    /// <c>{"Shirt": 2, "0": 0.5}</c>. A key is a class name (when the data has names) or a class number; classes it
    /// leaves out weigh 1.
    /// </summary>
    internal static class ClassWeightFile
    {
        /// <summary>One weight per class (index = label) for <paramref name="classes"/> classes named <paramref name="names"/>.</summary>
        public static float[] Read(string path, IReadOnlyList<string>? names, int classes)
        {
            string option = $"--class-weight {path}";
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(File.ReadAllBytes(path));
            }
            catch (JsonException e)
            {
                throw new AppError($"{option} is not JSON ({e.Message.Split(" LineNumber")[0]}): write an object such as " +
                    "{\"Shirt\": 2, \"Trouser\": 0.5}.");
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new AppError($"{option} does not exist: give 'balanced' or a JSON file of class weights.");
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new AppError($"{option} holds a JSON {document.RootElement.ValueKind}, not an object of class to weight, " +
                        "such as {\"Shirt\": 2, \"Trouser\": 0.5}.");
                }

                float[] weights = new float[classes];
                Array.Fill(weights, 1f);
                var seen = new HashSet<int>();
                foreach (JsonProperty entry in document.RootElement.EnumerateObject())
                {
                    int c = ClassOf(entry.Name, names, classes, option);
                    if (!seen.Add(c))
                    {
                        throw new AppError($"{option} gives class '{Printable.Of(entry.Name)}' a weight twice: give each class once.");
                    }

                    if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetDouble(out double w)
                        || !double.IsFinite(w) || w < 0 || w > float.MaxValue)
                    {
                        throw new AppError($"{option}: the weight of class '{Printable.Of(entry.Name)}' is {entry.Value.GetRawText()}, " +
                            "but a class weight is a finite number of at least 0.");
                    }

                    weights[c] = (float)w;
                }

                return weights;
            }
        }

        private static int ClassOf(string key, IReadOnlyList<string>? names, int classes, string option)
        {
            if (names is not null)
            {
                for (int c = 0; c < names.Count; c++)
                {
                    if (string.Equals(names[c], key, StringComparison.Ordinal))
                    {
                        return c;
                    }
                }
            }

            if (int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number < classes)
            {
                return number;
            }

            string known = names is null
                ? $"class numbers 0..{classes - 1}"
                : $"the class names ({string.Join(", ", Printable.Of(names))}) or numbers 0..{classes - 1}";
            throw new AppError($"{option} names class '{Printable.Of(key)}', which the data does not have: use {known}.");
        }
    }
}
