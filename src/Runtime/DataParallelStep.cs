using System;
using System.Threading;

namespace GenSoftmax
{
    /// <summary>
    /// One SGD step with the batch split across threads: thread t computes the loss and gradient of the t-th
    /// contiguous slice of the batch's rows into its own buffers; the gradients are then combined in thread order
    /// (dW = Σ_t (n_t / n) dW_t, t = 0, 1, ...) and applied once. The order never depends on timing, so results are
    /// reproducible for a given thread count.
    /// </summary>
    internal sealed class DataParallelStep : IDisposable
    {
        private readonly ISoftmaxModel _model;
        private readonly TrainData _data;
        private readonly int _threads;
        private readonly float[][] _dW;
        private readonly float[][] _db;
        private readonly BatchResult[] _results;
        private readonly Thread[] _workers;
        private readonly object _gate = new();

        // Step n publishes generation n; worker t answers by writing n into _done[t * Pad]. A step takes a few tens
        // of microseconds, far less than a sleeping thread needs to wake, so workers spin for a while before they
        // block (between epochs, or when the machine is oversubscribed), and the caller spins for their answers.
        private const int Pad = 16; // one cache line per worker's flag
        private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 us
        private readonly int[] _done;
        private int _generation;
        private int[] _rows = Array.Empty<int>();
        private int _rowCount;
        private volatile bool _stopping;
        private Exception? _failure;

        public DataParallelStep(ISoftmaxModel model, TrainData data, int threads)
        {
            _model = model;
            _data = data;
            _threads = threads;
            _dW = new float[threads][];
            _db = new float[threads][];
            for (int t = 0; t < threads; t++)
            {
                _dW[t] = new float[model.Weights.Length];
                _db[t] = new float[model.Classes];
            }

            _results = new BatchResult[threads * Pad];
            _done = new int[threads * Pad];
            // The calling thread is worker 0; threads - 1 dedicated workers serve the other slices.
            _workers = new Thread[threads - 1];
            for (int t = 1; t < threads; t++)
            {
                int index = t;
                _workers[t - 1] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"GenSoftmax trainer {index}" };
                _workers[t - 1].Start();
            }
        }

        public BatchResult Step(ReadOnlySpan<int> rows, float learningRate)
        {
            // Workers read the rows through a shared array; the trainer's batch is a slice of its order array.
            if (_rows.Length < rows.Length)
            {
                _rows = new int[rows.Length];
            }

            rows.CopyTo(_rows);
            _rowCount = rows.Length;
            int generation = Publish();
            Compute(0);
            for (int t = 1; t < _threads; t++)
            {
                // SpinWait yields the core after a few rounds, so a worker that lost its core (more threads than
                // free cores) gets it back instead of watching this loop spin.
                SpinWait spin = default;
                while (Volatile.Read(ref _done[t * Pad]) != generation)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }

            if (_failure is not null)
            {
                throw new AggregateException("A training thread failed.", _failure);
            }

            int n = rows.Length;
            float lossSum = 0;
            int correct = 0;
            bool first = true;
            int firstIndex = 0;
            for (int t = 0; t < _threads; t++)
            {
                if (_results[t * Pad].Count == 0)
                {
                    continue;
                }

                float share = (float)_results[t * Pad].Count / n;
                lossSum += _results[t * Pad].Loss * _results[t * Pad].Count;
                correct += _results[t * Pad].Correct;
                if (first)
                {
                    Internal.Blas.Scale(_dW[t], share);
                    Internal.Blas.Scale(_db[t], share);
                    firstIndex = t;
                    first = false;
                }
                else
                {
                    Internal.Blas.Axpy(share, _dW[t], _dW[firstIndex]);
                    Internal.Blas.Axpy(share, _db[t], _db[firstIndex]);
                }
            }

            Internal.Blas.Axpy(-learningRate, _dW[firstIndex], _model.Weights);
            Internal.Blas.Axpy(-learningRate, _db[firstIndex], _model.Bias);
            return new BatchResult(lossSum / n, correct, n);
        }

        private int Publish()
        {
            lock (_gate)
            {
                int generation = ++_generation;
                Monitor.PulseAll(_gate);
                return generation;
            }
        }

        private void WorkerLoop(int index)
        {
            int seen = 0;
            while (true)
            {
                long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                SpinWait spin = default;
                while (Volatile.Read(ref _generation) == seen)
                {
                    if (System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil)
                    {
                        spin.SpinOnce(sleep1Threshold: -1);
                        continue;
                    }

                    lock (_gate)
                    {
                        while (Volatile.Read(ref _generation) == seen)
                        {
                            Monitor.Wait(_gate);
                        }
                    }
                }

                seen = Volatile.Read(ref _generation);
                if (_stopping)
                {
                    return;
                }

                try
                {
                    Compute(index);
                }
                catch (Exception e)
                {
                    _failure = e;
                }

                Volatile.Write(ref _done[index * Pad], seen);
            }
        }

        private void Compute(int t)
        {
            // Slice t of the batch: the first (n % threads) slices take one row more.
            int n = _rowCount;
            int baseSize = n / _threads, extra = n % _threads;
            int start = (t * baseSize) + Math.Min(t, extra);
            int size = baseSize + (t < extra ? 1 : 0);
            if (size == 0)
            {
                _results[t * Pad] = default;
                return;
            }

            ReadOnlySpan<int> rows = _rows.AsSpan(start, size);
            _results[t * Pad] = _data.Features is not null
                ? _model.LossAndGradient(_data.Features, _data.Labels, rows, _dW[t], _db[t])
                : _model.LossAndGradient(_data.Pixels!, _data.Labels, rows, _dW[t], _db[t]);
        }

        public void Dispose()
        {
            _stopping = true;
            Publish();
            foreach (Thread worker in _workers)
            {
                worker.Join();
            }
        }
    }
}
