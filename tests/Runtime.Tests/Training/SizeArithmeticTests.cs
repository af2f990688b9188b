using System;
using System.Linq;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>Sizes at the edges of int reach the trainer's arithmetic without wrapping (issue 20, item 2).</summary>
    public sealed class SizeArithmeticTests
    {
        [Theory]
        [InlineData(int.MaxValue)]
        [InlineData(int.MaxValue - 1)]
        [InlineData(1 << 30)]
        public void A_batch_larger_than_the_data_is_one_batch_of_every_row(int batchSize)
        {
            (LabeledData train, _) = TrainerTests.Clusters(seed: 3, trainCount: 50, testCount: 1);
            int batches = 0, rows = 0;
            var progress = new TrainerTests.SyncProgress(p =>
            {
                if (p.EpochCompleted is null)
                {
                    batches = p.BatchesPerEpoch;
                    rows += p.Result.Count;
                }
            });
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, BatchSize = batchSize, Epochs = 1, Threads = 1, Seed = 5 };
            (M17x10 model, var reports) = TrainerTests.Train(options, train, progress: progress);

            Assert.Equal(1, batches);
            Assert.Equal(train.Count, rows);
            EpochReport report = Assert.Single(reports);
            Assert.True(report.TrainLoss > 0 && double.IsFinite(report.TrainLoss), $"train loss {report.TrainLoss}");

            // The same as a batch of exactly the data's size.
            (M17x10 exact, _) = TrainerTests.Train(options with { BatchSize = train.Count }, train);
            Assert.Equal(exact.Weights.ToArray(), model.Weights.ToArray());
        }
    }
}
