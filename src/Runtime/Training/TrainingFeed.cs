using System;
using GenSoftmax.Streaming;

namespace GenSoftmax.Training
{
    /// <summary>
    /// The training rows of an epoch as the trainer's one SGD loop consumes them: windows of rows, each with the order its
    /// rows are trained in. Data in memory is one window, all of it, in the trainer's epoch order; streamed data is the
    /// windows of a <see cref="RowWindows"/> (one kept window, in the same epoch order, when it all fits).
    /// </summary>
    internal sealed class TrainingFeed
    {
        private readonly LabeledData? _data;
        private readonly RowWindows? _windows;
        private readonly Func<int, int[]> _epochOrder;

        /// <summary>Rows of <paramref name="data"/> in memory, <paramref name="rows"/> of them trained each epoch in <paramref
        /// name="epochOrder"/>.</summary>
        public TrainingFeed(LabeledData data, long rows, Func<int, int[]> epochOrder)
        {
            _data = data;
            Rows = rows;
            _epochOrder = epochOrder;
        }

        /// <summary>Streamed rows; <paramref name="epochOrder"/> orders them when they fit one window.</summary>
        public TrainingFeed(RowWindows windows, long rows, Func<int, int[]> epochOrder)
        {
            _windows = windows;
            Rows = rows;
            _epochOrder = epochOrder;
        }

        /// <summary>Rows trained per epoch.</summary>
        public long Rows { get; }

        /// <summary>Windows per epoch.</summary>
        public int Windows => _windows is { IsWhole: false } w ? w.Windows : 1;

        /// <summary>Rows in window <paramref name="window"/> of <paramref name="epoch"/>.</summary>
        public int RowsIn(int epoch, int window) => _windows is { IsWhole: false } w ? w.RowsIn(epoch, window) : (int)Rows;

        /// <summary>
        /// The rows of window <paramref name="window"/> of <paramref name="epoch"/> and their order; <paramref name="next"/> is the
        /// window wanted after it, read meanwhile.
        /// </summary>
        public (LabeledData Data, int[] Order) Window(int epoch, int window, (int Epoch, int Window)? next)
        {
            if (_windows is null)
            {
                return (_data!, _epochOrder(epoch));
            }

            RowWindows.Window w = _windows.Get(epoch, window, next);
            return (w.Data, _windows.IsWhole ? _epochOrder(epoch) : w.Order);
        }
    }
}
