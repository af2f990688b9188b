using System;

namespace GenSoftmax
{
    /// <summary>
    /// What a <see cref="HypercomplexSgd"/> needs to continue where it stopped: its settings, its current learning rate
    /// and its velocity of A, S and the bias. A model file holds it (<see cref="ModelFileContents.HypercomplexOptimizer"/>)
    /// beside the model's factors, so a run continued from the file, with the same batches in the same order, is
    /// bit-identical to one that never stopped. The position in the data (epoch, batch) is the caller's loop's to keep.
    /// </summary>
    /// <param name="Options">The optimizer's settings.</param>
    /// <param name="LearningRate">Its current learning rate (<see cref="HypercomplexSgd.LearningRate"/>).</param>
    /// <param name="VelocityA">Velocity of A, [n, n, n] (empty without momentum).</param>
    /// <param name="VelocityS">Velocity of S, [n, Classes / n, Inputs / n] (empty without momentum).</param>
    /// <param name="VelocityBias">Velocity of the bias, [Classes] (empty without momentum).</param>
    public sealed record HypercomplexOptimizerState(SgdOptions Options, float LearningRate, float[] VelocityA, float[] VelocityS, float[] VelocityBias)
    {
        /// <summary>The state of <paramref name="optimizer"/> now (copies of its velocity).</summary>
        public static HypercomplexOptimizerState Of(HypercomplexSgd optimizer)
        {
            ArgumentNullException.ThrowIfNull(optimizer);
            return new(optimizer.Options, optimizer.LearningRate, optimizer.VelocityA.ToArray(), optimizer.VelocityS.ToArray(), optimizer.VelocityBias.ToArray());
        }

        /// <summary>
        /// A new optimizer for <paramref name="model"/> (which holds the saved factors) with these settings, learning rate
        /// and velocity: the saved run's optimizer, continued.
        /// </summary>
        /// <exception cref="ArgumentException">The velocity does not fit the model, or a setting is out of range.</exception>
        public HypercomplexSgd CreateOptimizer(IHypercomplexModel model)
        {
            ArgumentNullException.ThrowIfNull(model);
            var optimizer = new HypercomplexSgd(model, Options);
            optimizer.LearningRate = LearningRate;
            try
            {
                optimizer.RestoreVelocity(VelocityA, VelocityS, VelocityBias);
            }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException(e.Message, nameof(model), e);
            }

            return optimizer;
        }
    }
}
