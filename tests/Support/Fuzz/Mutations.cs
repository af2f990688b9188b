using System;
using System.Buffers.Binary;
using System.Linq;
using System.Text;
using CsCheck;

namespace GenSoftmax.Fuzz
{
    /// <summary>One change to a valid file; <see cref="object.ToString"/> says what, so a failing case can be rebuilt.</summary>
    internal abstract record Mutation
    {
        public abstract byte[] Apply(byte[] file);

        /// <summary>A short name for the kind of change, for the outcome counts.</summary>
        public abstract string Kind { get; }
    }

    /// <summary>Flips one bit.</summary>
    internal sealed record Flip(int Offset, int Bit) : Mutation
    {
        public override string Kind => "bit flip";

        public override byte[] Apply(byte[] file)
        {
            byte[] copy = (byte[])file.Clone();
            copy[Offset % copy.Length] ^= (byte)(1 << Bit);
            return copy;
        }
    }

    /// <summary>Overwrites a run of bytes with pseudo-random ones.</summary>
    internal sealed record Burst(int Offset, int Length, int Seed) : Mutation
    {
        public override string Kind => "byte burst";

        public override byte[] Apply(byte[] file)
        {
            byte[] copy = (byte[])file.Clone();
            var random = new Random(Seed);
            int start = Offset % copy.Length;
            for (int i = start; i < Math.Min(copy.Length, start + Length); i++)
            {
                copy[i] = (byte)random.Next(256);
            }

            return copy;
        }
    }

    /// <summary>Keeps the first <see cref="Length"/> bytes.</summary>
    internal sealed record Truncate(int Length, bool InHeader) : Mutation
    {
        public override string Kind => InHeader ? "truncation in header" : "truncation in body";

        public override byte[] Apply(byte[] file) => file.AsSpan(0, Math.Min(Length, file.Length)).ToArray();
    }

    /// <summary>Writes a 32-bit value over a header field.</summary>
    internal sealed record SetField(int Offset, uint Value, bool BigEndian) : Mutation
    {
        public override string Kind => "header field";

        public override byte[] Apply(byte[] file)
        {
            byte[] copy = (byte[])file.Clone();
            if (Offset + 4 > copy.Length)
            {
                return copy;
            }

            if (BigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(Offset), Value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(Offset), Value);
            }

            return copy;
        }
    }

    /// <summary>Appends bytes (a gzip magic, garbage, or the file again).</summary>
    internal sealed record Append(byte[] Tail, string What) : Mutation
    {
        public override string Kind => "trailing bytes";

        public override byte[] Apply(byte[] file) => [.. file, .. Tail];

        public override string ToString() =>
            $"Append({What}: {Convert.ToHexString(Tail.AsSpan(0, Math.Min(Tail.Length, 16)))}{(Tail.Length > 16 ? "..." : "")})";
    }

    /// <summary>Inserts text at an offset (CSV: a NaN, a stray quote, an extra separator, a line break...).</summary>
    internal sealed record Insert(int Offset, string Text) : Mutation
    {
        public override string Kind => "text inserted";

        public override byte[] Apply(byte[] file)
        {
            int at = Offset % (file.Length + 1);
            return [.. file.AsSpan(0, at), .. Encoding.UTF8.GetBytes(Text), .. file.AsSpan(at)];
        }
    }

    /// <summary>Inserts bytes at an offset (CSV: bytes that are not UTF-8, or a character cut short).</summary>
    internal sealed record InsertBytes(int Offset, byte[] Bytes) : Mutation
    {
        public override string Kind => "bytes inserted";

        public override byte[] Apply(byte[] file)
        {
            int at = Offset % (file.Length + 1);
            return [.. file.AsSpan(0, at), .. Bytes, .. file.AsSpan(at)];
        }

        public override string ToString() => $"InsertBytes({Offset}, {Convert.ToHexString(Bytes)})";
    }

    /// <summary>Removes a run of bytes from the middle.</summary>
    internal sealed record Delete(int Offset, int Length) : Mutation
    {
        public override string Kind => "bytes deleted";

        public override byte[] Apply(byte[] file)
        {
            int at = Offset % file.Length;
            int n = Math.Min(Length, file.Length - at);
            return [.. file.AsSpan(0, at), .. file.AsSpan(at + n)];
        }
    }

    /// <summary>A change made before a transformation (the IDX inside a gzip, a model re-checksummed after the change).</summary>
    internal sealed record Then(Mutation Inner, Func<byte[], byte[]> Transform, string TransformName, byte[] Source) : Mutation
    {
        public override string Kind => $"{Inner.Kind}, then {TransformName}";

        public override byte[] Apply(byte[] file) => Transform(Inner.Apply(Source));

        public override string ToString() => $"{Inner} then {TransformName}";
    }

    /// <summary>A whole file built for the case (a bomb: a tiny file whose header declares a huge array).</summary>
    internal sealed record Replace(byte[] File, string What, string ReplaceKind = "bomb") : Mutation
    {
        public override string Kind => ReplaceKind;

        public override byte[] Apply(byte[] file) => File;

        public override string ToString() => $"Replace({What}, {File.Length} bytes)";
    }

    /// <summary>
    /// Replaces the <see cref="Index"/>-th token (mod their count) of a safetensors header's JSON, a number or a string, with
    /// <see cref="Value"/> and sets the 8-byte header length to fit: a header that is still JSON but says something else.
    /// </summary>
    internal sealed record HeaderToken(int Index, string Value) : Mutation
    {
        public override string Kind => "header token";

        public override byte[] Apply(byte[] file)
        {
            int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
            string header = Encoding.UTF8.GetString(file, 8, n);
            System.Text.RegularExpressions.MatchCollection tokens = System.Text.RegularExpressions.Regex.Matches(
                header, @"-?[0-9][0-9.eE+-]*|""(?:[^""\\]|\\.)*""");
            if (tokens.Count == 0)
            {
                return (byte[])file.Clone();
            }

            System.Text.RegularExpressions.Match token = tokens[Index % tokens.Count];
            byte[] changed = Encoding.UTF8.GetBytes(header[..token.Index] + Value + header[(token.Index + token.Length)..]);
            return [.. BitConverter.GetBytes((ulong)changed.Length), .. changed, .. file.AsSpan(8 + n)];
        }
    }

    internal static class MutationGen
    {
        /// <summary>Tokens that break a safetensors header's numbers, names and metadata.</summary>
        public static readonly string[] HeaderTokens =
        [
            "0", "-1", "1", "3", "4", "7", "1.5", "1e30", "-0", "2147483647", "2147483648", "4294967296", "9223372036854775807",
            "99999999999999999999", "null", "true", "[]", "{}", "[1]", "[0,4]", "\"\"", "\"F16\"", "\"F32\"", "\"W\"", "\"b\"",
            "\"A\"", "\"velocity.W\"", "\"best.b\"", "\"__metadata__\"", "\"2\"", "\"3\"", "\"0\"", "\"NaN\"",
            "\"{}\"", "\"[]\"", "\"GenSoftmax model\"",
        ];

        /// <summary>Values that break size fields: zero, one, sign bits, the largest array, 2^31-57 (the issue's).</summary>
        private static readonly uint[] Interesting =
            [0, 1, 2, 3, 255, 256, 65535, 65536, 0x7FFFFFC7, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1_000_000, 60_000, 784];

        /// <summary>The generic mutations of a file with header fields at <paramref name="fields"/>.</summary>
        public static Gen<Mutation> Of(byte[] file, int headerLength, int[] fields, bool bigEndian)
        {
            int last = file.Length - 1;
            Gen<uint> values = Gen.Frequency(
                (3, Gen.OneOf(Interesting)),
                (1, Gen.UInt));
            return Gen.Frequency(
                (5, Gen.Select(Gen.Int[0, last], Gen.Int[0, 7], (o, b) => (Mutation)new Flip(o, b))),
                (2, Gen.Select(Gen.Int[0, last], Gen.Int[1, 16], Gen.Int, (o, n, s) => (Mutation)new Burst(o, n, s))),
                (3, Gen.Int[0, Math.Min(headerLength, last)].Select(n => (Mutation)new Truncate(n, InHeader: true))),
                (2, Gen.Int[Math.Min(headerLength + 1, last), last].Select(n => (Mutation)new Truncate(n, InHeader: false))),
                (4, Gen.Select(Gen.OneOf(fields), values, (o, v) => (Mutation)new SetField(o, v, bigEndian))),
                (2, Gen.Byte.Array[1, 24].Select(t => (Mutation)new Append(t, "random"))),
                (1, Gen.Const((Mutation)new Append([0x1f, 0x8b], "gzip magic"))),
                (1, Gen.Const((Mutation)new Append(file, "the file again"))),
                (1, Gen.Select(Gen.Int[0, last], Gen.Int[1, 64], (o, n) => (Mutation)new Delete(o, n))));
        }
    }
}
