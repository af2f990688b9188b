using System;
using System.Threading;

namespace GenSoftmax.Streaming
{
    /// <summary>
    /// Evaluation and prediction over a <see cref="RowSource"/>: the rows are read once, in file order, a buffer at a time
    /// (the next read while the model works on the current one), holding at most the source's budget of rows.
    /// </summary>
    public static class StreamEvaluation
    {
        /// <summary>
        /// The mean loss (cross-entropy against the labels; with weights Σ w_i L_i / rows, as for data in memory) and the accuracy of
        /// <paramref name="model"/> on every row of <paramref name="data"/>.
        /// </summary>
        /// <exception cref="ArgumentException">The source's rows have another width than the model's inputs.</exception>
        /// <exception cref="System.IO.InvalidDataException">A label is not a class of the model (the message names the row and the
        /// file), or a file changed or is damaged.</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (checked between
        /// buffers).</exception>
        public static StreamScore Evaluate(ISoftmaxModel model, RowSource data, CancellationToken cancellationToken = default)
        {
            double lossSum = 0;
            long correct = 0;
            ForEachWindow(model, data, checkLabels: true, cancellationToken, (first, window) =>
            {
                Batch batch = window.Batch();
                BatchResult r = model.Loss(batch);
                lossSum += (double)r.Loss * window.Rows; // the kernels' mean is Σ w_i L_i / rows, as for data in memory
                correct += r.Correct;
            });
            long count = data.Count;
            return new StreamScore(lossSum / count, correct, count);
        }

        /// <summary>
        /// Predicts every row of <paramref name="data"/> in file order and hands the predictions to <paramref name="output"/> a
        /// buffer at a time with the rows' labels (and each row's class probabilities when <paramref name="probabilities"/>), so a
        /// caller writes them as they come: memory stays within the source's budget however many rows there are.
        /// </summary>
        /// <exception cref="ArgumentException">The source's rows have another width than the model's inputs.</exception>
        /// <exception cref="System.IO.InvalidDataException">A file changed or is damaged.</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (checked between
        /// buffers).</exception>
        public static void Predict(
            ISoftmaxModel model, RowSource data, RowsPredicted output, bool probabilities = false, int degreeOfParallelism = 1,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(output);
            int[] predictions = [];
            float[] p = [];
            ForEachWindow(model, data, checkLabels: false, cancellationToken, (first, window) =>
            {
                int n = window.Rows;
                if (predictions.Length < n)
                {
                    predictions = new int[n];
                    p = probabilities ? new float[checked(n * model.Classes)] : [];
                }

                Batch batch = window.Batch();
                model.Predict(batch, predictions.AsSpan(0, n), degreeOfParallelism);
                if (probabilities)
                {
                    model.Probabilities(batch, p.AsSpan(0, n * model.Classes));
                }

                output(first, predictions.AsSpan(0, n), window.Labels.AsSpan(0, n), probabilities ? p.AsSpan(0, n * model.Classes)
                    : default);
            });
        }

        private static void ForEachWindow(
            ISoftmaxModel model, RowSource data, bool checkLabels, CancellationToken cancellationToken, Action<long,
                RowWindows.Window> visit)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(data);
            if (data.Inputs != model.Inputs)
            {
                throw new ArgumentException(
                    $"{data.Description} has {data.Inputs} inputs per row but the model takes {model.Inputs}.", nameof(data));
            }

            using var windows = new RowWindows(data, 1, 0, shuffled: false);
            long first = 0;
            for (int w = 0; w < windows.Windows; w++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                RowWindows.Window window = windows.Get(0, w, w + 1 < windows.Windows ? (0, w + 1) : null);
                if (checkLabels)
                {
                    CheckLabels(model, data, first, window);
                }

                visit(first, window);
                first += window.Rows;
            }
        }

        /// <summary>Every label a class of the model; the first that is not is an error naming its row.</summary>
        private static void CheckLabels(ISoftmaxModel model, RowSource data, long first, RowWindows.Window window)
        {
            ReadOnlySpan<int> labels = window.Labels.AsSpan(0, window.Rows);
            for (int i = 0; i < labels.Length; i++)
            {
                if ((uint)labels[i] >= (uint)model.Classes)
                {
                    throw new System.IO.InvalidDataException(
                        $"{data.Description}: row {first + i} has label {labels[i]}, which is not a class of the model ({model.Classes} " +
                            $"classes, " +
                        $"0..{model.Classes - 1}). Evaluate with data labelled as the model was trained, or fix the label.");
                }
            }
        }
    }
}
