using System;
using System.Collections.Generic;
using System.Threading.Tasks;

namespace GenSoftmax.Streaming
{
    /// <summary>
    /// The rows of a <see cref="RowSource"/> in windows that fit its memory budget: two buffers, one handed out while the
    /// other is filled in the background with the window asked for next.
    /// </summary>
    /// <remarks>
    /// <para>Layout. A buffer holds the budget's half (<see cref="RowSource.RowsPerBuffer"/>), rounded down to whole
    /// multiples of <c>rowMultiple</c> (the batch size, so no batch spans two windows and an epoch has
    /// ceil(rows / batch) batches, as in memory). The rows are cut into blocks of <see cref="BlockRows"/> consecutive rows,
    /// the unit of the epoch's order; a window is <see cref="BlocksPerWindow"/> blocks. Only the last block of the file is
    /// short, so at most one window per epoch ends in a partial batch.</para>
    /// <para>Shuffled (training): epoch e visits the blocks in the order <c>new Random(Mix(seed, e))</c> shuffles them
    /// into, and window w's rows in the order <c>new Random(Mix(seed, e, w))</c> shuffles them into: both functions of
    /// (seed, epoch, window) alone, so a window can be rebuilt after an interruption without replaying the ones before it.
    /// Paged (training, a file whose rows are stored as trained on, <see cref="PagedRows"/>): a window's blocks are the
    /// file's pages, mapped or read around the page cache into the window's memory, rather than copies; the rows and their
    /// order are the copy's.
    /// Data that fits one buffer is read once and kept (<see cref="IsWhole"/>); the caller orders its rows as it orders
    /// rows in memory. Sequential (evaluation, prediction): window w is block w, rows in file order.</para>
    /// </remarks>
    internal sealed class RowWindows : IDisposable
    {
        /// <summary>Blocks per window when the window holds that many: more blocks mix rows from more places in the file.</summary>
        private const int MaxBlocksPerWindow = 8;

        private readonly RowSource _source;
        private readonly int _seed;
        private readonly bool _shuffled;
        private readonly long _blocks;
        private readonly Window?[] _buffers = new Window?[2];
        private readonly int _capacity;
        private BlockOrdering? _blockOrder; // replaced whole, never changed: the background read may be using the previous one
        private PagedRows? _paged;          // the file's pages filling windows in place of copies; null when rows are copied
        private readonly int _gap;          // rows whose bytes are whole pages: block offsets in a paged window step by it
        private readonly int _slotRows;     // rows of address space per block of a paged window
        private readonly bool[] _checked;   // blocks whose mapped inputs were checked (the lease keeps them unchanged)
        private Task? _pending;
        private int _current = -1; // the buffer handed out last
        private int _pendingBuffer = -1;

        /// <summary>Windows over <paramref name="source"/>, each a whole number of <paramref name="rowMultiple"/> rows.</summary>
        /// <exception cref="ArgumentException">The budget holds less than <paramref name="rowMultiple"/> rows per buffer.</exception>
        public RowWindows(RowSource source, int rowMultiple, int seed, bool shuffled)
        {
            _source = source;
            _seed = seed;
            _shuffled = shuffled;
            int capacity = source.RowsPerBuffer();
            if (capacity < rowMultiple)
            {
                long needed = 2L * rowMultiple * (source.BytesPerRow + sizeof(int));
                throw new ArgumentException(
                    $"The memory budget of {RowSource.FormatBytes(source.MemoryBudget)} holds {capacity:N0} rows of {source.Description} " +
                        $"per buffer, " +
                    $"but a batch is {rowMultiple:N0} rows and must fit in one: give a budget of at least " +
                        $"{RowSource.FormatBytes(needed)}, " +
                    "or use a smaller batch.");
            }

            long windowRows = capacity / rowMultiple * (long)rowMultiple;
            if (source.Count <= windowRows)
            {
                IsWhole = true;
                BlockRows = (int)source.Count;
                BlocksPerWindow = 1;
            }
            else
            {
                BlocksPerWindow = shuffled ? (int)Math.Min(MaxBlocksPerWindow, windowRows / rowMultiple) : 1;
                BlockRows = (int)(windowRows / BlocksPerWindow / rowMultiple * rowMultiple);
            }

            _capacity = BlockRows * BlocksPerWindow;
            _blocks = (source.Count + BlockRows - 1) / BlockRows;
            _checked = [];
            if (shuffled && !IsWhole && source.Paged is { } paged)
            {
                // A block is filled from the page holding its first row, at an address with the same offset in its page: its
                // first row goes g rows into its slot, g = page / gcd(row bytes, page), so slots of ceil(BlockRows, g) + 3g rows
                // keep two pages between neighbours (bench/results/2026-12-05-mapped-windows). A direct window holds those
                // rows in memory, so it is used only when they are at most an eighth of a block.
                int page = PagedRows.PageSize;
                _gap = page / Math.Min(page, paged.RowBytes & -paged.RowBytes); // gcd(row bytes, page) of a power-of-two page
                _slotRows = ((BlockRows + _gap - 1) / _gap * _gap) + (3 * _gap);
                long values = (long)_slotRows * BlocksPerWindow * source.Inputs;
                bool fits = BlockRows >= (paged.IsDirect ? 24 * _gap : _gap) && values <= Array.MaxLength && _blocks <= Array.MaxLength;
                if (fits && (paged.IsDirect || paged.TryLease()))
                {
                    _paged = paged;
                    _checked = new bool[_blocks];
                }
            }
        }

        /// <summary>Whether windows are filled page by page (mapped, or read around the page cache) rather than copied.</summary>
        public bool IsPaged => _paged is not null;

        /// <summary>Whether every row fits one buffer: it is read once, and window 0 is all of them in file order.</summary>
        public bool IsWhole { get; }

        /// <summary>Consecutive rows per block, the unit of an epoch's order.</summary>
        public int BlockRows { get; }

        /// <summary>Blocks per window (the last window of an epoch may have fewer).</summary>
        public int BlocksPerWindow { get; }

        /// <summary>Windows per epoch.</summary>
        public int Windows => (int)((_blocks + BlocksPerWindow - 1) / BlocksPerWindow);

        /// <summary>Rows in window <paramref name="window"/> of <paramref name="epoch"/>.</summary>
        public int RowsIn(int epoch, int window)
        {
            int rows = 0;
            int[] order = BlockOrder(epoch);
            int end = (int)Math.Min(_blocks, ((long)window + 1) * BlocksPerWindow);
            for (int i = window * BlocksPerWindow; i < end; i++)
            {
                rows += BlockLength(order[i]);
            }

            return rows;
        }

        /// <summary>
        /// Window <paramref name="window"/> of <paramref name="epoch"/> (the epoch only matters when shuffled), and the start of
        /// the background read of <paramref name="next"/>, the window the caller will ask for after it. The window stays valid
        /// until the next call.
        /// </summary>
        /// <exception cref="System.IO.InvalidDataException">A file changed or is damaged (also from the background read).</exception>
        public Window Get(int epoch, int window, (int Epoch, int Window)? next)
        {
            Window? result = null;
            if (_pending is not null)
            {
                Task pending = _pending;
                _pending = null;
                pending.GetAwaiter().GetResult(); // a failed read surfaces here, as itself
                if (_buffers[_pendingBuffer] is { } filled && filled.Epoch == epoch && filled.Index == window)
                {
                    result = filled;
                }
            }

            if (_paged is { IsDirect: false } && !_paged.LeaseHeld)
            {
                // Another process asked to write the file: nothing of it stays mapped, the writer goes on, and rows are copied
                // (and checked) from here on, so a file that changes is the error it is without mapping.
                StopPaging();
                result = null;
            }

            if (IsWhole)
            {
                result = _buffers[0] ??= NewWindow();
                if (result.Index != 0)
                {
                    Fill(result, epoch, 0);
                }

                return result;
            }

            if (result is null)
            {
                // Not the window read ahead (the first call, or a jump): read it into the buffer not handed out last.
                int free = _current == 0 ? 1 : 0;
                result = _buffers[free] ??= NewWindow();
                Fill(result, epoch, window);
            }

            _current = ReferenceEquals(result, _buffers[0]) ? 0 : 1;
            if (next is { } n && n.Window < Windows)
            {
                int other = 1 - _current;
                Window target = _buffers[other] ??= NewWindow();
                target.Index = -1;
                _pendingBuffer = other;
                _pending = Task.Run(() => Fill(target, n.Epoch, n.Window));
            }

            return result;
        }

        /// <summary>Reads window <paramref name="window"/> of <paramref name="epoch"/> into <paramref name="target"/>.</summary>
        private void Fill(Window target, int epoch, int window)
        {
            target.Index = -1;
            if (target.IsPaged)
            {
                FillPaged(target, epoch, window);
                return;
            }

            int[] order = BlockOrder(epoch);
            int inputs = _source.Inputs;
            int at = 0;
            int end = (int)Math.Min(_blocks, ((long)window + 1) * BlocksPerWindow);
            for (int i = window * BlocksPerWindow; i < end; i++)
            {
                int block = order[i];
                int rows = BlockLength(block);
                _source.ReadRows(
                    (long)block * BlockRows,
                    target.Features is null ? default : target.Features.AsSpan(at * inputs, rows * inputs),
                    target.Pixels is null ? default : target.Pixels.AsSpan(at * inputs, rows * inputs),
                    target.Labels.AsSpan(at, rows),
                    target.Weights is null ? default : target.Weights.AsSpan(at, rows));
                at += rows;
            }

            target.Rows = at;
            Internal.Blas.Iota(target.Order.AsSpan(0, at));

            Finish(target, epoch, window);
        }

        /// <summary>
        /// <see cref="Fill"/> for a paged window: block k's pages are mapped or read into slot k of the window's memory, its
        /// labels and weights read to the same rows, and row i of the window (in block order, as a copy would hold it) is
        /// named by its row in that layout, so the order, and the training, is the copy's bit for bit.
        /// </summary>
        private unsafe void FillPaged(Window target, int epoch, int window)
        {
            PagedRows paged = _paged!;
            int page = PagedRows.PageSize;
            int rowBytes = paged.RowBytes;
            paged.Clear(target.Region, target.RegionBytes);
            int[] order = BlockOrder(epoch);
            int at = 0;
            int end = (int)Math.Min(_blocks, ((long)window + 1) * BlocksPerWindow);
            for (int i = window * BlocksPerWindow, slot = 0; i < end; i++, slot++)
            {
                int block = order[i];
                int rows = BlockLength(block);
                long first = (long)block * BlockRows;
                int row = (slot * _slotRows) + (int)(first % _gap); // the same offset in its page as in the file
                byte* start = target.Rows0 + ((long)row * rowBytes);
                long fileStart = paged.DataOffset + (first * rowBytes);
                long fileEnd = fileStart + ((long)rows * rowBytes);
                long from = fileStart - (fileStart % page);
                long to = (fileEnd + page - 1) / page * page;
                long got = paged.Fill(start - (fileStart - from), (nuint)(to - from), from);
                _source.ReadPagedRows( // first: a file that changed size is an error before its pages are touched
                    first, new ReadOnlySpan<byte>(start, rows * rowBytes), paged.IsDirect || !_checked[block],
                    target.Labels.AsSpan(row, rows), target.Weights is null ? default : target.Weights.AsSpan(row, rows));
                if (got < fileEnd - from)
                {
                    throw new System.IO.InvalidDataException(
                        $"{_source.Description} ended at byte {from + got} while it was read, before row {first + rows - 1} ended at " +
                            $"byte {fileEnd}: the file is damaged or was truncated. Write it again, then start over.");
                }

                _checked[block] = true;
                for (int r = 0; r < rows; r++)
                {
                    target.Order[at + r] = row + r;
                }

                at += rows;
            }

            target.Rows = at;
            paged.WindowsFilled++;
            Finish(target, epoch, window);
        }

        /// <summary>Shuffles a filled window's order (training) and marks it as holding <paramref name="window"/>.</summary>
        private void Finish(Window target, int epoch, int window)
        {
            if (_shuffled && !IsWhole)
            {
                // Fisher-Yates moves positions, whatever they hold: a mapped window's rows take the copy's order.
                new Random(Mix(_seed, epoch, window)).Shuffle(target.Order.AsSpan(0, target.Rows));
            }

            target.Epoch = epoch;
            target.Index = window;
        }

        /// <summary>Frees both windows (unmaps them) and gives the file's lease up; windows are copies from then on.</summary>
        private void StopPaging()
        {
            for (int i = 0; i < _buffers.Length; i++)
            {
                _buffers[i]?.Free();
                _buffers[i] = null;
            }

            _current = -1;
            _paged?.ReleaseLease();
            _paged = null;
        }

        private int BlockLength(int block) => (int)Math.Min(BlockRows, _source.Count - ((long)block * BlockRows));

        /// <summary>The order of the blocks in <paramref name="epoch"/> (ascending when sequential).</summary>
        private int[] BlockOrder(int epoch)
        {
            if (_blockOrder is { } cached && (cached.Epoch == epoch || !_shuffled))
            {
                return cached.Order;
            }

            // Built afresh for the epoch (never from the previous one), so the caller's thread and the background read agree.
            int[] order = new int[_blocks];
            Internal.Blas.Iota(order);

            if (_shuffled)
            {
                new Random(Mix(_seed, epoch, -1)).Shuffle(order);
            }

            _blockOrder = new BlockOrdering(epoch, order);
            return order;
        }

        private sealed record BlockOrdering(int Epoch, int[] Order);

        /// <summary>A seed from (seed, epoch, window) by SplitMix64's finaliser: fixed across processes and .NET versions.</summary>
        internal static int Mix(int seed, int epoch, int window)
        {
            ulong z = unchecked(((ulong)(uint)seed << 32) ^ ((ulong)(uint)epoch * 0x9E3779B97F4A7C15UL) ^ (uint)window);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            return (int)(uint)((z ^ (z >> 31)) & int.MaxValue);
        }

        private Window NewWindow()
        {
            int inputs = _source.Inputs;
            if (_paged is { } paged)
            {
                int rows = _slotRows * BlocksPerWindow;
                float[]? w = _source.HasWeights ? new float[rows] : null;
                return Window.Paged(paged, rows, inputs, w, new int[_capacity], _source.ClassNames);
            }

            long values = (long)_capacity * inputs;
            float[]? features = _source.IsPixels ? null : GC.AllocateUninitializedArray<float>(checked((int)values));
            byte[]? pixels = _source.IsPixels ? GC.AllocateUninitializedArray<byte>(checked((int)values)) : null;
            int[] labels = new int[_capacity];
            float[]? weights = _source.HasWeights ? new float[_capacity] : null;
            return new Window(
                LabeledData.Window(features, pixels, labels, weights, inputs, _source.ClassNames), features, pixels, labels, weights,
                    new int[_capacity]);
        }

        /// <summary>Waits for a background read in progress, so the source can be closed.</summary>
        public void Dispose()
        {
            try
            {
                _pending?.Wait();
            }
            catch (AggregateException)
            {
                // The read was not asked for; its failure is of no interest.
            }

            _pending = null;
            StopPaging();
        }

        /// <summary>One buffer: rows <c>[0, Rows)</c> of <see cref="Data"/>, in the order <see cref="Order"/> [Rows].</summary>
        internal sealed unsafe class Window(
            LabeledData data, float[]? features, byte[]? pixels, int[] labels, float[]? weights, int[] order)
        {
            /// <summary>A window whose inputs are filled page by page: memory for [rows] rows, none filled yet.</summary>
            public static Window Paged(
                PagedRows paged, int rows, int inputs, float[]? weights, int[] order, IReadOnlyList<string>? classNames)
            {
                int page = PagedRows.PageSize;
                nuint bytes = (nuint)((long)rows * paged.RowBytes) + (nuint)(2 * page);
                byte* region = paged.Allocate(bytes);
                byte* rows0 = region + (paged.DataOffset % page); // row addresses share the file's offsets within a page
                int[] labels = new int[rows];
                return new Window(
                    LabeledData.Mapped(rows0, paged.IsPixels, labels, weights, inputs, classNames), null, null, labels, weights, order)
                {
                    Pages = paged,
                    Region = region,
                    RegionBytes = bytes,
                    Rows0 = rows0,
                };
            }

            public LabeledData Data { get; } = data;

            /// <summary>The file a paged window's pages come from, or null.</summary>
            public PagedRows? Pages { get; private init; }

            /// <summary>The memory of a paged window, or null.</summary>
            public byte* Region { get; private set; }

            public nuint RegionBytes { get; private init; }

            /// <summary>Where row 0 of a paged window starts.</summary>
            public byte* Rows0 { get; private init; }

            public bool IsPaged => Region is not null;

            /// <summary>Returns a paged window's memory (its data is invalid after).</summary>
            public void Free()
            {
                if (Region is not null)
                {
                    Pages!.Free(Region, RegionBytes);
                    Region = null;
                    Index = -1;
                }
            }

            public float[]? Features { get; } = features;

            public byte[]? Pixels { get; } = pixels;

            public int[] Labels { get; } = labels;

            public float[]? Weights { get; } = weights;

            public int[] Order { get; } = order;

            public int Rows { get; set; }

            public int Epoch { get; set; } = -1;

            /// <summary>The window held, -1 for none.</summary>
            public int Index { get; set; } = -1;

            /// <summary>Rows <c>[0, Rows)</c> as a batch with their labels (and weights).</summary>
            public Batch Batch()
            {
                int n = Rows, d = Data.Inputs;
                Batch batch = Pixels is not null ? GenSoftmax.Batch.Of(Pixels.AsSpan(0, n * d))
                    : GenSoftmax.Batch.Of(Features.AsSpan(0, n * d));
                batch = batch.WithLabels(Labels.AsSpan(0, n));
                return Weights is null ? batch : batch.WithWeights(Weights.AsSpan(0, n));
            }
        }
    }
}
