using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GenSoftmax.Internal;
using GenSoftmax.Tests.Models;
using Xunit;

namespace GenSoftmax.Tests.Internal
{
    /// <summary>
    /// A model's W starts on a 64-byte boundary and stays there through garbage collections, so the kernels' vector loads
    /// of W fall on whole cache lines; the parameter W is the same floats as the model's weights.
    /// </summary>
    public sealed class AlignedFloatsTests
    {
        // The address as an offset from null (no unsafe code in the tests).
        private static nuint Address(ReadOnlySpan<float> values) =>
            (nuint)Unsafe.ByteOffset(ref Unsafe.NullRef<float>(), ref MemoryMarshal.GetReference(values));

        [Theory]
        [InlineData(1)]
        [InlineData(15)]
        [InlineData(16)]
        [InlineData(7840)]
        public void Allocated_floats_start_on_a_64_byte_boundary_and_are_zero(int length)
        {
            for (int i = 0; i < 20; i++)
            {
                AlignedFloats floats = AlignedFloats.Allocate(length);
                Assert.Equal(0u, Address(floats.Span) % AlignedFloats.Alignment);
                Assert.Equal(length, floats.Span.Length);
                Assert.True(Unsafe.AreSame(ref floats.First, ref MemoryMarshal.GetReference(floats.Span)));
                Assert.All(floats.Span.ToArray(), v => Assert.Equal(0f, v));
                _ = new byte[24 + i * 8]; // moves the next allocation's address around
            }
        }

        [Fact]
        public void Every_models_weights_start_on_a_64_byte_boundary_after_collections()
        {
            ISoftmaxModel[] models = [new M784x10(), new M3x3(), new RuntimeSoftmaxModel(784, 10), new RuntimeSoftmaxModel(5, 3)];
            for (int round = 0; round < 3; round++)
            {
                foreach (ISoftmaxModel model in models)
                {
                    Assert.Equal(0u, Address(model.Weights) % AlignedFloats.Alignment);
                    NamedTensor w = Assert.Single(model.Parameters, p => p.Name == "W");
                    Assert.Equal(Address(model.Weights), Address(w.Values));
                    Assert.Equal(model.Weights.Length, w.Values.Length);
                }

                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            }
        }

        [Fact]
        public void Writing_the_parameter_W_writes_the_models_weights_and_nothing_around_them()
        {
            var model = new RuntimeSoftmaxModel(3, 2);
            NamedTensor w = Assert.Single(model.Parameters, p => p.Name == "W");
            for (int i = 0; i < w.Values.Length; i++)
            {
                w.Values[i] = i + 1;
            }

            Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], model.Weights.ToArray());
            Assert.Equal(model.Weights.ToArray(), w.Clone().Values.ToArray());
        }
    }
}
