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
        internal ModelFileInfo()
        {
        }

        /// <summary>n of a hypercomplex model's factors (W = Σ_{i=1..n} A_i ⊗ S_i) that the file holds, or 0 for a dense model.</summary>
        public int HypercomplexFactors { get; internal init; }

        /// <summary>The file, as the caller named it.</summary>
        public string Path { get; internal init; } = "";

        /// <summary>Size of the file in bytes.</summary>
        public long Length { get; internal init; }

        /// <summary>The format version the file was written in (<see cref="ModelFile.FormatVersion"/> or older).</summary>
        public int FormatVersion { get; internal init; }

        /// <summary>Number of input features of the model.</summary>
        public int Inputs { get; internal init; }

        /// <summary>Number of classes of the model.</summary>
        public int Classes { get; internal init; }

        /// <summary>The name of each class, [Classes], or null if the file names none.</summary>
        public IReadOnlyList<string>? ClassNames { get; internal init; }

        /// <summary>The options of the run that trained the model, or null if none were saved.</summary>
        public TrainerOptions? TrainerOptions { get; internal init; }

        /// <summary>Whether the file holds the trainer's state, so the run can be continued.</summary>
        public bool HasTrainingState { get; internal init; }

        /// <summary>Epochs the saved run had completed (0 without training state).</summary>
        public int CompletedEpochs { get; internal init; }

        /// <summary>Batches of the next epoch the saved run had done (0 at an epoch boundary or without training state).</summary>
        public int BatchesDone { get; internal init; }

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
        public bool ChecksumValid { get; internal init; }
    }
}
