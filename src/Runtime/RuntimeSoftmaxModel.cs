using System;
using System.Collections.Generic;
using System.Globalization;
using GenSoftmax.Dynamic;
using GenSoftmax.Kernels;

namespace GenSoftmax
{
    /// <summary>
    /// A softmax-regression model whose shape is chosen at run time: any number of inputs and classes within the
    /// limits of <c>[SoftmaxModel]</c>, with vectorised kernels that loop over run-time sizes. It is the interpreter
    /// beside the generator's compiler (as <c>System.Text.RegularExpressions</c> has both): use it for a shape that is
    /// known only when the program runs, such as one read from a model file or a data set; declare a
    /// <c>[SoftmaxModel]</c> class for a shape known at compile time, whose kernels are specialised to it.
    /// </summary>
    /// <remarks>
    /// <para>The same engine as a generated model (<see cref="Kernels.SoftmaxEngine{TKernels}"/>, over a kernel struct that
    /// carries the shape), so the same contract and semantics in every operation (<see cref="ISoftmaxModel"/>): the same
    /// layouts, argument checks and messages, hard labels and soft targets, row lists, float features and byte pixels
    /// scaled by 1/255, Predict's first index on ties, the max lane's exponential exactly 1 (a perfectly fitted row has
    /// a loss of exactly 0), the loss accumulated in double, and no allocation per call. The same kernel variants
    /// (<see cref="Isa"/>), chosen the same way. Results agree with a generated model of the same shape within float
    /// rounding, not bit for bit: the kernels sum in different orders.</para>
    /// <para>Works with <see cref="Training.Sgd"/> and <see cref="Training.Trainer"/> like any model.</para>
    /// </remarks>
    /// <example><code>
    /// var model = new RuntimeSoftmaxModel(inputs: data.Inputs, classes: 10);
    /// new Trainer(model, new TrainerOptions { Epochs = 5 }).Fit(data);
    /// </code></example>
    public sealed class RuntimeSoftmaxModel : ISoftmaxModel, ICurvatureModel
    {
        private readonly SoftmaxEngine<RuntimeShapeKernels> _engine;

        /// <summary>A model with <paramref name="inputs"/> features and <paramref name="classes"/> classes, all parameters 0.</summary>
        /// <param name="inputs">Input features per row: 1 to 1,048,576 (2^20).</param>
        /// <param name="classes">Classes: 2 to 1024.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is outside its range, or the weight matrix (classes x inputs)
        /// would exceed 2^28 floats; the message names the limit.</exception>
        /// <exception cref="InvalidOperationException"><c>GENSOFTMAX_ISA</c> names no variant this machine runs (see <see
        /// cref="IsaSelection.Default"/>).</exception>
        public RuntimeSoftmaxModel(int inputs, int classes)
        {
            if (inputs < ModelLimits.MinInputs || inputs > ModelLimits.MaxInputs)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(inputs), inputs,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"inputs = {inputs} is not a supported number of input features: use {ModelLimits.MinInputs} to " +
                            $"{ModelLimits.MaxInputs:N0}."));
            }

            if (classes < ModelLimits.MinClasses || classes > ModelLimits.MaxClasses)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(classes), classes,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"classes = {classes} is not a supported number of classes: " +
                        $"use {ModelLimits.MinClasses} to {ModelLimits.MaxClasses:N0} (softmax needs at least two)."));
            }

            long parameters = (long)inputs * classes;
            if (parameters > ModelLimits.MaxParameters)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(inputs), inputs,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{Plural.Of(classes, "class", "N0")} x {Plural.Of(inputs, "input", "N0")} = " +
                            $"{Plural.Of(parameters, "weight", "N0")}, " +
                        $"more than the limit of {ModelLimits.MaxParameters:N0} (2^28): use fewer inputs or classes."));
            }
            _engine = new SoftmaxEngine<RuntimeShapeKernels>(new RuntimeShapeKernels(RuntimeShape.Of(inputs, classes)));
        }

        /// <inheritdoc />
        public int Inputs => _engine.Inputs;

        /// <inheritdoc />
        public int Classes => _engine.Classes;

        /// <summary>The weights W, [Classes, Inputs], class-major, writable (the parameter <c>W</c>).</summary>
        public Span<float> Weights => _engine.Weights;

        /// <summary>The bias b, [Classes], writable (the parameter <c>b</c>).</summary>
        public Span<float> Bias => _engine.Bias;

        /// <inheritdoc />
        ReadOnlySpan<float> ISoftmaxModel.Weights => _engine.Weights;

        /// <inheritdoc />
        ReadOnlySpan<float> ISoftmaxModel.Bias => _engine.Bias;

        /// <inheritdoc />
        public IReadOnlyList<NamedTensor> Parameters => _engine.Parameters;

        /// <inheritdoc />
        public KernelIsa Isa
        {
            get => _engine.Isa;
            set => _engine.Isa = value;
        }

        /// <inheritdoc />
        public ParameterGate Gate => _engine.Gate;

        /// <inheritdoc />
        public void Forward(in Batch batch, Span<float> logits) => _engine.Forward(batch, logits);

        /// <inheritdoc />
        public void Probabilities(in Batch batch, Span<float> probabilities) => _engine.Probabilities(batch, probabilities);

        /// <inheritdoc />
        public void Predict(in Batch batch, Span<int> predictions) => _engine.Predict(batch, predictions);

        /// <inheritdoc />
        public BatchResult Loss(in Batch batch) => _engine.Loss(batch);

        /// <inheritdoc />
        public BatchResult LossAndGradient(in Batch batch, Span<float> dW, Span<float> db) => _engine.LossAndGradient(batch, dW, db);

        /// <inheritdoc />
        void ICurvatureModel.HessianVector(
            in Batch batch, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> probabilities, bool refresh,
            ReadOnlySpan<float> vW, ReadOnlySpan<float> vb, Span<float> hW, Span<float> hb) =>
            ((ICurvatureModel)_engine).HessianVector(batch, weights, bias, probabilities, refresh, vW, vb, hW, hb);

        /// <summary>The shape and the kernel variant, such as <c>RuntimeSoftmaxModel(784 inputs x 10 classes, Avx512)</c>.</summary>
        public override string ToString() => $"RuntimeSoftmaxModel({Inputs} inputs x {Classes} classes, {Isa})";
    }
}
