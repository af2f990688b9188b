using System;
using System.Linq;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>
    /// A trainer that starts on pixel rows tells the kernel warm-up to leave the float kernels to their first call
    /// (<see cref="TrainingWarmup.PixelTraining"/>); one on float features does not.
    /// </summary>
    [Collection(AllocationCollection.Name)] // runs alone: it clears and reads process-wide state
    public sealed class PixelTrainingHintTests
    {
        [Fact]
        public void A_trainer_on_pixels_sets_the_hint_and_one_on_features_does_not()
        {
            var random = new Random(8);
            var pixels = new byte[40 * 17];
            random.NextBytes(pixels);
            int[] labels = Enumerable.Range(0, 40).Select(i => i % 10).ToArray();
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 1 };
            TrainingWarmup.ForgetPixelTraining();
            new Trainer(new Models.M17x10(), options).Fit(LabeledData.FromPixels(pixels, labels, 17).ToFeatures());
            Assert.False(TrainingWarmup.PixelTraining);

            new Trainer(new Models.M17x10(), options).Fit(LabeledData.FromPixels(pixels, labels, 17));
            Assert.True(TrainingWarmup.PixelTraining); // and so it stays, as every pixel training leaves it
        }
    }
}
