using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using GenSoftmax.IO;
using GenSoftmax.Persistence;
using GenSoftmax.Training;

namespace GenSoftmax.App
{
    /// <summary>What a run writes: the model file, the learning curves, the JSON report; and what a diverged run saves.</summary>
    internal sealed partial class TrainCommand
    {
        /// <summary>What a run trains and with which options: the report's first half.</summary>
        private sealed record RunInfo(
            string Recipe, float? SoftLabels, ISoftmaxModel Model, TrainerOptions Options, LabeledData Train, LoadedData Loaded,
            IReadOnlyList<string>? ClassNames)
        {
            public string ModelKind { get; init; } = Model is FashionClassifier ? "generated" : "runtime-shaped";

            public int? Hypercomplex { get; init; }

            public Trainer? Trainer { get; init; }

            public CSearchResult? Search { get; init; }
        }

        /// <summary>How a run ended, for the report.</summary>
        private sealed record RunEnd(
            string Reason, int LastEpoch, int BestEpoch, double BestHeldOutValue, bool RestoredBestWeights, string Message)
        {
            public int? DivergedEpoch { get; init; }

            public int? DivergedBatch { get; init; }

            public string? SavedTo { get; init; }
        }

        private static RunEnd? Outcome(TrainingOutcome? o) => o is null ? null : new RunEnd(
            o.Reason == StopReason.EarlyStopped ? "early-stopped" : "completed",
            o.LastEpoch, o.BestEpoch, o.BestHeldOutValue, o.RestoredBestWeights, o.ToString());

        /// <summary>
        /// Training diverged: one line naming the epoch and batch; with --save, the last finite weights and the run's
        /// state (before that batch) are saved, atomically, so the file never holds NaN and a failed write loses nothing.
        /// </summary>
        private static int Diverged(
            TrainingDivergedException e, Trainer trainer, RunInfo ran, string? save, string? report, IReadOnlyList<EpochReport> epochs)
        {
            string saved = "";
            if (save is not null)
            {
                try
                {
                    ModelFile.Save(save, trainer, ran.ClassNames);
                    saved = $" The last finite weights (from before that batch) and the run's state are saved in '{save}'.";
                }
                catch (Exception io) when (io is IOException or UnauthorizedAccessException)
                {
                    saved = $" The last finite weights could not be saved to '{save}': {io.Message.ReplaceLineEndings(" ")}";
                }
            }
            else
            {
                saved = " Nothing was saved (no --save).";
            }

            if (report is not null)
            {
                var end = new RunEnd("diverged", trainer.CompletedEpochs, 0, double.NaN, false, e.Message)
                {
                    DivergedEpoch = e.Epoch, DivergedBatch = e.Batch, SavedTo = save,
                };
                double seconds = 0;
                foreach (EpochReport r in epochs)
                {
                    seconds += r.Seconds;
                }

                try
                {
                    SafeFile.Write(report, stream => WriteReport(stream, ran, epochs, null, null, seconds, end));
                }
                catch (Exception io) when (io is IOException or UnauthorizedAccessException)
                {
                    saved += $" The report could not be written: {io.Message.ReplaceLineEndings(" ")}";
                }
            }

            Console.Error.WriteLine(("error: " + e.Message + saved).ReplaceLineEndings(" "));
            return AppError.Failure;
        }

        /// <summary>The run's outputs after training: the model file, the learning curves, the JSON report.</summary>
        private static void WriteOutputs(
            Outputs outputs, Fitted fitted, Setup setup, TrainingData data, Results results, DenseComparison? comparison, Screen screen)
        {
            Trainer trainer = fitted.Trainer;
            ISoftmaxModel model = setup.Model;
            string shape = $"softmax regression {model.Inputs}x{model.Classes}";
            if (outputs.Save is { } save)
            {
                ModelFile.Save(save, trainer, setup.SavedNames);
                screen.Say.WriteLine(setup.Phm is null
                    ? $"Model saved to {save}"
                    : $"Model saved to {save} (the PHM model's factors, their W = sum A_i (x) S_i and the run's state: " +
                        "'train --resume' continues it, and it loads as a dense 784x10 model elsewhere)");
            }

            if (outputs.Plot is { } plot)
            {
                string title = setup.Phm is { } p ? $"PHM n = {p.Layout.N} {shape}" : shape;
                if (fitted.Ran.Search is { } search)
                {
                    // --c auto: the fit is one exact solve; what there is to see is the held-out curve that chose C.
                    Pictures.CCurve(plot, search, title);
                    screen.Say.WriteLine($"Held-out loss and accuracy against C drawn to {plot}");
                }
                else
                {
                    Pictures.LearningCurves(plot, trainer.History, data.CurveName, title);
                    screen.Say.WriteLine($"Learning curves drawn to {plot}");
                }
            }

            if (outputs.Report is { } report)
            {
                Action<Utf8JsonWriter>? extra = comparison is null ? null : json => comparison.WriteJson(json, setup.Phm!, trainer);
                RunEnd? end = Outcome(trainer.Outcome);
                SafeFile.Write(report, stream => WriteReport(
                    stream, fitted.Ran, trainer.History, results.TestAccuracy, results.ValidationAccuracy, results.TrainSeconds, end, extra,
                    results.Times));
                screen.Say.WriteLine($"Report written to {report}");
            }
        }

        private static void WriteReport(
            Stream stream, RunInfo ran, IReadOnlyList<EpochReport> epochs, double? testAccuracy, double? validationAccuracy,
            double trainSeconds, RunEnd? end,
            Action<Utf8JsonWriter>? extra = null, RunTimes? times = null)
        {
            ISoftmaxModel model = ran.Model;
            TrainerOptions options = ran.Options;
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("data", ran.Loaded.Description);
            json.WriteNumber("inputs", model.Inputs);
            json.WriteNumber("classes", model.Classes);
            if (ran.ClassNames is not null)
            {
                json.WriteStartArray("class_names");
                foreach (string n in ran.ClassNames)
                {
                    json.WriteStringValue(n);
                }

                json.WriteEndArray();
            }

            json.WriteString("model", ran.ModelKind);
            if (ran.Hypercomplex is { } n2)
            {
                json.WriteNumber("hypercomplex", n2);
            }

            json.WriteString("isa", model.Isa.ToString());
            json.WriteNumber("threads", options.Threads);
            json.WriteString("input", ran.Train.IsPixels ? "uint8" : "float32");
            if (ran.Trainer?.SolverResult is { } solved)
            {
                json.WriteStartObject("exact_solver");
                json.WriteNumber("c", double.IsFinite(options.Lbfgs.C) ? options.Lbfgs.C : -1);
                json.WriteBoolean("penalty", double.IsFinite(options.Lbfgs.C));
                json.WriteNumber("tolerance", options.Lbfgs.Tolerance);
                json.WriteNumber("max_iterations", options.Lbfgs.MaxIterations);
                json.WriteString("stop", solved.Stop.ToString());
                json.WriteNumber("iterations", solved.Iterations);
                json.WriteNumber("passes", solved.Passes);
                json.WriteNumber("hessian_products", solved.HessianProducts);
                json.WriteNumber("objective", solved.Objective);
                json.WriteNumber("gradient_norm", solved.GradientNorm);
                json.WriteBoolean("class_weights_balanced", ran.Train.Weights is not null);
                if (ran.Search is { } search)
                {
                    json.WriteStartArray("c_search");
                    foreach (CSearchPoint point in search.Curve)
                    {
                        json.WriteStartObject();
                        json.WriteNumber("c", point.C);
                        json.WriteNumber("held_out_loss", point.HeldOutLoss);
                        json.WriteNumber("held_out_accuracy", point.HeldOutAccuracy);
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteString("solver", ran.Trainer?.Solver switch
            {
                TrainingSolver.Lbfgs => "lbfgs",
                TrainingSolver.Newton => "newton",
                _ => "sgd",
            });
            json.WriteString("recipe", ran.Recipe);
            json.WriteNumber("epochs_planned", options.Epochs);
            json.WriteNumber("batch_size", options.BatchSize);
            json.WriteNumber("learning_rate", options.Optimizer.LearningRate);
            json.WriteNumber("momentum", options.Optimizer.Momentum);
            json.WriteNumber("weight_decay", options.Optimizer.WeightDecay);
            json.WriteNumber("seed", options.Seed);
            json.WriteStartObject("schedule");
            json.WriteString("kind", ScheduleName(options.Schedule.Kind));
            json.WriteNumber("warmup_epochs", options.Schedule.WarmupEpochs);
            if (options.Schedule.Kind == LearningRateScheduleKind.StepDecay)
            {
                json.WriteNumber("step_epochs", options.Schedule.StepEpochs);
                json.WriteNumber("step_factor", options.Schedule.StepFactor);
            }

            if (options.Schedule.Kind == LearningRateScheduleKind.Cosine)
            {
                json.WriteNumber("final_fraction", options.Schedule.FinalFraction);
            }

            json.WriteEndObject();
            json.WriteString("loss", LossName(options.Loss));
            json.WriteNumber("label_smoothing", options.LabelSmoothing);
            Number(json, "soft_labels", ran.SoftLabels);
            if (options.EarlyStopping is { } stopping)
            {
                json.WriteStartObject("early_stopping");
                json.WriteNumber("patience", stopping.Patience);
                json.WriteNumber("min_delta", stopping.MinImprovement);
                json.WriteNumber("hold_out", stopping.HoldOutFraction);
                json.WriteString("metric", stopping.Metric == EarlyStoppingMetric.HeldOutLoss ? "held-out loss" : "held-out accuracy");
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("early_stopping");
            }

            json.WriteStartArray("epochs");
            foreach (EpochReport r in epochs)
            {
                json.WriteStartObject();
                json.WriteNumber("epoch", r.Epoch);
                Number(json, "learning_rate", r.LearningRate);
                Number(json, "train_loss", r.TrainLoss);
                Number(json, "train_accuracy", r.TrainAccuracy);
                Number(json, "validation_loss", r.ValidationLoss);
                Number(json, "validation_accuracy", r.ValidationAccuracy);
                if (options.EarlyStopping is not null)
                {
                    Number(json, "held_out_loss", r.HeldOutLoss);
                    Number(json, "held_out_accuracy", r.HeldOutAccuracy);
                }

                Number(json, "seconds", r.Seconds);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (end is not null)
            {
                json.WriteStartObject("outcome");
                json.WriteString("reason", end.Reason);
                json.WriteNumber("last_epoch", end.LastEpoch);
                if (end.BestEpoch > 0)
                {
                    json.WriteNumber("best_epoch", end.BestEpoch);
                    Number(json, "best_held_out_loss", end.BestHeldOutValue);
                    json.WriteBoolean("restored_best_weights", end.RestoredBestWeights);
                }

                if (end.DivergedEpoch is { } de)
                {
                    json.WriteNumber("diverged_epoch", de);
                    json.WriteNumber("diverged_batch", end.DivergedBatch ?? 0);
                    if (end.SavedTo is { } to)
                    {
                        json.WriteString("last_finite_weights_saved_to", to);
                    }
                }

                json.WriteString("message", end.Message);
                json.WriteEndObject();
            }

            Number(json, "validation_accuracy", validationAccuracy);
            Number(json, "test_accuracy", testAccuracy);
            Number(json, "train_seconds", trainSeconds);
            if (times is not null)
            {
                // The wall-time breakdown the run printed: start-up, load, train (with per-epoch accuracy), evaluate, the rest.
                json.WriteStartObject("time_seconds");
                Number(json, "start", times.Start);
                Number(json, "load", times.Load);
                Number(json, "train", times.Train);
                Number(json, "evaluate", times.Evaluate);
                Number(json, "other", times.Other);
                Number(json, "total", times.Total);
                json.WriteEndObject();
            }

            extra?.Invoke(json);
            json.WriteEndObject();
        }

        /// <summary>A float as its shortest round-trip text (0.9, not 0.8999999761581421), or null when missing or not finite.</summary>
        internal static void Number(Utf8JsonWriter json, string name, float? value)
        {
            if (value is { } v && float.IsFinite(v))
            {
                json.WriteNumber(name, v);
            }
            else
            {
                json.WriteNull(name);
            }
        }

        /// <summary>JSON has no NaN or infinity: a missing or non-finite value is written as null.</summary>
        internal static void Number(Utf8JsonWriter json, string name, double? value)
        {
            if (value is { } v && double.IsFinite(v))
            {
                json.WriteNumber(name, v);
            }
            else
            {
                json.WriteNull(name);
            }
        }
    }
}
