using System.Linq;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    public class EmptyClassTests
    {
        [Theory]
        [InlineData(new[] { 0, 1, 2, 3 }, 4, null)]
        [InlineData(new[] { 0, 1, 3 }, 5, "Classes 2, 4 (2 of the model's 5) have no training rows")]
        [InlineData(new[] { 0, 2 }, 3, "Class 1 (1 of the model's 3) has no training rows")]
        [InlineData(new[] { 0, 1, 9 }, 10, "Classes 2..8 (7 of the model's 10) have no training rows")]
        [InlineData(new[] { 5 }, 7, "Classes 0..4, 6 (6 of the model's 7) have no training rows")]
        public void Classes_without_training_rows_are_named_in_ranges(int[] labels, int classes, string? expected)
        {
            string? warning = Trainer.EmptyClassesWarning(Enumerable.Range(0, classes).Except(labels).ToList(), classes);
            if (expected is null)
            {
                Assert.Null(warning);
            }
            else
            {
                Assert.StartsWith(expected, warning);
            }
        }

        [Fact]
        public void The_trainer_warns_once_and_trains_on()
        {
            var random = new System.Random(4);
            float[] x = Enumerable.Range(0, 40 * 3).Select(_ => (float)random.NextDouble()).ToArray();
            int[] y = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? 0 : 2).ToArray(); // class 1 never appears
            var data = LabeledData.FromFeatures(x, y, 3);
            var trainer = new Trainer(new RuntimeSoftmaxModel(3, 3), new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 2, BatchSize = 8 });
            trainer.Initialize();
            trainer.Fit(data);
            trainer.Fit(data);
            Assert.Single(trainer.Warnings, w => w.StartsWith("Class 1 (1 of the model's 3) has no training rows", System.StringComparison.Ordinal));
        }
    }
}
