using System.ComponentModel;

namespace GenSoftmax.Kernels
{
    /// <summary>
    /// The kernels of one model shape, as members of a struct, so the drivers written once in
    /// <see cref="SoftmaxEngine{TKernels}"/> are specialised by the JIT per kernel struct. The struct the generator emits
    /// for a <c>[SoftmaxModel]</c> class has no fields and returns literals, so <see cref="Inputs"/>, <see cref="Classes"/>
    /// and every size derived from them become constants in the driver's code; the run-time-shaped model's struct carries
    /// its shape, and the same driver runs over it.
    /// </summary>
    /// <remarks>
    /// <para>For generated code: implemented by the struct the generator nests in each <c>[SoftmaxModel]</c> class, and by
    /// the runtime's struct for shapes known only at run time.
    /// Its members read and write raw memory without checks; the engine checks every argument first.</para>
    /// <para>Block layout: the logits of up to RowBlock rows, [rows, ClassStride] floats, class c of row i at
    /// <c>i * ClassStride + c</c>; the pad lanes (classes .. ClassStride - 1) hold -inf after
    /// <see cref="Logits{T}"/>. Rows of the input are found through <c>offs</c>, the element offset of each row.</para>
    /// </remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public interface ISoftmaxKernels
    {
        /// <summary>Input features per row.</summary>
        int Inputs { get; }

        /// <summary>Classes.</summary>
        int Classes { get; }

        /// <summary>Floats per row of a block of logits: the classes padded to whole vectors of the widest variant.</summary>
        int ClassStride { get; }

        /// <summary>Rows per block of logits.</summary>
        int RowBlock { get; }

        /// <summary>Floats of the bias the kernels may read: <see cref="Classes"/>, or more when they read it in whole vectors
        /// (the pad stays 0). Only the engine's constructor asks.</summary>
        int BiasLength => Classes;

        /// <summary>
        /// Logits of <paramref name="count"/> rows into the block: <c>o[i, c] = sum_k x[offs[i] + k] W[c, k] (/ 255 for
        /// bytes) + b[c]</c>. <paramref name="offs"/> holds <c>count + PrefetchRows</c> offsets: the rows past the block
        /// are prefetched.
        /// </summary>
        void Logits<T>(KernelIsa isa, ref float weights, ref float bias, ref T x, ref nuint offs, int count, ref float block)
            where T : unmanaged;

        /// <summary>
        /// Weight gradient of a block: <c>dW[c, k] = (first ? 0 : dW[c, k]) + sum_i g[i, c] x[offs[i] + k]</c>, the block's
        /// rows given by <paramref name="offs"/> while the next block's rows (<paramref name="next"/>, count offsets) are prefetched.
        /// </summary>
        void Gradient<T>(KernelIsa isa, ref T x, ref nuint offs, ref nuint next, int count, ref float g, ref float dW, bool first)
            where T : unmanaged;

        /// <summary>
        /// Softmax of each row of the block in place, scaled: <c>m[i] = max(o)</c>, <c>sums[i] = sum exp(o - m)</c>,
        /// <c>row = exp(o - m) * scale / sums[i]</c>. The max element's term is exactly 1.
        /// </summary>
        void Softmax(KernelIsa isa, ref float block, int count, ref float m, ref float sums, float scale);

        /// <summary>
        /// The loss's row work for hard labels: <c>pre[i] = max(o) - o[y]</c>, <c>sums[i] = sum exp(o - max)</c> (the row's loss
        /// is <c>pre + log sums</c>), <c>g = (softmax(o) - onehot(y)) * scale</c>, <c>db += g</c> (db has ClassStride lanes),
        /// the row replaced by <c>g * gScale</c>. Returns how many rows had y as the first index of their max.
        /// </summary>
        int LossRows(KernelIsa isa, ref float block, int count, ref int labels, ref float pre, ref float sums, ref float db, float scale,
            float gScale);
    }
}
