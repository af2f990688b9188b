using System.Collections.Generic;
using GenSoftmax.Training;

namespace GenSoftmax.Persistence
{
    /// <summary>
    /// A description of a model file, read by <see cref="ModelFile.ReadInfo"/> without loading it into a model:
    /// its format version, shape, class names, training options and position, and whether its checksum holds.
    /// </summary>
    public sealed class ModelFileInfo
    {
        internal ModelFileInfo(
            string path, long length, int formatVersion, int inputs, int classes, IReadOnlyList<string>? classNames,
            TrainerOptions? trainerOptions, bool hasTrainingState, int completedEpochs, int batchesDone, bool checksumValid,
                int hypercomplexFactors)
        {
            Path = path;
            Length = length;
            FormatVersion = formatVersion;
            Inputs = inputs;
            Classes = classes;
            ClassNames = classNames;
            TrainerOptions = trainerOptions;
            HasTrainingState = hasTrainingState;
            CompletedEpochs = completedEpochs;
            BatchesDone = batchesDone;
            ChecksumValid = checksumValid;
            HypercomplexFactors = hypercomplexFactors;
        }

        /// <summary>n of a hypercomplex model's factors (W = Σ_{i=1..n} A_i ⊗ S_i) that the file holds, or 0 for a dense model.</summary>
        public int HypercomplexFactors { get; }

        /// <summary>The file, as the caller named it.</summary>
        public string Path { get; }

        /// <summary>Size of the file in bytes.</summary>
        public long Length { get; }

        /// <summary>The format version the file was written in (<see cref="ModelFile.FormatVersion"/> or older).</summary>
        public int FormatVersion { get; }

        /// <summary>Number of input features of the model.</summary>
        public int Inputs { get; }

        /// <summary>Number of classes of the model.</summary>
        public int Classes { get; }

        /// <summary>The name of each class, [Classes], or null if the file names none.</summary>
        public IReadOnlyList<string>? ClassNames { get; }

        /// <summary>The options of the run that trained the model, or null if none were saved.</summary>
        public TrainerOptions? TrainerOptions { get; }

        /// <summary>Whether the file holds the trainer's state, so the run can be continued.</summary>
        public bool HasTrainingState { get; }

        /// <summary>Epochs the saved run had completed (0 without training state).</summary>
        public int CompletedEpochs { get; }

        /// <summary>Batches of the next epoch the saved run had done (0 at an epoch boundary or without training state).</summary>
        public int BatchesDone { get; }

        /// <summary>
        /// Why <see cref="ModelFile.Load(string, ISoftmaxModel)"/> refuses the file although it could be described (its
        /// checksum does not match: the file is damaged), in one line naming the file and what to do; null when the
        /// description found nothing wrong. A tool that describes files should report it and fail (exit non-zero).
        /// </summary>
        public string? Problem { get; internal init; }

        /// <summary>
        /// Whether the checksum over the file's content matches. When false the file is damaged: what this
        /// description says may be wrong, and <see cref="ModelFile.Load(string, ISoftmaxModel)"/> refuses it.
        /// </summary>
        public bool ChecksumValid { get; }
    }
}
