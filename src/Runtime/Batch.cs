using System;

namespace GenSoftmax
{
    /// <summary>
    /// What a model computes on: rows of inputs (float features, or byte pixels that the kernels scale by 1/255),
    /// optionally their hard labels or soft targets, optionally a weight per row, and optionally a list of the rows to use.
    /// </summary>
    /// <remarks>
    /// <para>Layouts, row-major: features or pixels [n, Inputs]; labels [n]; targets [n, Classes], each row a
    /// probability distribution. With <see cref="WithRows"/>, n is the size of a whole data set and the batch is
    /// its rows <c>rows[0], rows[1], ...</c> (repeats allowed), so a shuffled minibatch needs no copy; labels and
    /// targets are indexed by the same row numbers. An empty row list is an empty batch, never "every row".</para>
    /// <para>A batch only refers to the caller's memory; it copies nothing and allocates nothing.</para>
    /// </remarks>
    /// <example><code>
    /// model.Predict(Batch.Of(pixels), predictions);
    /// BatchResult r = model.LossAndGradient(Batch.Of(x).WithLabels(labels).WithRows(order.AsSpan(0, 256)), dW, db);
    /// </code></example>
    public readonly ref struct Batch
    {
        private Batch(ReadOnlySpan<float> features, ReadOnlySpan<byte> pixels, bool isPixels)
        {
            Features = features;
            Pixels = pixels;
            IsPixels = isPixels;
        }

        /// <summary>Float features [n, Inputs] (empty when the batch is pixels).</summary>
        public ReadOnlySpan<float> Features { get; }

        /// <summary>Byte pixels [n, Inputs], 0..255 (empty when the batch is features).</summary>
        public ReadOnlySpan<byte> Pixels { get; }

        /// <summary>Whether the inputs are byte pixels.</summary>
        public bool IsPixels { get; }

        /// <summary>Hard labels [n] (empty when there are none or the batch has soft targets).</summary>
        public ReadOnlySpan<int> Labels { get; private init; }

        /// <summary>Soft targets [n, Classes].</summary>
        public ReadOnlySpan<float> Targets { get; private init; }

        /// <summary>Whether the batch has soft targets rather than hard labels.</summary>
        public bool HasTargets { get; private init; }

        /// <summary>The rows of the data the batch consists of, when <see cref="HasRows"/>.</summary>
        public ReadOnlySpan<int> Rows { get; private init; }

        /// <summary>Whether the batch is a list of rows of the data rather than all of it.</summary>
        public bool HasRows { get; private init; }

        /// <summary>
        /// Rows of the same data that the next batch will use (the trainer's next batch): the gradient pass fetches the first
        /// of them into cache while it works on this batch's last block. A hint only: it changes no result.
        /// </summary>
        internal ReadOnlySpan<int> Following { get; private init; }

        /// <summary>Per-row weights [n] of the loss and its gradient, when <see cref="HasWeights"/>.</summary>
        public ReadOnlySpan<float> Weights { get; private init; }

        /// <summary>Whether the rows are weighted (<see cref="WithWeights"/>).</summary>
        public bool HasWeights { get; private init; }

        /// <summary>A batch of every row of <paramref name="features"/> [n, Inputs].</summary>
        public static Batch Of(ReadOnlySpan<float> features) => new(features, default, false);

        /// <summary>A batch of every row of <paramref name="pixels"/> [n, Inputs], bytes 0..255 scaled by 1/255 in the kernels.</summary>
        public static Batch Of(ReadOnlySpan<byte> pixels) => new(default, pixels, true);

        /// <summary>This batch with hard labels [n], one class index per row of the data.</summary>
        public Batch WithLabels(ReadOnlySpan<int> labels) => this with { Labels = labels, Targets = default, HasTargets = false };

        /// <summary>This batch with soft targets [n, Classes], one distribution per row of the data.</summary>
        public Batch WithTargets(ReadOnlySpan<float> targets) => this with { Labels = default, Targets = targets, HasTargets = true };

        /// <summary>This batch restricted to the rows <paramref name="rows"/> of the data, in that order. An empty list is an empty
        /// batch.</summary>
        public Batch WithRows(ReadOnlySpan<int> rows) => this with { Rows = rows, HasRows = true };

        /// <summary>This batch with <see cref="Following"/>: the rows the next batch will use.</summary>
        internal Batch WithFollowing(ReadOnlySpan<int> rows) => this with { Following = rows };

        /// <summary>
        /// This batch with a weight per row of the data [n] (finite, at least 0), indexed like the labels: the loss becomes
        /// <c>sum_i w_i L_i / rows</c> and its gradient likewise, so weight 2 counts a row twice and weight 0 removes it
        /// (scikit-learn's <c>sample_weight</c>). Accuracy counts rows unweighted.
        /// </summary>
        public Batch WithWeights(ReadOnlySpan<float> weights) => this with { Weights = weights, HasWeights = true };

        /// <summary>Rows of inputs in the data (before any row list).</summary>
        internal int DataRows(int inputs) => (IsPixels ? Pixels.Length : Features.Length) / inputs;

        internal int InputLength => IsPixels ? Pixels.Length : Features.Length;

        internal string InputName => IsPixels ? "pixels" : "features";
    }
}
