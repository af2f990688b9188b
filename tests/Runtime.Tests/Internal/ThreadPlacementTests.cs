using System;
using System.Linq;
using System.Threading;
using GenSoftmax.Internal;
using Xunit;

namespace GenSoftmax.Tests.Internal
{
    /// <summary>
    /// The trainer's workers move themselves off a CPU another of the step's threads runs on (Linux): the move takes the
    /// calling thread elsewhere at once and leaves the CPUs it may run on as they were.
    /// </summary>
    public sealed class ThreadPlacementTests
    {
        /// <summary>Runs <paramref name="body"/> on a thread of its own (its CPU and allowed set are its own to change).</summary>
        private static void OnOwnThread(Action body)
        {
            Exception? failure = null;
            var thread = new Thread(() =>
            {
                try
                {
                    body();
                }
                catch (Exception e)
                {
                    failure = e;
                }
            });
            thread.Start();
            Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "the thread did not finish");
            if (failure is not null)
            {
                throw new Xunit.Sdk.XunitException($"On the thread: {failure}");
            }
        }

        [SkippableFact]
        public void A_thread_moved_off_its_CPU_runs_elsewhere_and_may_still_run_everywhere_it_could()
        {
            Skip.IfNot(ThreadPlacement.Supported, "placement is read and changed on Linux only");
            Skip.If(ThreadPlacement.AllowedCpus().Length < 2, "this process may run on one CPU only");
            OnOwnThread(() =>
            {
                int[] allowed = ThreadPlacement.AllowedCpus();
                int cpu = ThreadPlacement.CurrentCpu();
                Assert.Contains(cpu, allowed);

                Assert.True(ThreadPlacement.MoveOff([cpu]));
                int now = ThreadPlacement.CurrentCpu();
                Assert.NotEqual(cpu, now);
                Assert.Contains(now, allowed);
                Assert.Equal(allowed, ThreadPlacement.AllowedCpus());

                // Still allowed on the CPU it left: moved off every other, it goes back there.
                Assert.True(ThreadPlacement.MoveOff(allowed.Where(c => c != cpu).ToArray()));
                Assert.Equal(cpu, ThreadPlacement.CurrentCpu());
                Assert.Equal(allowed, ThreadPlacement.AllowedCpus());
            });
        }

        [SkippableFact]
        public void A_thread_that_may_run_only_where_it_is_told_to_avoid_stays()
        {
            Skip.IfNot(ThreadPlacement.Supported, "placement is read and changed on Linux only");
            OnOwnThread(() =>
            {
                int[] allowed = ThreadPlacement.AllowedCpus();
                Assert.NotEmpty(allowed);
                Assert.False(ThreadPlacement.MoveOff(allowed));
                Assert.Equal(allowed, ThreadPlacement.AllowedCpus());
                Assert.Contains(ThreadPlacement.CurrentCpu(), allowed);
            });
        }
    }
}
