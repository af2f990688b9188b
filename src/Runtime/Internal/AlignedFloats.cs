using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GenSoftmax.Internal
{
    /// <summary>
    /// Floats that start on a 64-byte boundary, in a managed array: the array lives on the pinned object heap (the GC never
    /// moves it, so the boundary stays) and the floats start at <see cref="Offset"/>. A model's weights are read a 64-byte
    /// vector at a time by every kernel, each row of W a whole number of vectors from the first: from an array where the GC
    /// puts it (8-byte aligned) most of those loads straddle two cache lines, and which processes got the fast layout was
    /// chance (Zen 5, one thread, 784 x 10 float epochs: 15.6-16.4 ms with W aligned, 17.4-18.5 ms at 48 bytes past a
    /// boundary; bench/results/2026-12-05-zen5).
    /// </summary>
    internal readonly struct AlignedFloats
    {
        /// <summary>The boundary, in bytes: a cache line, and one 512-bit vector.</summary>
        public const int Alignment = 64;

        private AlignedFloats(float[] storage, int offset, int length)
        {
            Storage = storage;
            Offset = offset;
            Length = length;
        }

        /// <summary>The array holding the floats (and up to 15 unused ones around them).</summary>
        public float[] Storage { get; }

        /// <summary>The index in <see cref="Storage"/> of the first float, which sits on a 64-byte boundary.</summary>
        public int Offset { get; }

        /// <summary>How many floats.</summary>
        public int Length { get; }

        /// <summary>The floats.</summary>
        public Span<float> Span => Storage.AsSpan(Offset, Length);

        /// <summary>The first float.</summary>
        public ref float First => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Storage), Offset);

        /// <summary><paramref name="length"/> zeros starting on a 64-byte boundary.</summary>
        public static unsafe AlignedFloats Allocate(int length)
        {
            const int Spare = Alignment / sizeof(float) - 1;
            float[] storage = GC.AllocateArray<float>(checked(length + Spare), pinned: true);
            nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(storage));
            int offset = (int)((Alignment - (address % Alignment)) % Alignment) / sizeof(float);
            return new AlignedFloats(storage, offset, length);
        }
    }
}
