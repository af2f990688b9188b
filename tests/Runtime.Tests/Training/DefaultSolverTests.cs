using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using GenSoftmax.Hypercomplex;
using GenSoftmax.Tests.Models;
using GenSoftmax.Training;
using Xunit;
using Xunit.Abstractions;

namespace GenSoftmax.Tests.Training
{
    /// <summary>
    /// With no solver named (<see cref="TrainingSolver.Auto"/>), a small problem is solved exactly and a large one by SGD, by
    /// the documented rule; SGD with a batch that holds the whole training set warns.
    /// </summary>
    public sealed class DefaultSolverTests
    {
        private readonly ITestOutputHelper _output;

        public DefaultSolverTests(ITestOutputHelper output) => _output = output;

        private static LabeledData Iris()
        {
            using JsonDocument fixtures = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "sklearn.json")));
            JsonElement set = fixtures.RootElement.GetProperty("sets").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "iris");
            float[] x = set.GetProperty("x").EnumerateArray().Select(v => (float)(v.GetInt64() / 10.0)).ToArray();
            int[] y = set.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            return LabeledData.FromFeatures(x, y, 4);
        }

        [Fact]
        public void Iris_with_every_default_is_solved_exactly_to_scikit_learns_accuracy()
        {
            LabeledData iris = Iris();
            double sum = 0, sgd = 0;
            for (int split = 0; split < 10; split++)
            {
                (LabeledData train, LabeledData test) = HoldOut.Split(iris, 0.2, seed: split);
                var model = new RuntimeSoftmaxModel(4, 3);
                var trainer = new Trainer(model);
                trainer.Initialize();
                trainer.Fit(train);
                Assert.Equal(TrainingSolver.Lbfgs, trainer.Solver);
                Assert.Empty(trainer.Warnings);
                sum += Trainer.Accuracy(model, test);

                var sgdModel = new RuntimeSoftmaxModel(4, 3);
                var sgdTrainer = new Trainer(sgdModel, TrainerOptions.Textbook);
                sgdTrainer.Initialize();
                sgdTrainer.Fit(train);
                sgd += Trainer.Accuracy(sgdModel, test);
            }

            _output.WriteLine($"mean test accuracy over 10 splits: defaults {sum / 10:F3}, textbook SGD {sgd / 10:F3}");
            Assert.True(sum / 10 >= 0.96, $"the defaults average {sum / 10:F3} test accuracy on Iris; scikit-learn's defaults reach 0.960");
            Assert.True(sum / 10 > sgd / 10 + 0.2, "the exact solve should leave one SGD step an epoch far behind");
        }

        [Fact]
        public void The_rule_turns_to_SGD_above_the_documented_size()
        {
            var model = new RuntimeSoftmaxModel(784, 10);
            var options = new TrainerOptions();
            int limitRows = (int)(TrainerOptions.ExactSolverLimit / (784 * 10));
            LabeledData Rows(int n) => LabeledData.FromPixels(new byte[n * 784], new int[n], 784);
            Assert.Equal(TrainingSolver.Lbfgs, options.SolverFor(model, Rows(limitRows)).Solver);
            (TrainingSolver solver, string reason) = options.SolverFor(model, Rows(limitRows + 1));
            Assert.Equal(TrainingSolver.Sgd, solver);
            Assert.Contains("multiply-adds", reason);
        }

        [Fact]
        public void Sgd_only_features_and_named_solvers_are_respected()
        {
            LabeledData iris = Iris();
            var dense = new RuntimeSoftmaxModel(4, 3);
            Assert.Equal(TrainingSolver.Sgd, new TrainerOptions { EarlyStopping = new EarlyStoppingOptions() }.SolverFor(dense, iris).Solver);
            Assert.Equal(TrainingSolver.Sgd, new TrainerOptions { LabelSmoothing = 0.1f }.SolverFor(dense, iris).Solver);
            Assert.Equal(TrainingSolver.Sgd, new TrainerOptions { Loss = TrainingLoss.SquaredError }.SolverFor(dense, iris).Solver);
            Assert.Equal(TrainingSolver.Sgd, new TrainerOptions().SolverFor(dense, iris, softTargets: true).Solver);
            Assert.Equal(TrainingSolver.Sgd, new TrainerOptions().SolverFor(new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(4, 8), 2), iris).Solver);
            Assert.Equal(TrainingSolver.Sgd, TrainerOptions.Textbook.SolverFor(dense, iris).Solver);
            Assert.Equal(TrainingSolver.Sgd, TrainerOptions.Fast.SolverFor(dense, iris).Solver);
            Assert.Equal(TrainingSolver.Lbfgs, new TrainerOptions { Solver = TrainingSolver.Lbfgs }.SolverFor(dense, iris).Solver);
        }

        [Fact]
        public void The_exact_path_reports_one_epoch_with_the_solvers_result_and_warm_starts()
        {
            LabeledData iris = Iris();
            var model = new RuntimeSoftmaxModel(4, 3);
            var trainer = new Trainer(model, new TrainerOptions { Lbfgs = new LbfgsOptions { C = 0.5, MaxIterations = 500 } });
            var report = Assert.Single(trainer.Fit(iris, validation: iris));
            Assert.Equal(1, report.Epoch);
            Assert.Equal(SolverStop.Converged, trainer.SolverResult!.Stop);
            Assert.Equal(report.TrainAccuracy, report.ValidationAccuracy);
            Assert.Equal(StopReason.Completed, trainer.Outcome!.Reason);

            SolverResult again = LbfgsSolver.Fit(model, iris, new LbfgsOptions { C = 0.5 });
            Assert.True(again.Iterations <= 2, $"a warm start at the minimum should stop at once, took {again.Iterations} iterations");
        }

        [Fact]
        public void Sgd_warns_once_when_the_batch_holds_the_whole_training_set()
        {
            var trainer = new Trainer(new RuntimeSoftmaxModel(4, 3), TrainerOptions.Fast with { Epochs = 2 });
            trainer.Initialize();
            trainer.Fit(Iris());
            string warning = Assert.Single(trainer.Warnings);
            Assert.Contains("batch (512 rows) holds the whole training set (150 rows)", warning);
            Assert.Contains("exact solver", warning);
            trainer.Fit(Iris());
            Assert.Single(trainer.Warnings);

            var fine = new Trainer(new M17x10(), TrainerOptions.Textbook with { BatchSize = 8, Epochs = 1 });
            fine.Fit(LabeledData.FromFeatures(new float[17 * 40], Enumerable.Range(0, 40).Select(i => i % 10).ToArray(), 17)); // every class has rows
            Assert.Empty(fine.Warnings);
        }
    }
}
