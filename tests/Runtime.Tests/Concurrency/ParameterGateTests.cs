using System;
using System.Collections.Generic;
using System.Threading;
using Xunit;

namespace GenSoftmax.Tests.Concurrency
{
    /// <summary>
    /// The gate's rules, each shown by the order of events on real threads. A thread that must not get in is shown to be
    /// waiting by the gate's own count of waiters, never by a pause; every wait for something that must happen is bounded.
    /// </summary>
    public sealed class ParameterGateTests
    {
        private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

        [Fact]
        public void Readers_are_inside_together()
        {
            var gate = new ParameterGate();
            using var inside = new Barrier(3);
            Worker[] readers = new Worker[3];
            for (int i = 0; i < readers.Length; i++)
            {
                readers[i] = Worker.Start(
                    () =>
                    {
                        using (gate.EnterRead())
                        {
                            // Completes only when all three hold the read side at once.
                            Assert.True(inside.SignalAndWait(Bound));
                        }
                    });
            }

            Assert.True(Worker.JoinAll(Bound, readers));
        }

        [Fact]
        public void A_writer_keeps_readers_out_until_it_leaves()
        {
            var gate = new ParameterGate();
            int entered = 0;
            Worker reader;
            using (gate.EnterWrite())
            {
                reader = Worker.Start(
                    () =>
                    {
                        using (gate.EnterRead())
                        {
                            Volatile.Write(ref entered, 1);
                        }
                    });
                Assert.True(SpinWait.SpinUntil(() => gate.ReadersWaiting == 1, Bound));
                Assert.Equal(0, Volatile.Read(ref entered));
            }

            Assert.True(reader.Join(Bound));
            Assert.Equal(1, entered);
        }

        [Fact]
        public void Readers_keep_a_writer_out_until_the_last_leaves()
        {
            var gate = new ParameterGate();
            int entered = 0;
            using var secondReaderIn = new ManualResetEventSlim();
            using var releaseSecondReader = new ManualResetEventSlim();
            Worker writer;
            Worker secondReader = Worker.Start(
                () =>
                {
                    using (gate.EnterRead())
                    {
                        secondReaderIn.Set();
                        Assert.True(releaseSecondReader.Wait(Bound));
                    }
                });
            Assert.True(secondReaderIn.Wait(Bound));
            using (gate.EnterRead())
            {
                writer = Worker.Start(
                    () =>
                    {
                        using (gate.EnterWrite())
                        {
                            Volatile.Write(ref entered, 1);
                        }
                    });
                Assert.True(SpinWait.SpinUntil(() => gate.WritersWaiting == 1, Bound));
                Assert.Equal(0, Volatile.Read(ref entered));
            }

            // One reader left, one is still inside: the writer still waits.
            Assert.Equal(1, gate.WritersWaiting);
            Assert.Equal(0, Volatile.Read(ref entered));
            releaseSecondReader.Set();
            Assert.True(Worker.JoinAll(Bound, writer, secondReader));
            Assert.Equal(1, entered);
        }

        [Fact]
        public void A_waiting_writer_goes_before_readers_that_came_after_it()
        {
            var gate = new ParameterGate();
            int sequence = 0, writerAt = 0, readerAt = 0;
            Worker writer, lateReader;
            using (gate.EnterRead())
            {
                writer = Worker.Start(
                    () =>
                    {
                        using (gate.EnterWrite())
                        {
                            writerAt = Interlocked.Increment(ref sequence);
                        }
                    });
                Assert.True(SpinWait.SpinUntil(() => gate.WritersWaiting == 1, Bound));

                // Only a reader is inside, but a writer waits: a new reader queues behind it.
                lateReader = Worker.Start(
                    () =>
                    {
                        using (gate.EnterRead())
                        {
                            readerAt = Interlocked.Increment(ref sequence);
                        }
                    });
                Assert.True(SpinWait.SpinUntil(() => gate.ReadersWaiting == 1, Bound));
                Assert.Equal(0, Volatile.Read(ref sequence));
            }

            Assert.True(Worker.JoinAll(Bound, writer, lateReader));
            Assert.Equal(1, writerAt);
            Assert.Equal(2, readerAt);
        }

        [Fact]
        public void Readers_that_waited_for_a_writer_go_before_the_next_writer()
        {
            var gate = new ParameterGate();
            int sequence = 0, readerAt = 0, secondWriterAt = 0;
            Worker reader, secondWriter;
            using (gate.EnterWrite())
            {
                reader = Worker.Start(
                    () =>
                    {
                        using (gate.EnterRead())
                        {
                            readerAt = Interlocked.Increment(ref sequence);
                        }
                    });
                Assert.True(SpinWait.SpinUntil(() => gate.ReadersWaiting == 1, Bound));
                secondWriter = Worker.Start(
                    () =>
                    {
                        using (gate.EnterWrite())
                        {
                            secondWriterAt = Interlocked.Increment(ref sequence);
                        }
                    });
                Assert.True(SpinWait.SpinUntil(() => gate.WritersWaiting == 1, Bound));
            }

            Assert.True(Worker.JoinAll(Bound, reader, secondWriter));
            Assert.Equal(1, readerAt);
            Assert.Equal(2, secondWriterAt);
        }

        [Fact]
        public void A_nested_read_on_the_holding_thread_passes_a_waiting_writer()
        {
            var gate = new ParameterGate();
            Worker writer = null!;
            Worker holder = Worker.Start(
                () =>
                {
                    using (gate.EnterRead())
                    {
                        writer = Worker.Start(() => gate.EnterWrite().Dispose());
                        Assert.True(SpinWait.SpinUntil(() => gate.WritersWaiting == 1, Bound));

                        // A second entry would queue behind the writer, which waits for this thread: a deadlock.
                        using (gate.EnterRead())
                        {
                            Assert.True(gate.IsHeldByCurrentThread);
                        }

                        Assert.True(gate.IsHeldByCurrentThread);
                        Assert.Equal(1, gate.WritersWaiting);
                    }

                    Assert.False(gate.IsHeldByCurrentThread);
                });

            Assert.True(holder.Join(Bound));
            Assert.True(writer.Join(Bound));
        }

        [Fact]
        public void A_nested_write_on_the_writing_thread_passes_and_a_read_cannot_become_a_write()
        {
            var gate = new ParameterGate();
            using (gate.EnterWrite())
            {
                using (gate.EnterWrite())
                {
                    using (gate.EnterRead())
                    {
                        Assert.True(gate.IsHeldByCurrentThread);
                    }
                }

                Assert.True(gate.IsHeldByCurrentThread);
            }

            using (gate.EnterRead())
            {
                InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => gate.EnterWrite());
                Assert.Contains("finish the read first", e.Message, StringComparison.Ordinal);
            }

            // Neither the refusal nor the nesting left anything behind: a writer on another thread gets in.
            Assert.True(Worker.Start(() => gate.EnterWrite().Dispose()).Join(Bound));
        }

        [Fact]
        public void A_scope_left_by_an_exception_is_released()
        {
            var gate = new ParameterGate();
            Assert.Throws<FormatException>((Action)(() =>
            {
                using (gate.EnterRead())
                {
                    throw new FormatException();
                }
            }));
            Assert.False(gate.IsHeldByCurrentThread);
            Assert.True(Worker.Start(() => gate.EnterWrite().Dispose()).Join(Bound));

            Assert.Throws<FormatException>((Action)(() =>
            {
                using (gate.EnterWrite())
                {
                    throw new FormatException();
                }
            }));
            Assert.False(gate.IsHeldByCurrentThread);
            Assert.True(Worker.Start(() => gate.EnterRead().Dispose()).Join(Bound));
            Assert.True(Worker.Start(() => gate.EnterWrite().Dispose()).Join(Bound));
        }

        [Fact]
        public void A_user_implementation_without_a_gate_still_compiles_and_has_none()
        {
            ISoftmaxModel model = new NoGateModel();
            Assert.Null(model.Gate);
        }

        /// <summary>A model written against the contract before it had a gate.</summary>
        private sealed class NoGateModel : ISoftmaxModel
        {
            private readonly float[] _w = new float[2];
            private readonly float[] _b = new float[2];

            public int Inputs => 1;

            public int Classes => 2;

            public ReadOnlySpan<float> Weights => _w;

            public ReadOnlySpan<float> Bias => _b;

            public IReadOnlyList<NamedTensor> Parameters => [new NamedTensor("W", _w, [2, 1], decays: true, TensorInit.Normal), new NamedTensor("b", _b, [2], decays: false, TensorInit.Zeros)];

            public KernelIsa Isa { get; set; }

            public void Forward(in Batch batch, Span<float> logits) => throw new NotSupportedException();

            public void Probabilities(in Batch batch, Span<float> probabilities) => throw new NotSupportedException();

            public void Predict(in Batch batch, Span<int> predictions) => throw new NotSupportedException();

            public BatchResult Loss(in Batch batch) => throw new NotSupportedException();

            public BatchResult LossAndGradient(in Batch batch, Span<float> dW, Span<float> db) => throw new NotSupportedException();
        }
    }
}
