using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using GenSoftmax.Data;
using GenSoftmax.Persistence;
using GenSoftmax.Streaming;
using GenSoftmax.Training;

namespace GenSoftmax.App
{
    /// <summary>
    /// train --memory-budget: the training rows stay on disk and each epoch streams them (Trainer.FitStream), holding at most
    /// the budget of rows in memory; the test rows are evaluated by streaming them too. The options, the display, Ctrl+C's
    /// checkpoint, --resume and --save are the in-memory run's.
    /// </summary>
    internal sealed partial class TrainCommand
    {
        /// <summary>A streamed run: the same steps as <see cref="Run"/> for what a stream supports, a one-line error for the
        /// rest.</summary>
        private int RunStreamed(ParseResult parse)
        {
            var screen = new Screen(parse.GetValue(_quiet));
            Outputs outputs = CheckOutputs(parse);
            foreach ((Option option, string why) in new (Option, string)[]
            {
                (_validation, "holds out rows in memory; give a --test file instead"),
                (_hypercomplex, "trains in memory"), (_softLabels, "needs the rows in memory"), (_c, "is the exact solver's"),
                (_classWeight, "weighs rows in memory; give per-row --sample-weights instead"), (_plot, "draws in-memory runs only"),
                (_report, "reports in-memory runs only"), (_earlyStopping, "holds out rows in memory"),
            })
            {
                if (Given(parse, option))
                {
                    throw new AppError($"{option.Name} {why}: leave it out with --memory-budget, or leave --memory-budget out to load " +
                        $"the data.");
                }
            }

            Request request = ReadRequest(parse);
            if (request.Options.Solver == TrainingSolver.Lbfgs)
            {
                throw new AppError("--solver lbfgs makes many passes over the data in memory: use --solver sgd with --memory-budget.");
            }

            Resumed? resumed = LoadResumed(request);
            long loadStarted = Stopwatch.GetTimestamp();
            DataSpec spec = _data.Read(parse);
            string? testPath = parse.GetValue(_test);
            long budget = spec.MemoryBudget ?? RowSource.DefaultMemoryBudget;
            // --memory-budget covers the training and the test rows together (an IDX directory's own split is shared alike).
            (long trainBudget, long testBudget) = testPath is null ? (budget, 0) : FileRowSource.SplitBudget(budget);
            using StreamedData data = DataLoader.Open(
                spec with { MemoryBudget = trainBudget }, resumed?.Contents.ClassNames, parse.GetValue(_sampleWeights));
            RowSource train = data.Train;
            using RowSource? test = testPath is not null
                ? DataLoader.Open(spec with { Path = testPath, LabelsPath = null, MemoryBudget = testBudget }, train.ClassNames).Train
                : null;
            RowSource? testRows = test ?? data.Test;
            int classes = Math.Max(Math.Max(train.Classes, testRows?.Classes ?? 0), resumed?.Model.Classes ?? 0);
            if (classes < 2)
            {
                throw new AppError($"the training data ({data.Description}) has only one class: a classifier needs labels of at least " +
                    $"two classes.");
            }

            double loadSeconds = Stopwatch.GetElapsedTime(loadStarted).TotalSeconds;
            screen.Say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Data: {data.Description}: {train.Count:N0} training " +
                    $"rows{(testRows is null ? "" : $", {testRows.Count:N0} test rows")}, " +
                $"{train.Inputs} inputs, {classes} classes, streamed with a memory budget of " +
                    $"{RowSource.FormatBytes(budget)} ({loadSeconds:F2} s to open)"));

            Setup setup = resumed is not null
                ? Continue(parse, request, resumed, train.Inputs, classes, train.Count, train.ClassNames, screen)
                : new Setup(Models.Create(train.Inputs, classes, request.Isa), request.Options with { Solver = TrainingSolver.Sgd }, null,
                    train.ClassNames);
            TrainerOptions options = setup.Options;
            screen.Say.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Model {setup.Model.Inputs}x{setup.Model.Classes}, kernels: {setup.Model.Isa}, threads: {options.Threads}, " +
                $"input: {(train.IsPixels ? "uint8 pixels" : "float32")}; SGD: batch {options.BatchSize}, learning rate " +
                $"{options.Optimizer.LearningRate}, momentum {options.Optimizer.Momentum}, {options.Epochs} epochs, seed {options.Seed}"));

            var trainer = new Trainer(setup.Model, options);
            if (setup.State is null)
            {
                trainer.Initialize();
            }
            else
            {
                trainer.RestoreState(setup.State);
            }

            var display = new TrainingDisplay(screen.Live, screen.Quiet, train.Count, options.BatchSize, options.Epochs, "-")
            {
                BytesRead = () => train.BytesRead,
            };
            long trainStarted = Stopwatch.GetTimestamp();
            using (var interrupt = new Interruption())
            {
                try
                {
                    display.Run(() => trainer.FitStream(train, null, display, interrupt.Token));
                }
                catch (OperationCanceledException) when (interrupt.Signal is { } signal)
                {
                    return Interrupted(signal, trainer, setup, outputs.Checkpoint);
                }
                catch (TrainingDivergedException e)
                {
                    throw new AppError(e.Message, AppError.Failure);
                }
                catch (ArgumentException e)
                {
                    throw new AppError($"the data does not fit: {e.Message}", AppError.Failure);
                }
            }

            double trainSeconds = Stopwatch.GetElapsedTime(trainStarted).TotalSeconds;
            TrainingDisplay.Summary(display.Epochs, "test", screen.Live);
            foreach (string warning in trainer.Warnings)
            {
                Console.Error.WriteLine($"warning: {warning}");
            }

            StreamScore? score = testRows is null ? null : Evaluate(setup.Model, testRows);
            EpochReport last = display.Epochs.Count > 0 ? display.Epochs[^1] : trainer.History[^1];
            CultureInfo inv = CultureInfo.InvariantCulture;
            Console.WriteLine($"After {Plural(trainer.CompletedEpochs, "epoch")}" +
                string.Create(inv, $": train loss {last.TrainLoss:F4}, train accuracy {last.TrainAccuracy:F4}") +
                (score is null ? "" : string.Create(inv, $", test accuracy {score.Accuracy:F4}")) +
                string.Create(inv,
                    $" (training took {trainSeconds:F2} s, {train.BytesRead / (1024.0 * 1024.0) / Math.Max(trainSeconds, 1e-9):F0} MB/s)"));
            screen.Say.WriteLine(PeakMemory(budget));
            if (outputs.Save is { } save)
            {
                ModelFile.Save(save, trainer, setup.SavedNames);
                screen.Say.WriteLine($"Saved the model to {save}");
            }

            return 0;
        }

        /// <summary>The model's score on streamed rows; a label that is not a class of the model is an error naming its row.</summary>
        internal static StreamScore Evaluate(ISoftmaxModel model, RowSource rows)
        {
            if (rows.Inputs != model.Inputs)
            {
                throw new AppError($"the model takes {model.Inputs} inputs but {rows.Description} has {rows.Inputs} per row: use the " +
                    $"data the model was trained on.");
            }

            return StreamEvaluation.Evaluate(model, rows);
        }

        /// <summary>
        /// "memory: peak resident 212 MiB (VmHWM), budget 16 MiB": the process's high-water mark as Linux counts it, for the budget's
        /// promise to be checked; empty elsewhere.
        /// </summary>
        internal static string PeakMemory(long budget)
        {
            try
            {
                foreach (string line in File.ReadLines("/proc/self/status"))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        long kib = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                        return $"memory: peak resident {RowSource.FormatBytes(kib * 1024)} (VmHWM), budget {RowSource.FormatBytes(budget)}";
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // Not Linux, or /proc is not mounted: nothing to say.
            }

            return $"memory: budget {RowSource.FormatBytes(budget)}";
        }
    }
}
