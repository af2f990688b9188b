using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using GenSoftmax.Reference;
using GenSoftmax.Training;

namespace GenSoftmax.Bench
{
    /// <summary>
    /// <c>--verify</c>: before any number is believed, every contender computes the same thing as the scalar double
    /// reference from the same weights (those after one epoch): loss, dW and db on the first batch of 256, the
    /// update of one SGD step on it, and the predictions and probabilities of the 10,000 test images. Also checks
    /// that the generated kernels allocate nothing per call. Exits 1 on any mismatch.
    /// </summary>
    public static class Verify
    {
        /// <summary>
        /// Arrays agree when max |a - ref| ≤ 1e-4 × max |ref| (the project's kernel-test tolerance, relative to the
        /// largest magnitude in the array); scalars when |a - ref| ≤ 1e-4 × |ref|.
        /// </summary>
        public const double Tolerance = 1e-4;

        private const int Inputs = BenchData.Inputs;
        private const int Classes = BenchData.Classes;

        /// <summary>Runs every check, prints one line per check and a closing count; returns the exit code.</summary>
        public static int Run(TextWriter output)
        {
            long start = Stopwatch.GetTimestamp();
            Program.PrintHeader(output);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Tolerance: max|a - ref| <= {Tolerance:0e0} x max|ref| per array, |a - ref| <= {Tolerance:0e0} x |ref| for the loss; predictions must match except near-ties."));
            output.WriteLine();

            var report = new Report(output);
            Expected expected = Expected.Compute();

            var names = new List<string>();
            foreach (KernelIsa isa in IsaSelection.Supported) // best first
            {
                names.Add(Contenders.GeneratedName(isa));
            }

            names.Add(Contenders.TensorPrimitives);
            names.AddRange(Contenders.ThreadCounts.Select(Contenders.TorchName));
            names.AddRange(Contenders.ThreadCounts.Select(Contenders.OnnxName));
            foreach (string name in names)
            {
                string? unavailable = name.StartsWith("Torch-", StringComparison.Ordinal) ? TorchAvailability.UnavailableReason
                    : name.StartsWith("ORT-", StringComparison.Ordinal) ? OnnxContender.UnavailableReason
                    : null;
                if (unavailable is not null)
                {
                    report.Skip(name, "every check", (name.StartsWith("Torch-", StringComparison.Ordinal) ? "TorchSharp" : "ONNX Runtime") + " unavailable: " + unavailable);
                    continue;
                }

                try
                {
                    using Contender contender = Contenders.Create(name);
                    if (contender.CanTrain)
                    {
                        CheckTraining(report, contender, expected);
                    }

                    CheckInference(report, contender, expected);
                }
                catch (Exception e)
                {
                    // One broken peer (a model ONNX Runtime rejects, a native crash surfacing as an exception) is a
                    // failed check with its message, and the others still run.
                    report.Result(name, "runs without an exception", false, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
                }
            }

            foreach (KernelIsa isa in IsaSelection.Supported)
            {
                CheckUnfused(report, isa, expected);
                CheckAllocations(report, isa);
            }

            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"verify took {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s"));
            output.WriteLine($"verify: {report.Passed} passed, {report.Failed} failed, {report.Skipped} skipped");
            return report.Failed == 0 ? 0 : 1;
        }

        private static void CheckTraining(Report report, Contender contender, Expected expected)
        {
            float[] dW = new float[Classes * Inputs];
            float[] db = new float[Classes];
            contender.Load(BenchData.TrainX, BenchData.TrainY);
            contender.SetParameters(BenchData.TrainedWeights, BenchData.TrainedBias);
            float loss = contender.LossAndGradient(0, BenchData.BatchSize, dW, db);
            report.Check(contender.Name, "loss (batch 256)", ScalarError(loss, expected.Loss));
            report.Check(contender.Name, "dW (batch 256)", ArrayError(dW, expected.DW));
            report.Check(contender.Name, "db (batch 256)", ArrayError(db, expected.Db));

            // The benchmarked path: one SGD step from the same weights; its update must be -lr x the reference gradient.
            contender.SetParameters(BenchData.TrainedWeights, BenchData.TrainedBias);
            float stepLoss = contender.TrainStep(0, BenchData.BatchSize, BenchData.LearningRate);
            float[] w = new float[Classes * Inputs];
            float[] b = new float[Classes];
            contender.GetParameters(w, b);
            report.Check(contender.Name, "TrainStep loss", ScalarError(stepLoss, expected.Loss));
            report.Check(contender.Name, "TrainStep update of W", ArrayError(Difference(w, BenchData.TrainedWeights), expected.UpdateW));
            report.Check(contender.Name, "TrainStep update of b", ArrayError(Difference(b, BenchData.TrainedBias), expected.UpdateB));

            if (contender is GeneratedContender generated)
            {
                // The byte path of EpochBytes: the same batch as pixels through the row-index overload.
                generated.SetParameters(BenchData.TrainedWeights, BenchData.TrainedBias);
                int[] rows = Enumerable.Range(0, BenchData.BatchSize).ToArray();
                float bytesLoss = generated.TrainStepBytes(BenchData.TrainPixels, BenchData.TrainY, rows, BenchData.LearningRate);
                generated.GetParameters(w, b);
                report.Check(contender.Name, "TrainStep(bytes) loss", ScalarError(bytesLoss, expected.Loss));
                report.Check(contender.Name, "TrainStep(bytes) update of W", ArrayError(Difference(w, BenchData.TrainedWeights), expected.UpdateW));
                report.Check(contender.Name, "TrainStep(bytes) update of b", ArrayError(Difference(b, BenchData.TrainedBias), expected.UpdateB));
            }
        }

        private static void CheckInference(Report report, Contender contender, Expected expected)
        {
            contender.Load(BenchData.TestX, BenchData.TestY);
            contender.SetParameters(BenchData.TrainedWeights, BenchData.TrainedBias);
            int[] predictions = new int[BenchData.TestCount];
            contender.Predict(predictions);
            CheckPredictions(report, contender.Name, "Predict (10,000 test images)", predictions, expected);
            if (contender is GeneratedContender generated)
            {
                generated.PredictBytes(BenchData.TestPixels, predictions);
                CheckPredictions(report, contender.Name, "Predict(bytes) (10,000 images)", predictions, expected);
            }

            float[] probabilities = new float[BenchData.TestCount * Classes];
            contender.Probabilities(probabilities);
            report.Check(contender.Name, "Probabilities (10,000 x 10)", ArrayError(probabilities, expected.Probabilities));
        }

        /// <summary>Predictions must equal the reference's, except where its top two logits are within the tolerance.</summary>
        private static void CheckPredictions(Report report, string contender, string check, int[] predictions, Expected expected)
        {
            int mismatches = 0, ties = 0;
            for (int r = 0; r < predictions.Length; r++)
            {
                int want = expected.Predictions[r], got = predictions[r];
                if (got == want)
                {
                    continue;
                }

                double top = expected.Logits[(r * Classes) + want];
                double gap = top - expected.Logits[(r * Classes) + got];
                if ((uint)got < Classes && gap <= Tolerance * Math.Max(1, Math.Abs(top)))
                {
                    ties++;
                }
                else
                {
                    mismatches++;
                }
            }

            string detail = $"{mismatches} of {predictions.Length} differ" + (ties > 0 ? $" ({ties} more at near-ties, accepted)" : "");
            report.Result(contender, check, mismatches == 0, detail);
        }

        private static void CheckUnfused(Report report, KernelIsa isa, Expected expected)
        {
            var model = new FashionModel { Isa = isa };
            BenchData.TrainedWeights.AsSpan().CopyTo(model.Weights);
            BenchData.TrainedBias.AsSpan().CopyTo(model.Bias);
            float[] dW = new float[Classes * Inputs];
            float[] db = new float[Classes];
            float loss = new UnfusedLossAndGradient().Run(model, BenchData.BatchX, BenchData.BatchY, dW, db);
            string name = "Unfused-" + isa;
            report.Check(name, "loss (batch 256)", ScalarError(loss, expected.Loss));
            report.Check(name, "dW (batch 256)", ArrayError(dW, expected.DW));
            report.Check(name, "db (batch 256)", ArrayError(db, expected.Db));
        }

        /// <summary>The generated kernels must not allocate: after two warm-up calls, five more add 0 bytes on this thread.</summary>
        private static void CheckAllocations(Report report, KernelIsa isa)
        {
            var model = new FashionModel { Isa = isa };
            BenchData.TrainedWeights.AsSpan().CopyTo(model.Weights);
            var sgd = new Sgd(model, new SgdOptions { LearningRate = BenchData.LearningRate });
            float[] dW = new float[Classes * Inputs];
            float[] db = new float[Classes];
            int[] predictions = new int[BenchData.TestCount];
            int[] rows = Enumerable.Range(0, BenchData.BatchSize).ToArray();
            string name = Contenders.GeneratedName(isa);
            Allocations(report, name, "Sgd.Step allocates nothing", () => sgd.Step(Batch.Of(BenchData.BatchX).WithLabels(BenchData.BatchY)));
            Allocations(report, name, "Sgd.Step(rows) allocates nothing",
                () => sgd.Step(Batch.Of(BenchData.TrainX).WithLabels(BenchData.TrainY).WithRows(rows)));
            Allocations(report, name, "Sgd.Step(bytes) allocates nothing",
                () => sgd.Step(Batch.Of(BenchData.TrainPixels).WithLabels(BenchData.TrainY).WithRows(rows)));
            Allocations(report, name, "LossAndGradient allocates nothing",
                () => model.LossAndGradient(Batch.Of(BenchData.BatchX).WithLabels(BenchData.BatchY), dW, db));
            Allocations(report, name, "Predict allocates nothing", () => model.Predict(Batch.Of(BenchData.TestX), predictions));
            Allocations(report, name, "Predict(bytes) allocates nothing", () => model.Predict(Batch.Of(BenchData.TestPixels), predictions));
        }

        private static void Allocations(Report report, string name, string check, Action action)
        {
            action();
            action();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
            {
                action();
            }

            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            report.Result(name, check, bytes == 0, string.Create(CultureInfo.InvariantCulture, $"{bytes / 5} B per call"));
        }

        private static float[] Difference(ReadOnlySpan<float> after, ReadOnlySpan<float> before)
        {
            float[] d = new float[after.Length];
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = after[i] - before[i];
            }

            return d;
        }

        private static double ScalarError(double actual, double expected)
            => Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), double.Epsilon);

        private static double ArrayError(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
        {
            if (actual.Length != expected.Length)
            {
                return double.PositiveInfinity;
            }

            double maxDiff = 0, maxRef = 0;
            for (int i = 0; i < actual.Length; i++)
            {
                double diff = Math.Abs(actual[i] - expected[i]);
                maxDiff = double.IsNaN(diff) ? double.PositiveInfinity : Math.Max(maxDiff, diff);
                maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
            }

            return maxDiff / Math.Max(maxRef, double.Epsilon);
        }

        /// <summary>The reference's answers, in double, from the weights after one epoch.</summary>
        private sealed record Expected(
            double Loss, double[] DW, double[] Db, double[] UpdateW, double[] UpdateB,
            int[] Predictions, double[] Logits, double[] Probabilities)
        {
            public static Expected Compute()
            {
                var oracle = new SoftmaxReference(Inputs, Classes);
                BenchData.TrainedWeights.CopyTo(oracle.Weights, 0);
                BenchData.TrainedBias.CopyTo(oracle.Bias, 0);
                double[] dW = new double[Classes * Inputs];
                double[] db = new double[Classes];
                double loss = oracle.LossAndGradient(BenchData.BatchX, BenchData.BatchY, dW, db);
                double[] updateW = dW.Select(static g => -BenchData.LearningRate * g).ToArray();
                double[] updateB = db.Select(static g => -BenchData.LearningRate * g).ToArray();
                return new Expected(loss, dW, db, updateW, updateB,
                    oracle.Predict(BenchData.TestX), oracle.Forward(BenchData.TestX), oracle.Probabilities(BenchData.TestX));
            }
        }

        private sealed class Report(TextWriter output)
        {
            public int Passed { get; private set; }

            public int Failed { get; private set; }

            public int Skipped { get; private set; }

            public void Check(string contender, string check, double relativeError)
                => Result(contender, check, relativeError <= Tolerance, string.Create(CultureInfo.InvariantCulture, $"rel err {relativeError:0.0e0}"));

            public void Result(string contender, string check, bool ok, string detail)
            {
                if (ok)
                {
                    Passed++;
                }
                else
                {
                    Failed++;
                }

                output.WriteLine($"  {(ok ? "ok  " : "FAIL")}  {contender,-16} {check,-34} {detail}");
            }

            public void Skip(string contender, string check, string reason)
            {
                Skipped++;
                output.WriteLine($"  skip  {contender,-16} {check,-34} {reason}");
            }
        }
    }
}
