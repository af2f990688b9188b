using System;

namespace GenSoftmax
{
    /// <summary>Shorthands for the commonest batches: every row of a span of features or pixels.</summary>
    public static class SoftmaxModelExtensions
    {
        /// <summary>Logits of every row of <paramref name="features"/> [n, Inputs] into <paramref name="logits"/> [n, Classes].</summary>
        public static void Forward(this ISoftmaxModel model, ReadOnlySpan<float> features, Span<float> logits) =>
            NotNull(model).Forward(Batch.Of(features), logits);

        /// <summary>Logits of every row of <paramref name="pixels"/> [n, Inputs] (scaled by 1/255) into <paramref
        /// name="logits"/>.</summary>
        public static void Forward(this ISoftmaxModel model, ReadOnlySpan<byte> pixels, Span<float> logits) =>
            NotNull(model).Forward(Batch.Of(pixels), logits);

        /// <summary>Class probabilities of every row of <paramref name="features"/> into <paramref name="probabilities"/> [n,
        /// Classes].</summary>
        public static void Probabilities(this ISoftmaxModel model, ReadOnlySpan<float> features, Span<float> probabilities) =>
            NotNull(model).Probabilities(Batch.Of(features), probabilities);

        /// <summary>Class probabilities of every row of <paramref name="pixels"/> into <paramref name="probabilities"/> [n,
        /// Classes].</summary>
        public static void Probabilities(this ISoftmaxModel model, ReadOnlySpan<byte> pixels, Span<float> probabilities) =>
            NotNull(model).Probabilities(Batch.Of(pixels), probabilities);

        /// <summary>The most likely class of every row of <paramref name="features"/> into <paramref name="predictions"/> [n].</summary>
        public static void Predict(this ISoftmaxModel model, ReadOnlySpan<float> features, Span<int> predictions) =>
            NotNull(model).Predict(Batch.Of(features), predictions);

        /// <summary>The most likely class of every row of <paramref name="pixels"/> into <paramref name="predictions"/> [n].</summary>
        public static void Predict(this ISoftmaxModel model, ReadOnlySpan<byte> pixels, Span<int> predictions) =>
            NotNull(model).Predict(Batch.Of(pixels), predictions);

        /// <summary>The most likely class of one row of <paramref name="features"/> [Inputs].</summary>
        /// <exception cref="ArgumentException">The row does not have exactly Inputs values.</exception>
        public static int Predict(this ISoftmaxModel model, ReadOnlySpan<float> features) =>
            PredictOne(NotNull(model), Batch.Of(features), features.Length);

        /// <summary>The most likely class of one row of <paramref name="pixels"/> [Inputs] (scaled by 1/255).</summary>
        /// <exception cref="ArgumentException">The row does not have exactly Inputs values.</exception>
        public static int Predict(this ISoftmaxModel model, ReadOnlySpan<byte> pixels) =>
            PredictOne(NotNull(model), Batch.Of(pixels), pixels.Length);

        private static int PredictOne(ISoftmaxModel model, in Batch row, int length)
        {
            if (length != model.Inputs)
            {
                throw new ArgumentException(
                    $"One row has {Plural.Of(model.Inputs, "value")} for this model, not {length}: pass a single row (several rows take " +
                        $"a span of predictions).", "row");
            }

            Span<int> prediction = stackalloc int[1];
            model.Predict(row, prediction);
            return prediction[0];
        }

        private static ISoftmaxModel NotNull(ISoftmaxModel model)
        {
            ArgumentNullException.ThrowIfNull(model);
            return model;
        }
    }
}
