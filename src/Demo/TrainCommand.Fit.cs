using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using GenSoftmax.IO;
using GenSoftmax.Persistence;
using GenSoftmax.Training;

namespace GenSoftmax.App
{
    /// <summary>train's outputs checked up front, the fit itself (with Ctrl+C and divergence), and its results.</summary>
    internal sealed partial class TrainCommand
    {
        /// <summary>The files a run writes. The default checkpoint (./gensoftmax.checkpoint) is written only when interrupted.</summary>
        private sealed record Outputs(string? Save, string? Report, string? Plot, string Checkpoint);

        /// <summary>A finished fit, or the exit code of one that was interrupted or diverged (already reported).</summary>
        private sealed record Fitted(
            Trainer Trainer, IReadOnlyList<EpochReport> Epochs, SoftTargets? Targets, RunInfo Ran, double WallSeconds, int? ExitCode);

        /// <summary>The final figures of a run.</summary>
        private sealed record Results(double? TestAccuracy, double? ValidationAccuracy, double TrainSeconds, RunTimes Times);

        /// <summary>Every file this run writes is checked now, before minutes of training, not after.</summary>
        private Outputs CheckOutputs(ParseResult parse)
        {
            string? save = parse.GetValue(_save)?.FullName;
            string? report = parse.GetValue(_report)?.FullName;
            string? plot = parse.GetValue(_plot)?.FullName;
            string? explicitCheckpoint = parse.GetValue(_checkpoint)?.FullName;
            if (plot is not null)
            {
                Pictures.CheckExtension(plot, "--plot", svgAllowed: true);
            }

            // No output may replace an input or another output. The checkpoint may be the resumed or saved file, and --save the
            // resumed one: the continued run holds all of the saved run.
            OutputPaths.Check(
                [(parse.GetValue(_data.Data), "--data"), (parse.GetValue(_test), "--test"), (parse.GetValue(_data.Labels), "--labels"),
                    (parse.GetValue(_resume)?.ToString(), "--resume"), (parse.GetValue(_sampleWeights), "--sample-weights")],
                [(parse.GetValue(_save)?.ToString(), "--save"), (parse.GetValue(_checkpoint)?.ToString(), "--checkpoint"),
                    (parse.GetValue(_report)?.ToString(), "--report"), (parse.GetValue(_plot)?.ToString(), "--plot")],
                ("--checkpoint", "--resume"), ("--checkpoint", "--save"), ("--save", "--resume"));

            foreach ((string? file, string option) in
                new[] { (save, "--save"), (report, "--report"), (plot, "--plot"), (explicitCheckpoint, "--checkpoint") })
            {
                CheckWritable(file, option);
            }

            return new Outputs(save, report, plot, explicitCheckpoint ?? save ?? Path.GetFullPath("gensoftmax.checkpoint"));
        }

        /// <summary>Fails now, with the option's name, if <paramref name="file"/> cannot be written: not a regular file, a directory
        /// where no file can be created (missing, read-only), or a name too long for its temporary file.</summary>
        internal static void CheckWritable(string? file, string option)
        {
            if (file is null)
            {
                return;
            }

            try
            {
                SafeFile.CheckWritable(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new AppError($"{option} '{file}' cannot be written: {e.Message}");
            }
        }

        /// <summary>
        /// Trains (after --c auto's search): SGD epoch by epoch, or the exact solve. Ctrl+C, SIGTERM or SIGHUP saves the run to
        /// the checkpoint and ends with 130, 143 or 129; divergence saves the last finite weights with --save and ends with 1.
        /// </summary>
        private Fitted Fit(Request request, Setup setup, TrainingData data, Outputs outputs, Screen screen)
        {
            long started = Stopwatch.GetTimestamp();
            (Trainer trainer, CSearchResult? search) = StartTrainer(setup, data, screen);
            var ran = new RunInfo(
                request.Recipe, request.SoftLabels, setup.Model, trainer.Options, data.Train, data.Loaded, setup.SavedNames)
            {
                Trainer = trainer, Search = search,
            };
            if (setup.Phm is { } phm)
            {
                ran = ran with { ModelKind = "hypercomplex", Hypercomplex = phm.Layout.N };
                screen.Say.WriteLine($"PHM n = {phm.Layout.N}:");
            }

            TrainerOptions options = trainer.Options;
            var display = new TrainingDisplay(
                screen.Live, screen.Quiet, data.Train.Count, options.BatchSize, options.Epochs, data.PerEpochName)
            {
                ExactIterations = setup.Exact ? options.Lbfgs.MaxIterations : null,
            };
            SoftTargets? targets = request.SoftLabels is { } onLabel
                ? SoftTargets.OnLabels(data.Train, onLabel, setup.Model.Classes)
                : null;
            using var interrupt = new Interruption();
            try
            {
                IReadOnlyList<EpochReport> epochs = display.Run(() => targets is null
                    ? trainer.Fit(data.Train, data.PerEpoch, display, interrupt.Token)
                    : trainer.FitTargets(targets, data.PerEpoch, display, interrupt.Token));
                return new Fitted(trainer, epochs, targets, ran, Stopwatch.GetElapsedTime(started).TotalSeconds, null);
            }
            catch (TrainingDivergedException e)
            {
                int code = Diverged(e, trainer, ran, outputs.Save, outputs.Report, display.Epochs);
                return new Fitted(trainer, display.Epochs, targets, ran, 0, code);
            }
            catch (OperationCanceledException) when (interrupt.Signal is { } signal)
            {
                return new Fitted(trainer, display.Epochs, targets, ran, 0, Interrupted(signal, trainer, setup, outputs.Checkpoint));
            }
        }

        /// <summary>A trainer at the run's start: new weights, the saved run's state, or (--c auto) the search's refit.</summary>
        private static (Trainer Trainer, CSearchResult? Search) StartTrainer(Setup setup, TrainingData data, Screen screen)
        {
            var trainer = new Trainer(setup.Model, setup.Options);
            if (setup.State is null)
            {
                trainer.Initialize();
            }
            else
            {
                trainer.RestoreState(setup.State);
            }

            if (!setup.SearchC)
            {
                return (trainer, null);
            }

            TrainerOptions options = setup.Options;
            var searchOptions = new CSearchOptions { Seed = options.Seed, Solver = options.Lbfgs with { Threads = options.Threads } };
            CSearchResult search = LbfgsSolver.SearchC(setup.Model, data.Train, searchOptions);
            foreach (CSearchPoint point in search.Curve)
            {
                string best = point.C == search.BestC ? "  <- best" : "";
                screen.Say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  C {point.C,-10:G4} held-out loss {point.HeldOutLoss:F4}, accuracy {point.HeldOutAccuracy:F4}{best}"));
            }

            // The search left the refit on every row in the model: Fit starts from it.
            return (new Trainer(setup.Model, options with { Lbfgs = options.Lbfgs with { C = search.BestC } }), search);
        }

        /// <summary>Saves the interrupted run to the checkpoint and says how to continue it; the exit code is 128 + the signal.</summary>
        private static int Interrupted(PosixSignal signal, Trainer trainer, Setup setup, string checkpoint)
        {
            int code = Interruption.ExitCode(signal);
            TrainingState at = trainer.SaveState();
            string where = $"interrupted ({signal}) at epoch {at.CompletedEpochs + 1}, batch {at.BatchesDone}";
            try
            {
                ModelFile.Save(checkpoint, trainer, setup.SavedNames);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine(
                    $"{where}, but the run could not be saved: {e.Message.ReplaceLineEndings(" ")} " +
                    "Name a writable file with --checkpoint.");
                return code;
            }

            Console.Error.WriteLine(
                $"{where}: the run is saved in '{checkpoint}'; continue it with 'train --resume {checkpoint}' and the same data options.");
            return code;
        }

        /// <summary>The summary table, the final accuracies, the result line and the time breakdown.</summary>
        private static Results Evaluate(Fitted fitted, Setup setup, TrainingData data, Screen screen)
        {
            Trainer trainer = fitted.Trainer;
            TrainingDisplay.Summary(fitted.Epochs, data.CurveName, screen.Live);
            double trainSeconds = 0;
            foreach (EpochReport e in fitted.Epochs)
            {
                trainSeconds += e.Seconds;
            }

            long evaluateStarted = Stopwatch.GetTimestamp();
            double? testAccuracy = data.Test is null ? null : Trainer.Accuracy(setup.Model, data.Test);
            double? validationAccuracy = data.Validation is null ? null : Trainer.Accuracy(setup.Model, data.Validation);
            double evaluateSeconds = Stopwatch.GetElapsedTime(evaluateStarted).TotalSeconds;
            foreach (string warning in trainer.Warnings)
            {
                Console.Error.WriteLine($"warning: {warning}");
            }

            CultureInfo inv = CultureInfo.InvariantCulture;
            if (trainer.SolverResult is { } solved)
            {
                string hint = solved.Stop == SolverStop.IterationLimit ? "; raise --max-iterations to go on" : "";
                screen.Say.WriteLine(string.Create(inv,
                    $"Exact solver: {StopName(solved.Stop)} after {solved.Iterations} iterations " +
                    $"({solved.Passes} passes over the data, {solved.Seconds:F2} s), " +
                    $"objective {solved.Objective:G8}, largest gradient element {solved.GradientNorm:G3}{hint}"));
            }

            EpochReport last = fitted.Epochs[^1];
            string after = trainer.SolverResult is null ? $"After {Plural(trainer.CompletedEpochs, "epoch")}" : "After the exact fit";
            Console.WriteLine(after + string.Create(inv, $": train loss {last.TrainLoss:F4}, train accuracy {last.TrainAccuracy:F4}") +
                (validationAccuracy is { } va ? string.Create(inv, $", validation accuracy {va:F4}") : "") +
                (testAccuracy is { } ta ? string.Create(inv, $", test accuracy {ta:F4}") : "") +
                string.Create(inv, $" (training took {trainSeconds:F2} s)"));
            var times = new RunTimes(
                ProcessClock.StartSeconds, data.LoadSeconds, fitted.WallSeconds, evaluateSeconds, ProcessClock.Elapsed);
            screen.Say.WriteLine(times.ToString());
            if (trainer.Outcome is { } outcome && setup.Options.EarlyStopping is not null)
            {
                screen.Say.WriteLine(outcome.ToString());
            }

            return new Results(testAccuracy, validationAccuracy, trainSeconds, times);
        }

        /// <summary>"1 epoch", "2 epochs".</summary>
        internal static string Plural(long count, string noun) =>
            string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? "" : "s")}");
    }
}
