using System;

namespace GenSoftmax
{
    /// <summary>
    /// A softmax-regression model o = W x + b, p = softmax(o), implemented by the GenSoftmax generator on every
    /// <c>[SoftmaxModel]</c> class with kernels specialised to its shape.
    /// </summary>
    /// <remarks>
    /// <para>Layouts, all row-major: inputs <c>x</c> are [n, Inputs]; logits, probabilities and soft targets are
    /// [n, Classes]; weights are class-major [Classes, Inputs] (row c holds class c's weights, as in PyTorch's
    /// nn.Linear.weight and ONNX Gemm with transB); bias is [Classes].</para>
    /// <para>Overloads that take <c>rows</c> read the batch rows x[rows[i]] and labels[rows[i]] of a whole data set,
    /// so a shuffled minibatch needs no copy. Overloads that take bytes read pixels 0..255 and scale them by
    /// 1/255 inside the kernel.</para>
    /// <para>An instance is not safe to train from several threads at once; <see cref="TrainStep(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, float)"/>
    /// keeps its gradient in a buffer of the instance. The inference and gradient kernels only read the
    /// parameters and may run concurrently.</para>
    /// </remarks>
    public interface ISoftmaxModel
    {
        /// <summary>Number of input features d.</summary>
        int Inputs { get; }

        /// <summary>Number of classes q.</summary>
        int Classes { get; }

        /// <summary>The weights W, [Classes, Inputs], class-major.</summary>
        Span<float> Weights { get; }

        /// <summary>The bias b, [Classes].</summary>
        Span<float> Bias { get; }

        /// <summary>The kernel variant the plain methods dispatch to; defaults to <see cref="IsaSelection.Best"/>.
        /// Setting a variant the CPU cannot run throws <see cref="PlatformNotSupportedException"/>.</summary>
        KernelIsa Isa { get; set; }

        /// <summary>Logits O = X Wᵀ + b for every row of <paramref name="x"/> [n, Inputs] into <paramref name="logits"/> [n, Classes].</summary>
        void Forward(ReadOnlySpan<float> x, Span<float> logits);

        /// <summary>Row-wise softmax of the logits (max-subtracted) into <paramref name="probabilities"/> [n, Classes].</summary>
        void Probabilities(ReadOnlySpan<float> x, Span<float> probabilities);

        /// <summary>The most likely class of each row (argmax of the logits; the first on ties) into <paramref name="predictions"/> [n].</summary>
        void Predict(ReadOnlySpan<float> x, Span<int> predictions);

        /// <summary><see cref="Predict(ReadOnlySpan{float}, Span{int})"/> for byte pixels scaled by 1/255.</summary>
        void Predict(ReadOnlySpan<byte> pixels, Span<int> predictions);

        /// <summary>
        /// Mean cross-entropy of the batch against hard labels, computed from the logits as LogSumExp(o) - o[y],
        /// and its gradient: <paramref name="dW"/> [Classes, Inputs] = (softmax(O) - Y)ᵀ X / n and
        /// <paramref name="db"/> [Classes] = column means of softmax(O) - Y (both overwritten).
        /// </summary>
        /// <returns>The mean loss.</returns>
        float LossAndGradient(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, Span<float> dW, Span<float> db);

        /// <summary>As <see cref="LossAndGradient(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, Span{float})"/>
        /// over the rows <paramref name="rows"/> of a data set.</summary>
        BatchResult LossAndGradient(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, ReadOnlySpan<int> rows, Span<float> dW, Span<float> db);

        /// <summary>As above for byte pixels scaled by 1/255.</summary>
        BatchResult LossAndGradient(ReadOnlySpan<byte> pixels, ReadOnlySpan<int> labels, ReadOnlySpan<int> rows, Span<float> dW, Span<float> db);

        /// <summary>
        /// Mean cross-entropy against soft labels <paramref name="targets"/> [n, Classes] (each row a distribution),
        /// loss = Σ_c t_c (LogSumExp(o) - o_c), and its gradient with softmax(O) - T.
        /// </summary>
        float LossAndGradientSoft(ReadOnlySpan<float> x, ReadOnlySpan<float> targets, Span<float> dW, Span<float> db);

        /// <summary>
        /// One SGD step on the batch: forward, loss, gradient and W -= lr dW, b -= lr db in one call.
        /// </summary>
        /// <returns>The batch's mean loss before the update.</returns>
        float TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float learningRate);

        /// <summary>One SGD step on the rows <paramref name="rows"/> of a data set; also counts the rows classified right before the update.</summary>
        BatchResult TrainStep(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, ReadOnlySpan<int> rows, float learningRate);

        /// <summary>One SGD step on byte pixels (scaled by 1/255 inside the kernel).</summary>
        BatchResult TrainStep(ReadOnlySpan<byte> pixels, ReadOnlySpan<int> labels, ReadOnlySpan<int> rows, float learningRate);
    }
}
