using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.IO.Hashing;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using CsCheck;
using GenSoftmax.Data;
using GenSoftmax.Fuzz;
using Xunit;
using Xunit.Abstractions;

namespace GenSoftmax.Tests.Fuzz
{
    /// <summary>
    /// Property-based tests over mutated files of model files: bit flips, byte bursts, truncation at every header offset
    /// and at body offsets, header fields set to sizes that break things, trailing bytes, deletions, text insertions and
    /// bombs (tiny files whose header declares gigabytes), run by <see cref="FuzzRunner"/> (seed, case count, report).
    /// </summary>
    public sealed class MutationFuzzTests : IDisposable
    {
        /// <summary>What every case may allocate whatever its input: stream buffers, messages, stack traces.</summary>
        private const long BaseAllocation = 2_000_000;

        private readonly TempDirectory _temp = new();
        private readonly ITestOutputHelper _output;

        public MutationFuzzTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _temp.Dispose();

        // ---------------------------------------------------------------- model files

        private static readonly RuntimeSoftmaxModel SavedModel = MakeModel();

        private static RuntimeSoftmaxModel MakeModel()
        {
            var model = new RuntimeSoftmaxModel(6, 3);
            var random = new Random(7);
            for (int i = 0; i < model.Weights.Length; i++)
            {
                model.Weights[i] = (float)(random.NextDouble() - 0.5);
            }

            model.Bias[1] = 0.25f;
            return model;
        }

        private static byte[] ModelBytes()
        {
            using var dir = new TempDirectory();
            string path = dir.File("seed.gsm");
            ModelFile.Save(path, SavedModel, new ModelFileContents { ClassNames = ["cat", "dog", "emu"] });
            return File.ReadAllBytes(path);
        }

        private static readonly byte[] ValidModel = ModelBytes();

        /// <summary>Sets the declared length to the real one and recomputes the checksum: damage the checksum cannot see.</summary>
        private static byte[] Reseal(byte[] file)
        {
            byte[] copy = (byte[])file.Clone();
            if (copy.Length >= 32)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(24), (ulong)copy.Length);
            }

            if (copy.Length >= 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(copy.Length - 8), XxHash3.HashToUInt64(copy.AsSpan(0, copy.Length - 8)));
            }

            return copy;
        }

        private static FuzzFormat ModelFormat()
        {
            int[] fields = [8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48];
            return new(
                "model file",
                "model.gsm",
                ValidModel,
                Gen.Frequency(
                    (5, MutationGen.Of(ValidModel, 32, fields, bigEndian: false)),
                    (4, MutationGen.Of(ValidModel, 32, fields, bigEndian: false)
                        .Select(m => (Mutation)new Then(m, Reseal, "length and checksum recomputed", ValidModel))),
                    (1, Gen.Select(Gen.Int[0, 1], Gen.OneOf(0x7FFFFFC7u, 1u << 20, 1u << 16, 0xFFFFFFFFu), (which, v) => (Mutation)new Then(
                        new SetField(which == 0 ? 12 : 16, v, BigEndian: false), Reseal, "length and checksum recomputed", ValidModel)))),
                typeof(ModelFileException),
                path =>
                {
                    RuntimeSoftmaxModel model = ModelFile.Load(path, out ModelFileContents contents);
                    return (model, contents);
                },
                (file, mutation, loaded) =>
                {
                    var (model, contents) = ((RuntimeSoftmaxModel, ModelFileContents))loaded;
                    Assert.All(model.Weights.ToArray(), w => Assert.True(float.IsFinite(w)));
                    Assert.Equal(model.Inputs * model.Classes, model.Weights.Length);
                    if (mutation is not Then)
                    {
                        // Unsealed changes must be caught by the checksum: what loads is what was saved.
                        Assert.Equal(SavedModel.Weights.ToArray(), model.Weights.ToArray());
                        Assert.Equal(SavedModel.Bias.ToArray(), model.Bias.ToArray());
                        Assert.Equal(["cat", "dog", "emu"], contents.ClassNames!);
                    }
                },
                file => BaseAllocation + 16L * file.Length);
        }

        // ---------------------------------------------------------------- model files with every section

        /// <summary>A hypercomplex 6x4 model (n = 2) with names, every trainer option, a state with early stopping's record, and its optimizer.</summary>
        private static readonly (HypercomplexSoftmaxModel Model, ModelFileContents Contents) FullSaved = MakeFull();

        private static (HypercomplexSoftmaxModel, ModelFileContents) MakeFull()
        {
            var model = new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(6, 4), 2);
            HypercomplexSgd.Initialize(model, seed: 3, stdDev: 0.5f);
            model.Bias[2] = -0.5f;
            float[] Ramp(int n, float step) => Enumerable.Range(0, n).Select(i => (i - (n / 2)) * step).ToArray();
            var contents = new ModelFileContents
            {
                ClassNames = ["cat", "dog", "emu", "yak"],
                TrainerOptions = new TrainerOptions
                {
                    Seed = 9, Epochs = 6, Optimizer = new SgdOptions { Momentum = 0.9f },
                    Schedule = LearningRateSchedule.Cosine(0.1f, warmupEpochs: 1), Loss = TrainingLoss.SquaredError, LabelSmoothing = 0.1f,
                    EarlyStopping = new EarlyStoppingOptions { Patience = 2, Metric = EarlyStoppingMetric.HeldOutAccuracy },
                },
                // A hypercomplex trainer's state: the velocity is the factors' (PHMT), none of W.
                TrainingState = new TrainingState(9, 3, 2, 0.05f, [], Ramp(4, 0.1f), 1.5, 11, 0.5)
                {
                    VelocityFactorA = Ramp(8, 0.01f),
                    VelocityFactorS = Ramp(12, 0.03f),
                    EarlyStopping = new EarlyStoppingState(2, 0.75, 1, false, Ramp(24, 0.02f), Ramp(4, 0.2f))
                    {
                        BestFactorA = Ramp(8, 0.04f),
                        BestFactorS = Ramp(12, 0.06f),
                    },
                },
                HypercomplexOptimizer = new HypercomplexOptimizerState(new SgdOptions { Momentum = 0.5f, WeightDecay = 1e-3f }, 0.05f, Ramp(8, 0.1f), Ramp(12, 0.05f), Ramp(4, 0.3f)),
            };
            return (model, contents);
        }

        private static byte[] FullModelBytes()
        {
            using var dir = new TempDirectory();
            string path = dir.File("seed.gsm");
            ModelFile.Save(path, FullSaved.Model, FullSaved.Contents);
            return File.ReadAllBytes(path);
        }

        private static readonly byte[] ValidFullModel = FullModelBytes();

        private static FuzzFormat FullModelFormat()
        {
            // The header's fields, then every 4 bytes of the sections' headers and fixed parts (not their arrays).
            var fields = new List<int> { 8, 12, 16, 20, 24, 28 };
            foreach (Persistence.TrainingOptionsFileTests.Section section in Persistence.TrainingOptionsFileTests.Sections(ValidFullModel))
            {
                int fixedPart = section.Tag switch { "TOPT" => 32, "TOPX" => 48, "TSTA" => 44, "ESTA" => 24, "PHMF" => 8, "PHMO" => 24, "PHMT" => 8, _ => 4 };
                for (int at = section.Header; at < section.Payload + fixedPart; at += 4)
                {
                    fields.Add(at);
                }
            }

            int[] offsets = [.. fields];
            return new(
                "model file with every section",
                "full.gsm",
                ValidFullModel,
                Gen.Frequency(
                    (5, MutationGen.Of(ValidFullModel, 32, offsets, bigEndian: false)),
                    (5, MutationGen.Of(ValidFullModel, 32, offsets, bigEndian: false)
                        .Select(m => (Mutation)new Then(m, Reseal, "length and checksum recomputed", ValidFullModel)))),
                typeof(ModelFileException),
                path =>
                {
                    var model = new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(6, 4), 2);
                    ModelFileContents contents = ModelFile.Load(path, model);
                    return (model, contents);
                },
                (file, mutation, loaded) =>
                {
                    var (model, contents) = ((HypercomplexSoftmaxModel, ModelFileContents))loaded;
                    Assert.All(model.Weights.ToArray(), w => Assert.True(float.IsFinite(w)));
                    Assert.All(model.FactorA.ToArray(), w => Assert.True(float.IsFinite(w)));
                    contents.TrainerOptions?.Validate();
                    if (mutation is not Then)
                    {
                        // Unsealed changes must be caught by the checksum: what loads is what was saved.
                        ModelFileContents saved = FullSaved.Contents;
                        Assert.Equal(FullSaved.Model.FactorA.ToArray(), model.FactorA.ToArray());
                        Assert.Equal(FullSaved.Model.FactorS.ToArray(), model.FactorS.ToArray());
                        Assert.Equal(FullSaved.Model.Weights.ToArray(), model.Weights.ToArray());
                        Assert.Equal(FullSaved.Model.Bias.ToArray(), model.Bias.ToArray());
                        Assert.Equal(saved.TrainerOptions, contents.TrainerOptions);
                        Assert.Equal(saved.TrainingState!.EarlyStopping!.BestWeights, contents.TrainingState!.EarlyStopping!.BestWeights);
                        Assert.Equal(saved.HypercomplexOptimizer!.VelocityS, contents.HypercomplexOptimizer!.VelocityS);
                        Assert.Equal(saved.TrainingState.VelocityFactorS, contents.TrainingState.VelocityFactorS);
                        Assert.Equal(saved.TrainingState.VelocityBias, contents.TrainingState.VelocityBias);
                        Assert.Equal(saved.TrainingState.EarlyStopping.BestFactorA, contents.TrainingState.EarlyStopping.BestFactorA);
                    }
                },
                file => BaseAllocation + 16L * file.Length);
        }

        // ---------------------------------------------------------------- the runner

        [Fact]
        public void Model_files_load_what_was_saved_or_throw_ModelFileException() => FuzzRunner.Run(ModelFormat(), _temp.Path, _output);

        [Fact]
        public void Model_files_with_every_section_load_what_was_saved_or_throw_ModelFileException() => FuzzRunner.Run(FullModelFormat(), _temp.Path, _output);
    }
}
