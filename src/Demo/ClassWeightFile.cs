using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;

namespace GenSoftmax.App
{
    /// <summary>
    /// The app's --class-weight FILE: a JSON object of class to weight (<c>{"Sandal": 2, "Bag": 0.5}</c>, as scikit-learn's
    /// <c>class_weight</c> dict) or CSV lines <c>class,weight</c> (an optional header line whose weight is not a number). A
    /// class is a name or a label number; <see cref="LabeledData.ClassWeights"/> resolves them.
    /// </summary>
    internal static class ClassWeightFile
    {
        /// <exception cref="InvalidDataException">The file is neither form, or a weight is not a number.</exception>
        public static Dictionary<string, float> Read(string path)
        {
            string text = File.ReadAllText(path);
            var weights = new Dictionary<string, float>(StringComparer.Ordinal);
            if (text.TrimStart().StartsWith('{'))
            {
                try
                {
                    using JsonDocument json = JsonDocument.Parse(text);
                    foreach (JsonProperty p in json.RootElement.EnumerateObject())
                    {
                        if (p.Value.ValueKind != JsonValueKind.Number)
                        {
                            throw new InvalidDataException($"the weight of class '{p.Name}' is {p.Value.GetRawText()}, not a number.");
                        }

                        Add(weights, p.Name, p.Value.GetSingle());
                    }
                }
                catch (JsonException e)
                {
                    throw new InvalidDataException($"not a JSON object of class and weight ({e.Message.Split('.')[0]}).");
                }

                return weights;
            }

            string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (int i = 0; i < lines.Length; i++)
            {
                int comma = lines[i].LastIndexOf(',');
                string name = comma < 0 ? lines[i] : lines[i][..comma].Trim().Trim('"');
                float weight = 0;
                if (comma < 0 || !float.TryParse(lines[i][(comma + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out weight))
                {
                    if (i == 0 && comma >= 0)
                    {
                        continue; // a header
                    }

                    throw new InvalidDataException($"line {i + 1} ('{lines[i]}') is not class,weight.");
                }

                Add(weights, name, weight);
            }

            return weights;
        }

        private static void Add(Dictionary<string, float> weights, string name, float weight)
        {
            if (!weights.TryAdd(name, weight))
            {
                throw new InvalidDataException($"class '{name}' is given a weight twice.");
            }
        }
    }
}
