namespace GenSoftmax.Training
{
    /// <summary>How <see cref="Trainer.Fit(LabeledData, LabeledData?, System.IProgress{TrainingProgress}?,
    /// System.Threading.CancellationToken)"/>
    /// fits the model.</summary>
    public enum TrainingSolver
    {
        /// <summary>
        /// The exact solver when the problem is small, minibatch SGD otherwise (<see cref="TrainerOptions.SolverFor"/> says
        /// which and why): a small data set gets scikit-learn's answer, a large one the minibatch recipe's speed.
        /// </summary>
        Auto,

        /// <summary>Minibatch SGD with the options' batch size, epochs, optimizer and schedule.</summary>
        Sgd,

        /// <summary>The exact, full-batch solver (<see cref="LbfgsSolver"/>) with <see cref="TrainerOptions.Lbfgs"/>.</summary>
        Lbfgs,

        /// <summary>
        /// The exact solver by a trust-region Newton method (<see cref="NewtonSolver"/>) with the same settings,
        /// <see cref="TrainerOptions.Lbfgs"/>: the same minimum in fewer passes over the data when the tolerance is tight.
        /// </summary>
        Newton,
    }
}
