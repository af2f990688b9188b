using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.IO;
using System.Linq;
using GenSoftmax.Persistence;

namespace GenSoftmax.App
{
    /// <summary>Creates and loads models: the generated kernels for 784x10, the run-time-shaped model for any other shape.</summary>
    internal static class Models
    {
        /// <summary>A new model of the given shape on the requested (or default) kernel variant.</summary>
        public static ISoftmaxModel Create(int inputs, int classes, KernelIsa? isa)
        {
            ISoftmaxModel model;
            try
            {
                model = inputs == FashionClassifier.InputCount && classes == FashionClassifier.ClassCount
                    ? new FashionClassifier()
                    : new RuntimeSoftmaxModel(inputs, classes);
            }
            catch (InvalidOperationException e)
            {
                // A bad GENSOFTMAX_ISA: the message names the valid values.
                throw new AppError(e.Message);
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new AppError($"a model of {Plural.Of(inputs, "input")} and {Plural.Of(classes, "class")} cannot be built: " +
                    $"{FirstLine(e.Message)}");
            }

            if (isa is { } chosen)
            {
                model.Isa = chosen;
            }

            return model;
        }

        /// <summary>Loads a model file into the generated model when its shape is 784x10, else into a run-time-shaped one.</summary>
        public static (ISoftmaxModel Model, ModelFileContents Contents) Load(string path, KernelIsa? isa)
        {
            if (Directory.Exists(path))
            {
                throw new AppError($"'{path}' is a directory, not a model file: give the file written by 'train --save FILE'.");
            }

            if (!File.Exists(path))
            {
                throw new AppError($"model file '{path}' does not exist: train one with 'gensoftmax-cli train --save {path}'.");
            }

            ModelFileInfo info = ModelFile.ReadInfo(path);
            ISoftmaxModel model;
            ModelFileContents contents;
            if (info.Inputs == FashionClassifier.InputCount && info.Classes == FashionClassifier.ClassCount)
            {
                model = Create(info.Inputs, info.Classes, null);
                contents = ModelFile.Load(path, model);
            }
            else
            {
                try
                {
                    model = ModelFile.Load(path, out contents);
                }
                catch (InvalidOperationException e)
                {
                    throw new AppError(e.Message);
                }
            }

            if (isa is { } chosen)
            {
                model.Isa = chosen;
            }

            return (model, contents);
        }

        private static string FirstLine(string message)
        {
            int newline = message.IndexOf('\n', StringComparison.Ordinal);
            return newline < 0 ? message : message[..newline].TrimEnd();
        }

        /// <summary>The --isa option: a variant name (any case) that this CPU runs; a number or an unknown name is an error.</summary>
        public static Option<KernelIsa?> IsaOption() => new("--isa")
        {
            Description = $"Kernel variant: {string.Join(", ", IsaSelection.Names)} " +
                "(default: the best this CPU and binary run; see 'gensoftmax-cli info').",
            CustomParser = ParseIsa,
        };

        private static KernelIsa? ParseIsa(ArgumentResult result)
        {
            string text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
            if (!IsaSelection.TryParse(text, out KernelIsa isa))
            {
                result.AddError($"--isa '{text}' is not a kernel variant: use one of {string.Join(", ", IsaSelection.Names)}.");
                return null;
            }

            if (!IsaSelection.IsSupported(isa))
            {
                string runs = string.Join(", ", IsaSelection.Supported);
                bool compiledWithout =
                    IsaSelection.Preference.ToList().IndexOf(IsaSelection.CpuBest) <= IsaSelection.Preference.ToList().IndexOf(isa);
                result.AddError(compiledWithout
                    ? $"--isa {isa}: this CPU has it, but this binary was compiled for '{CpuFeatures.CompiledInstructionSet}' without it " +
                        $"and runs {runs}; rebuild with -p:IlcInstructionSet=native ('gensoftmax-cli info' says more)."
                    : $"--isa {isa}: this CPU cannot run the {isa} kernels; it runs {runs} ('gensoftmax-cli info' says why).");
                return null;
            }

            return isa;
        }

        public static IReadOnlyList<string> Names(IReadOnlyList<string>? names, int classes)
        {
            var list = new string[classes];
            for (int c = 0; c < classes; c++)
            {
                list[c] = DataLoader.ClassName(names, c);
            }

            return list;
        }
    }
}
