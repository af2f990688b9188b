using System;
using System.Linq;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests
{
    /// <summary>HoldOut: the one splitter behind early stopping's held-out rows and the app's --validation.</summary>
    public sealed class HoldOutTests
    {
        [Theory]
        [InlineData(10, 0.25, 3)]
        [InlineData(60_000, 0.1, 42)]
        [InlineData(7, 0.01, 1)]
        [InlineData(5, 0.99, 7)]
        public void Rows_are_a_sorted_partition_with_the_ceiling_share_clamped_to_one_and_all_but_one(int count, double fraction, int seed)
        {
            (int[] training, int[] heldOut) = HoldOut.Rows(count, fraction, seed);

            Assert.Equal(Math.Clamp((int)Math.Ceiling(fraction * count), 1, count - 1), heldOut.Length);
            Assert.Equal(Enumerable.Range(0, count), training.Concat(heldOut).Order());
            Assert.Equal(training.Order(), training);
            Assert.Equal(heldOut.Order(), heldOut);
        }

        [Fact]
        public void A_seed_always_holds_out_the_same_rows_and_early_stopping_uses_them()
        {
            // Early stopping's share is a float: 0.1f is 0.100000001..., so it holds out ⌈100.000001⌉ = 101 of 1000 rows.
            (int[] training, int[] heldOut) = HoldOut.Rows(1000, 0.1f, 42);

            Assert.Equal(101, heldOut.Length);
            Assert.Equal(heldOut, HoldOut.Rows(1000, 0.1f, 42).HeldOut);
            Assert.NotEqual(heldOut, HoldOut.Rows(1000, 0.1f, 43).HeldOut);
            (int[] stoppingTraining, int[] stoppingHeldOut) = new EarlyStoppingOptions { HoldOutFraction = 0.1f }.Split(1000, 42);
            Assert.Equal(heldOut, stoppingHeldOut);
            Assert.Equal(training, stoppingTraining);
        }

        [Fact]
        public void Split_keeps_each_rows_pixels_label_shape_and_class_names()
        {
            byte[] pixels = Enumerable.Range(0, 8 * 6).Select(i => (byte)i).ToArray();
            int[] labels = [0, 1, 2, 0, 1, 2, 0, 1];
            string[] names = ["a", "b", "c"];
            var data = LabeledData.FromImages(pixels, labels, 2, 3, names);

            (LabeledData training, LabeledData heldOut) = HoldOut.Split(data, 0.25, 5);

            (int[] trainingRows, int[] heldOutRows) = HoldOut.Rows(8, 0.25, 5);
            foreach ((LabeledData part, int[] rows) in new[] { (training, trainingRows), (heldOut, heldOutRows) })
            {
                Assert.Equal((2, 3), (part.ImageHeight, part.ImageWidth));
                Assert.Equal(names, part.ClassNames);
                Assert.Equal(rows.Select(r => labels[r]), part.Labels);
                for (int i = 0; i < rows.Length; i++)
                {
                    Assert.Equal(data.Image(rows[i]).ToArray(), part.Image(i).ToArray());
                }
            }
        }

        [Fact]
        public void Split_of_features_keeps_the_floats()
        {
            float[] features = Enumerable.Range(0, 5 * 2).Select(i => i * 0.5f).ToArray();
            var data = LabeledData.FromFeatures(features, [0, 1, 0, 1, 0], 2);

            (LabeledData training, LabeledData heldOut) = HoldOut.Split(data, 0.4, 1);

            (int[] trainingRows, _) = HoldOut.Rows(5, 0.4, 1);
            Assert.Equal(2, heldOut.Count);
            Assert.Equal(trainingRows.SelectMany(r => features.Skip(r * 2).Take(2)), training.Features);
        }

        [Fact]
        public void Bad_arguments_are_refused()
        {
            Assert.Throws<ArgumentException>(() => HoldOut.Rows(1, 0.5, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => HoldOut.Rows(10, 0, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => HoldOut.Size(10, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => HoldOut.Size(-1, 0.5));
            Assert.Equal(5, HoldOut.Size(5, 0.99));
            Assert.Equal(0, HoldOut.Size(0, 0.5));
        }
    }
}
