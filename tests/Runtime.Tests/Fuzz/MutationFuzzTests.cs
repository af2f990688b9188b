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
using GenSoftmax.Hypercomplex;
using GenSoftmax.Persistence;
using GenSoftmax.Training;
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
            string path = dir.File("seed.safetensors");
            ModelFile.Save(path, SavedModel, new ModelFileContents { ClassNames = ["cat", "dog", "emu"] });
            return File.ReadAllBytes(path);
        }

        private static readonly byte[] ValidModel = ModelBytes();

        /// <summary>Recomputes the checksum over what the file now holds: damage the checksum cannot see.</summary>
        private static byte[] Reseal(byte[] file) => Persistence.SafetensorsTestFile.Reseal(file);

        /// <summary>
        /// The header fields of a safetensors file as 4-byte words: the two halves of the header length, and the start of every
        /// number of the JSON header (shapes, data_offsets) and of every metadata value.
        /// </summary>
        private static int[] Fields(byte[] file)
        {
            int n = Persistence.SafetensorsTestFile.HeaderLength(file);
            string header = Encoding.UTF8.GetString(file, 8, n);
            var fields = new List<int> { 0, 4 };
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(header, @"[0-9]+|:""", default))
            {
                fields.Add(8 + Encoding.UTF8.GetByteCount(header.AsSpan(0, m.Index)) + (m.Value == ":\"" ? 2 : 0));
            }

            return [.. fields.Distinct().Where(f => f + 4 <= 8 + n)];
        }

        /// <summary>
        /// The mutations of a model file: generic damage (the checksum must catch it), the same behind a recomputed checksum,
        /// and the header's JSON tokens replaced (behind a recomputed checksum: the checks after it must catch it).
        /// </summary>
        private static Gen<Mutation> ModelMutations(byte[] valid)
        {
            int[] fields = Fields(valid);
            int data = Persistence.SafetensorsTestFile.DataStart(valid);
            return Gen.Frequency(
                (5, MutationGen.Of(valid, data, fields, bigEndian: false)),
                (3, MutationGen.Of(valid, data, fields, bigEndian: false)
                    .Select(m => (Mutation)new Then(m, Reseal, "checksum recomputed", valid))),
                (2, Gen.Select(Gen.Int[0, 1000], Gen.OneOf(MutationGen.HeaderTokens), (i, t) => (Mutation)new Then(
                    new HeaderToken(i, t), Reseal, "checksum recomputed", valid))));
        }

        private static FuzzFormat ModelFormat() => new(
            "model file",
            "model.safetensors",
            ValidModel,
            ModelMutations(ValidModel),
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
                else
                {
                    // Behind a recomputed checksum, what loads is what the file says, by any safetensors reader.
                    var read = Persistence.SafetensorsTestFile.Parse(file);
                    Assert.Equal(read.Floats("W"), model.Weights.ToArray());
                    Assert.Equal(read.Floats("b"), model.Bias.ToArray());
                }
            },
            file => BaseAllocation + 16L * file.Length);

        // ---------------------------------------------------------------- model files with everything

        /// <summary>
        /// A hypercomplex 6x4 model (n = 2) with names, every trainer option, and a state with velocity and early stopping's record.
        /// </summary>
        private static readonly (HypercomplexSoftmaxModel Model, ModelFileContents Contents) FullSaved = MakeFull();

        private static (HypercomplexSoftmaxModel, ModelFileContents) MakeFull()
        {
            var model = new HypercomplexSoftmaxModel(new RuntimeSoftmaxModel(6, 4), 2);
            Trainer.Initialize(model, seed: 3, stdDev: 0.5f);
            model.Parameters[2].Values[2] = -0.5f; // b
            NamedTensor[] Ramp(float step) => [.. model.Parameters.Select(p =>
            {
                NamedTensor t = p.Clone();
                for (int i = 0; i < t.Length; i++)
                {
                    t.Values[i] = (i - (t.Length / 2)) * step;
                }

                return t;
            })];
            var contents = new ModelFileContents
            {
                ClassNames = ["cat", "dog", "emu", "yak"],
                TrainerOptions = new TrainerOptions
                {
                    Solver = TrainingSolver.Sgd,
                    Seed = 9, Epochs = 6, Optimizer = new SgdOptions { Momentum = 0.9f },
                    Schedule = LearningRateSchedule.Cosine(0.1f, warmupEpochs: 1), Loss = TrainingLoss.SquaredError, LabelSmoothing = 0.1f,
                    EarlyStopping = new EarlyStoppingOptions { Patience = 2, Metric = EarlyStoppingMetric.HeldOutAccuracy },
                },
                TrainingState = new TrainingState(9, 3, 2, 0.05f, Ramp(0.01f), 1.5, 11, 0.5)
                {
                    EarlyStopping = new EarlyStoppingState(2, 0.75, 1, false, Ramp(0.04f)),
                },
            };
            return (model, contents);
        }

        private static byte[] FullModelBytes()
        {
            using var dir = new TempDirectory();
            string path = dir.File("seed.safetensors");
            ModelFile.Save(path, FullSaved.Model, FullSaved.Contents);
            return File.ReadAllBytes(path);
        }

        private static readonly byte[] ValidFullModel = FullModelBytes();

        private static float[][] Values(IReadOnlyList<NamedTensor> tensors) => [.. tensors.Select(t => t.Values.ToArray())];

        private static FuzzFormat FullModelFormat() => new(
            "model file with everything",
            "full.safetensors",
            ValidFullModel,
            ModelMutations(ValidFullModel),
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
                    Assert.Equal(Values(FullSaved.Model.Parameters), Values(model.Parameters));
                    Assert.Equal(FullSaved.Model.Weights.ToArray(), model.Weights.ToArray());
                    Assert.Equal(saved.ClassNames, contents.ClassNames);
                    Assert.Equal(saved.TrainerOptions, contents.TrainerOptions);
                    Assert.Equal(
                        saved.TrainingState! with { Velocity = [], EarlyStopping = null },
                        contents.TrainingState! with { Velocity = [], EarlyStopping = null });
                    Assert.Equal(Values(saved.TrainingState.Velocity), Values(contents.TrainingState.Velocity));
                    Assert.Equal(
                        saved.TrainingState.EarlyStopping! with { Best = [] },
                        contents.TrainingState.EarlyStopping! with { Best = [] });
                    Assert.Equal(Values(saved.TrainingState.EarlyStopping.Best), Values(contents.TrainingState.EarlyStopping.Best));
                }
                else
                {
                    // Behind a recomputed checksum, what loads is what the file says, by any safetensors reader.
                    var read = Persistence.SafetensorsTestFile.Parse(file);
                    Assert.Equal(read.Floats("A"), model.FactorA.ToArray());
                    Assert.Equal(read.Floats("S"), model.FactorS.ToArray());
                    Assert.Equal(read.Floats("b"), model.Bias.ToArray());
                }
            },
            file => BaseAllocation + 16L * file.Length);

        // ---------------------------------------------------------------- the runner

        [Fact]
        public void Model_files_load_what_was_saved_or_throw_ModelFileException() => FuzzRunner.Run(ModelFormat(), _temp.Path, _output);

        [Fact]
        public void Model_files_with_every_section_load_what_was_saved_or_throw_ModelFileException() => FuzzRunner.Run(FullModelFormat(), _temp.Path, _output);
    }
}
