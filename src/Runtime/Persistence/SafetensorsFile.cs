using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace GenSoftmax.Persistence
{
    /// <summary>
    /// The safetensors container (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N, N bytes
    /// of JSON naming each tensor's dtype, shape and byte range in the data, and a <c>__metadata__</c> map of strings, then the
    /// raw little-endian tensors. GenSoftmax writes float32 (<c>F32</c>) tensors only, packed in order from offset 0, with the
    /// header padded by spaces to a multiple of 8 bytes so the data is aligned, and a checksum in the metadata.
    /// </summary>
    internal static class SafetensorsFile
    {
        /// <summary>The largest header read: far above any model's (a few kilobytes), far below what would exhaust memory.</summary>
        public const int MaxHeaderLength = 16 << 20;

        /// <summary>The metadata key of the checksum: <c>xxh3:</c> and 16 hex digits of XxHash3 (64-bit, seed 0).</summary>
        public const string ChecksumKey = "checksum";

        private const string ChecksumPrefix = "xxh3:";
        private static readonly string ZeroChecksum = ChecksumPrefix + new string('0', 16);
        private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        /// <summary>
        /// Writes the tensors (in order) and the metadata (in order, <see cref="ChecksumKey"/> last, computed over the header
        /// with the checksum's digits zero and the data).
        /// </summary>
        public static void Write(Stream stream, IReadOnlyList<(string Name, NamedTensor NamedTensor)> tensors,
            IReadOnlyList<KeyValuePair<string, string>> metadata)
        {
            var json = new PaddedBufferWriter();
            using (var writer = new Utf8JsonWriter(json))
            {
                writer.WriteStartObject();
                writer.WriteStartObject("__metadata__");
                foreach (KeyValuePair<string, string> entry in metadata)
                {
                    writer.WriteString(entry.Key, entry.Value);
                }

                writer.WriteString(ChecksumKey, ZeroChecksum);
                writer.WriteEndObject();
                long offset = 0;
                foreach ((string name, NamedTensor tensor) in tensors)
                {
                    writer.WriteStartObject(name);
                    writer.WriteString("dtype", "F32");
                    writer.WriteStartArray("shape");
                    foreach (int d in tensor.Shape)
                    {
                        writer.WriteNumberValue(d);
                    }

                    writer.WriteEndArray();
                    writer.WriteStartArray("data_offsets");
                    writer.WriteNumberValue(offset);
                    offset += 4L * tensor.Length;
                    writer.WriteNumberValue(offset);
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
            }

            byte[] header = json.ToPaddedArray();
            var hash = new XxHash3();
            hash.Append(header);
            var lengthBytes = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)header.Length);
            byte[] buffer = new byte[1 << 16];
            foreach ((_, NamedTensor tensor) in tensors)
            {
                AppendFloats(hash, tensor.Values, buffer);
            }

            // The checksum's digits, patched into the header in place of the zeros.
            byte[] digits = Encoding.ASCII.GetBytes(hash.GetCurrentHashAsUInt64().ToString("x16", CultureInfo.InvariantCulture));
            int at = ChecksumDigits(header);
            digits.CopyTo(header, at);
            stream.Write(lengthBytes);
            stream.Write(header);
            foreach ((_, NamedTensor tensor) in tensors)
            {
                WriteFloats(stream, tensor.Values, buffer);
            }
        }

        /// <summary>
        /// Reads and checks the container: the header's size and JSON, every tensor's dtype, shape and range (F32, packed, in
        /// bounds, no gaps or overlaps, the last ending where the file ends), and the checksum. Throws
        /// <see cref="ModelFileException"/> naming the problem; a checksum mismatch only when <paramref name="verify"/>.
        /// </summary>
        public static Contents Read(Stream stream, string full, bool verify)
        {
            long length = stream.Length;
            if (length == 0)
            {
                throw new ModelFileException(full,
                    $"'{full}' is empty (0 bytes), not a model file: it may be left from an interrupted " +
                        $"copy. Copy or save the model again.", null);
            }

            Span<byte> lengthBytes = stackalloc byte[8];
            int got = stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false);
            if (got < 8)
            {
                throw Truncated(full, $"it has only {Plural.Of(length, "byte")}, fewer than the 8 of a safetensors header length");
            }

            ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if ((declared > MaxHeaderLength || (long)declared > length - 8) && Recognise(lengthBytes) is { } what)
            {
                throw NotModel(
                    full, $"it starts with {Convert.ToHexString(lengthBytes)} {what}, not the 8-byte length of a safetensors header");
            }

            if (declared > MaxHeaderLength)
            {
                throw NotModel(full, $"its first 8 bytes declare a header of {Plural.Of(declared, "byte", "N0")}, more than a model " +
                    $"file's header can be " +
                    $"({MaxHeaderLength:N0}): it is not a safetensors file, or its start is damaged");
            }

            if ((long)declared > length - 8)
            {
                throw Truncated(full,
                    $"its header declares {Plural.Of(declared, "byte", "N0")}, but only {length - 8:N0} follow the header length");
            }

            if ((length - 8 - (long)declared) / 4 > Array.MaxLength)
            {
                throw Invalid(full, $"it holds {Plural.Of(length, "byte", "N0")}, more tensor data than a model can have");
            }

            var header = new byte[declared];
            stream.ReadExactly(header);
            var hash = new XxHash3();
            Contents contents = ParseHeader(full, header, length - 8 - (long)declared, hash);
            long dataLength = length - 8 - (long)declared;
            var data = new float[(dataLength + 3) / 4];
            byte[] buffer = new byte[1 << 16];
            ReadFloats(stream, full, data, dataLength, hash, buffer);
            contents.Data = data;
            contents.ComputedChecksum = hash.GetCurrentHashAsUInt64();
            if (verify && !contents.ChecksumValid)
            {
                throw new ModelFileException(full, contents.ChecksumMismatch(full), null);
            }

            return contents;
        }

        private static Contents ParseHeader(string full, byte[] header, long dataLength, XxHash3 hash)
        {
            JsonDocument document;
            try
            {
                StrictUtf8.GetCharCount(header);
                document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 4 });
            }
            catch (Exception e) when (e is JsonException or DecoderFallbackException)
            {
                throw NotModel(full, $"its header is not valid UTF-8 JSON ({e.Message})");
            }

            using (document)
            {
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw NotModel(full, "its header is JSON but not an object");
                }

                var contents = new Contents();
                var names = new HashSet<string>(StringComparer.Ordinal);
                var ranges = new List<(long Begin, long End, string Name)>();
                foreach (JsonProperty property in root.EnumerateObject())
                {
                    if (!names.Add(property.Name))
                    {
                        throw Invalid(full, $"its header names '{property.Name}' twice");
                    }

                    if (property.Name == "__metadata__")
                    {
                        ReadMetadata(full, property.Value, contents.Metadata);
                        continue;
                    }

                    TensorEntry entry = ReadEntry(full, property.Name, property.Value);
                    contents.Tensors.Add(entry);
                    ranges.Add((entry.Begin, entry.End, entry.Name));
                }

                ranges.Sort((x, y) => x.Begin.CompareTo(y.Begin));
                long expected = 0;
                foreach ((long begin, long end, string name) in ranges)
                {
                    if (begin != expected)
                    {
                        throw Invalid(full, begin < expected
                            ? $"tensor '{name}' overlaps the tensor before it (it starts at byte {begin:N0} of the data, before " +
                                $"{expected:N0})"
                            : $"the data has a gap of {Plural.Of(begin - expected, "byte", "N0")} before tensor '{name}'");
                    }

                    expected = end;
                }

                if (expected != dataLength)
                {
                    throw expected > dataLength
                        ? Truncated(full, $"its tensors need {Plural.Of(expected, "byte", "N0")} of data, but the file holds " +
                            $"{dataLength:N0}")
                        : Invalid(full, $"it has {Plural.Of(dataLength - expected, "byte", "N0")} past its last tensor: something was " +
                            $"appended to it, or " +
                            $"its header is damaged");
                }

                if (!contents.Metadata.TryGetValue(ChecksumKey, out string? checksum)
                    || !checksum.StartsWith(ChecksumPrefix, StringComparison.Ordinal)
                    || checksum.Length != ZeroChecksum.Length
                    || !ulong.TryParse(checksum.AsSpan(ChecksumPrefix.Length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture,
                        out ulong stored))
                {
                    // A safetensors file of another program has no checksum: say that, not that a model file is damaged.
                    contents.Metadata.TryGetValue("format", out string? format);
                    throw format == ModelFile.FormatName
                        ? Invalid(full, $"its metadata has no checksum of the form \"{ChecksumKey}\": \"{ChecksumPrefix}<16 hex digits>\"")
                        : NotModel(full, format is null
                            ? "its metadata has no \"format\" entry (a safetensors file written by another program)"
                            : $"its metadata says its format is \"{format}\"");
                }

                contents.StoredChecksum = stored;
                int at = ChecksumDigits(header);
                if (at < 0)
                {
                    throw Invalid(full, $"its header does not hold its checksum exactly once as \"{ChecksumKey}\":\"{ChecksumPrefix}...\"");
                }

                byte[] zeroed = (byte[])header.Clone();
                zeroed.AsSpan(at, 16).Fill((byte)'0');
                hash.Append(zeroed);
                return contents;
            }
        }

        private static void ReadMetadata(string full, JsonElement element, Dictionary<string, string> metadata)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(full, "its __metadata__ is not an object of strings");
            }

            foreach (JsonProperty entry in element.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                {
                    throw Invalid(full, $"its metadata entry '{entry.Name}' is not a string (safetensors metadata holds strings only)");
                }

                if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                {
                    throw Invalid(full, $"its metadata names '{entry.Name}' twice");
                }
            }
        }

        private static TensorEntry ReadEntry(string full, string name, JsonElement element)
        {
            if (element.ValueKind != JsonValueKind.Object
                || !element.TryGetProperty("dtype", out JsonElement dtype) || dtype.ValueKind != JsonValueKind.String
                || !element.TryGetProperty("shape", out JsonElement shape) || shape.ValueKind != JsonValueKind.Array
                || !element.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array
                || offsets.GetArrayLength() != 2)
            {
                throw Invalid(full, $"its header entry '{name}' is not a tensor (dtype, shape and data_offsets)");
            }

            if (dtype.GetString() != "F32")
            {
                throw Invalid(full, $"tensor '{name}' has dtype {dtype.GetString()}, but GenSoftmax model files " +
                    $"hold F32 (float32) tensors only");
            }

            var dims = new int[shape.GetArrayLength()];
            long count = 1;
            int i = 0;
            foreach (JsonElement d in shape.EnumerateArray())
            {
                if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int value) || value < 1)
                {
                    throw Invalid(full, $"tensor '{name}' has a dimension {d.GetRawText()}, but every " +
                        $"dimension must be a whole number of at least 1");
                }

                dims[i++] = value;
                count *= value;
                if (count > Array.MaxLength)
                {
                    throw Invalid(full, $"tensor '{name}' has more than {Plural.Of(Array.MaxLength, "element", "N0")}");
                }
            }

            if (dims.Length == 0)
            {
                throw Invalid(full, $"tensor '{name}' has no dimensions");
            }

            long begin = OffsetOf(full, name, offsets[0]);
            long end = OffsetOf(full, name, offsets[1]);
            if (end - begin != 4 * count)
            {
                throw Invalid(full, $"tensor '{name}' of shape [{string.Join(", ", dims)}] needs {4 * count:N0} bytes, but its " +
                    $"data_offsets give {end - begin:N0}");
            }

            return new TensorEntry(name, dims, begin, end);
        }

        private static long OffsetOf(string full, string name, JsonElement element) =>
            element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out long value) && value >= 0
                ? value
                : throw Invalid(full,
                    $"tensor '{name}' has a data offset {element.GetRawText()}, but offsets are whole numbers of at least 0");

        /// <summary>Where the 16 hex digits of the checksum start in the header (after its prefix), found once.</summary>
        private static int ChecksumDigits(byte[] header)
        {
            // Inside a JSON string every quote is escaped, so this byte sequence occurs only as the key and its value.
            ReadOnlySpan<byte> key = "\"checksum\":\"xxh3:"u8;
            int at = header.AsSpan().IndexOf(key);
            if (at < 0 || header.AsSpan(at + 1).IndexOf(key) >= 0 || at + key.Length + 16 > header.Length)
            {
                return -1;
            }

            return at + key.Length;
        }

        private static void AppendFloats(XxHash3 hash, ReadOnlySpan<float> values, byte[] buffer)
        {
            int per = buffer.Length / 4;
            for (int i = 0; i < values.Length; i += per)
            {
                int n = Math.Min(per, values.Length - i);
                Encode(values.Slice(i, n), buffer);
                hash.Append(buffer.AsSpan(0, 4 * n));
            }
        }

        private static void WriteFloats(Stream stream, ReadOnlySpan<float> values, byte[] buffer)
        {
            int per = buffer.Length / 4;
            for (int i = 0; i < values.Length; i += per)
            {
                int n = Math.Min(per, values.Length - i);
                Encode(values.Slice(i, n), buffer);
                stream.Write(buffer, 0, 4 * n);
            }
        }

        private static void Encode(ReadOnlySpan<float> values, byte[] buffer)
        {
            for (int k = 0; k < values.Length; k++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * k), values[k]);
            }
        }

        private static void ReadFloats(Stream stream, string full, float[] data, long dataLength, XxHash3 hash, byte[] buffer)
        {
            long done = 0;
            while (done < dataLength)
            {
                int want = (int)Math.Min(buffer.Length, dataLength - done);
                int got = stream.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
                if (got < want)
                {
                    throw new ModelFileException(full,
                        $"'{full}' changed while it was being read: load it again once nothing is writing it.", null);
                }

                hash.Append(buffer.AsSpan(0, got));
                for (int k = 0; k + 4 <= got; k += 4)
                {
                    data[(done + k) / 4] = BinaryPrimitives.ReadSingleLittleEndian(buffer.AsSpan(k));
                }

                done += got;
            }
        }

        /// <summary>A few formats a model file is mistaken for, named from their first 8 bytes, or null.</summary>
        private static string? Recognise(ReadOnlySpan<byte> start)
        {
            if (start.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'G', (byte)'S', (byte)'M']))
            {
                return "(a model file of GenSoftmax's earlier binary format, which this version does not read: load it with the " +
                    "GenSoftmax that wrote it and save it again, or train the model again)";
            }

            if (start.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']))
            {
                return "(a PNG image)";
            }

            if (start[0] == 0 && start[1] == 0 && start[2] == 0x08 && start[3] is 1 or 3)
            {
                return $"(an IDX {(start[3] == 1 ? "labels" : "images")} file, as MNIST's)";
            }

            if (start.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
            {
                return "(gzip-compressed data)";
            }

            if (start.StartsWith((ReadOnlySpan<byte>)[0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y']))
            {
                return "(a NumPy .npy array)";
            }

            if (start.StartsWith((ReadOnlySpan<byte>)[(byte)'P', (byte)'K', 3, 4]))
            {
                return "(a ZIP archive)";
            }

            foreach (byte b in start)
            {
                if (b < 0x09 || b is > 0x0D and < 0x20 || b == 0x7F)
                {
                    return null;
                }
            }

            return "(text)";
        }

        public static ModelFileException Truncated(string full, string problem) => new(full,
            $"'{full}' is truncated: {problem}. It was probably cut short by an interrupted copy or download: copy or save it again.",
                null);

        public static ModelFileException Invalid(string full, string problem) => new(full,
            $"'{full}' is not a valid model file: {problem}. Save the model again, or restore the file from a copy.", null);

        public static ModelFileException NotModel(string full, string problem) => new(full,
            $"'{full}' is not a GenSoftmax model file (a safetensors file with GenSoftmax's metadata): {problem}.", null);

        /// <summary>One tensor's header entry: name, shape, byte range in the data.</summary>
        public sealed record TensorEntry(string Name, int[] Shape, long Begin, long End);

        /// <summary>A read file: the metadata, the tensors' entries, the data as floats, and whether the checksum held.</summary>
        public sealed class Contents
        {
            public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

            public List<TensorEntry> Tensors { get; } = [];

            public float[] Data { get; set; } = [];

            public ulong StoredChecksum { get; set; }

            public ulong ComputedChecksum { get; set; }

            public bool ChecksumValid => StoredChecksum == ComputedChecksum;

            /// <summary>The one-line error of a file whose checksum does not match.</summary>
            public string ChecksumMismatch(string full) =>
                $"'{full}' is damaged: its content does not match its checksum (XxHash3 of the content is {ComputedChecksum:x16}, " +
                $"the file stores {StoredChecksum:x16}), so some bytes changed after it was written. Restore it from " +
                    $"a copy or save the model again.";

            /// <summary>The entry named <paramref name="name"/>, or null.</summary>
            public TensorEntry? Find(string name) => Tensors.Find(t => t.Name == name);

            /// <summary>The values of an entry.</summary>
            public ReadOnlySpan<float> Values(TensorEntry entry) =>
                Data.AsSpan((int)(entry.Begin / 4), (int)((entry.End - entry.Begin) / 4));
        }

        /// <summary>A growable buffer for the JSON writer, padded with spaces to a multiple of 8 bytes at the end.</summary>
        private sealed class PaddedBufferWriter : System.Buffers.IBufferWriter<byte>
        {
            private readonly System.Buffers.ArrayBufferWriter<byte> _inner = new(4096);

            public void Advance(int count) => _inner.Advance(count);

            public Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

            public Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);

            public byte[] ToPaddedArray()
            {
                int length = (_inner.WrittenCount + 7) / 8 * 8;
                byte[] result = new byte[length];
                _inner.WrittenSpan.CopyTo(result);
                result.AsSpan(_inner.WrittenCount).Fill((byte)' ');
                return result;
            }
        }
    }
}
