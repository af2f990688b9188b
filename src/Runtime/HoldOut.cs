using System;

namespace GenSoftmax
{
    /// <summary>
    /// The one way rows are held out of training, by a seed: early stopping's held-out rows and an application's
    /// validation split are both chosen here, so the same share and seed always hold out the same rows.
    /// </summary>
    public static class HoldOut
    {
        /// <summary>
        /// How many of <paramref name="count"/> rows a share of <paramref name="fraction"/> holds out before clamping:
        /// ⌈fraction × count⌉. <see cref="Rows"/> holds out this many, but at least one row and never all of them.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative, or <paramref name="fraction"/>
        /// is not in (0, 1).</exception>
        public static int Size(int count, double fraction)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            if (!(fraction > 0 && fraction < 1))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(fraction), fraction, "The held-out share must be above 0 and below 1, such as 0.1.");
            }

            return (int)Math.Ceiling(fraction * count);
        }

        /// <summary>
        /// The rows of a set of <paramref name="count"/> rows that are kept for training and those held out, both in ascending
        /// order: the first <see cref="Size"/> rows, clamped to [1, count − 1], of a shuffle by
        /// <c>new Random(seed * 7919 + 2)</c>, so a seed always holds out the same rows.
        /// </summary>
        /// <exception cref="ArgumentException">There are fewer than 2 rows, so one side would be empty.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1).</exception>
        public static (int[] Training, int[] HeldOut) Rows(int count, double fraction, int seed)
        {
            if (count < 2)
            {
                throw new ArgumentException(
                    $"Holding out rows needs at least 2 rows (one held out, one trained on), not {count}.", nameof(count));
            }

            int held = Math.Clamp(Size(count, fraction), 1, count - 1);
            int[] order = new int[count];
            Internal.Blas.Iota(order);

            new Random(unchecked((seed * 7919) + 2)).Shuffle(order);
            int[] heldOut = order.AsSpan(0, held).ToArray();
            int[] training = order.AsSpan(held).ToArray();
            Array.Sort(heldOut);
            Array.Sort(training);
            return (training, heldOut);
        }

        /// <summary>
        /// Splits <paramref name="data"/> into the rows kept for training and those held out, as <see cref="Rows"/> chooses
        /// them; both keep the data's order, shape and class names.
        /// </summary>
        /// <exception cref="ArgumentException">The data has fewer than 2 rows.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1).</exception>
        public static (LabeledData Training, LabeledData HeldOut) Split(LabeledData data, double fraction, int seed)
        {
            ArgumentNullException.ThrowIfNull(data);
            (int[] training, int[] heldOut) = Rows(data.Count, fraction, seed);
            return (Subset(data, training), Subset(data, heldOut));
        }

        /// <summary>The given rows of <paramref name="data"/>, in that order, with its shape, class names and weights.</summary>
        internal static LabeledData Subset(LabeledData data, ReadOnlySpan<int> rows)
        {
            LabeledData subset = Inputs(data, rows);
            if (data.Weights is not { } weights)
            {
                return subset;
            }

            float[] kept = new float[rows.Length];
            for (int i = 0; i < rows.Length; i++)
            {
                kept[i] = weights[rows[i]];
            }

            return subset.WithCheckedWeights(kept); // from checked weights; a side may hold only rows of weight 0
        }

        private static LabeledData Inputs(LabeledData data, ReadOnlySpan<int> rows)
        {
            int d = data.Inputs;
            int[] labels = new int[rows.Length];
            for (int i = 0; i < rows.Length; i++)
            {
                labels[i] = data.Labels[rows[i]];
            }

            if (data.Pixels is { } pixels)
            {
                byte[] copy = new byte[(long)rows.Length * d];
                for (int i = 0; i < rows.Length; i++)
                {
                    pixels.AsSpan(rows[i] * d, d).CopyTo(copy.AsSpan(i * d, d));
                }

                return data.ImageHeight > 0
                    ? LabeledData.FromImages(copy, labels, data.ImageHeight, data.ImageWidth, data.ClassNames)
                    : LabeledData.FromPixels(copy, labels, d, data.ClassNames);
            }

            float[] features = data.Features!;
            float[] featureCopy = new float[(long)rows.Length * d];
            for (int i = 0; i < rows.Length; i++)
            {
                features.AsSpan(rows[i] * d, d).CopyTo(featureCopy.AsSpan(i * d, d));
            }

            return LabeledData.FromFeatures(featureCopy, labels, d, data.ClassNames);
        }
    }
}
