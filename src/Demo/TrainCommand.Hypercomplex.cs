using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading;
using GenSoftmax.Hypercomplex;
using GenSoftmax.IO;
using GenSoftmax.Persistence;
using GenSoftmax.Training;


namespace GenSoftmax.App
{
    /// <summary>A PHM run's file and its comparison with the dense model.</summary>
    internal sealed partial class TrainCommand
    {
        /// <summary>The dense model's run beside a PHM run: its epochs and final accuracy, or why it has none.</summary>
        private sealed record DenseComparison(IReadOnlyList<EpochReport>? Epochs, double? Accuracy, string? Failure);

        /// <summary>The n of the PHM run saved in <paramref name="file"/> (null for a dense one); an error if --hypercomplex disagrees.</summary>
        private static int? SavedHypercomplex(string file, int? given)
        {
            if (!File.Exists(file))
            {
                return given is null ? null : throw new AppError($"model file '{file}' does not exist: give the file written by 'train --save' or the interrupted run's checkpoint.");
            }

            int n = ModelFile.ReadInfo(file).HypercomplexFactors;
            if (given is { } g && n != g)
            {
                throw new AppError(n == 0
                    ? $"'{file}' holds a dense run, but --hypercomplex {g} asks for a PHM one: leave --hypercomplex out to continue it."
                    : $"'{file}' holds a PHM run with n = {n}, but --hypercomplex {g} asks for n = {g}: leave --hypercomplex out to continue it.");
            }

            return n == 0 ? null : n;
        }

        /// <summary>Loads the PHM run saved in <paramref name="file"/> into a new declared model of its n.</summary>
        private static (ISoftmaxModel Model, ModelFileContents Contents) LoadHypercomplex(string file, int n, KernelIsa? isa)
        {
            IHypercomplexModel model = HypercomplexRun.Create(n);
            if (model.Inputs != ModelFile.ReadInfo(file).Inputs || model.Classes != ModelFile.ReadInfo(file).Classes)
            {
                throw new AppError($"'{file}' holds a PHM model of another shape than the declared {model.Inputs}x{model.Classes} one, so this app cannot continue it.");
            }

            ModelFileContents contents = ModelFile.Load(file, model);
            if (isa is { } chosen)
            {
                model.Isa = chosen;
            }

            return (model, contents);
        }

        /// <summary>
        /// After a PHM run: trains the dense model with a trainer of the same options (so the same shuffles, batches, rates
        /// and threads) and prints both models' parameter count, accuracy and epoch times. Ctrl+C during it skips it.
        /// </summary>
        private static DenseComparison CompareWithDense(
            IHypercomplexModel phm, Trainer phmTrainer, TrainerOptions options, LabeledData train, LabeledData? perEpoch, LabeledData? final, string finalName,
            SoftTargets? targets, string curveName, string perEpochName, bool live, bool quiet, TextWriter say)
        {
            var dense = new FashionClassifier { Isa = phm.Isa };
            var trainer = new Trainer(dense, options);
            trainer.Initialize();
            say.WriteLine("Dense, for comparison (same batches, rates and threads):");
            var display = new TrainingDisplay(live, quiet, train.Count, options.BatchSize, options.Epochs, perEpochName);
            IReadOnlyList<EpochReport>? denseEpochs = null;
            string? failure = null;
            using (var interrupt = new Interruption())
            {
                try
                {
                    denseEpochs = display.Run(() => targets is null
                        ? trainer.Fit(train, perEpoch, display, interrupt.Token)
                        : trainer.FitTargets(targets, perEpoch, display, interrupt.Token));
                    TrainingDisplay.Summary(denseEpochs, curveName, live);
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

            CultureInfo inv = CultureInfo.InvariantCulture;
            HypercomplexLayout layout = phm.Layout;
            double Accuracy(ISoftmaxModel m, IReadOnlyList<EpochReport> epochs) => final is null ? epochs[^1].TrainAccuracy : Trainer.Accuracy(m, final);
            string Line(string what, int parameters, double accuracy, IReadOnlyList<EpochReport> epochs) => string.Create(inv,
                $"{what,-10} {parameters,6:N0} parameters, {finalName} {accuracy:F4}, train loss {epochs[^1].TrainLoss:F4}, " +
                $"epoch time fastest {epochs.Min(e => e.Seconds) * 1000:F0} ms, mean {epochs.Average(e => e.Seconds) * 1000:F0} ms");

            Console.WriteLine(Line($"PHM n = {layout.N}", layout.ParameterCount, Accuracy(phm, phmTrainer.History), phmTrainer.History));
            double? denseAccuracy = null;
            if (denseEpochs is not null)
            {
                denseAccuracy = Accuracy(dense, denseEpochs);
                Console.WriteLine(Line("dense", layout.DenseParameterCount, denseAccuracy.Value, denseEpochs));
            }
            else
            {
                Console.WriteLine(string.Create(inv, $"{"dense",-10} {layout.DenseParameterCount,6:N0} parameters: {failure}"));
            }

            say.WriteLine("(epoch times: one process, both models one after the other on the same batches; on a shared machine they vary from run to run)");
            return new DenseComparison(denseEpochs, denseAccuracy, failure);
        }
    }
}
