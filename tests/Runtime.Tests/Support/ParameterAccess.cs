using System;
using System.Linq;
using GenSoftmax.Training;

namespace GenSoftmax.Tests
{
    /// <summary>Writable views of a dense model's parameters by name, for tests that set weights by hand.</summary>
    internal static class ParameterAccess
    {
        extension(ISoftmaxModel model)
        {
            /// <summary>The parameter <c>W</c> (a dense model's weights); throws for a model without one.</summary>
            public Span<float> W => model.Parameters.Single(p => p.Name == "W").Values;

            /// <summary>The parameter <c>b</c>.</summary>
            public Span<float> B => model.Parameters.Single(p => p.Name == "b").Values;
        }

        extension(Sgd sgd)
        {
            /// <summary>The velocity of W (empty without momentum).</summary>
            public float[] VelocityOfW => sgd.Velocity.Count == 0 ? [] : sgd.Velocity.Single(v => v.Name == "W").Values.ToArray();

            /// <summary>The velocity of b (empty without momentum).</summary>
            public float[] VelocityOfB => sgd.Velocity.Count == 0 ? [] : sgd.Velocity.Single(v => v.Name == "b").Values.ToArray();

            /// <summary>The velocity of the parameter <paramref name="name"/> (empty without momentum).</summary>
            public float[] VelocityOf(string name) => sgd.Velocity.Count == 0 ? [] : sgd.Velocity.Single(v => v.Name == name).Values.ToArray();
        }

        extension(TrainingState state)
        {
            /// <summary>The saved velocity of W (empty without momentum).</summary>
            public float[] VelocityOfW => state.Velocity.Count == 0 ? [] : state.Velocity.Single(v => v.Name == "W").Values.ToArray();

            /// <summary>The saved velocity of b (empty without momentum).</summary>
            public float[] VelocityOfB => state.Velocity.Count == 0 ? [] : state.Velocity.Single(v => v.Name == "b").Values.ToArray();

            /// <summary>The saved velocity of the parameter <paramref name="name"/> (empty without momentum).</summary>
            public float[] VelocityOf(string name) => state.Velocity.Count == 0 ? [] : state.Velocity.Single(v => v.Name == name).Values.ToArray();
        }

        extension(EarlyStoppingState state)
        {
            /// <summary>The best epoch's value of the parameter <paramref name="name"/> (empty before a best epoch).</summary>
            public float[] BestOf(string name) => state.Best.Count == 0 ? [] : state.Best.Single(v => v.Name == name).Values.ToArray();
        }
    }
}
