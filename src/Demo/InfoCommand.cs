using System;
using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using GenSoftmax.Persistence;

namespace GenSoftmax.App
{
    /// <summary><c>info [MODEL]</c>: the CPU's vector extensions, which kernel variant runs and why, and a model file's header.</summary>
    internal static class InfoCommand
    {
        public static Command Create()
        {
            var model = new Argument<string?>("MODEL") { Description = "A model file to describe (optional).",
                Arity = ArgumentArity.ZeroOrOne };
            var command = new Command("info",
                "Show the CPU's vector extensions, the kernel variant this binary runs and why, and a model file's header.") { model };
            command.SetAction(parse =>
            {
                Console.WriteLine($"Runtime:      .NET {Environment.Version}, {RuntimeInformation.OSDescription} " +
                    $"{RuntimeInformation.ProcessArchitecture}, " +
                    (IsaSelection.IsNativeAot ? $"native AOT binary compiled for instruction set '{CpuFeatures.CompiledInstructionSet}'"
                        : "JIT (IL compiled on this machine for this CPU)"));
                Console.WriteLine($"CPU:          {Environment.ProcessorCount} logical cores; extensions (CPUID): " +
                    $"{string.Join(' ', IsaSelection.CpuExtensions)}");
                Console.WriteLine($"CPU can run:  {IsaSelection.CpuBest} kernels at best");
                Console.WriteLine($"Binary runs:  {string.Join(", ", IsaSelection.Supported)} (best: {IsaSelection.Best})");
                string? forced = Environment.GetEnvironmentVariable(IsaSelection.EnvironmentVariable);
                string why;
                KernelIsa chosen;
                try
                {
                    chosen = IsaSelection.Default;
                    why = string.IsNullOrWhiteSpace(forced)
                        ? $"the most preferred of {string.Join(" > ", IsaSelection.Preference)} that this binary runs"
                        : $"{IsaSelection.EnvironmentVariable}={forced} forces it";
                }
                catch (InvalidOperationException e)
                {
                    throw new AppError(e.Message);
                }

                Console.WriteLine($"Kernels used: {chosen} ({why}; --isa overrides it per command)");
                // When the binary lacks the CPU's best variant, the runtime's warning (stderr) says what to rebuild with.
                Console.WriteLine(IsaSelection.CompiledWithout is { } missing
                    ? $"Missing:      {missing}: this binary cannot run the best kernels this CPU has (the warning says how to rebuild)."
                    : "This binary uses the best kernels this CPU has.");
                if (parse.GetValue(model) is { } path)
                {
                    Console.WriteLine();
                    Describe(path);
                }

                return 0;
            });
            return command;
        }

        private static void Describe(string path)
        {
            if (!System.IO.File.Exists(path))
            {
                throw new AppError($"model file '{path}' does not exist.");
            }

            ModelFileInfo info = ModelFile.ReadInfo(path);
            CultureInfo inv = CultureInfo.InvariantCulture;
            Console.WriteLine($"Model file:   {info.Path} ({info.Length.ToString("N0", inv)} bytes), format version {info.FormatVersion}");
            string kernels = info.Inputs == FashionClassifier.InputCount && info.Classes == FashionClassifier.ClassCount
                ? "generated kernels"
                : "run-time-shaped kernels";
            Console.WriteLine($"Shape:        {Plural.Of(info.Inputs, "input")} x {Plural.Of(info.Classes, "class")} ({kernels})");
            Console.WriteLine($"Classes:      " +
                $"{(info.ClassNames is null ? "(numbers only)" : string.Join(", ", Printable.Of(info.ClassNames)))}");
            Console.WriteLine($"Checksum:     " +
                $"{(info.ChecksumValid ? "valid (XxHash3)" : "INVALID: the file is damaged and will not load")}");
            if (info.HasTrainingState)
            {
                string options = info.TrainerOptions is { } o
                    ? string.Create(inv, $"; batch {o.BatchSize}, learning rate {o.Optimizer.LearningRate}, " +
                        $"momentum {o.Optimizer.Momentum}, weight decay {o.Optimizer.WeightDecay}, " +
                        $"{Plural.Of(o.Epochs, "epoch")}, seed {o.Seed}, {o.Threads} threads")
                    : "";
                Console.WriteLine($"Training:     {Plural.Of(info.CompletedEpochs, "epoch")} " +
                    $"done{(info.BatchesDone > 0 ? $" and {Plural.Of(info.BatchesDone, "batch")} of the next" : "")}{options}");
            }
            else
            {
                Console.WriteLine("Training:     no training state (cannot be resumed)");
            }

            // The file could be described but will not load: say why on stderr and fail, so a script sees it.
            if (info.Problem is { } problem)
            {
                throw new AppError(problem, AppError.Failure);
            }
        }
    }
}
