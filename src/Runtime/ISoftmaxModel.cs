using System;
using System.Collections.Generic;

namespace GenSoftmax
{
    /// <summary>
    /// A softmax-regression model o = W x + b, p = softmax(o): the contract of every model, whether its kernels were
    /// generated for a <c>[SoftmaxModel]</c> class or not.
    /// </summary>
    /// <remarks>
    /// <para>Layouts, all row-major: logits and probabilities are [n, Classes] for the n rows of the batch;
    /// weights are class-major [Classes, Inputs] (row c holds class c's weights, as in PyTorch's nn.Linear.weight
    /// and ONNX Gemm with transB); bias is [Classes]. See <see cref="Batch"/> for the inputs.</para>
    /// <para>Every operation only reads the parameters, so several may run at once on one model. A model with a
    /// <see cref="Gate"/> (<c>RuntimeSoftmaxModel</c>, a <c>HypercomplexSoftmaxModel</c> over one that has a gate, the
    /// runtime's engine) runs each operation inside the gate's read side, and the <c>Trainer</c> and <c>Sgd</c> change the
    /// parameters inside its write side, so the model may be trained while other threads use it: each call sees the
    /// parameters of one step, never a half-updated set. Writes through <see cref="Parameters"/> are outside the gate: code
    /// that writes the parameters itself while other threads use the model holds the write side meanwhile
    /// (<c>using (model.Gate?.EnterWrite()) { ... }</c>). A model whose <see cref="Gate"/> is null must not have its
    /// parameters changed while another operation runs on it.</para>
    /// </remarks>
    public interface ISoftmaxModel
    {
        /// <summary>Number of input features d.</summary>
        int Inputs { get; }

        /// <summary>Number of classes q.</summary>
        int Classes { get; }

        /// <summary>
        /// The weights W, [Classes, Inputs], class-major, as the kernels use them. Read-only here: a model changes through its
        /// <see cref="Parameters"/> (a dense model's class also exposes W writable as its own <c>Weights</c>).
        /// </summary>
        ReadOnlySpan<float> Weights { get; }

        /// <summary>The bias b, [Classes].</summary>
        ReadOnlySpan<float> Bias { get; }

        /// <summary>
        /// The trained parameters, in a fixed order, each a view of the model's storage with its name, shape, whether weight
        /// decay applies and how it is initialised: <c>W</c> [Classes, Inputs] and <c>b</c> [Classes] for a dense model;
        /// <c>A</c>, <c>S</c> and <c>b</c> for a hypercomplex one (<see cref="IReparameterizedModel"/>). Optimizers, the trainer,
        /// early stopping and model files work on this list.
        /// </summary>
        IReadOnlyList<NamedTensor> Parameters { get; }

        /// <summary>The kernel variant every operation runs; starts at <see cref="IsaSelection.Default"/>.
        /// Setting a variant the CPU cannot run throws <see cref="PlatformNotSupportedException"/>.</summary>
        KernelIsa Isa { get; set; }

        /// <summary>
        /// The gate that orders this model's reads of its parameters against writes of them (<see cref="ParameterGate"/>),
        /// or null for a model without one, whose parameters must not change while it is used.
        /// </summary>
        ParameterGate? Gate => null;

        /// <summary>Logits O = X Wᵀ + b of the batch's rows into <paramref name="logits"/> [n, Classes].</summary>
        void Forward(in Batch batch, Span<float> logits);

        /// <summary>Row-wise softmax of the logits (max-subtracted) into <paramref name="probabilities"/> [n, Classes].</summary>
        void Probabilities(in Batch batch, Span<float> probabilities);

        /// <summary>The most likely class of each row (argmax of the logits; the first on ties) into <paramref name="predictions"/>
        /// [n].</summary>
        void Predict(in Batch batch, Span<int> predictions);

        /// <summary>
        /// Mean cross-entropy of the batch against its labels or soft targets, from the logits as
        /// Σ_c t_c (LogSumExp(o) - o_c), and how many rows the model classifies right (with soft targets: whose
        /// argmax is the target's first largest class).
        /// </summary>
        /// <exception cref="ArgumentException">The batch has no rows, no labels or targets, or a size does not match.</exception>
        BatchResult Loss(in Batch batch);

        /// <summary>
        /// <see cref="Loss"/> and its gradient: <paramref name="dW"/> [Classes, Inputs] = (softmax(O) - T)ᵀ X / n and
        /// <paramref name="db"/> [Classes] = column means of softmax(O) - T, both overwritten.
        /// </summary>
        BatchResult LossAndGradient(in Batch batch, Span<float> dW, Span<float> db);
    }
}
