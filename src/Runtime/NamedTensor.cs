using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;

namespace GenSoftmax
{
    /// <summary>
    /// A named, shaped block of floats, row-major: one of a model's trained parameters (<see cref="ISoftmaxModel.Parameters"/>),
    /// or a value an optimizer or the trainer keeps for one (velocity, early stopping's best), which carries the parameter's name.
    /// </summary>
    /// <remarks>
    /// A parameter's tensor is a view of the model's own storage: writing to <see cref="Values"/> changes the model. Code that
    /// does so while other threads use the model holds the write side of the model's <see cref="ISoftmaxModel.Gate"/>, and a
    /// model whose W is built from its parameters (<see cref="IReparameterizedModel"/>) is rebuilt afterwards.
    /// </remarks>
    public sealed class NamedTensor
    {
        private readonly float[] _storage;
        private readonly int _offset;
        private readonly int[] _shape;

        /// <summary>A tensor of zeros with its own storage.</summary>
        /// <exception cref="ArgumentException">The name is empty, or the shape has no dimensions or one below 1.</exception>
        public NamedTensor(string name, ReadOnlySpan<int> shape, bool decays, TensorInit init)
        {
            (Name, _shape, Length) = Describe(name, shape);
            _storage = new float[Length];
            Decays = decays;
            Init = init;
        }

        /// <summary>
        /// A tensor over <paramref name="storage"/>, whose first <c>product(shape)</c> floats it shows (the rest, such as padding
        /// kernels read, is not part of it).
        /// </summary>
        /// <exception cref="ArgumentException">The name is empty, a dimension is below 1, or the storage is shorter than the
        /// shape.</exception>
        public NamedTensor(string name, float[] storage, ReadOnlySpan<int> shape, bool decays, TensorInit init)
            : this(name, storage, 0, shape, decays, init)
        {
        }

        /// <summary>A tensor over <paramref name="storage"/> from index <paramref name="offset"/> (a model's aligned W).</summary>
        internal NamedTensor(string name, float[] storage, int offset, ReadOnlySpan<int> shape, bool decays, TensorInit init)
        {
            ArgumentNullException.ThrowIfNull(storage);
            (Name, _shape, Length) = Describe(name, shape);
            if (storage.Length - offset < Length)
            {
                throw new ArgumentException(
                    $"Tensor '{name}' needs {Length:N0} floats, but its storage holds {storage.Length - offset:N0}.", nameof(storage));
            }

            _storage = storage;
            _offset = offset;
            Decays = decays;
            Init = init;
        }

        private static (string Name, int[] Shape, int Length) Describe(string name, ReadOnlySpan<int> shape)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            if (shape.IsEmpty)
            {
                throw new ArgumentException($"Tensor '{name}' needs at least one dimension.", nameof(shape));
            }

            long length = 1;
            foreach (int d in shape)
            {
                if (d < 1)
                {
                    throw new ArgumentException($"Tensor '{name}' has a dimension of {d}: every dimension must be at least 1.",
                        nameof(shape));
                }

                length *= d;
                if (length > Array.MaxLength)
                {
                    throw new ArgumentException($"Tensor '{name}' would hold more than {Array.MaxLength:N0} floats.", nameof(shape));
                }
            }

            return (name, shape.ToArray(), (int)length);
        }

        /// <summary>The name: a model's parameters are named uniquely (dense: <c>W</c>, <c>b</c>; hypercomplex: <c>A</c>, <c>S</c>,
        /// <c>b</c>).</summary>
        public string Name { get; }

        /// <summary>The dimensions, outermost first.</summary>
        public IReadOnlyList<int> Shape => _shape;

        /// <summary>The number of floats: the product of <see cref="Shape"/>.</summary>
        public int Length { get; }

        /// <summary>Whether L2 weight decay applies to it (<see cref="Training.SgdOptions.WeightDecay"/>): true for weights, false for a
        /// bias.</summary>
        public bool Decays { get; }

        /// <summary>How <see cref="Training.Trainer.Initialize(ISoftmaxModel, int, float)"/> sets it.</summary>
        public TensorInit Init { get; }

        /// <summary>The values, row-major.</summary>
        public Span<float> Values => _storage.AsSpan(_offset, Length);

        /// <summary>A copy with its own storage, the same name, shape and description.</summary>
        public NamedTensor Clone()
        {
            var copy = new NamedTensor(Name, _shape, Decays, Init);
            Values.CopyTo(copy.Values);
            return copy;
        }

        /// <summary>Whether <paramref name="other"/> has the same name and shape (values aside).</summary>
        public bool SameShape(NamedTensor other) => other is not null && other.Name == Name && other._shape.AsSpan().SequenceEqual(_shape);

        /// <summary>
        /// Whether two lists hold tensors of the same names and shapes with bit-identical values, in the same order: the
        /// equality of the snapshots that hold them (<see cref="Training.TrainingState"/>, <see cref="Training.EarlyStoppingState"/>).
        /// </summary>
        internal static bool SameContents(IReadOnlyList<NamedTensor>? a, IReadOnlyList<NamedTensor>? b)
        {
            if (ReferenceEquals(a, b))
            {
                return true;
            }

            if (a is null || b is null || a.Count != b.Count)
            {
                return false;
            }

            for (int i = 0; i < a.Count; i++)
            {
                if (!a[i].SameShape(b[i]) || !MemoryMarshal.AsBytes(a[i].Values).SequenceEqual(MemoryMarshal.AsBytes(b[i].Values)))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A hash of the names and shapes of a list (values aside), consistent with <see cref="SameContents"/>.</summary>
        internal static int ShapeHash(IReadOnlyList<NamedTensor>? tensors)
        {
            var hash = default(HashCode);
            foreach (NamedTensor tensor in tensors ?? [])
            {
                hash.Add(tensor.Name);
                hash.Add(tensor.Length);
            }

            return hash.ToHashCode();
        }

        /// <summary>The name and shape, such as <c>W [10, 784]</c>.</summary>
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Name} [{string.Join(", ", _shape)}]");
    }
}
