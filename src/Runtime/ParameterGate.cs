using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace GenSoftmax
{
    /// <summary>
    /// The reader/writer gate of one model's parameters: every operation that reads them (Forward, Probabilities,
    /// Predict, Loss, LossAndGradient) enters the read side, and the <see cref="Training.Trainer"/> enters the write side for each
    /// optimizer step and every other write of the parameters. So each call sees the weights of one step, never half of
    /// one, while a model is trained and used for prediction at once.
    /// </summary>
    /// <remarks>
    /// <para>Readers run together; a writer waits for the readers inside to leave, and while it waits no new reader
    /// enters (writer preference, so a stream of predictions cannot starve the trainer). When a writer leaves, the
    /// readers that waited for it enter before the next writer does, so back-to-back steps cannot starve predictions
    /// either. Waiting spins, then yields: a step takes tens to hundreds of microseconds.</para>
    /// <para>The gate is not re-entered: a thread that already holds it (as a reader or as the writer) passes through
    /// its own nested calls, and so do the threads the holder hands its work to (the trainer's threads, the threads of
    /// <see cref="ParallelPrediction"/>), which would otherwise wait for a writer that waits for their caller. A thread
    /// that holds the read side cannot enter the write side (<see cref="InvalidOperationException"/>). Only the gate a
    /// thread entered last is known to it: a call that holds one model's gate and uses a second model that calls back
    /// into the first enters the first again, which waits if a writer is queued.</para>
    /// <para>Code that writes a model's parameters itself (through <see cref="ISoftmaxModel.Weights"/> or
    /// <see cref="ISoftmaxModel.Bias"/>) while other threads use the model holds the write side for the writes:
    /// <code>
    /// using (model.Gate?.EnterWrite())
    /// {
    ///     newWeights.CopyTo(model.Weights);
    ///     newBias.CopyTo(model.Bias);
    /// }
    /// </code>
    /// and code that reads them directly holds the read side. Dispose each scope exactly once.</para>
    /// </remarks>
    public sealed class ParameterGate
    {
        // The gate this thread entered last, as a reader, as the writer, or as a thread working for its holder: calls
        // on this thread pass through it. Saved and restored by each scope, so scopes nest.
        [ThreadStatic]
        private static ParameterGate? t_held;

        private const int Writer = -1;

        private int _state;          // readers inside (>= 0), or Writer
        private int _writersWaiting; // writers that want in: new readers wait
        private int _readersWaiting; // readers on the slow path
        private int _readerTurn;     // entries owed to the readers that waited for the last writer: writers wait meanwhile

        /// <summary>
        /// The engine whose parameters this gate guards, for the Newton solver's Hessian-vector products: a generated model
        /// hands out its engine's gate, and through it the products run on the kernels generated for its shape.
        /// </summary>
        internal Kernels.ICurvatureModel? Curvature { get; init; }

        /// <summary>Enters the read side, waiting while a writer is inside or waiting; dispose the scope to leave.</summary>
        /// <returns>The scope; on a thread that already holds this gate, one that does nothing.</returns>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ReadScope EnterRead()
        {
            ParameterGate? previous = t_held;
            if (previous == this)
            {
                return default;
            }

            // The uncontended path: no writer inside or waiting, one compare-exchange.
            int state = Volatile.Read(ref _state);
            if (state < 0 || Volatile.Read(ref _writersWaiting) != 0 || Interlocked.CompareExchange(ref _state, state + 1, state) != state)
            {
                WaitToRead();
            }

            t_held = this;
            return new ReadScope(this, previous);
        }

        /// <summary>
        /// Enters the write side, waiting for the readers inside to leave (and for the readers that waited for the
        /// previous writer to have their turn); dispose the scope to leave.
        /// </summary>
        /// <returns>The scope; on a thread that already works under this gate's writer, one that does nothing.</returns>
        /// <exception cref="InvalidOperationException">This thread holds the read side of this gate.</exception>
        public WriteScope EnterWrite()
        {
            ParameterGate? previous = t_held;
            if (previous == this)
            {
                if (Volatile.Read(ref _state) == Writer)
                {
                    return default;
                }

                throw new InvalidOperationException(
                    "This thread is inside a read of the model's parameters, so it cannot change them: finish the read first.");
            }

            Interlocked.Increment(ref _writersWaiting);
            SpinWait spin = default;
            while (true)
            {
                if (Volatile.Read(ref _readerTurn) == 0 && Interlocked.CompareExchange(ref _state, Writer, 0) == 0)
                {
                    // The last writer opens the readers' turn before it leaves: seen here when the exchange saw it leave.
                    if (Volatile.Read(ref _readerTurn) == 0)
                    {
                        break;
                    }

                    Volatile.Write(ref _state, 0);
                }

                spin.SpinOnce();
            }

            Interlocked.Decrement(ref _writersWaiting);
            t_held = this;
            return new WriteScope(this, previous);
        }

        /// <summary>Readers waiting to enter, for tests.</summary>
        internal int ReadersWaiting => Volatile.Read(ref _readersWaiting);

        /// <summary>Writers waiting to enter, for tests.</summary>
        internal int WritersWaiting => Volatile.Read(ref _writersWaiting);

        /// <summary>Whether this thread holds the gate, or works for the thread that does (its calls pass through).</summary>
        internal bool IsHeldByCurrentThread => t_held == this;

        /// <summary>
        /// Marks this thread as working for the thread that holds the gate, until the scope is disposed: its calls pass
        /// through the gate, as the holder's own do. For threads the holder waits for before it leaves. Without a gate
        /// (a model that has none), nothing changes.
        /// </summary>
        internal static PassScope PassThrough(ParameterGate? gate)
        {
            ParameterGate? previous = t_held;
            if (gate is not null)
            {
                t_held = gate;
            }

            return new PassScope(previous);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void WaitToRead()
        {
            Interlocked.Increment(ref _readersWaiting);
            SpinWait spin = default;
            while (true)
            {
                int state = Volatile.Read(ref _state);
                if (state >= 0
                    && (Volatile.Read(ref _writersWaiting) == 0 || Volatile.Read(ref _readerTurn) > 0)
                    && Interlocked.CompareExchange(ref _state, state + 1, state) == state)
                {
                    break;
                }

                spin.SpinOnce();
            }

            Interlocked.Decrement(ref _readersWaiting);
            int turn;
            while ((turn = Volatile.Read(ref _readerTurn)) > 0 && Interlocked.CompareExchange(ref _readerTurn, turn - 1, turn) != turn)
            {
            }
        }

        private void ExitRead(ParameterGate? previous)
        {
            t_held = previous;
            Interlocked.Decrement(ref _state);
        }

        private void ExitWrite(ParameterGate? previous)
        {
            t_held = previous;
            // The readers waiting now waited for this writer: as many entries are theirs before the next writer's.
            Volatile.Write(ref _readerTurn, Volatile.Read(ref _readersWaiting));
            Volatile.Write(ref _state, 0);
        }

        /// <summary>The read side, held until disposed (once).</summary>
        public readonly struct ReadScope : IDisposable
        {
            private readonly ParameterGate? _gate;
            private readonly ParameterGate? _previous;

            internal ReadScope(ParameterGate gate, ParameterGate? previous)
            {
                _gate = gate;
                _previous = previous;
            }

            /// <summary>Leaves the read side.</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void Dispose() => _gate?.ExitRead(_previous);
        }

        /// <summary>The write side, held until disposed (once).</summary>
        public readonly struct WriteScope : IDisposable
        {
            private readonly ParameterGate? _gate;
            private readonly ParameterGate? _previous;

            internal WriteScope(ParameterGate gate, ParameterGate? previous)
            {
                _gate = gate;
                _previous = previous;
            }

            /// <summary>Leaves the write side.</summary>
            public void Dispose() => _gate?.ExitWrite(_previous);
        }

        /// <summary>A worker's pass through its holder's gate, until disposed.</summary>
        internal readonly struct PassScope : IDisposable
        {
            private readonly ParameterGate? _previous;

            internal PassScope(ParameterGate? previous) => _previous = previous;

            public void Dispose() => t_held = _previous;
        }
    }
}
