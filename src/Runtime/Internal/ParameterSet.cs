using System;
using System.Collections.Generic;

namespace GenSoftmax.Internal
{
    /// <summary>What the optimizer, the trainer and model files do with a model's list of parameters, written once.</summary>
    internal static class ParameterSet
    {
        /// <summary>The dense parameters over a model's storage: W [classes, inputs] (decays, normal draws) and b [classes]
        /// (zeros).</summary>
        public static NamedTensor[] Dense(AlignedFloats weights, float[] bias, int inputs, int classes) =>
        [
            new NamedTensor("W", weights.Storage, weights.Offset, [classes, inputs], decays: true, TensorInit.Normal),
            new NamedTensor("b", bias, [classes], decays: false, TensorInit.Zeros),
        ];

        /// <summary>
        /// Sets every parameter by its <see cref="TensorInit"/> from one <see cref="Random"/>(<paramref name="seed"/>), in the
        /// model's order, then rebuilds a reparameterised model's W. The caller holds the model's write side.
        /// </summary>
        public static void Initialize(ISoftmaxModel model, int seed, float stdDev)
        {
            var random = new Random(seed);
            foreach (NamedTensor p in model.Parameters)
            {
                switch (p.Init.Kind)
                {
                    case TensorInitKind.Normal:
                        Normal(random, p.Values, stdDev);
                        break;
                    case TensorInitKind.NormalFixed:
                        Normal(random, p.Values, p.Init.StdDev);
                        break;
                    default:
                        p.Values.Clear();
                        break;
                }
            }

            (model as IReparameterizedModel)?.Rebuild();
        }

        /// <summary>Copies of the parameters' values, with their names and shapes.</summary>
        public static NamedTensor[] Snapshot(IReadOnlyList<NamedTensor> parameters)
        {
            var copy = new NamedTensor[parameters.Count];
            for (int i = 0; i < copy.Length; i++)
            {
                copy[i] = parameters[i].Clone();
            }

            return copy;
        }

        /// <summary>Writes <paramref name="values"/> (matched by position, checked by name and shape) into the model's parameters and
        /// rebuilds.</summary>
        public static void Restore(ISoftmaxModel model, IReadOnlyList<NamedTensor> values)
        {
            IReadOnlyList<NamedTensor> parameters = model.Parameters;
            for (int i = 0; i < parameters.Count; i++)
            {
                values[i].Values.CopyTo(parameters[i].Values);
            }

            (model as IReparameterizedModel)?.Rebuild();
        }

        /// <summary>
        /// Null when <paramref name="values"/> has one tensor per parameter with the same name and shape, in order; else what
        /// differs, for an error message.
        /// </summary>
        public static string? Mismatch(IReadOnlyList<NamedTensor> parameters, IReadOnlyList<NamedTensor>? values)
        {
            if (values is null || values.Count != parameters.Count)
            {
                return $"{values?.Count ?? 0} tensors where the model has {parameters.Count} ({Describe(parameters)})";
            }

            for (int i = 0; i < values.Count; i++)
            {
                if (values[i] is null || !parameters[i].SameShape(values[i]))
                {
                    return $"tensor {i} is {values[i]?.ToString() ?? "null"} where the model has {parameters[i]}";
                }
            }

            return null;
        }

        /// <summary>The names and shapes, such as <c>W [10, 784], b [10]</c>.</summary>
        public static string Describe(IReadOnlyList<NamedTensor> tensors) => string.Join(", ", tensors);

        /// <summary>The first tensor holding a NaN or infinity, or null.</summary>
        public static NamedTensor? FirstNonFinite(IReadOnlyList<NamedTensor> tensors)
        {
            foreach (NamedTensor t in tensors)
            {
                if (!Blas.AllFinite(t.Values))
                {
                    return t;
                }
            }

            return null;
        }

        private static void Normal(Random random, Span<float> values, double stdDev)
        {
            for (int i = 0; i < values.Length; i++)
            {
                // Box-Muller; 1 - u keeps the log argument in (0, 1].
                double u1 = 1.0 - random.NextDouble();
                double u2 = random.NextDouble();
                values[i] = (float)(stdDev * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
            }
        }
    }
}
