using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Reference;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.Training
{
    /// <summary>The squared-error loss on one-hot targets (the chapter's first attempt), with argmax prediction.</summary>
    public sealed class SquaredErrorTests
    {
        /// <summary>
        /// The reference's gradient against central differences of its own loss. The loss is quadratic in the
        /// parameters, so central differences are exact up to rounding; the steps are the float parameters' actual changes.
        /// </summary>
        [Fact]
        public void The_reference_gradient_matches_finite_differences()
        {
            var random = new Random(5);
            var reference = new SoftmaxReference(15, 10);
            float[] x = TestModels.Uniform(random, 12 * 15, -1f, 1f);
            int[] labels = TestModels.Labels(random, 12, 10);
            // Parameters on a grid of 1/1024, so that p ± 1/64 is exact in float and the difference quotient is centred.
            TestModels.Uniform(random, reference.Weights.Length, -0.5f, 0.5f).Select(w => MathF.Round(w * 1024) / 1024).ToArray().CopyTo(reference.Weights, 0);
            TestModels.Uniform(random, 10, -0.5f, 0.5f).Select(b => MathF.Round(b * 1024) / 1024).ToArray().CopyTo(reference.Bias, 0);
            var dW = new double[reference.Weights.Length];
            var db = new double[10];
            reference.SquaredErrorAndGradient(x, labels, dW, db);

            double Numeric(float[] parameters, int i)
            {
                float saved = parameters[i];
                float plus = saved + (1f / 64), minus = saved - (1f / 64);
                parameters[i] = plus;
                double up = reference.SquaredErrorAndGradient(x, labels, null, null);
                parameters[i] = minus;
                double down = reference.SquaredErrorAndGradient(x, labels, null, null);
                parameters[i] = saved;
                return (up - down) / (2.0 / 64);
            }

            for (int i = 0; i < dW.Length; i += 7)
            {
                Assert.Equal(dW[i], Numeric(reference.Weights, i), 1e-9);
            }

            for (int c = 0; c < 10; c++)
            {
                Assert.Equal(db[c], Numeric(reference.Bias, c), 1e-9);
            }

            Assert.Contains(dW, g => Math.Abs(g) > 1e-3);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void The_trainers_gradient_matches_the_reference(bool pixels)
        {
            var random = new Random(pixels ? 6 : 7);
            var model = new M784x10();
            TestModels.Randomize(model, random);
            (byte[] p, float[] f) = TestModels.Pixels(random, 300 * 784);
            int[] labels = TestModels.Labels(random, 300, 10);
            LabeledData data = pixels ? LabeledData.FromPixels(p, labels, 784) : LabeledData.FromFeatures(f, labels, 784);
            int[] rows = Enumerable.Range(0, 260).Select(_ => random.Next(300)).ToArray(); // repeats, and more than one block

            var objective = new TrainingObjective(model, data, null, TrainingLoss.SquaredError, 0f, threads: 1);
            var dW = new float[model.Weights.Length];
            var db = new float[10];
            BatchResult result = objective.LossAndGradient(0, rows, dW, db);

            SoftmaxReference reference = TestModels.ReferenceOf(model);
            var expectedW = new double[dW.Length];
            var expectedB = new double[10];
            double loss = reference.SquaredErrorAndGradient(TestModels.Gather(f, 784, rows), rows.Select(r => labels[r]).ToArray(), expectedW, expectedB);
            TestModels.AssertClose(loss, result.Loss, "loss");
            TestModels.AssertClose(expectedW, dW, "dW");
            TestModels.AssertClose(expectedB, db, "db");
            int[] predicted = reference.Predict(TestModels.Gather(f, 784, rows));
            Assert.Equal(rows.Where((r, i) => predicted[i] == labels[r]).Count(), result.Correct);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void Training_with_squared_error_follows_the_reference_and_learns(int threads)
        {
            (LabeledData train, LabeledData test) = TrainerTests.Clusters(21, 600, 300);
            var options = new TrainerOptions
            {
                Solver = TrainingSolver.Sgd,
                BatchSize = 50, Epochs = 3, Seed = 4, Threads = threads, Loss = TrainingLoss.SquaredError,
                Optimizer = new SgdOptions { LearningRate = 0.02f },
            };
            var model = new M17x10();
            var trainer = new Trainer(model, options);
            trainer.Initialize();
            SoftmaxReference reference = TestModels.ReferenceOf(model);
            IReadOnlyList<EpochReport> reports = trainer.Fit(train, test);

            float[] oneHot = TrainingData.Smoothed(train.Labels, 10, 0f);
            var sgd = new ReferenceSgd(reference, options.Optimizer);
            foreach (int[] order in TrainingData.EpochOrders(options.Seed, train.Count, options.Epochs))
            {
                for (int b = 0; b * options.BatchSize < train.Count; b++)
                {
                    int[] rows = TrainingData.BatchRows(order, options.BatchSize, b);
                    var dW = new double[reference.Weights.Length];
                    var db = new double[10];
                    reference.SquaredErrorAndGradient(TestModels.Gather(train.Features!, 17, rows), TestModels.Gather(oneHot, 10, rows), dW, db);
                    sgd.Update(dW, db);
                }
            }

            TestModels.AssertClose(reference.Weights.Select(w => (double)w).ToArray(), model.Weights, "weights");
            Assert.True(reports[^1].TrainLoss < reports[0].TrainLoss, "the squared error fell");
            Assert.True(reports[^1].ValidationAccuracy > 0.9, $"accuracy {reports[^1].ValidationAccuracy}");
            // The validation loss is the same loss, measured by the reference on the final model.
            double expected = TestModels.ReferenceOf(model).SquaredErrorAndGradient(test.Features!, test.Labels, null, null);
            Assert.Equal(expected, reports[^1].ValidationLoss, 1e-4);
            Assert.Equal(Trainer.Accuracy(model, test), reports[^1].ValidationAccuracy);
        }
    }
}
