using System.Collections.Generic;
using GenSoftmax.Training;

namespace GenSoftmax.Persistence
{
    /// <summary>
    /// What a model file holds besides the parameters, all optional: the class names, the options the model was
    /// trained with, and the trainer's state to continue the run. <see cref="ModelFile.Load(string, ISoftmaxModel)"/> returns it;
    /// <see cref="ModelFile.Save(string, ISoftmaxModel, ModelFileContents)"/> writes it.
    /// </summary>
    public sealed record ModelFileContents
    {
        /// <summary>The name of each class, [Classes] (null: the file names none).</summary>
        public IReadOnlyList<string>? ClassNames { get; init; }

        /// <summary>The options of the run that trained the model (null: none saved). A continued run uses them:
        /// batch size, seed, threads and optimizer settings decide the trajectory.</summary>
        public TrainerOptions? TrainerOptions { get; init; }

        /// <summary>Where the run stopped: position, optimizer velocity, learning rate and partial sums (null: none saved).
        /// With <see cref="TrainerOptions"/>, a new <see cref="Trainer"/> given it by <see cref="Trainer.RestoreState"/>
        /// continues bit-identically.</summary>
        public TrainingState? TrainingState { get; init; }
    }
}
