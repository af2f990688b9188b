using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace GenSoftmax.Training
{
    /// <summary>
    /// One optimizer step with the batch split across threads, in two phases; with one thread, the same two phases
    /// on the calling thread.
    /// 1. Thread t computes the loss and gradient of the t-th contiguous slice of the batch's rows into its own
    ///    buffers.
    /// 2. After all have finished, thread t combines the slices' gradients over its own slice of the weights (and
    ///    thread 0 over the bias), g[j] = Σ_u (n_u / n) dW_u[j] summed in thread order u = 0, 1, ..., into its own
    ///    buffer, and applies the optimizer's element-wise update to that slice.
    /// Each element is combined by the same arithmetic in the same order whichever thread does it and whenever it
    /// runs, so results are reproducible for a given thread count. Splitting the update keeps the combine off the
    /// critical path: done by the calling thread while the others waited, the 2-thread epoch (784 x 10, bytes) took
    /// 20.0 ms; split, 16.0 ms in the same conditions.
    /// A model whose W is built from its parameters (<see cref="IReparameterizedModel"/>, the hypercomplex one) needs all of
    /// dW to map it onto its parameters. Its phase 2 only combines the slices (in parallel, by the same arithmetic), and once
    /// every thread is done the calling thread maps the combined gradient, updates each parameter and rebuilds W. The
    /// hypercomplex projection costs n·dq multiply-adds, small next to the batch's 2·rows·dq, so it stays serial.
    /// The same threads evaluate (<see cref="Evaluate"/>): thread t takes the t-th slice of the rows and the slices' loss
    /// sums are added in thread order.
    /// </summary>
    /// <remarks>
    /// The step's own methods run once per batch and call the kernels, which are compiled fully optimised at their first
    /// call; the step's methods are left to tiered compilation (tier 0 first, then optimised once they are hot), so a fresh
    /// process's first epoch does not wait for the JIT's optimiser on them: 1 CPU, first epoch 32.1-35.2 -> 28.3-32.9 ms
    /// (bench/results/2026-12-06-tier0-step).
    /// </remarks>
    internal sealed class DataParallelStep : IDisposable
    {
        private readonly ISoftmaxModel _model;
        private readonly Sgd _optimizer;
        private readonly TrainingObjective _objective;
        private readonly int _threads;
        private readonly float[][] _dW;
        private readonly float[][] _db;
        private readonly int[] _weightStart; // thread t updates weights [_weightStart[t], _weightStart[t + 1])
        private readonly BatchResult[] _results;
        private readonly Thread[] _workers;
        private readonly object _gate = new();
        private readonly ParameterGate? _parameters; // the model's gate: each step holds its write side

        // Step n publishes generation n. Thread t writes n into _computed[t * Pad] after phase 1 and into
        // _applied[t * Pad] after phase 2. A step takes tens of microseconds, far less than a sleeping thread needs
        // to wake, so workers spin for a while before they block (between epochs, or when the machine is
        // oversubscribed), and every wait inside a step spins.
        private const int Pad = 16; // one cache line per thread's flag
        private const int MinRowsPerThread = 256; // an evaluation of fewer rows a thread stays on the calling thread
        private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 us
        private readonly int[] _counts; // rows of thread t's slice of the step, written by thread t in phase 1
        private readonly bool[] _finite; // whether thread t's update of its part of W (and b) wrote only finite values
        private readonly int[] _cpus; // the CPU thread t started its last step on, at _cpus[t * Pad]; with _separate only
        private readonly bool _separate; // workers move off a CPU another of the step's threads runs on (ThreadPlacement)
        private readonly int[] _computed;
        private readonly int[] _applied;
        private int _generation;
        private int[] _rows = Array.Empty<int>(); // the batch's rows, then the next batch's; or the rows evaluated
        private LabeledData? _evaluated; // the data of an evaluation (Evaluate), null during a step
        private int _rowCount;
        private int _followingCount;
        private volatile bool _stopping;
        private Exception? _failure;

        /// <summary>A step that updates <paramref name="model"/> with <paramref name="optimizer"/>.</summary>
        public DataParallelStep(ISoftmaxModel model, Sgd optimizer, TrainingObjective objective, int threads)
        {
            _model = model;
            _parameters = model.Gate;
            _optimizer = optimizer;
            _objective = objective;
            _threads = threads;
            _dW = new float[threads][];
            _db = new float[threads][];
            for (int t = 0; t < threads; t++)
            {
                _dW[t] = new float[model.Weights.Length];
                _db[t] = new float[model.Classes];
            }

            // Slices of the weights in whole multiples of 16 floats (64 bytes). The array's own alignment decides
            // whether those fall on cache-line boundaries, so at most one line per boundary is written by two threads.
            int length = model.Weights.Length;
            _weightStart = new int[threads + 1];
            for (int t = 1; t < threads; t++)
            {
                _weightStart[t] = Math.Min(length, (int)((long)length * t / threads / 16 * 16));
            }

            _weightStart[threads] = length;
            _results = new BatchResult[threads * Pad];
            _counts = new int[threads];
            _finite = new bool[threads * Pad];
            _cpus = new int[threads * Pad];
            _separate = threads > 1 && threads <= Environment.ProcessorCount && Internal.ThreadPlacement.Supported;
            _computed = new int[threads * Pad];
            _applied = new int[threads * Pad];
            // The calling thread is thread 0; threads - 1 dedicated workers are the others.
            _workers = new Thread[threads - 1];
            for (int t = 1; t < threads; t++)
            {
                int index = t;
                _workers[t - 1] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"GenSoftmax trainer {index}" };
                _workers[t - 1].Start();
            }
        }

        /// <summary>
        /// Whether the last <see cref="Step"/> left W and b finite, as its update wrote them; null for a reparameterised model,
        /// whose parameters are others (the trainer then checks them itself).
        /// </summary>
        public bool? ParametersFinite { get; private set; }

        /// <summary>
        /// One step on <paramref name="rows"/>; <paramref name="following"/> are the rows of the step that comes next (empty if
        /// none), which each thread's gradient pass fetches ahead (<see cref="Batch.Following"/>).
        /// </summary>
        public BatchResult Step(ReadOnlySpan<int> rows, ReadOnlySpan<int> following)
        {
            // The whole step, both phases, inside the write side: a prediction on another thread sees the parameters
            // from before the step or after it. This thread and the workers (Run) pass through the gate.
            using ParameterGate.WriteScope write = _parameters is null ? default : _parameters.EnterWrite();
            _rowCount = rows.Length;
            _followingCount = following.Length;
            if (_workers.Length == 0)
            {
                // One thread: the same two phases on the caller, with nothing to publish or wait for, and a failure
                // surfaces as itself.
                Compute(0, rows, following);
                Apply(0);
            }
            else
            {
                RunAll(rows, following);
            }

            if (_optimizer.Reparameterized)
            {
                UpdateReparameterized();
                ParametersFinite = null;
            }
            else
            {
                bool finite = true;
                for (int t = 0; t < _threads; t++)
                {
                    finite &= _finite[t * Pad];
                }

                ParametersFinite = finite;
            }

            int n = rows.Length;
            double lossSum = 0;
            int correct = 0;
            for (int t = 0; t < _threads; t++)
            {
                lossSum += (double)_results[t * Pad].Loss * _results[t * Pad].Count;
                correct += _results[t * Pad].Correct;
            }

            return new BatchResult((float)(lossSum / n), correct, n);
        }

        /// <summary>Both phases on every thread: the workers' and this one's share.</summary>
        // Apart from Step, as is UpdateReparameterized: Step compiles only the path its model and thread count take.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void RunAll(ReadOnlySpan<int> rows, ReadOnlySpan<int> following)
        {
            // Workers read the rows through a shared array; the trainer's batch is a slice of its order array.
            if (_rows.Length < rows.Length + following.Length)
            {
                _rows = new int[rows.Length + following.Length];
            }

            rows.CopyTo(_rows);
            following.CopyTo(_rows.AsSpan(rows.Length));
            int generation = Publish();
            Run(0, generation);
            WaitForAll(_applied, generation, caller: true);
            if (_failure is not null)
            {
                throw new AggregateException("A training thread failed.", _failure);
            }
        }

        /// <summary>
        /// Mean loss and correct count of <paramref name="rows"/> of <paramref name="data"/> (every row when
        /// <paramref name="all"/>), as <see cref="TrainingObjective.Evaluate(LabeledData, ReadOnlySpan{int}, int)"/>, with the rows
        /// split across the step's threads like a batch. The mean is the slices' loss sums added in thread order, over the
        /// row count.
        /// </summary>
        public BatchResult Evaluate(LabeledData data, ReadOnlySpan<int> rows, bool all)
        {
            int n = all ? data.Count : rows.Length;
            if (_workers.Length == 0 || n < _threads * MinRowsPerThread)
            {
                return all ? _objective.Evaluate(data) : _objective.Evaluate(data, rows);
            }

            if (_rows.Length < n)
            {
                _rows = new int[n];
            }

            if (all)
            {
                Internal.Blas.Iota(_rows.AsSpan(0, n));
            }
            else
            {
                rows.CopyTo(_rows);
            }

            // One read for the whole evaluation, so every slice sees the same parameters; the workers pass through it (a
            // caller that already holds the model's write side passes through its own gate, and so do they).
            using ParameterGate.ReadScope read = _parameters is null ? default : _parameters.EnterRead();
            _rowCount = n;
            _evaluated = data;
            int generation = Publish();
            EvaluateSlice(0, generation);
            WaitForAll(_applied, generation, caller: true);
            _evaluated = null;
            if (_failure is { } failure)
            {
                // As the one-thread evaluation would have thrown it (an evaluation changes nothing, so the step stays usable).
                _failure = null;
                ExceptionDispatchInfo.Capture(failure).Throw();
            }

            double lossSum = 0;
            int correct = 0;
            for (int t = 0; t < _threads; t++)
            {
                BatchResult r = _results[t * Pad];
                lossSum += r.LossSum != 0 ? r.LossSum : (double)r.Loss * r.Count;
                correct += r.Correct;
            }

            return new BatchResult((float)(lossSum / n), correct, n) { LossSum = lossSum };
        }

        /// <summary>Thread <paramref name="t"/>'s slice of the evaluation published as <paramref name="generation"/>.</summary>
        private void EvaluateSlice(int t, int generation)
        {
            try
            {
                using (ParameterGate.PassThrough(_parameters))
                {
                    (int start, int size) = Slice(t, _rowCount);
                    _results[t * Pad] = _objective.Evaluate(_evaluated!, _rows.AsSpan(start, size), t);
                }
            }
            catch (Exception e)
            {
                _failure = e;
            }

            Volatile.Write(ref _applied[t * Pad], generation);
        }

        /// <summary>Maps the combined gradient onto the parameters of a reparameterised model, updates them and rebuilds W.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void UpdateReparameterized()
        {
            // Every slice of the combined gradient is in the buffers of the first thread that had rows (Apply).
            int u = FirstWithRows();
            _optimizer.MapGradient(_dW[u], _db[u]);
            IReadOnlyList<NamedTensor> gradient = _optimizer.Gradient;
            for (int i = 0; i < gradient.Count; i++)
            {
                _ = _optimizer.UpdateSlice(i, 0, gradient[i].Values);
            }

            _optimizer.Rebuilt();
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
            var placement = new Placement(_threads);
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

                if (_evaluated is not null)
                {
                    EvaluateSlice(index, seen);
                }
                else
                {
                    Run(index, seen);
                    if (_separate)
                    {
                        Separate(index, ref placement);
                    }
                }
            }
        }

        /// <summary>
        /// A worker's side of keeping the step's threads on different CPUs (Linux). Two threads that hand each step to each
        /// other, waiting by spinning and yielding, both stay runnable: when a fresh process's first steps start while another
        /// thread (a warm-up, the JIT's) holds the second CPU, the scheduler can put both on one CPU and keep them there for
        /// the whole first epoch, each waiting out the other's half of every step (2 CPUs, 2 threads, the textbook epoch:
        /// 24-33 ms so against 17-23 ms apart, bench/results/2026-12-06-two-thread-placement). A worker that ran
        /// <see cref="Placement.Patience"/> steps in a row on the CPU of a thread with a lower index moves itself off the other
        /// threads' CPUs, its allowed CPUs left as they were. When the threads were apart for fewer than
        /// <see cref="Placement.Recent"/> steps since the last move, the patience doubles (up to
        /// <see cref="Placement.MostPatience"/>), so where threads must share a CPU (or the scheduler keeps putting them back)
        /// moves stay rare; after longer apart it starts again from <see cref="Placement.FirstPatience"/>, so each of a long
        /// run's rare episodes ends within a few steps (60 epochs of two threads: 1-4 moves).
        /// </summary>
        private void Separate(int t, ref Placement placement)
        {
            int cpu = Volatile.Read(ref _cpus[t * Pad]);
            bool shared = false;
            for (int u = 0; u < t; u++)
            {
                shared |= Volatile.Read(ref _cpus[u * Pad]) == cpu;
            }

            if (!placement.Step(shared && cpu >= 0))
            {
                return;
            }

            for (int u = 0, i = 0; u < _threads; u++)
            {
                if (u != t)
                {
                    placement.Others[i++] = Volatile.Read(ref _cpus[u * Pad]);
                }
            }

            _ = Internal.ThreadPlacement.MoveOff(placement.Others);
        }

        /// <summary>A worker's record for <see cref="Separate"/>, and its rule for when to move.</summary>
        internal struct Placement(int threads)
        {
            public const int FirstPatience = 4;
            public const int MostPatience = 1 << 16;
            public const int Recent = 1024; // steps apart between a move and the next episode that still count as ping-pong

            public int Together; // steps in a row on the CPU of a thread before this one
            public int Patience = FirstPatience; // steps in a row that make it move
            public int Since = Recent + FirstPatience; // steps since the last move (none yet: as if long ago)
            public readonly int[] Others = new int[threads - 1]; // the other threads' CPUs

            /// <summary>
            /// Counts one step, run on the CPU of a thread before this one or not (<paramref name="shared"/>); returns whether
            /// to move now, and if so starts counting again with the patience for the next episode: doubled (up to
            /// <see cref="MostPatience"/>) when the threads were apart for fewer than <see cref="Recent"/> steps between the
            /// last move and this episode, <see cref="FirstPatience"/> when apart longer.
            /// </summary>
            public bool Step(bool shared)
            {
                Since = Math.Min(Since + 1, int.MaxValue / 2);
                if (!shared)
                {
                    Together = 0;
                    return false;
                }

                if (++Together < Patience)
                {
                    return false;
                }

                Together = 0;
                Patience = Since - Patience < Recent ? Math.Min(Patience * 2, MostPatience) : FirstPatience;
                Since = 0;
                return true;
            }
        }

        /// <summary>Both phases of thread <paramref name="t"/>'s share of step <paramref name="generation"/>.</summary>
        private void Run(int t, int generation)
        {
            if (_separate)
            {
                Volatile.Write(ref _cpus[t * Pad], Internal.ThreadPlacement.CurrentCpu()); // -1 on any failure, never throws
            }

            // The calling thread holds the write side for the step; this thread works for it, so the model's calls here
            // pass through the gate instead of waiting for the step to end.
            using (ParameterGate.PassThrough(_parameters))
            {
                try
                {
                    Compute(t, _rows.AsSpan(0, _rowCount), _rows.AsSpan(_rowCount, _followingCount));
                }
                catch (Exception e)
                {
                    _failure = e;
                }

                Volatile.Write(ref _computed[t * Pad], generation);
                WaitForAll(_computed, generation, caller: t == 0);
                try
                {
                    if (_failure is null)
                    {
                        Apply(t);
                    }
                }
                catch (Exception e)
                {
                    _failure = e;
                }

                Volatile.Write(ref _applied[t * Pad], generation);
            }
        }

        /// <summary>
        /// Work for the calling thread while it waits for the others (<see cref="Step"/>'s and <see cref="Evaluate"/>'s
        /// waits, none of the workers'): each call does a small piece and returns whether there is more. The trainer draws
        /// the next epoch's order this way where no CPU is free for it.
        /// </summary>
        internal Func<bool>? Idle { get; set; }

        [MethodImpl(Internal.FirstCall.Optimized)]
        private void WaitForAll(int[] flags, int generation, bool caller)
        {
            Func<bool>? idle = caller ? Idle : null;
            for (int t = 0; t < _threads; t++)
            {
                // SpinWait yields the core after a few rounds, so a thread that lost its core (more threads than
                // free cores) gets it back instead of watching this loop spin.
                SpinWait spin = default;
                while (Volatile.Read(ref flags[t * Pad]) != generation)
                {
                    if (idle is not null && idle())
                    {
                        continue;
                    }

                    idle = null;
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }
        }

        private void Compute(int t, ReadOnlySpan<int> batch, ReadOnlySpan<int> following)
        {
            (int start, int size) = Slice(t, batch.Length);
            _counts[t] = size;
            if (size == 0)
            {
                _results[t * Pad] = default;
                return;
            }

            // The thread's slice of the next batch is the one it computes next.
            (int nextStart, int nextSize) = Slice(t, following.Length);
            _results[t * Pad] = _objective.LossAndGradient(
                t, batch.Slice(start, size), _dW[t], _db[t], following.Slice(nextStart, nextSize));
        }

        /// <summary>Slice <paramref name="t"/> of <paramref name="n"/> rows: the first (n % threads) slices take one row more.</summary>
        private (int Start, int Size) Slice(int t, int n)
        {
            int baseSize = n / _threads, extra = n % _threads;
            return ((t * baseSize) + Math.Min(t, extra), baseSize + (t < extra ? 1 : 0));
        }

        /// <summary>Phase 2 for thread <paramref name="t"/>: combine the slices' gradients over its part of W and apply them.</summary>
        private void Apply(int t)
        {
            int start = _weightStart[t];
            int length = _weightStart[t + 1] - start;
            if (_optimizer.Reparameterized)
            {
                // Combine only, into the buffers of the first thread with rows, where the caller maps the whole gradient onto
                // the parameters and updates once every slice is combined.
                int into = FirstWithRows();
                if (length > 0)
                {
                    Combine(_dW, start, length, into);
                }

                if (t == 0)
                {
                    Combine(_db, 0, _db[0].Length, into);
                }

                return;
            }

            // A model that is not reparameterised has the parameters W and b: each thread updates its slice of W, thread 0 b,
            // from the slice combined into its own buffer, and notes whether what it wrote is finite.
            bool finite = true;
            if (length > 0)
            {
                finite = _optimizer.UpdateSlice(0, start, Combine(_dW, start, length, t));
            }

            if (t == 0)
            {
                finite &= _optimizer.UpdateSlice(1, 0, Combine(_db, 0, _db[0].Length, t));
            }

            _finite[t * Pad] = finite;
        }

        /// <summary>The first thread whose slice of the batch had rows.</summary>
        private int FirstWithRows()
        {
            for (int u = 0; u < _threads; u++)
            {
                if (_counts[u] != 0)
                {
                    return u;
                }
            }

            throw new InvalidOperationException("The batch had no rows.");
        }

        /// <summary>
        /// Σ_u (n_u / n) g_u[start .. start + length) in thread order into thread <paramref name="into"/>'s buffer, which it
        /// returns (a slice without rows, when there are fewer rows than threads, holds a stale gradient and is left out).
        /// </summary>
        private Span<float> Combine(float[][] gradients, int start, int length, int into)
        {
            if (_threads == 1)
            {
                return gradients[0].AsSpan(start, length);
            }

            if (_rowCount == 0)
            {
                throw new InvalidOperationException("The batch had no rows.");
            }

            Span<float> sum = gradients[into].AsSpan(start, length);
            SumSlices(gradients, _counts, _rowCount, start, sum);
            return sum;
        }

        /// <summary>
        /// destination[i] = Σ_u (counts[u] / rows) · gradients[u][start + i] over the slices u with rows, in thread order, in one
        /// pass: the first slice's element times its share, then each later slice's times its share added, every product and
        /// sum rounded to float (the same figures whichever buffer receives them). <paramref name="destination"/> may be one
        /// of the slices: each element is read from every slice before it is written. Its own method, compiled only when a
        /// step has more than one thread (a fresh process's first epoch waits for every method the JIT compiles on the way),
        /// and ahead of the first step by <see cref="TrainingWarmup"/> where a second CPU can.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        internal static void SumSlices(float[][] gradients, ReadOnlySpan<int> counts, int rows, int start, Span<float> destination)
        {
            // The slices' shares, once: (float)count / rows, 0 for a slice without rows.
            Span<float> shares = stackalloc float[counts.Length];
            int first = -1;
            for (int u = 0; u < counts.Length; u++)
            {
                shares[u] = (float)counts[u] / rows;
                if (first < 0 && counts[u] != 0)
                {
                    first = u;
                }
            }

            int length = destination.Length;
            ref float sum = ref MemoryMarshal.GetReference(destination);
            ref float g = ref MemoryMarshal.GetArrayDataReference(gradients[first]);
            float share = shares[first];
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; i <= length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector<float> acc = Vector.LoadUnsafe(ref g, (nuint)(start + i)) * share;
                    for (int u = first + 1; u < shares.Length; u++)
                    {
                        if (shares[u] != 0)
                        {
                            ref float gu = ref MemoryMarshal.GetArrayDataReference(gradients[u]);
                            acc = (Vector.LoadUnsafe(ref gu, (nuint)(start + i)) * shares[u]) + acc;
                        }
                    }

                    Vector.StoreUnsafe(acc, ref sum, (nuint)i);
                }
            }

            for (; i < length; i++)
            {
                float acc = Unsafe.Add(ref g, start + i) * share;
                for (int u = first + 1; u < shares.Length; u++)
                {
                    if (shares[u] != 0)
                    {
                        acc = (gradients[u][start + i] * shares[u]) + acc;
                    }
                }

                Unsafe.Add(ref sum, i) = acc;
            }
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
