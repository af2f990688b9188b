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

                // Once the set is widened again the scheduler may move the thread back at any moment (other tests keep the
                // CPUs busy), so each move is tried a few times: it must land where it was sent at least once.
                bool left = false;
                for (int attempt = 0; attempt < 20 && !left; attempt++)
                {
                    int from = ThreadPlacement.CurrentCpu();
                    Assert.True(ThreadPlacement.MoveOff([from]));
                    int now = ThreadPlacement.CurrentCpu();
                    Assert.Contains(now, allowed);
                    left = now != from;
                }

                Assert.True(left, "never ran off the CPU it was moved off");
                Assert.Equal(allowed, ThreadPlacement.AllowedCpus());

                // Still allowed everywhere it was: moved off every CPU but one, it runs on that one.
                int target = allowed[0];
                bool arrived = false;
                for (int attempt = 0; attempt < 20 && !arrived; attempt++)
                {
                    Assert.True(ThreadPlacement.MoveOff(allowed.Where(c => c != target).ToArray()));
                    arrived = ThreadPlacement.CurrentCpu() == target;
                }

                Assert.True(arrived, $"never ran on CPU {target} after being moved off every other");
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
