using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Training;

namespace GenSoftmax.App
{
    /// <summary>
    /// The experiment after a <c>train --hypercomplex</c> run: the dense model trained by a trainer of the same options
    /// (so the same shuffles, batches, rates and threads), and both models' parameter count, accuracy and epoch times.
    /// Ctrl+C during it skips it. Kept apart from the run's steps: a PHM run without it is the same run.
    /// </summary>
    /// <param name="Epochs">The dense model's epochs, or null when it has none.</param>
    /// <param name="Accuracy">The dense model's final accuracy on the same rows as the PHM model's.</param>
    /// <param name="Failure">Why the dense model has no result (diverged, interrupted).</param>
    internal sealed record DenseComparison(IReadOnlyList<EpochReport>? Epochs, double? Accuracy, string? Failure)
    {
        /// <summary>Trains the dense model and prints the two lines that compare it with <paramref name="phm"/>.</summary>
        public static DenseComparison Run(
            IHypercomplexModel phm, Trainer phmTrainer, SoftTargets? targets, TrainCommand.TrainingData data, TrainCommand.Screen screen)
        {
            TrainerOptions options = phmTrainer.Options;
            var dense = new FashionClassifier { Isa = phm.Isa };
            var trainer = new Trainer(dense, options);
            trainer.Initialize();
            screen.Say.WriteLine("Dense, for comparison (same batches, rates and threads):");
            var display = new TrainingDisplay(
                screen.Live, screen.Quiet, data.Train.Count, options.BatchSize, options.Epochs, data.PerEpochName);
            IReadOnlyList<EpochReport>? denseEpochs = null;
            string? failure = null;
            using (var interrupt = new Interruption())
            {
                try
                {
                    denseEpochs = display.Run(() => targets is null
                        ? trainer.Fit(data.Train, data.PerEpoch, display, interrupt.Token)
                        : trainer.FitTargets(targets, data.PerEpoch, display, interrupt.Token));
                    TrainingDisplay.Summary(denseEpochs, data.CurveName, screen.Live);
                }
                catch (TrainingDivergedException e)
                {
                    failure = $"diverged at epoch {e.Epoch}, batch {e.Batch} at these settings";
                }
                catch (OperationCanceledException) when (interrupt.Signal is { } signal)
                {
                    failure = $"not compared: its run was interrupted ({signal})";
                }
            }

            LabeledData? final = data.Test ?? data.Validation;
            string finalName = data.Test is not null ? "test accuracy"
                : data.Validation is not null ? "validation accuracy"
                : "train accuracy";
            double Accuracy(ISoftmaxModel m, IReadOnlyList<EpochReport> epochs) =>
                final is null ? epochs[^1].TrainAccuracy : Trainer.Accuracy(m, final);
            HypercomplexLayout layout = phm.Layout;
            double phmAccuracy = Accuracy(phm, phmTrainer.History);
            Console.WriteLine(Line($"PHM n = {layout.N}", layout.ParameterCount, finalName, phmAccuracy, phmTrainer.History));
            double? denseAccuracy = null;
            if (denseEpochs is not null)
            {
                denseAccuracy = Accuracy(dense, denseEpochs);
                Console.WriteLine(Line("dense", layout.DenseParameterCount, finalName, denseAccuracy.Value, denseEpochs));
            }
            else
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture, $"{"dense",-10} {layout.DenseParameterCount,6:N0} parameters: {failure}"));
            }

            screen.Say.WriteLine(
                "(epoch times: one process, both models one after the other on the same batches; " +
                "on a shared machine they vary from run to run)");
            return new DenseComparison(denseEpochs, denseAccuracy, failure);
        }

        /// <summary>The report's fields: both parameter counts, the dense model's figures, the PHM model's epoch times.</summary>
        public void WriteJson(Utf8JsonWriter json, IHypercomplexModel phm, Trainer phmTrainer)
        {
            json.WriteNumber("parameters", phm.Layout.ParameterCount);
            json.WriteStartObject("dense_comparison");
            json.WriteNumber("parameters", phm.Layout.DenseParameterCount);
            TrainCommand.Number(json, "accuracy", Accuracy);
            TrainCommand.Number(json, "train_loss", Epochs?[^1].TrainLoss);
            TrainCommand.Number(json, "fastest_epoch_seconds", Epochs?.Min(e => e.Seconds));
            TrainCommand.Number(json, "mean_epoch_seconds", Epochs?.Average(e => e.Seconds));
            json.WriteEndObject();
            TrainCommand.Number(json, "fastest_epoch_seconds", phmTrainer.History.Min(e => e.Seconds));
            TrainCommand.Number(json, "mean_epoch_seconds", phmTrainer.History.Average(e => e.Seconds));
        }

        private static string Line(string what, int parameters, string finalName, double accuracy, IReadOnlyList<EpochReport> epochs) =>
            string.Create(CultureInfo.InvariantCulture,
                $"{what,-10} {parameters,6:N0} parameters, {finalName} {accuracy:F4}, train loss {epochs[^1].TrainLoss:F4}, " +
                $"epoch time fastest {epochs.Min(e => e.Seconds) * 1000:F0} ms, mean {epochs.Average(e => e.Seconds) * 1000:F0} ms");
    }
}
