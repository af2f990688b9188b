using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace GenSoftmax.Tests.Concurrency
{
    /// <summary>A dedicated thread for a test, joined with a bound; an exception on it is rethrown by <see cref="Join"/>.</summary>
    internal sealed class Worker
    {
        private readonly Thread _thread;
        private ExceptionDispatchInfo? _failure;

        private Worker(Action body)
        {
            _thread = new Thread(() =>
            {
                try
                {
                    body();
                }
                catch (Exception e)
                {
                    _failure = ExceptionDispatchInfo.Capture(e);
                }
            })
            { IsBackground = true };
        }

        public static Worker Start(Action body)
        {
            var worker = new Worker(body);
            worker._thread.Start();
            return worker;
        }

        /// <summary>Whether the thread ended within <paramref name="bound"/>; rethrows what it threw.</summary>
        public bool Join(TimeSpan bound)
        {
            if (!_thread.Join(bound))
            {
                return false;
            }

            _failure?.Throw();
            return true;
        }

        public static bool JoinAll(TimeSpan bound, params Worker[] workers)
        {
            bool all = true;
            foreach (Worker worker in workers)
            {
                all &= worker.Join(bound);
            }

            return all;
        }
    }
}
