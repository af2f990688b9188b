using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>Issue 13, "trains garbage": a run that goes non-finite stops with the epoch and batch, keeping the last finite weights.</summary>
    public sealed class DivergenceTests
    {
        /// <summary>Trains until it throws, remembering the parameters after every completed batch.</summary>
        private static (TrainingDivergedException Error, float[] LastWeights, float[] LastBias, int Batches) RunToDivergence(
            Trainer trainer, LabeledData data)
        {
            float[] weights = trainer.Model.Weights.ToArray(), bias = trainer.Model.Bias.ToArray();
            int batches = 0;
            TrainingDivergedException e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(data, null, new TrainerTests.SyncProgress(p =>
            {
                if (p.EpochCompleted is null)
                {
                    weights = trainer.Model.Weights.ToArray();
                    bias = trainer.Model.Bias.ToArray();
                    batches++;
                }
            })));
            return (e, weights, bias, batches);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void A_huge_learning_rate_stops_with_epoch_and_batch_and_keeps_the_last_finite_weights(int threads)
        {
            (LabeledData train, _) = TrainerTests.Clusters(7, 320, 10);
            var model = new M17x10();
            var trainer = new Trainer(model, new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                BatchSize = 32, Threads = threads, Optimizer = new SgdOptions { LearningRate = 1e37f, Momentum = 0.9f },
            });
            trainer.Initialize();
            (TrainingDivergedException e, float[] weights, float[] bias, int batches) = RunToDivergence(trainer, train);

            Assert.Equal(1, e.Epoch);
            Assert.Equal(batches + 1, e.Batch);
            Assert.Contains($"epoch 1, batch {e.Batch} of 10", e.Message);
            Assert.Contains("smaller learning rate", e.Message);
            Assert.Equal(1e37f, e.LearningRate);
            TrainingData.AssertFinite(model);
            Assert.Equal(weights, model.Weights.ToArray());
            Assert.Equal(bias, model.Bias.ToArray());
            Assert.All(trainer.Optimizer.VelocityOfW.ToArray(), v => Assert.True(float.IsFinite(v)));

            // The position is the failed batch: a saved state continues from there, not after it.
            TrainingState state = trainer.SaveState();
            Assert.Equal(0, state.CompletedEpochs);
            Assert.Equal(batches, state.BatchesDone);
        }

        [Theory]
        [InlineData(1, 0f)]
        [InlineData(2, 0f)]
        [InlineData(3, 0.9f)]
        public void A_weight_that_overflows_in_its_update_stops_training_at_that_batch(int threads, float momentum)
        {
            // Features of about 100 make gradients of about 100, which a learning rate of 1e38 takes past float's range in
            // the first update, while that batch's loss (from the initial weights) is finite: the update itself must be
            // caught, or the next batch would start from infinite weights and be the one blamed.
            (LabeledData clusters, _) = TrainerTests.Clusters(7, 320, 10);
            LabeledData train = LabeledData.FromFeatures(
                clusters.Features!.ToArray().Select(v => v * 100f).ToArray(), clusters.Labels, clusters.Inputs);
            var model = new M17x10();
            var trainer = new Trainer(model, new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                BatchSize = 32, Threads = threads, Optimizer = new SgdOptions { LearningRate = 1e38f, Momentum = momentum },
            });
            trainer.Initialize();
            float[] initial = model.Weights.ToArray(), initialBias = model.Bias.ToArray();
            (TrainingDivergedException e, _, _, int batches) = RunToDivergence(trainer, train);

            Assert.Equal(0, batches);
            Assert.Equal(1, e.Epoch);
            Assert.Equal(1, e.Batch);
            Assert.Contains("the weights after its update are not all finite", e.Message);
            TrainingData.AssertFinite(model);
            Assert.Equal(initial, model.Weights.ToArray());
            Assert.Equal(initialBias, model.Bias.ToArray());
        }

        [Theory]
        [InlineData(float.NaN, "NaN")]
        [InlineData(float.NegativeInfinity, "-Infinity")]
        [InlineData(float.PositiveInfinity, "+Infinity")]
        public void Non_finite_features_are_refused_when_the_data_is_created_with_the_row(float bad, string shown)
        {
            (LabeledData clean, _) = TrainerTests.Clusters(8, 320, 10);
            float[] features = clean.Features!.ToArray();
            features[(201 * 17) + 5] = bad;
            ArgumentException e = Assert.Throws<ArgumentException>(() => LabeledData.FromFeatures(features, clean.Labels, 17));
            Assert.Contains($"features[{(201 * 17) + 5}] (row 201, column 5) is {shown}", e.Message);
            Assert.Equal("features", e.ParamName);
        }

        [Fact]
        public void A_non_finite_value_written_after_the_data_was_created_stops_training_at_its_first_batch()
        {
            // The trainer does not scan the data again (a pass over all of it per Fit); the batch that holds the value
            // diverges and the model keeps its initial, finite weights.
            (LabeledData clean, _) = TrainerTests.Clusters(8, 320, 10);
            float[] features = clean.Features!.ToArray();
            LabeledData data = LabeledData.FromFeatures(features, clean.Labels, 17);
            const int BadRow = 201;
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, BatchSize = 32, Epochs = 1 };
            int[] order = TrainingData.EpochOrders(options.Seed, 320, 1)[0];
            int badBatch = (Array.IndexOf(order, BadRow) / 32) + 1;
            features[(BadRow * 17) + 5] = float.NaN;
            var model = new M17x10();
            var trainer = new Trainer(model, options);
            trainer.Initialize();

            TrainingDivergedException e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(data));
            Assert.Equal((1, badBatch), (e.Epoch, e.Batch));
            TrainingData.AssertFinite(model);
        }

        [Theory]
        [InlineData(1, float.NaN)]
        [InlineData(2, float.PositiveInfinity)]
        [InlineData(3, float.NegativeInfinity)]
        public void A_non_finite_value_arriving_during_training_stops_at_the_batch_that_holds_it(int threads, float bad)
        {
            (LabeledData clean, _) = TrainerTests.Clusters(8, 320, 10);
            float[] features = clean.Features!.ToArray();
            LabeledData data = LabeledData.FromFeatures(features, clean.Labels, 17);
            const int BadRow = 201;
            var options = new TrainerOptions { Solver = TrainingSolver.Sgd, BatchSize = 32, Epochs = 2, Threads = threads };
            int[] order = TrainingData.EpochOrders(options.Seed, 320, 1)[0];
            int badBatch = (Array.IndexOf(order, BadRow) / 32) + 1;
            Assert.True(badBatch > 1);

            var model = new M17x10();
            var trainer = new Trainer(model, options);
            trainer.Initialize();
            float[] weights = model.Weights.ToArray();
            TrainingDivergedException e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(data, null, new TrainerTests.SyncProgress(p =>
            {
                // The data changes under the trainer after its first batch (the arrays are used as given, not copied).
                features[(BadRow * 17) + 5] = bad;
                weights = model.Weights.ToArray();
            })));

            Assert.Equal((1, badBatch), (e.Epoch, e.Batch));
            Assert.Contains("NaN or infinite values", e.Message);
            TrainingData.AssertFinite(model);
            Assert.Equal(weights, model.Weights.ToArray());
        }

        [Fact]
        public void The_app_level_catch_of_InvalidOperationException_sees_it()
        {
            // The demo app reports InvalidOperationException from Fit as one line; divergence is one.
            Assert.True(typeof(InvalidOperationException).IsAssignableFrom(typeof(TrainingDivergedException)));
        }
    }
}
