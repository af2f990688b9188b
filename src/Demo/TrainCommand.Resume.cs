using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Persistence;
using GenSoftmax.Training;

namespace GenSoftmax.App
{
    /// <summary>train --resume: the saved run is loaded before the data, and its options and state win over the recipe's.</summary>
    internal sealed partial class TrainCommand
    {
        /// <summary>A saved run to continue: its model (a PHM run's as a PHM model), the file's contents, the PHM n if any.</summary>
        private sealed record Resumed(ISoftmaxModel Model, ModelFileContents Contents, string File, int? Hypercomplex);

        /// <summary>
        /// The run saved in --resume, or null. Its class names keep CSV string labels mapped to the same class numbers. A file of
        /// a PHM run continues as one (its factors and their velocity are in it), with or without --hypercomplex.
        /// </summary>
        private static Resumed? LoadResumed(Request request)
        {
            if (request.ResumeFile is not { } file)
            {
                return null;
            }

            int? n = SavedHypercomplex(file, request.Hypercomplex);
            (ISoftmaxModel model, ModelFileContents contents) = n is { } sn
                ? LoadHypercomplex(file, sn, request.Isa)
                : Models.Load(file, request.Isa);
            return new Resumed(model, contents, file, n);
        }

        /// <summary>The saved model, checked against the data, with the saved run's options (and --epochs) and state.</summary>
        private Setup Continue(ParseResult parse, Request request, Resumed resumed, TrainingData data, Screen screen) =>
            Continue(parse, request, resumed, data.Train.Inputs, data.Classes, data.Train.Count, data.Names, screen);

        /// <summary>As above, for data of <paramref name="rows"/> rows of <paramref name="inputs"/> inputs (streamed data too).</summary>
        private Setup Continue(
            ParseResult parse, Request request, Resumed resumed, int inputs, int classes, long rows, IReadOnlyList<string>? names,
                Screen screen)
        {
            ISoftmaxModel model = resumed.Model;
            string file = resumed.File;
            if (model.Inputs != inputs || model.Classes < classes)
            {
                throw new AppError(
                    $"the model in '{file}' is {model.Inputs}x{model.Classes} " +
                    $"but the data has {inputs} inputs and {classes} classes: " +
                    "resume with the data the run started with.");
            }

            if (resumed.Contents.TrainerOptions is not { } savedOptions || resumed.Contents.TrainingState is not { } state)
            {
                throw new AppError(
                    $"'{file}' holds a model but not the state of its training run, so the run cannot be continued; " +
                    "train from the start, or resume from a file saved by train.");
            }

            TrainerOptions options = ApplyResume(parse, request.Options, savedOptions, state, file);
            if (state.EarlyStopping is { Stopped: true } stopped)
            {
                throw new AppError(
                    $"the run in '{file}' already stopped early after epoch {state.CompletedEpochs} (best epoch {stopped.BestEpoch}), " +
                    "so it has nothing left to train: use the model as it is (eval, predict), " +
                    "or start a new run with more --early-stopping patience.");
            }

            // Early stopping's held-out rows are not trained on, so they are not in an epoch's batches.
            int heldOut = options.EarlyStopping is { } es ? HoldOut.Size((int)Math.Min(rows, int.MaxValue), es.HoldOutFraction) : 0;
            long batches = (rows - heldOut + options.BatchSize - 1) / options.BatchSize;
            if (state.BatchesDone > batches)
            {
                throw new AppError(
                    $"the run in '{file}' stopped at batch {state.BatchesDone} of an epoch, but this data has {batches} batches of " +
                    $"{options.BatchSize} rows: resume with the data the run started with.");
            }

            string partial = state.BatchesDone > 0 ? $" and {state.BatchesDone} batches of epoch {state.CompletedEpochs + 1}" : "";
            screen.Say.WriteLine($"Resuming '{file}': {state.CompletedEpochs} epochs done{partial}, {options.Epochs} to do.");
            return new Setup(model, options, state, names ?? resumed.Contents.ClassNames);
        }

        /// <summary>The n of the PHM run saved in <paramref name="file"/> (null: dense); an error if --hypercomplex disagrees.</summary>
        private static int? SavedHypercomplex(string file, int? given)
        {
            if (!File.Exists(file))
            {
                return given is null
                    ? null
                    : throw new AppError(
                        $"model file '{file}' does not exist: " +
                        "give the file written by 'train --save' or the interrupted run's checkpoint.");
            }

            int n = ModelFile.ReadInfo(file).HypercomplexFactors;
            if (given is { } g && n != g)
            {
                throw new AppError(n == 0
                    ? $"'{file}' holds a dense run, but --hypercomplex {g} asks for a PHM one: leave --hypercomplex out to continue it."
                    : $"'{file}' holds a PHM run with n = {n}, but --hypercomplex {g} asks for n = {g}: " +
                        "leave --hypercomplex out to continue it.");
            }

            return n == 0 ? null : n;
        }

        /// <summary>Loads the PHM run saved in <paramref name="file"/> into a new declared model of its n.</summary>
        private static (ISoftmaxModel Model, ModelFileContents Contents) LoadHypercomplex(string file, int n, KernelIsa? isa)
        {
            IHypercomplexModel model = HypercomplexRun.Create(n);
            ModelFileInfo info = ModelFile.ReadInfo(file);
            if (model.Inputs != info.Inputs || model.Classes != info.Classes)
            {
                throw new AppError(
                    $"'{file}' holds a PHM model of another shape than the declared {model.Inputs}x{model.Classes} one, " +
                    "so this app cannot continue it.");
            }

            ModelFileContents contents = ModelFile.Load(file, model);
            if (isa is { } chosen)
            {
                model.Isa = chosen;
            }

            return (model, contents);
        }
    }
}
