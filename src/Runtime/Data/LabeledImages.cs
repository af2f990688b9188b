using System;
using System.Numerics;

namespace GenSoftmax.Data
{
    /// <summary>
    /// A set of greyscale images with one class label each: raw pixels [Count, Inputs] row-major (0..255) and
    /// labels [Count].
    /// </summary>
    /// <remarks>The arrays are used as given, not copied.</remarks>
    public sealed class LabeledImages
    {
        /// <summary>Wraps pixels and labels.</summary>
        /// <param name="pixels">The pixels, [labels.Length, rows * cols] row-major.</param>
        /// <param name="labels">The class label of each image.</param>
        /// <param name="rows">Height of each image in pixels.</param>
        /// <param name="cols">Width of each image in pixels.</param>
        /// <exception cref="ArgumentNullException"><paramref name="pixels"/> or <paramref name="labels"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> or <paramref name="cols"/> is not positive.</exception>
        /// <exception cref="ArgumentException"><paramref name="pixels"/> does not hold exactly
        /// <c>labels.Length * rows * cols</c> bytes, or a label is negative.</exception>
        public LabeledImages(byte[] pixels, int[] labels, int rows, int cols)
        {
            ArgumentNullException.ThrowIfNull(pixels);
            ArgumentNullException.ThrowIfNull(labels);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);

            long inputs = (long)rows * cols;
            if (inputs > int.MaxValue || inputs * labels.Length != pixels.Length)
            {
                throw new ArgumentException(
                    $"{nameof(pixels)} has {pixels.Length} bytes but {labels.Length} labels of {rows}x{cols} images need " +
                    $"{inputs * labels.Length} ([{labels.Length}, {inputs}] row-major).", nameof(pixels));
            }

            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] < 0)
                {
                    throw new ArgumentException($"{nameof(labels)}[{i}] = {labels[i]} is negative; labels are class indices.", nameof(labels));
                }
            }

            Pixels = pixels;
            Labels = labels;
            Rows = rows;
            Cols = cols;
            Inputs = (int)inputs;
        }

        /// <summary>Number of images.</summary>
        public int Count => Labels.Length;

        /// <summary>Height of each image in pixels.</summary>
        public int Rows { get; }

        /// <summary>Width of each image in pixels.</summary>
        public int Cols { get; }

        /// <summary>Pixels per image, <see cref="Rows"/> * <see cref="Cols"/>: the input width of a model.</summary>
        public int Inputs { get; }

        /// <summary>The raw pixels 0..255, [Count, Inputs] row-major (each image row by row).</summary>
        public byte[] Pixels { get; }

        /// <summary>The class label of each image, [Count] (0..9 for Fashion-MNIST).</summary>
        public int[] Labels { get; }

        /// <summary>The pixels of image <paramref name="index"/>, [Inputs], row by row.</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in 0..Count-1.</exception>
        public ReadOnlySpan<byte> Image(int index)
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(index), index, $"Image {index} does not exist: there are {Count} images (0..{Count - 1}).");
            }

            return new ReadOnlySpan<byte>(Pixels, index * Inputs, Inputs);
        }

        /// <summary>The pixels scaled to 0..1 (each divided by 255) as a new array, [Count, Inputs] row-major.</summary>
        public float[] ToFloats()
        {
            float[] result = GC.AllocateUninitializedArray<float>(Pixels.Length);
            ToFloats(result);
            return result;
        }

        /// <summary>Writes the pixels scaled to 0..1 (each divided by 255) into <paramref name="destination"/>,
        /// [Count, Inputs] row-major.</summary>
        /// <exception cref="ArgumentException"><paramref name="destination"/> does not have exactly
        /// <c>Count * Inputs</c> elements.</exception>
        public void ToFloats(Span<float> destination)
        {
            ReadOnlySpan<byte> source = Pixels;
            if (destination.Length != source.Length)
            {
                throw new ArgumentException(
                    $"{nameof(destination)} has {destination.Length} elements but must have {source.Length} ([{Count}, {Inputs}]).",
                    nameof(destination));
            }

            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                Vector<float> scale = new Vector<float>(255f);
                int width = Vector<float>.Count;
                for (; i <= source.Length - Vector<byte>.Count; i += Vector<byte>.Count)
                {
                    Vector.Widen(new Vector<byte>(source.Slice(i)), out Vector<ushort> low, out Vector<ushort> high);
                    Vector.Widen(low, out Vector<uint> a, out Vector<uint> b);
                    Vector.Widen(high, out Vector<uint> c, out Vector<uint> d);
                    (Vector.ConvertToSingle(Vector.AsVectorInt32(a)) / scale).CopyTo(destination.Slice(i));
                    (Vector.ConvertToSingle(Vector.AsVectorInt32(b)) / scale).CopyTo(destination.Slice(i + width));
                    (Vector.ConvertToSingle(Vector.AsVectorInt32(c)) / scale).CopyTo(destination.Slice(i + 2 * width));
                    (Vector.ConvertToSingle(Vector.AsVectorInt32(d)) / scale).CopyTo(destination.Slice(i + 3 * width));
                }
            }

            for (; i < source.Length; i++)
            {
                destination[i] = source[i] / 255f;
            }
        }
    }
}
