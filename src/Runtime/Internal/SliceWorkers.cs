using System;
using System.Threading;

namespace GenSoftmax.Internal
{
    /// <summary>
    /// A fixed group of threads that run one action over slice numbers 0..Count-1 per call, slice 0 on the caller: the
    /// same threads every call and no allocation per call (unlike <c>Parallel.For</c>), for loops that make thousands of
    /// short parallel passes, such as the exact solver's. Not reentrant: one call at a time.
    /// </summary>
    internal sealed class SliceWorkers : IDisposable
    {
        private readonly Thread[] _threads;
        private readonly SemaphoreSlim[] _start;
        private readonly CountdownEvent _done;
        private Action<int>? _action;
        private Exception? _failure;
        private volatile bool _disposed;

        public SliceWorkers(int count, string name)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
            Count = count;
            _threads = new Thread[count - 1];
            _start = new SemaphoreSlim[count - 1];
            _done = new CountdownEvent(1);
            for (int t = 1; t < count; t++)
            {
                int slice = t;
                _start[t - 1] = new SemaphoreSlim(0);
                _threads[t - 1] = new Thread(() => Loop(slice)) { IsBackground = true, Name = $"{name} {slice}" };
                _threads[t - 1].Start();
            }
        }

        /// <summary>Slices per call.</summary>
        public int Count { get; }

        /// <summary>Runs <paramref name="action"/>(t) for every slice t, returning when all have finished; rethrows the first
        /// failure.</summary>
        public void Run(Action<int> action)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Count == 1)
            {
                action(0);
                return;
            }

            _action = action;
            _failure = null;
            _done.Reset(Count - 1);
            foreach (SemaphoreSlim start in _start)
            {
                start.Release();
            }

            try
            {
                action(0);
            }
            finally
            {
                _done.Wait();
                _action = null;
            }

            if (_failure is { } failure)
            {
                throw new AggregateException(failure);
            }
        }

        private void Loop(int slice)
        {
            SemaphoreSlim start = _start[slice - 1];
            while (true)
            {
                start.Wait();
                if (_disposed)
                {
                    return;
                }

                try
                {
                    _action!(slice);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                }
                finally
                {
                    _done.Signal();
                }
            }
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (SemaphoreSlim start in _start)
            {
                start.Release();
            }

            foreach (Thread thread in _threads)
            {
                thread.Join();
            }

            foreach (SemaphoreSlim start in _start)
            {
                start.Dispose();
            }

            _done.Dispose();
        }
    }
}
