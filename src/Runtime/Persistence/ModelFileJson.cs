using System.Text.Json.Serialization;
using GenSoftmax.Training;

namespace GenSoftmax.Persistence
{
    /// <summary>The trainer options as a model file's metadata holds them (JSON, snake_case).</summary>
    internal sealed class OptionsJson
    {
        public required int BatchSize { get; init; }

        public required int Epochs { get; init; }

        public required int Seed { get; init; }

        public required float InitStdDev { get; init; }

        public required int Threads { get; init; }

        public required float LearningRate { get; init; }

        public required float Momentum { get; init; }

        public required float WeightDecay { get; init; }

        public required LearningRateScheduleKind Schedule { get; init; }

        public required int StepEpochs { get; init; }

        public required float StepFactor { get; init; }

        public required float FinalFraction { get; init; }

        public required int WarmupEpochs { get; init; }

        public required TrainingLoss Loss { get; init; }

        public required float LabelSmoothing { get; init; }

        public StoppingJson? EarlyStopping { get; init; }

        /// <summary>Absent in a file of a run that predates the choice: such a run was minibatch SGD.</summary>
        public TrainingSolver? Solver { get; init; }

        [JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] // C = Infinity: no penalty
        public double? C { get; init; }

        public double? Tolerance { get; init; }

        public int? MaxIterations { get; init; }

        public static OptionsJson From(TrainerOptions o) => new()
        {
            Solver = o.Solver,
            C = o.Lbfgs.C,
            Tolerance = o.Lbfgs.Tolerance,
            MaxIterations = o.Lbfgs.MaxIterations,
            BatchSize = o.BatchSize,
            Epochs = o.Epochs,
            Seed = o.Seed,
            InitStdDev = o.InitStdDev,
            Threads = o.Threads,
            LearningRate = o.Optimizer.LearningRate,
            Momentum = o.Optimizer.Momentum,
            WeightDecay = o.Optimizer.WeightDecay,
            Schedule = o.Schedule.Kind,
            StepEpochs = o.Schedule.StepEpochs,
            StepFactor = o.Schedule.StepFactor,
            FinalFraction = o.Schedule.FinalFraction,
            WarmupEpochs = o.Schedule.WarmupEpochs,
            Loss = o.Loss,
            LabelSmoothing = o.LabelSmoothing,
            EarlyStopping = o.EarlyStopping is not { } e ? null : new StoppingJson
            {
                HoldOutFraction = e.HoldOutFraction,
                Patience = e.Patience,
                MinImprovement = e.MinImprovement,
                Metric = e.Metric,
                RestoreBestWeights = e.RestoreBestWeights,
            },
        };

        public TrainerOptions ToOptions() => new()
        {
            Solver = Solver ?? TrainingSolver.Sgd,
            Lbfgs = new LbfgsOptions
            {
                C = C ?? 1.0,
                Tolerance = Tolerance ?? 1e-4,
                MaxIterations = MaxIterations ?? 100,
            },
            BatchSize = BatchSize,
            Epochs = Epochs,
            Seed = Seed,
            InitStdDev = InitStdDev,
            Threads = Threads,
            Optimizer = new SgdOptions { LearningRate = LearningRate, Momentum = Momentum, WeightDecay = WeightDecay },
            Schedule = new LearningRateSchedule
            {
                Kind = Schedule,
                StepEpochs = StepEpochs,
                StepFactor = StepFactor,
                FinalFraction = FinalFraction,
                WarmupEpochs = WarmupEpochs,
            },
            Loss = Loss,
            LabelSmoothing = LabelSmoothing,
            EarlyStopping = EarlyStopping is not { } e ? null : new EarlyStoppingOptions
            {
                HoldOutFraction = e.HoldOutFraction,
                Patience = e.Patience,
                MinImprovement = e.MinImprovement,
                Metric = e.Metric,
                RestoreBestWeights = e.RestoreBestWeights,
            },
        };
    }

    /// <summary>Early stopping's options in a model file.</summary>
    internal sealed class StoppingJson
    {
        public required float HoldOutFraction { get; init; }

        public required int Patience { get; init; }

        public required double MinImprovement { get; init; }

        public required EarlyStoppingMetric Metric { get; init; }

        public required bool RestoreBestWeights { get; init; }
    }

    /// <summary>The trainer's position and sums in a model file (its tensors are the file's <c>velocity.*</c> and <c>best.*</c>).</summary>
    internal sealed class StateJson
    {
        public required int Seed { get; init; }

        public required int CompletedEpochs { get; init; }

        public required int BatchesDone { get; init; }

        public required float LearningRate { get; init; }

        public required double EpochLossSum { get; init; }

        public required long EpochCorrect { get; init; }

        public required double EpochSeconds { get; init; }

        public StoppingStateJson? EarlyStopping { get; init; }
    }

    /// <summary>Early stopping's record in a model file.</summary>
    internal sealed class StoppingStateJson
    {
        public required int BestEpoch { get; init; }

        public required double BestValue { get; init; }

        public required int EpochsWithoutImprovement { get; init; }

        public required bool Stopped { get; init; }
    }

    /// <summary>System.Text.Json's source-generated (reflection-free, AOT-clean) serialisers of the metadata's JSON values.</summary>
    [JsonSourceGenerationOptions(
        PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        UseStringEnumConverter = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false, // {"seed": 1, "seed": 2}: readers that take the first and the last would disagree
        RespectNullableAnnotations = true)]
    [JsonSerializable(typeof(OptionsJson))]
    [JsonSerializable(typeof(StateJson))]
    [JsonSerializable(typeof(string[]))]
    internal sealed partial class ModelFileJson : JsonSerializerContext
    {
    }
}
