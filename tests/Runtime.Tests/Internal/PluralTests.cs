using System;
using Xunit;

namespace GenSoftmax.Tests.Internal
{
    public class PluralTests
    {
        [Theory]
        [InlineData(1, "row", "1 row")]
        [InlineData(0, "row", "0 rows")]
        [InlineData(2, "class", "2 classes")]
        [InlineData(1, "class", "1 class")]
        [InlineData(3, "batch", "3 batches")]
        [InlineData(8, "epoch", "8 epochs")]
        [InlineData(-1, "element", "-1 elements")]
        public void A_count_takes_the_singular_only_for_one(long count, string noun, string expected) =>
            Assert.Equal(expected, Plural.Of(count, noun));

        [Fact]
        public void Messages_about_one_element_say_element()
        {
            var model = new RuntimeSoftmaxModel(3, 2);
            var e = Assert.Throws<ArgumentException>(() => model.Predict(Batch.Of(new float[6]), new int[1]));
            Assert.Contains("has 1 element but must have 2", e.Message);
            Assert.Equal("12,345 bytes", Plural.Of(12345, "byte", "N0"));
        }
    }
}
