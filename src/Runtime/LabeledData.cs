using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace GenSoftmax
{
    /// <summary>
    /// A labelled data set: rows of inputs, either float features or byte pixels (0..255, which the kernels scale
    /// by 1/255), row-major [Count, Inputs], and one class label per row. The one type for training, validation and
    /// test sets; it hands batches of its rows to a model (<see cref="All"/>, <see cref="Rows"/>).
    /// </summary>
    /// <remarks>The arrays are used as given, not copied: changing them changes the data set. Class names, when
    /// given, are copied.</remarks>
    public sealed class LabeledData
    {
        private unsafe byte* _mapped; // a mapped window's inputs (Mapped), else null
        private bool _mappedPixels;   // whether those inputs are pixels

        private LabeledData(
            float[]? features, byte[]? pixels, int[] labels, int inputs, int imageHeight, int imageWidth, IReadOnlyList<string>? classNames)
        {
            ArgumentNullException.ThrowIfNull(labels);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
            long length = features?.LongLength ?? pixels!.LongLength;
            if (length != (long)labels.Length * inputs)
            {
                string name = features is null ? "pixels" : "features";
                throw new ArgumentException(
                    $"{name} has {Plural.Of(length, "value")} but {Plural.Of(labels.Length, "label")} x {Plural.Of(inputs, "input")} " +
                        $"need {(long)labels.Length * inputs}: " +
                    $"pass [{labels.Length}, {inputs}] row-major data, one row per label.", name);
            }

            if (features is not null)
            {
                CheckFinite(features, inputs);
            }

            string[]? names = classNames is null ? null : CheckClassNames(classNames);
            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] < 0)
                {
                    throw new ArgumentException($"labels[{i}] = {labels[i]} is negative; labels are class indices 0, 1, ...",
                        nameof(labels));
                }

                if (names is not null && labels[i] >= names.Length)
                {
                    throw new ArgumentException(
                        $"labels[{i}] = {labels[i]} has no class name: classNames has {Plural.Of(names.Length, "name")} (classes " +
                            $"0..{names.Length - 1}). " +
                        "Give one name per class, in class-index order.", nameof(labels));
                }
            }

            Features = features;
            Pixels = pixels;
            Labels = labels;
            Inputs = inputs;
            ImageHeight = imageHeight;
            ImageWidth = imageWidth;
            ClassNames = names is null ? null : Array.AsReadOnly(names);
        }

        private LabeledData(LabeledData source, float[]? features, float[]? weights)
        {
            Features = features ?? source.Features;
            Pixels = features is null ? source.Pixels : null;
            Labels = source.Labels;
            Inputs = source.Inputs;
            ImageHeight = source.ImageHeight;
            ImageWidth = source.ImageWidth;
            ClassNames = source.ClassNames;
            Weights = weights;
        }

        /// <summary>A window's rows: the arrays as they are, unchecked (the reader that fills them checks each row it writes).</summary>
        private LabeledData(float[]? features, byte[]? pixels, int[] labels, float[]? weights, int inputs,
            IReadOnlyList<string>? classNames)
        {
            Features = features;
            Pixels = pixels;
            Labels = labels;
            Weights = weights;
            Inputs = inputs;
            ClassNames = classNames;
        }

        /// <summary>
        /// A buffer of rows read from a stream (<see cref="Streaming.RowSource"/>), [labels.Length] rows of which the caller uses a
        /// prefix: the arrays are wrapped, not checked, and later reads overwrite them.
        /// </summary>
        internal static LabeledData Window(
            float[]? features, byte[]? pixels, int[] labels, float[]? weights, int inputs, IReadOnlyList<string>? classNames) =>
            new(features, pixels, labels, weights, inputs, classNames);

        /// <summary>
        /// A window of rows whose inputs are a file's pages mapped into memory (<see cref="Streaming.RowWindows"/>): row i's
        /// inputs start at <paramref name="rows"/> + i x the row's bytes, for [labels.Length] rows of which the caller uses those
        /// its row order names. The memory is the window's; the data is valid while the window holds its rows.
        /// </summary>
        internal static unsafe LabeledData Mapped(
            byte* rows, bool isPixels, int[] labels, float[]? weights, int inputs, IReadOnlyList<string>? classNames) =>
            new(null, null, labels, weights, inputs, classNames) { _mapped = rows, _mappedPixels = isPixels };

        /// <summary>
        /// Rejects a NaN or infinite feature, naming its row and column: one such value turns every weight into NaN
        /// within an epoch of training, and every prediction after it into class 0. Checked when the data is created.
        /// </summary>
        /// <param name="features">The features to check.</param>
        /// <param name="inputs">Values per row.</param>
        private static void CheckFinite(float[] features, int inputs)
        {
            ReadOnlySpan<float> values = features;
            for (int i = FiniteScan.Start(values); i < values.Length; i++)
            {
                float value = values[i];
                if (!float.IsFinite(value))
                {
                    string what = float.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";
                    throw new ArgumentException(
                        $"features[{i}] (row {i / inputs}, column {i % inputs}) is {what}. Features must be finite: one NaN or " +
                        "infinite value makes every weight NaN within an epoch. Replace the value or drop the " +
                            "row before handing the data over.",
                        "features");
                }
            }
        }

        /// <summary>Copies class names, checking that there is at least one and that none is null, empty or repeated.</summary>
        private static string[] CheckClassNames(IReadOnlyList<string> classNames)
        {
            if (classNames.Count == 0)
            {
                throw new ArgumentException("classNames is empty: give one name per class, or pass null for data without class names.",
                    nameof(classNames));
            }

            string[] names = new string[classNames.Count];
            var seen = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
            for (int i = 0; i < names.Length; i++)
            {
                string name = classNames[i];
                if (string.IsNullOrEmpty(name))
                {
                    throw new ArgumentException($"classNames[{i}] is {(name is null ? "null" : "empty")}: every class needs a name.",
                        nameof(classNames));
                }

                if (!seen.TryAdd(name, i))
                {
                    throw new ArgumentException(
                        $"classNames[{seen[name]}] and classNames[{i}] are both '{name}': class names must be unique.", nameof(classNames));
                }

                names[i] = name;
            }

            return names;
        }

        /// <summary>Float features, row-major [labels.Length, inputs], optionally with the name of each class.</summary>
        /// <param name="features">[labels.Length, inputs] row-major.</param>
        /// <param name="labels">Class index of each row.</param>
        /// <param name="inputs">Values per row.</param>
        /// <param name="classNames">The name of each class, indexed by label (copied), or null.</param>
        /// <exception cref="ArgumentException">The sizes do not match, a feature is NaN or infinite (the message names its
        /// row and column), a label is negative or has no name, or the names are empty, repeated or null.</exception>
        public static LabeledData FromFeatures(float[] features, int[] labels, int inputs, IReadOnlyList<string>? classNames = null)
        {
            ArgumentNullException.ThrowIfNull(features);
            return new LabeledData(features, null, labels, inputs, 0, 0, classNames);
        }

        /// <summary>Byte pixels 0..255, row-major [labels.Length, inputs], scaled by 1/255 inside the kernels, optionally
        /// with the name of each class.</summary>
        /// <param name="pixels">[labels.Length, inputs] row-major, scaled by 1/255 inside the kernels.</param>
        /// <param name="labels">Class index of each row.</param>
        /// <param name="inputs">Values per row.</param>
        /// <param name="classNames">The name of each class, indexed by label (copied), or null.</param>
        /// <exception cref="ArgumentException">The sizes do not match, a label is negative or has no name, or the names
        /// are empty, repeated or null.</exception>
        public static LabeledData FromPixels(byte[] pixels, int[] labels, int inputs, IReadOnlyList<string>? classNames = null)
        {
            ArgumentNullException.ThrowIfNull(pixels);
            return new LabeledData(null, pixels, labels, inputs, 0, 0, classNames);
        }

        /// <summary>Greyscale images of <paramref name="height"/> x <paramref name="width"/> pixels, each stored row by row,
        /// optionally with the name of each class.</summary>
        /// <param name="pixels">[labels.Length, height * width], each image row by row.</param>
        /// <param name="labels">Class index of each image.</param>
        /// <param name="height">Rows of pixels per image.</param>
        /// <param name="width">Pixels per row of an image.</param>
        /// <param name="classNames">The name of each class, indexed by label (copied), or null.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="height"/> or <paramref name="width"/> is not positive.</exception>
        /// <exception cref="ArgumentException">The sizes do not match, a label is negative or has no name, or the names
        /// are empty, repeated or null.</exception>
        public static LabeledData FromImages(
            byte[] pixels, int[] labels, int height, int width, IReadOnlyList<string>? classNames = null)
        {
            ArgumentNullException.ThrowIfNull(pixels);
            ArgumentNullException.ThrowIfNull(labels);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
            long inputs = (long)height * width;
            if (inputs > int.MaxValue)
            {
                throw new ArgumentException($"Images of {height}x{width} pixels have more inputs than an array can index.", nameof(height));
            }

            return new LabeledData(null, pixels, labels, (int)inputs, height, width, classNames);
        }

        /// <summary>Number of rows (examples).</summary>
        public int Count => Labels.Length;

        /// <summary>Values per row: the input width of a model.</summary>
        public int Inputs { get; }

        /// <summary>Whether the inputs are byte pixels (<see cref="Pixels"/>) rather than float features (<see
        /// cref="Features"/>).</summary>
        public bool IsPixels => Pixels is not null || _mappedPixels;

        /// <summary>Float features [Count, Inputs], or null when the data is pixels.</summary>
        public float[]? Features { get; }

        /// <summary>Byte pixels [Count, Inputs], or null when the data is features.</summary>
        public byte[]? Pixels { get; }

        /// <summary>The class label of each row, [Count].</summary>
        public int[] Labels { get; }

        /// <summary>Height of each image in pixels, or 0 when the rows are not images of a known shape.</summary>
        public int ImageHeight { get; }

        /// <summary>Width of each image in pixels, or 0 when the rows are not images of a known shape.</summary>
        public int ImageWidth { get; }

        /// <summary>
        /// The name of each class, indexed by label (<c>ClassNames[Labels[i]]</c> is row i's class), or null when the
        /// data came without names. Readers set it from string labels (GenSoftmax.Data's <c>CsvReader</c>).
        /// </summary>
        public IReadOnlyList<string>? ClassNames { get; }

        /// <summary>
        /// The weight of each row in the loss and its gradient, [Count], or null when every row counts once
        /// (<see cref="WithWeights"/>, <see cref="WithClassWeights"/>).
        /// </summary>
        public float[]? Weights { get; }

        /// <summary>A batch of every row, with labels (and weights, when the data has them).</summary>
        public Batch All() => Weights is null ? Input().WithLabels(Labels) : Input().WithLabels(Labels).WithWeights(Weights);

        /// <summary>
        /// The same rows with a weight each (scikit-learn's <c>sample_weight</c>): the loss and its gradient become
        /// <c>sum_i w_i L_i</c> over the rows (divided by the row count for a minibatch), so weight 2 counts a row twice
        /// and weight 0 leaves it out. The array is used as given, not copied; null removes the weights.
        /// </summary>
        /// <exception cref="ArgumentException">The length is not <see cref="Count"/>, a weight is negative, NaN or infinite
        /// (the message names it), or every weight is 0.</exception>
        public LabeledData WithWeights(float[]? weights)
        {
            if (weights is not null)
            {
                CheckWeights(weights, Count, "weights");
            }

            return new LabeledData(this, null, weights);
        }

        /// <summary>The same rows with weights taken from data whose weights were checked (a subset's may all be 0).</summary>
        internal LabeledData WithCheckedWeights(float[] weights) => new(this, null, weights);

        /// <summary>
        /// The same rows, each weighted by its class's weight (times its own weight, when it has one): scikit-learn's
        /// <c>class_weight</c>. <paramref name="classWeights"/> has one weight per class, indexed by label.
        /// </summary>
        /// <exception cref="ArgumentException">A weight is negative or not finite, a label has no weight, a class without
        /// rows is given a weight other than 1, or every row ends with weight 0.</exception>
        public LabeledData WithClassWeights(ReadOnlySpan<float> classWeights)
        {
            int[] rowsOf = RowsPerClass(Math.Max(classWeights.Length, 1));
            for (int c = 0; c < classWeights.Length; c++)
            {
                float w = classWeights[c];
                if (!(w >= 0f && float.IsFinite(w)))
                {
                    throw new ArgumentException($"The weight of class {ClassLabel(c)} is {w}: class weights must be finite and at least 0.",
                        nameof(classWeights));
                }

                if (rowsOf[c] == 0 && w != 1f)
                {
                    throw new ArgumentException(
                        $"Class {ClassLabel(c)} has a weight ({w}) but no rows in this data: give weights only for classes the data holds.",
                        nameof(classWeights));
                }
            }

            float[] weights = new float[Count];
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = (Weights?[i] ?? 1f) * classWeights[Labels[i]];
            }

            CheckWeights(weights, Count, nameof(classWeights));
            return new LabeledData(this, null, weights);
        }

        /// <summary>
        /// scikit-learn's <c>class_weight='balanced'</c>: class c weighs <c>Count / (k * rows of c)</c>, k the number of
        /// classes that have rows, so every class carries the same total weight; a class without rows gets 1 (it has none
        /// to weigh). Indexed by label, [max(label) + 1, or the number of class names when larger].
        /// </summary>
        public float[] BalancedClassWeights()
        {
            int max = 0;
            foreach (int label in Labels)
            {
                max = Math.Max(max, label);
            }

            int[] rowsOf = RowsPerClass(Math.Max(ClassNames?.Count ?? 0, max + 1));
            int present = 0;
            foreach (int n in rowsOf)
            {
                present += n > 0 ? 1 : 0;
            }

            float[] weights = new float[rowsOf.Length];
            for (int c = 0; c < weights.Length; c++)
            {
                weights[c] = rowsOf[c] == 0 ? 1f : (float)((double)Count / ((double)present * rowsOf[c]));
            }

            return weights;
        }

        /// <summary>
        /// Class weights from a map of class to weight (scikit-learn's <c>class_weight</c> dict), for
        /// <see cref="WithClassWeights"/>: each key is a class name (<see cref="ClassNames"/>) or a label number, and a class the
        /// map leaves out weighs 1. Indexed by label, [max(label) + 1, or the number of class names when larger].
        /// </summary>
        /// <exception cref="ArgumentException">A key names no class of this data (the message names it), or two keys name the
        /// same class.</exception>
        public float[] ClassWeights(IReadOnlyDictionary<string, float> byClass)
        {
            ArgumentNullException.ThrowIfNull(byClass);
            int max = 0;
            foreach (int label in Labels)
            {
                max = Math.Max(max, label);
            }

            float[] weights = new float[Math.Max(ClassNames?.Count ?? 0, max + 1)];
            weights.AsSpan().Fill(1f);
            var seen = new bool[weights.Length];
            foreach ((string key, float weight) in byClass)
            {
                int label = ClassNames is { } names ? IndexOf(names, key) : -1;
                if (label < 0 && !(int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out label) && label < weights.Length))
                {
                    throw new ArgumentException(
                        $"Class '{key}' is not a class of this data: use its name" +
                        (ClassNames is null ? " " : $" ({string.Join(", ", ClassNames)}) ") +
                        $"or a label from 0 to {weights.Length - 1}.", nameof(byClass));
                }

                if (seen[label])
                {
                    throw new ArgumentException($"Class '{key}' is given a weight twice.", nameof(byClass));
                }

                seen[label] = true;
                weights[label] = weight;
            }

            return weights;
        }

        private static int IndexOf(IReadOnlyList<string> names, string name)
        {
            for (int i = 0; i < names.Count; i++)
            {
                if (names[i] == name)
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Rows per class, [at least <paramref name="classes"/>]; a label beyond it is reported as having no weight.</summary>
        private int[] RowsPerClass(int classes)
        {
            int[] rowsOf = new int[classes];
            for (int i = 0; i < Labels.Length; i++)
            {
                int label = Labels[i];
                if (label >= classes)
                {
                    throw new ArgumentException(
                        $"Row {i} has class {ClassLabel(label)}, which has no weight: give one weight per class ({label + 1} or more).",
                            "classWeights");
                }

                rowsOf[label]++;
            }

            return rowsOf;
        }

        private string ClassLabel(int c) =>
            ClassNames is { } names && c < names.Count ? $"{c} ('{names[c]}')" : c.ToString(CultureInfo.InvariantCulture);

        /// <summary>Checks per-row weights: the length, each finite and at least 0, and not all 0.</summary>
        internal static void CheckWeights(ReadOnlySpan<float> weights, int count, string name)
        {
            if (weights.Length != count)
            {
                throw new ArgumentException($"There are {Plural.Of(weights.Length, "weight")} for {Plural.Of(count, "row")}: give one " +
                    $"weight per row.", name);
            }

            bool any = false;
            for (int i = 0; i < weights.Length; i++)
            {
                float w = weights[i];
                if (!(w >= 0f && float.IsFinite(w)))
                {
                    throw new ArgumentException($"Weight {i} is {w}: a row's weight must be finite and at least 0 (0 leaves the row out).",
                        name);
                }

                any |= w > 0f;
            }

            if (!any)
            {
                throw new ArgumentException($"Every weight is 0: at least one row must count.", name);
            }
        }

        /// <summary>A batch of the rows <paramref name="rows"/> (repeats allowed), with labels; an empty list is an empty batch.</summary>
        public Batch Rows(ReadOnlySpan<int> rows) => All().WithRows(rows);

        private Batch Input() => IsPixels ? Batch.Of(PixelValues) : Batch.Of(FeatureValues);

        /// <summary>The features [Count, Inputs], whether in <see cref="Features"/> or mapped; empty for pixels.</summary>
        internal unsafe ReadOnlySpan<float> FeatureValues =>
            _mapped is null ? Features : _mappedPixels ? default : new ReadOnlySpan<float>(_mapped, checked(Count * Inputs));

        /// <summary>The pixels [Count, Inputs], whether in <see cref="Pixels"/> or mapped; empty for features.</summary>
        internal unsafe ReadOnlySpan<byte> PixelValues =>
            _mapped is null ? Pixels : _mappedPixels ? new ReadOnlySpan<byte>(_mapped, checked(Count * Inputs)) : default;

        /// <summary>The pixels of row <paramref name="index"/>, [Inputs] (an image row by row).</summary>
        /// <exception cref="InvalidOperationException">The data is float features.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in 0..Count-1.</exception>
        public ReadOnlySpan<byte> Image(int index)
        {
            byte[] pixels = Pixels ?? throw new InvalidOperationException("This data set holds float features, not pixels.");
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(index), index, $"Image {index} does not exist: there are {Plural.Of(Count, "image")} (0..{Count - 1}).");
            }

            return new ReadOnlySpan<byte>(pixels, index * Inputs, Inputs);
        }

        /// <summary>
        /// The same rows as float features, pixels divided by 255 (the textbook's <c>ToTensor</c>), in new arrays;
        /// features are returned as they are.
        /// </summary>
        public LabeledData ToFeatures() => Pixels is null ? this : new LabeledData(this, ToFloats(), Weights);

        /// <summary>The inputs as floats in a new array, [Count, Inputs]: pixels divided by 255, or a copy of the features.</summary>
        public float[] ToFloats()
        {
            float[] result = GC.AllocateUninitializedArray<float>(Count * Inputs);
            ToFloats(result);
            return result;
        }

        /// <summary>Writes the inputs as floats into <paramref name="destination"/>, [Count, Inputs]: pixels divided by 255.</summary>
        /// <exception cref="ArgumentException"><paramref name="destination"/> does not have exactly <c>Count * Inputs</c>
        /// elements.</exception>
        public void ToFloats(Span<float> destination)
        {
            if (destination.Length != Count * Inputs)
            {
                throw new ArgumentException(
                    $"{nameof(destination)} has {Plural.Of(destination.Length, "element")} but must have {Count * Inputs} ([{Count}, " +
                        $"{Inputs}]).",
                    nameof(destination));
            }

            if (Features is not null)
            {
                Features.CopyTo(destination);
                return;
            }

            ReadOnlySpan<byte> source = Pixels;
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
                    (Vector.ConvertToSingle(Vector.AsVectorInt32(c)) / scale).CopyTo(destination.Slice(i + (2 * width)));
                    (Vector.ConvertToSingle(Vector.AsVectorInt32(d)) / scale).CopyTo(destination.Slice(i + (3 * width)));
                }
            }

            for (; i < source.Length; i++)
            {
                destination[i] = source[i] / 255f;
            }
        }

        /// <summary>Checks that a model of this shape can use the data: the input width, and every label a class of it.</summary>
        [MethodImpl(Internal.FirstCall.Optimized)] // one compile, not tier 0 and an on-stack replacement
        internal void CheckFits(ISoftmaxModel model, string name)
        {
            if (Inputs != model.Inputs || Count == 0)
            {
                ThrowDoesNotFit(model, name);
            }

            int classes = model.Classes;
            int[] labels = Labels;
            for (int i = 0; i < labels.Length; i++)
            {
                if ((uint)labels[i] >= (uint)classes)
                {
                    ThrowNotAClass(labels[i], i, classes, name);
                }
            }
        }

        [DoesNotReturn]
        private void ThrowDoesNotFit(ISoftmaxModel model, string name)
        {
            if (Inputs != model.Inputs)
            {
                throw new ArgumentException(
                    $"The {name} data has {Plural.Of(Inputs, "input")} per row but the model takes {model.Inputs}: " +
                    $"use a model with {Plural.Of(Inputs, "input")}, or reshape the data.", name);
            }

            throw new ArgumentException($"The {name} data is empty.", name);
        }

        // The messages apart, so the check above compiles small (it is compiled on every fresh process's first epoch).
        [DoesNotReturn]
        private static void ThrowNotAClass(int label, int row, int classes, string name) =>
            throw new ArgumentException(
                $"Label {label} of {name} row {row} is not a class of the model, which has {classes} (0..{classes - 1}).", name);
    }
}
