using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>
    /// When a step thread that keeps running on another step thread's CPU moves itself (<see cref="DataParallelStep.Placement"/>):
    /// after a few steps in a row, with the wait doubling while the threads keep being put back together and starting
    /// again after a long time apart.
    /// </summary>
    public sealed class PlacementPatienceTests
    {
        private const int First = DataParallelStep.Placement.FirstPatience;

        [Fact]
        public void A_thread_moves_after_the_first_patience_in_a_row_and_a_step_apart_starts_the_count_again()
        {
            var placement = new DataParallelStep.Placement(2);
            for (int i = 1; i < First; i++)
            {
                Assert.False(placement.Step(shared: true));
            }

            Assert.False(placement.Step(shared: false)); // apart once: the run of shared steps starts again
            for (int i = 1; i < First; i++)
            {
                Assert.False(placement.Step(shared: true));
            }

            Assert.True(placement.Step(shared: true));
            Assert.False(placement.Step(shared: false));
        }

        [Fact]
        public void Moves_soon_after_the_last_double_the_patience_up_to_the_most()
        {
            var placement = new DataParallelStep.Placement(2);
            Assert.Equal(First, StepsToMove(ref placement)); // the first episode, long after any move
            int expected = First;                           // the next one right after: the same patience, then doubled
            for (int episode = 0; episode < 20; episode++)
            {
                Assert.Equal(expected, StepsToMove(ref placement));
                expected = System.Math.Min(expected * 2, DataParallelStep.Placement.MostPatience);
            }

            Assert.Equal(DataParallelStep.Placement.MostPatience, StepsToMove(ref placement));
        }

        [Fact]
        public void Long_apart_after_a_move_the_patience_starts_again_from_the_first()
        {
            var placement = new DataParallelStep.Placement(2);
            StepsToMove(ref placement);
            StepsToMove(ref placement);
            Assert.Equal(2 * First, StepsToMove(ref placement)); // ping-pong: doubled
            for (int i = 0; i < DataParallelStep.Placement.Recent; i++)
            {
                Assert.False(placement.Step(shared: false));
            }

            Assert.Equal(4 * First, StepsToMove(ref placement)); // this episode still waits its patience...
            Assert.Equal(First, StepsToMove(ref placement));     // ...and the one after starts again from the first
        }

        private static int StepsToMove(ref DataParallelStep.Placement placement)
        {
            int steps = 1;
            while (!placement.Step(shared: true))
            {
                steps++;
            }

            return steps;
        }
    }
}
