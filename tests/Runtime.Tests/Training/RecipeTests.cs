using System;
using System.Collections.Generic;
using GenSoftmax.Data;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>
    /// The two named recipes on the real Fashion-MNIST (uint8 pixels, as the app loads it): the textbook's figures are
    /// unchanged, and the fast preset reaches the best linear models' test accuracy. Skipped when the data is not found.
    /// </summary>
    public sealed class RecipeTests
    {
        private static readonly Lazy<(LabeledData Train, LabeledData Test)?> Data = new(() =>
        {
            try
            {
                return FashionMnist.Load();
            }
            catch (DatasetNotFoundException)
            {
                return null;
            }
        });

        private static (LabeledData Train, LabeledData Test) Load()
        {
            Skip.If(Data.Value is null, $"Fashion-MNIST was not found (set {FashionMnist.EnvironmentVariable} to its directory)");
            return Data.Value!.Value;
        }

        [SkippableFact]
        public void The_textbook_recipe_is_unchanged()
        {
            (LabeledData train, LabeledData test) = Load();
            Assert.Equal(new TrainerOptions { Solver = TrainingSolver.Sgd }, TrainerOptions.Textbook);
            var model = new M784x10();
            var trainer = new Trainer(model, TrainerOptions.Textbook with { Threads = 2 });
            trainer.Initialize();
            IReadOnlyList<EpochReport> reports = trainer.Fit(train, test);

            Assert.Equal(10, reports.Count);
            Assert.Equal(0.4475, Math.Round(reports[^1].TrainLoss, 4));
            Assert.Equal(0.8297, Math.Round(reports[^1].ValidationAccuracy, 4));
        }

        [SkippableFact]
        public void The_fast_recipe_reaches_the_best_linear_models()
        {
            (LabeledData train, LabeledData test) = Load();
            var model = new M784x10();
            var trainer = new Trainer(model, TrainerOptions.Fast);
            trainer.Initialize();
            IReadOnlyList<EpochReport> reports = trainer.Fit(train);

            Assert.Equal(TrainerOptions.Fast.Epochs, reports.Count);
            double accuracy = Trainer.Accuracy(model, test);
            Assert.True(accuracy >= 0.846, $"test accuracy {accuracy:F4} is below 0.846");
            Assert.True(reports[^1].TrainLoss < reports[0].TrainLoss);
        }
    }
}
