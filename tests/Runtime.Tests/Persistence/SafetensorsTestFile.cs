using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;

namespace GenSoftmax.Tests.Persistence
{
    /// <summary>
    /// A model file taken apart the way any safetensors reader would, written without GenSoftmax's code: the header as JSON,
    /// the data as bytes. <see cref="ToBytes"/> puts it back with a fresh checksum (damage the checksum cannot see), so a test
    /// reaches the checks behind the checksum.
    /// </summary>
    internal sealed class SafetensorsTestFile
    {
        public const string ChecksumKey = "\"checksum\":\"xxh3:";

        private SafetensorsTestFile(JsonObject header, byte[] data)
        {
            Header = header;
            Data = data;
        }

        /// <summary>The header: <c>__metadata__</c> and one entry per tensor, in file order.</summary>
        public JsonObject Header { get; }

        /// <summary>The bytes after the header.</summary>
        public byte[] Data { get; set; }

        public JsonObject Metadata => Header["__metadata__"]!.AsObject();

        public static SafetensorsTestFile Read(string path) => Parse(File.ReadAllBytes(path));

        public static SafetensorsTestFile Parse(byte[] file)
        {
            int n = HeaderLength(file);
            return new SafetensorsTestFile(JsonNode.Parse(file.AsSpan(8, n))!.AsObject(), file[(8 + n)..]);
        }

        /// <summary>The header's length as its first 8 bytes declare it.</summary>
        public static int HeaderLength(byte[] file) => checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));

        /// <summary>Where the data starts in the file.</summary>
        public static int DataStart(byte[] file) => 8 + HeaderLength(file);

        /// <summary>The tensors' names, in the header's order.</summary>
        public string[] TensorNames => [.. Header.Where(p => p.Key != "__metadata__").Select(p => p.Key)];

        public (int Begin, int End) Range(string name)
        {
            JsonArray offsets = Header[name]!["data_offsets"]!.AsArray();
            return ((int)offsets[0]!, (int)offsets[1]!);
        }

        public int[] Shape(string name) => [.. Header[name]!["shape"]!.AsArray().Select(d => (int)d!)];

        public float[] Floats(string name)
        {
            (int begin, int end) = Range(name);
            return [.. Enumerable.Range(0, (end - begin) / 4)
                .Select(i => BinaryPrimitives.ReadSingleLittleEndian(Data.AsSpan(begin + (4 * i))))];
        }

        public void SetFloat(string name, int index, float value) =>
            BinaryPrimitives.WriteSingleLittleEndian(Data.AsSpan(Range(name).Begin + (4 * index)), value);

        /// <summary>Removes a tensor's entry and bytes; the tensors after it move down.</summary>
        public void Remove(string name)
        {
            (int begin, int end) = Range(name);
            Header.Remove(name);
            Data = [.. Data.AsSpan(0, begin), .. Data.AsSpan(end)];
            foreach (string other in TensorNames)
            {
                JsonArray offsets = Header[other]!["data_offsets"]!.AsArray();
                if ((int)offsets[0]! >= end)
                {
                    offsets[0] = (int)offsets[0]! - (end - begin);
                    offsets[1] = (int)offsets[1]! - (end - begin);
                }
            }
        }

        /// <summary>Appends a tensor of float32 values.</summary>
        public void Add(string name, int[] shape, float[] values)
        {
            int begin = Data.Length;
            Header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
                ["data_offsets"] = new JsonArray(begin, begin + (4 * values.Length)),
            };
            byte[] bytes = new byte[4 * values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
            }

            Data = [.. Data, .. bytes];
        }

        /// <summary>A metadata entry that holds JSON (trainer_options, training_state, class_names), parsed.</summary>
        public JsonNode MetadataJson(string key) => JsonNode.Parse((string)Metadata[key]!)!;

        /// <summary>Changes a metadata entry that holds JSON.</summary>
        public void EditMetadataJson(string key, Action<JsonObject> edit)
        {
            JsonObject value = MetadataJson(key).AsObject();
            edit(value);
            Metadata[key] = value.ToJsonString();
        }

        /// <summary>The file, with the header as now and a checksum that matches it.</summary>
        public byte[] ToBytes() => Seal(Header.ToJsonString(), Data);

        /// <summary>Writes <see cref="ToBytes"/> to <paramref name="path"/>.</summary>
        public void Write(string path) => File.WriteAllBytes(path, ToBytes());

        /// <summary>
        /// A file of <paramref name="json"/> (padded with spaces to a multiple of 8 bytes) and <paramref name="data"/>, with
        /// the checksum in the header recomputed as the format defines it: XxHash3 of the header with the checksum's 16 digits
        /// as zeros, then the data. A header without the checksum key is written as it is.
        /// </summary>
        public static byte[] Seal(string json, byte[] data)
        {
            byte[] text = Encoding.UTF8.GetBytes(json);
            byte[] header = [.. text, .. Enumerable.Repeat((byte)' ', ((text.Length + 7) / 8 * 8) - text.Length)];
            return Reseal([.. BitConverter.GetBytes((ulong)header.Length), .. header, .. data]);
        }

        /// <summary>
        /// The file with its checksum recomputed over what it now holds, where the header length fits the file and the header
        /// holds the checksum key; otherwise unchanged.
        /// </summary>
        public static byte[] Reseal(byte[] file)
        {
            byte[] copy = (byte[])file.Clone();
            if (copy.Length < 8)
            {
                return copy;
            }

            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(copy);
            if (n > (ulong)(copy.Length - 8))
            {
                return copy;
            }

            Span<byte> header = copy.AsSpan(8, (int)n);
            int at = header.IndexOf(Encoding.ASCII.GetBytes(ChecksumKey));
            if (at < 0 || at + ChecksumKey.Length + 16 > header.Length)
            {
                return copy;
            }

            Span<byte> digits = header.Slice(at + ChecksumKey.Length, 16);
            digits.Fill((byte)'0');
            ulong hash = XxHash3.HashToUInt64(copy.AsSpan(8));
            Encoding.ASCII.GetBytes(hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture)).CopyTo(digits);
            return copy;
        }
    }
}
