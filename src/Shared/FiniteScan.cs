using System;
using System.Numerics;

namespace GenSoftmax
{
    /// <summary>The vectorised half of a search for a value that is not finite, shared by the data readers and LabeledData.</summary>
    internal static class FiniteScan
    {
        /// <summary>Where a scalar search for a value that is not finite must start: the first vector holding one, or the tail.</summary>
        public static int Start(ReadOnlySpan<float> values)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                // x - x is 0 for every finite x and NaN for NaN and both infinities.
                for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var v = new Vector<float>(values.Slice(i));
                    if (!Vector.EqualsAll(v - v, Vector<float>.Zero))
                    {
                        break;
                    }
                }
            }

            return i;
        }
    }
}
