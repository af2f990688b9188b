using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Text;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Writes .npy headers (format 1.0) of a fixed length, so an array written row by row can be given its final row count
    /// afterwards by writing the header again over the first <see cref="HeaderBytes"/> bytes.
    /// </summary>
    internal static class NpyWriter
    {
        /// <summary>Bytes of every header written here: a multiple of 64, as np.save aligns the data, with room for any shape.</summary>
        public const int HeaderBytes = 128;

        /// <summary>Writes the header of a C-order array of <paramref name="descr"/> (for example <c>'&lt;f4'</c>) and shape [rows] or
        /// [rows, columns].</summary>
        public static void WriteHeader(Stream stream, string descr, long rows, int? columns)
        {
            string shape = columns is { } c
                ? string.Create(CultureInfo.InvariantCulture, $"({rows}, {c})")
                : string.Create(CultureInfo.InvariantCulture, $"({rows},)");
            string dictionary = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
            const int Prefix = 10; // magic (6), version (2), header length (2)
            string text = dictionary.PadRight(HeaderBytes - Prefix - 1) + "\n";
            Span<byte> header = stackalloc byte[HeaderBytes];
            ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];
            magic.CopyTo(header);
            BinaryPrimitives.WriteUInt16LittleEndian(header.Slice(8), HeaderBytes - Prefix);
            if (Encoding.Latin1.GetBytes(text, header.Slice(Prefix)) != HeaderBytes - Prefix)
            {
                throw new InvalidOperationException($"The .npy header '{dictionary}' is longer than {HeaderBytes - Prefix - 1} bytes.");
            }

            stream.Write(header);
        }
    }
}
