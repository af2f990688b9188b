using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using GenSoftmax.Data;
using GenSoftmax.Tests.CsvModels;
using GenSoftmax.Training;
using Xunit;

namespace GenSoftmax.Tests.CsvModels
{
    /// <summary>A linear probe over 384-dimensional sentence embeddings with three classes.</summary>
    [SoftmaxModel(Inputs = 384, Classes = 3)]
    public partial class EmbeddingProbe;
}

namespace GenSoftmax.Data.Tests
{
    public sealed class CsvTrainingTests : IDisposable
    {
        private static readonly string[] Topics = { "sports", "politics", "cooking" };

        private readonly TempDirectory _temp = new TempDirectory();

        public void Dispose() => _temp.Dispose();

        /// <summary>
        /// Writes a CSV of 384-dimensional vectors around one centre per topic (string labels), as an embedding model's
        /// output for sentences on three topics would be, with a header e0..e383,topic.
        /// </summary>
        private string WriteEmbeddings(string name, int rows, float[][] centres, int seed)
        {
            var random = new Random(seed);
            var text = new StringBuilder();
            text.AppendJoin(',', Enumerable.Range(0, 384).Select(i => $"e{i}")).Append(",topic\n");
            for (int r = 0; r < rows; r++)
            {
                int topic = random.Next(Topics.Length);
                for (int i = 0; i < 384; i++)
                {
                    float value = centres[topic][i] + (float)(random.NextDouble() - 0.5) * 0.2f;
                    text.Append(value.ToString("R", CultureInfo.InvariantCulture)).Append(',');
                }

                text.Append(Topics[topic]).Append('\n');
            }

            string path = _temp.File(name);
            File.WriteAllText(path, text.ToString());
            return path;
        }

        [Fact]
        public void ModelTrainedOnACsv_ClassifiesAnotherCsv()
        {
            var random = new Random(1);
            float[][] centres = Topics.Select(_ => Enumerable.Range(0, 384).Select(_ => (float)(random.NextDouble() - 0.5) * 0.1f).ToArray()).ToArray();
            LabeledData train = CsvReader.Read(WriteEmbeddings("train.csv", 300, centres, seed: 2));
            LabeledData test = CsvReader.Read(WriteEmbeddings("test.csv", 100, centres, seed: 3), new CsvOptions { ClassNames = train.ClassNames });

            Assert.Equal(new[] { "cooking", "politics", "sports" }, train.ClassNames);
            var model = new EmbeddingProbe();
            var trainer = new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 20, BatchSize = 32, Optimizer = new SgdOptions { LearningRate = 0.5f } });
            trainer.Initialize();
            trainer.Fit(train, test);

            double accuracy = Trainer.Accuracy(model, test);
            Assert.True(accuracy > 0.95, $"test accuracy {accuracy}");

            int[] predicted = new int[test.Count];
            model.Predict(test.Features!, predicted);
            int sports = Array.IndexOf(train.ClassNames!.ToArray(), "sports");
            Assert.Contains(sports, predicted);
        }
    }
}
