using System;

namespace GenSoftmax
{
    /// <summary>
    /// A labelled data set as the trainer reads it: features as floats, or pixels as bytes that the kernels scale
    /// by 1/255, row-major [Count, Inputs], with one label per row.
    /// </summary>
    public sealed class TrainData
    {
        private TrainData(float[]? features, byte[]? pixels, int[] labels, int inputs)
        {
            ArgumentNullException.ThrowIfNull(labels);
            if (inputs < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "Each row needs at least one input.");
            }

            int length = features?.Length ?? pixels!.Length;
            if (length != labels.Length * inputs)
            {
                throw new ArgumentException(
                    $"The data has {length} values but {labels.Length} labels x {inputs} inputs = {(long)labels.Length * inputs}: " +
                    "pass one row of Inputs values per label.", features is null ? nameof(pixels) : nameof(features));
            }

            Features = features;
            Pixels = pixels;
            Labels = labels;
            Inputs = inputs;
        }

        /// <summary>Float features [Count, Inputs], or null when the data is bytes.</summary>
        public float[]? Features { get; }

        /// <summary>Byte pixels [Count, Inputs], or null when the data is floats.</summary>
        public byte[]? Pixels { get; }

        /// <summary>Labels [Count].</summary>
        public int[] Labels { get; }

        /// <summary>Values per row.</summary>
        public int Inputs { get; }

        /// <summary>Number of rows.</summary>
        public int Count => Labels.Length;

        /// <summary>Float features, row-major [labels.Length, inputs].</summary>
        public static TrainData FromFeatures(float[] features, int[] labels, int inputs)
        {
            ArgumentNullException.ThrowIfNull(features);
            return new TrainData(features, null, labels, inputs);
        }

        /// <summary>Byte pixels 0..255, row-major [labels.Length, inputs], scaled by 1/255 inside the kernels.</summary>
        public static TrainData FromPixels(byte[] pixels, int[] labels, int inputs)
        {
            ArgumentNullException.ThrowIfNull(pixels);
            return new TrainData(null, pixels, labels, inputs);
        }
    }
}
