using System;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>A run's saved state compares by what it holds: its tensors by contents, not by which arrays they live in.</summary>
    public sealed class TrainingStateTests
    {
        private static NamedTensor Tensor(string name, params float[] values)
        {
            var tensor = new NamedTensor(name, [values.Length], decays: true, TensorInit.Zeros);
            values.CopyTo(tensor.Values);
            return tensor;
        }

        private static TrainingState State(float velocity, float best) =>
            new(42, 3, 7, 0.1f, [Tensor("W", 1f, velocity), Tensor("b", 0.5f)], 12.5, 40, 0.25)
            {
                EarlyStopping = new EarlyStoppingState(2, 0.4, 1, false, [Tensor("W", best, 2f), Tensor("b", 0f)]),
            };

        [Fact]
        public void States_with_equal_contents_in_different_arrays_are_equal()
        {
            TrainingState a = State(3f, 4f), b = State(3f, 4f);
            Assert.NotSame(a.Velocity[0], b.Velocity[0]);
            Assert.Equal(a, b);
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
            Assert.Equal(a.EarlyStopping, b.EarlyStopping);
        }

        [Fact]
        public void A_different_velocity_or_best_value_makes_states_differ()
        {
            Assert.NotEqual(State(3f, 4f), State(3.0000002f, 4f));
            Assert.NotEqual(State(3f, 4f), State(3f, -4f));
            Assert.NotEqual(State(3f, 4f), State(3f, 4f) with { EarlyStopping = null });
            Assert.NotEqual(State(3f, 4f), State(3f, 4f) with { BatchesDone = 8 });
        }

        [Fact]
        public void Tensors_named_or_shaped_differently_make_states_differ()
        {
            TrainingState a = State(3f, 4f);
            Assert.NotEqual(a, a with { Velocity = [Tensor("V", 1f, 3f), Tensor("b", 0.5f)] });
            Assert.NotEqual(a, a with { Velocity = [Tensor("W", 1f, 3f, 0f), Tensor("b", 0.5f)] });
            Assert.NotEqual(a, a with { Velocity = [Tensor("W", 1f, 3f)] });
        }

        [Fact]
        public void A_NaN_velocity_equals_the_same_NaN_bit_for_bit()
        {
            Assert.Equal(State(float.NaN, 4f), State(float.NaN, 4f));
        }
    }
}
