using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Streaming;
using Xunit;

namespace GenSoftmax.Tests.Streaming
{
    /// <summary>The layout and order of streamed windows (<see cref="RowWindows"/>): every row once an epoch, whole batches, a fixed order.</summary>
    public sealed class RowWindowsTests
    {
        /// <summary>Rows whose one feature is their row number, and whose label is the row number mod 3.</summary>
        private sealed class Numbered(long count, long budget) : RowSource(budget)
        {
            public override long Count => count;

            public override int Inputs => 1;

            public override int Classes => 3;

            public override IReadOnlyList<string>? ClassNames => null;

            public override IReadOnlyList<long> RowsPerClass => [count, count, count];

            public override bool IsPixels => false;

            public override bool HasWeights => false;

            public override string Description => "numbered rows";

            protected override void ReadRowsCore(long first, Span<float> features, Span<byte> pixels, Span<int> labels, Span<float> weights)
            {
                for (int i = 0; i < labels.Length; i++)
                {
                    features[i] = first + i;
                    labels[i] = (int)((first + i) % 3);
                }
            }
        }

        private static List<int[]> Epoch(RowWindows windows, int epoch)
        {
            var result = new List<int[]>();
            for (int w = 0; w < windows.Windows; w++)
            {
                RowWindows.Window window = windows.Get(epoch, w, w + 1 < windows.Windows ? (epoch, w + 1) : (epoch + 1, 0));
                Assert.Equal(windows.RowsIn(epoch, w), window.Rows);
                result.Add(window.Order.AsSpan(0, window.Rows).ToArray().Select(i => (int)window.Features![i]).ToArray());
            }

            return result;
        }

        [Theory]
        [InlineData(1000, 16, 7)]
        [InlineData(1000, 16, 1)]
        [InlineData(999, 100, 10)]
        [InlineData(5, 3, 2)]
        [InlineData(1_000_003, 4096, 256)]
        public void Every_row_is_visited_once_an_epoch_in_whole_batches_in_an_order_of_seed_and_epoch(int count, int rowsPerBuffer, int batch)
        {
            long budget = 2L * rowsPerBuffer * (sizeof(float) + sizeof(int) + sizeof(int));
            using var source = new Numbered(count, budget);
            using var windows = new RowWindows(source, batch, seed: 5, shuffled: true);
            using var again = new RowWindows(source, batch, seed: 5, shuffled: true);
            List<int[]> first = Epoch(windows, 1);
            Assert.Equal(Enumerable.Range(0, count), first.SelectMany(w => w).Order());
            Assert.Equal((count + batch - 1) / batch, first.Sum(w => (w.Length + batch - 1) / batch));
            Assert.True(first.Count(w => w.Length % batch != 0) <= 1, "only the window with the file's last block ends in a partial batch");
            Assert.All(first, w => Assert.True(w.Length <= rowsPerBuffer));
            Assert.Equal(first, Epoch(again, 1));
            if (count > rowsPerBuffer)
            {
                List<int[]> second = Epoch(windows, 2);
                Assert.Equal(Enumerable.Range(0, count), second.SelectMany(w => w).Order());
                Assert.NotEqual(first.SelectMany(w => w), second.SelectMany(w => w));
                Assert.Equal(second, Epoch(again, 2)); // a window rebuilt without the ones before it is the same
            }
        }

        [Fact]
        public void A_batch_larger_than_a_buffer_is_an_error_that_says_which_budget_would_do()
        {
            using var source = new Numbered(100, 2 * 10 * 12);
            var e = Assert.Throws<ArgumentException>(() => new RowWindows(source, 16, 1, shuffled: true));
            Assert.Contains("holds 10 rows of numbered rows per buffer, but a batch is 16 rows", e.Message);
            Assert.Contains("give a budget of at least 384 bytes", e.Message);
        }

        [Fact]
        public void Sequential_windows_are_the_rows_in_file_order()
        {
            using var source = new Numbered(1234, 2 * 100 * 12);
            using var windows = new RowWindows(source, 1, 0, shuffled: false);
            Assert.Equal(Enumerable.Range(0, 1234), Epoch(windows, 0).SelectMany(w => w));
        }
    }
}
