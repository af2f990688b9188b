using System;
using System.Numerics.Tensors;

namespace GenSoftmax.Training
{
    /// <summary>
    /// What the trainer minimises on its training data: the loss (<see cref="TrainingLoss"/>) against hard labels or
    /// per-row targets, with label smoothing folded into the targets. Each call is one thread's slice of a batch, its
    /// mean loss and gradient; threads use their own scratch, so slices may run at once.
    /// </summary>
    internal sealed class TrainingObjective
    {
        private readonly ISoftmaxModel _model;
        private readonly float[]? _targets; // [Count, Classes] after smoothing, or null for the hard labels as they are
        private readonly TrainingLoss _loss;
        private readonly float[]?[] _logits; // per thread, squared error only
        private readonly float[]?[] _row;

        /// <summary>
        /// The objective on <paramref name="data"/>; for streamed data null, and each window's rows are set as <see cref="Data"/>
        /// before its batches (no targets or smoothing then).
        /// </summary>
        public TrainingObjective(ISoftmaxModel model, LabeledData? data, float[]? targets, TrainingLoss loss, float labelSmoothing,
            int threads)
        {
            _model = model;
            Data = data!;
            _loss = loss;
            _targets = labelSmoothing == 0f ? targets : Smooth(data!, targets, model.Classes, labelSmoothing);
            _logits = new float[threads][];
            _row = new float[threads][];
        }

        /// <summary>The rows the training batches' row numbers refer to: all the data, or the current window of a stream.</summary>
        public LabeledData Data { get; set; }

        /// <summary>
        /// Targets (1 - ε) t + ε / q, where t is a row's target vector or its label's one-hot vector: the cross-entropy
        /// gradient becomes softmax(o) - (1 - ε) t - ε / q, which the soft-target path of the fused loss computes.
        /// </summary>
        internal static float[] Smooth(LabeledData data, float[]? targets, int classes, float epsilon)
        {
            var smoothed = new float[checked(data.Count * classes)];
            float floor = epsilon / classes;
            for (int r = 0; r < data.Count; r++)
            {
                Span<float> t = smoothed.AsSpan(r * classes, classes);
                if (targets is null)
                {
                    t.Fill(floor);
                    t[data.Labels[r]] += 1f - epsilon;
                }
                else
                {
                    for (int c = 0; c < classes; c++)
                    {
                        t[c] = ((1f - epsilon) * targets[(r * classes) + c]) + floor;
                    }
                }
            }

            return smoothed;
        }

        /// <summary>Mean loss and gradient of the rows <paramref name="rows"/> of the training data, into <paramref name="dW"/> and
        /// <paramref name="db"/>; <paramref name="following"/> are rows the next call will use (<see cref="Batch.Following"/>).</summary>
        public BatchResult LossAndGradient(
            int thread, ReadOnlySpan<int> rows, Span<float> dW, Span<float> db, ReadOnlySpan<int> following = default)
        {
            if (_loss == TrainingLoss.SquaredError)
            {
                return SquaredError(thread, Data, _targets, rows, hasRows: true, dW, db, gradient: true);
            }

            return _targets is null
                ? _model.LossAndGradient(Data.Rows(rows).WithFollowing(following), dW, db)
                : _model.LossAndGradient(Weighted(Input(Data).WithTargets(_targets).WithRows(rows), Data).WithFollowing(following), dW, db);
        }

        /// <summary>Mean loss (this objective's loss, against the hard labels, unsmoothed) and correct count of <paramref name="rows"/> of
        /// <paramref name="data"/>, with the scratch of trainer thread <paramref name="thread"/>.</summary>
        public BatchResult Evaluate(LabeledData data, ReadOnlySpan<int> rows, int thread = 0)
        {
            return _loss == TrainingLoss.SquaredError
                ? SquaredError(thread, data, null, rows, hasRows: true, default, default, gradient: false)
                : _model.Loss(data.Rows(rows));
        }

        /// <summary>Mean loss and correct count of every row of <paramref name="data"/>, as <see cref="Evaluate(LabeledData,
        /// ReadOnlySpan{int}, int)"/>.</summary>
        public BatchResult Evaluate(LabeledData data)
        {
            return _loss == TrainingLoss.SquaredError
                ? SquaredError(0, data, null, default, hasRows: false, default, default, gradient: false)
                : _model.Loss(data.All());
        }

        private static Batch Input(LabeledData data) => data.IsPixels ? Batch.Of(data.Pixels) : Batch.Of(data.Features);

        private static Batch Weighted(Batch batch, LabeledData data) => data.Weights is { } w ? batch.WithWeights(w) : batch;

        /// <summary>
        /// L = (1/n) Σ_i ½ Σ_c (o_ic - t_ic)², dL/do = (o - t) / n, dW = (dL/do)ᵀ X, db = Σ_i dL/do_i, from the model's logits.
        /// t is the one-hot label unless targets are given. A row counts as correct when its argmax is its label (with
        /// targets: the target's argmax), as in the cross-entropy path.
        /// </summary>
        private BatchResult SquaredError(
            int thread, LabeledData data, float[]? targets, ReadOnlySpan<int> rows, bool hasRows, Span<float> dW, Span<float> db,
                bool gradient)
        {
            int q = _model.Classes, d = _model.Inputs;
            int n = hasRows ? rows.Length : data.Count;
            if (n == 0)
            {
                throw new ArgumentException("The batch is empty.", nameof(rows));
            }

            // Blocks of rows bound the scratch whatever the batch size.
            const int Block = 256;
            float[] logits = _logits[thread] ??= new float[Block * q];
            float[] row = _row[thread] ??= new float[d];
            if (gradient)
            {
                dW.Clear();
                db.Clear();
            }

            double loss = 0;
            int correct = 0;
            float scale = 1f / n;
            int[]? all = hasRows ? null : new int[Math.Min(Block, n)];
            for (int r0 = 0; r0 < n; r0 += Block)
            {
                int count = Math.Min(Block, n - r0);
                ReadOnlySpan<int> block;
                if (hasRows)
                {
                    block = rows.Slice(r0, count);
                }
                else
                {
                    for (int i = 0; i < count; i++)
                    {
                        all![i] = r0 + i;
                    }

                    block = all.AsSpan(0, count);
                }

                Span<float> o = logits.AsSpan(0, count * q);
                _model.Forward(Input(data).WithRows(block), o);
                for (int i = 0; i < count; i++)
                {
                    int r = block[i];
                    Span<float> oi = o.Slice(i * q, q);
                    int label = data.Labels[r];
                    ReadOnlySpan<float> t = targets is null ? default : targets.AsSpan(r * q, q);
                    int truth = targets is null ? label : Internal.Blas.ArgMax(t);
                    correct += Internal.Blas.ArgMax(oi) == truth ? 1 : 0;
                    double rowLoss = 0;
                    for (int c = 0; c < q; c++)
                    {
                        float tc = targets is null ? (c == label ? 1f : 0f) : t[c];
                        float e = oi[c] - tc;
                        rowLoss += (double)e * e;
                        oi[c] = e * scale; // dL/do
                    }

                    loss += 0.5 * rowLoss;
                    if (!gradient)
                    {
                        continue;
                    }

                    ReadOnlySpan<float> x;
                    if (data.IsPixels)
                    {
                        ReadOnlySpan<byte> pixels = data.PixelValues.Slice(r * d, d);
                        for (int k = 0; k < d; k++)
                        {
                            row[k] = pixels[k] * (1f / 255f);
                        }

                        x = row;
                    }
                    else
                    {
                        x = data.FeatureValues.Slice(r * d, d);
                    }

                    for (int c = 0; c < q; c++)
                    {
                        Span<float> w = dW.Slice(c * d, d);
                        TensorPrimitives.MultiplyAdd(x, oi[c], w, w);
                        db[c] += oi[c];
                    }
                }
            }

            return new BatchResult((float)(loss / n), correct, n);
        }
    }
}
