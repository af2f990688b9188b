using System;
using GenSoftmax;
using GenSoftmax.Training;

namespace GenSoftmax.Onnx.Tests
{
    /// <summary>Features model: an awkward shape (37 is no multiple of any vector width, 5 classes pad to 8 lanes).</summary>
    [SoftmaxModel(Inputs = 37, Classes = 5)]
    public sealed partial class ProbeModel;

    /// <summary>Image model: 28x28 byte pixels, 10 classes, the shape of Fashion-MNIST.</summary>
    [SoftmaxModel(Inputs = 784, Classes = 10)]
    public sealed partial class ImageModel;

    /// <summary>
    /// The models every test exports, trained once with <see cref="Trainer"/> on synthetic data (class prototypes plus
    /// noise, fixed seeds), and held-out inputs they have not seen. Training takes well under a second.
    /// </summary>
    public static class TrainedModels
    {
        /// <summary>Rows of held-out input per test: not a multiple of the engine's row blocks.</summary>
        public const int TestRows = 261;

        private static readonly Lazy<(ProbeModel Model, float[] Test)> LazyProbe = new(TrainProbe);
        private static readonly Lazy<(ImageModel Model, byte[] Test)> LazyImage = new(TrainImage);

        /// <summary>The features model, trained.</summary>
        public static ProbeModel Probe => LazyProbe.Value.Model;

        /// <summary>Held-out features [TestRows, 37], with a few extreme rows.</summary>
        public static float[] ProbeTest => LazyProbe.Value.Test;

        /// <summary>The image model, trained on byte pixels.</summary>
        public static ImageModel Image => LazyImage.Value.Model;

        /// <summary>Held-out pixels [TestRows, 784], the first row all 0 and the second all 255.</summary>
        public static byte[] ImageTest => LazyImage.Value.Test;

        /// <summary>Class names with characters a careless encoding would break: comma, quote, backslash, newline, non-ASCII.</summary>
        public static string[] AwkwardNames(int classes)
        {
            string[] names = ["T-shirt/top", "Trouser, long", "say \"pullover\"", "back\\slash", "two\nlines", "Ankle boot", "Sandale à lanière", "靴", "", "Bag"];
            return names.AsSpan(0, classes).ToArray();
        }

        private static (ProbeModel, float[]) TrainProbe()
        {
            const int d = 37, q = 5;
            var random = new Random(37);
            float[] prototypes = Gaussian(random, q * d, 1.5f);
            (float[] x, int[] y) = FeatureRows(random, prototypes, d, q, 800);
            var model = new ProbeModel();
            var trainer = new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 4, BatchSize = 32, Seed = 3, Optimizer = new SgdOptions { LearningRate = 0.2f } });
            trainer.Initialize();
            trainer.Fit(LabeledData.FromFeatures(x, y, d));
            (float[] test, _) = FeatureRows(random, prototypes, d, q, TestRows);
            test.AsSpan(0, d).Clear();                                   // all zeros: the logits are the bias
            test.AsSpan(d, d).Fill(10f);                                 // large inputs: one class near 1
            test.AsSpan(2 * d, d).Fill(-3.25f);
            return (model, test);
        }

        private static (ImageModel, byte[]) TrainImage()
        {
            const int d = 784, q = 10;
            var random = new Random(784);
            byte[] prototypes = new byte[q * d];
            random.NextBytes(prototypes);
            (byte[] x, int[] y) = PixelRows(random, prototypes, d, q, 600);
            var model = new ImageModel();
            var trainer = new Trainer(model, new TrainerOptions { Solver = TrainingSolver.Sgd, Epochs = 2, BatchSize = 50, Seed = 5, Optimizer = new SgdOptions { LearningRate = 0.1f } });
            trainer.Initialize();
            trainer.Fit(LabeledData.FromImages(x, y, 28, 28));
            (byte[] test, _) = PixelRows(random, prototypes, d, q, TestRows);
            test.AsSpan(0, d).Clear();
            test.AsSpan(d, d).Fill(255);
            return (model, test);
        }

        private static (float[] X, int[] Y) FeatureRows(Random random, float[] prototypes, int d, int q, int n)
        {
            float[] x = Gaussian(random, n * d, 1f);
            int[] y = new int[n];
            for (int i = 0; i < n; i++)
            {
                y[i] = random.Next(q);
                for (int k = 0; k < d; k++)
                {
                    x[(i * d) + k] += prototypes[(y[i] * d) + k];
                }
            }

            return (x, y);
        }

        private static (byte[] X, int[] Y) PixelRows(Random random, byte[] prototypes, int d, int q, int n)
        {
            byte[] x = new byte[n * d];
            int[] y = new int[n];
            for (int i = 0; i < n; i++)
            {
                y[i] = random.Next(q);
                for (int k = 0; k < d; k++)
                {
                    x[(i * d) + k] = (byte)Math.Clamp(prototypes[(y[i] * d) + k] + random.Next(-60, 61), 0, 255);
                }
            }

            return (x, y);
        }

        private static float[] Gaussian(Random random, int count, float stdDev)
        {
            float[] values = new float[count];
            for (int i = 0; i < count; i++)
            {
                // Box-Muller: enough for test data, and the same on every platform for a seed.
                double u1 = 1.0 - random.NextDouble();
                double u2 = random.NextDouble();
                values[i] = (float)(stdDev * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
            }

            return values;
        }
    }
}
