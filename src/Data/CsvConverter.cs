using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading;
using GenSoftmax.IO;
using nietras.SeparatedValues;

namespace GenSoftmax.Data
{
    /// <summary>
    /// Converts a CSV/TSV file of any size into .npy files that <see cref="FileRowSource"/> streams and numpy reads: features
    /// <c>NAME.npy</c> [rows, features] (float32 or uint8), labels <c>NAME.labels.npy</c> [rows] (int32) and the class names
    /// <c>NAME.classes.json</c> (a JSON array of strings, or <c>null</c> for class numbers), and with
    /// <see cref="CsvOptions.WeightColumnName"/> the row weights <c>NAME.weights.npy</c> [rows] (float32).
    /// </summary>
    /// <remarks>
    /// <para>The CSV is read as <see cref="CsvReader"/> reads it (the same options, checks and messages), row by row and once
    /// (its text is checked as it is read; a UTF-16 or UTF-32 file is checked in a pass of its own first): memory stays at a
    /// few buffers whatever the file's size. Class names found in the rows are numbered in sorted order, as the
    /// in-memory reader numbers them, by rewriting the labels file once the last row has been read.</para>
    /// <para>Nothing is half written: each file is written under a temporary name in its directory and renamed when complete
    /// (names first, labels, then the features), so a conversion that fails, is cancelled or killed never leaves a file a
    /// later run would take for complete.</para>
    /// </remarks>
    public static class CsvConverter
    {
        private const int BufferBytes = 1 << 20;

        // Rows between progress reports and cancellation checks.
        private const int ReportRows = 4096;

        /// <summary>Converts <paramref name="csvPath"/> into <paramref name="featuresPath"/> (NAME.npy) and the files beside it.</summary>
        /// <param name="csvPath">The CSV or TSV file.</param>
        /// <param name="featuresPath">The features file to write; it must end in .npy. The labels and class names go beside it.</param>
        /// <param name="options">How to read the CSV (<see cref="CsvReader.Read"/>).</param>
        /// <param name="featureType">How to store the features.</param>
        /// <param name="progress">Hears the bytes of the CSV read so far, every few thousand rows.</param>
        /// <param name="cancellationToken">Checked every few thousand rows; a cancelled conversion writes nothing.</param>
        /// <returns>The files written and the data's shape.</returns>
        /// <exception cref="InvalidDataException">The CSV is not valid (as for <see cref="CsvReader.Read"/>), or a feature is not a whole
        /// number 0..255 with <see cref="NpyFeatureType.UInt8"/>; the message names the line.</exception>
        /// <exception cref="IOException">An output cannot be written; the message names it.</exception>
        public static NpyConversion ToNpy(
            string csvPath, string featuresPath, CsvOptions? options = null, NpyFeatureType featureType = NpyFeatureType.Float32,
            IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        {
            ArgumentException.ThrowIfNullOrEmpty(csvPath);
            ArgumentException.ThrowIfNullOrEmpty(featuresPath);
            if (!featuresPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"The features file '{featuresPath}' must end in .npy: its labels go beside it as " +
                    $"NAME.labels.npy.", nameof(featuresPath));
            }

            options ??= new CsvOptions();
            options.Validate();
            string labelsPath = Path.ChangeExtension(featuresPath, ".labels.npy");
            string namesPath = Path.ChangeExtension(featuresPath, ".classes.json");
            string? weightsPath = options.WeightColumnName is null ? null : Path.ChangeExtension(featuresPath, ".weights.npy");
            foreach (string path in new[] { featuresPath, labelsPath, namesPath, weightsPath ?? namesPath })
            {
                SafeFile.CheckWritable(path);
            }

            using FileStream csv = FileKinds.OpenData(csvPath, "a CSV file", 1 << 16);
            NpyConversion? result = null;
            SafeFile.Write(featuresPath, features => SafeFile.Write(labelsPath, labels => WithWeights(weightsPath, weights =>
            {
                var sink = new NpySink(csvPath, csv, features, labels, weights, featureType, progress, cancellationToken);
                (SepReader reader, char separator) = CsvReader.OpenReader(csv, csvPath, options, oneRead: true);
                CsvReader.ReadState state;
                using (reader)
                {
                    state = CsvReader.ReadRows(reader, csvPath, separator, options, sink);
                }

                (IReadOnlyList<string>? names, int[]? remap) = state.FinishNames();
                sink.Finish(state.Rows, state.Features, remap);
                SafeFile.Write(namesPath, stream => WriteNames(stream, names));
                result = new NpyConversion(featuresPath, labelsPath, namesPath, state.Rows, state.Features,
                    names) { WeightsPath = weightsPath };
            })));
            return result!;
        }

        /// <summary>Runs <paramref name="write"/> with the weights file's stream (written as every file is), or with null.</summary>
        private static void WithWeights(string? path, Action<Stream?> write)
        {
            if (path is null)
            {
                write(null);
            }
            else
            {
                SafeFile.Write(path, stream => write(stream));
            }
        }

        /// <summary>Reads a class-names file written by <see cref="ToNpy"/>: the names, or null for class numbers.</summary>
        /// <exception cref="InvalidDataException">The file is not a JSON array of strings or null.</exception>
        public static IReadOnlyList<string>? ReadClassNames(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            byte[] bytes = File.ReadAllBytes(path);
            try
            {
                var reader = new Utf8JsonReader(bytes);
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    return null;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw new JsonException("it is not an array");
                }

                var names = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    names.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()!
                        : throw new JsonException("an element is not a string"));
                }

                return names;
            }
            catch (JsonException e)
            {
                throw new InvalidDataException(
                    $"{path} is not a class-names file: a JSON array of strings (or null), as convert writes ({e.Message}).", e);
            }
        }

        private static void WriteNames(Stream stream, IReadOnlyList<string>? names)
        {
            using var json = new Utf8JsonWriter(stream);
            if (names is null)
            {
                json.WriteNullValue();
                return;
            }

            json.WriteStartArray();
            foreach (string name in names)
            {
                json.WriteStringValue(name);
            }

            json.WriteEndArray();
        }

        /// <summary>Writes each row's features and label as it is read; the headers get the row count at the end.</summary>
        private sealed class NpySink : CsvReader.RowSink
        {
            private readonly string _csvPath;
            private readonly FileStream _csv;
            private readonly Stream _featuresFile;
            private readonly Stream _labelsFile;
            private readonly BufferedStream _features;
            private readonly BufferedStream _labels;
            private readonly Stream? _weightsFile;
            private readonly BufferedStream? _weights;
            private readonly NpyFeatureType _type;
            private readonly IProgress<long>? _progress;
            private readonly CancellationToken _cancellationToken;
            private byte[] _bytes = [];
            private long _rows;

            public NpySink(
                string csvPath, FileStream csv, Stream features, Stream labels, Stream? weights, NpyFeatureType type,
                    IProgress<long>? progress,
                CancellationToken cancellationToken)
            {
                _weightsFile = weights;
                _weights = weights is null ? null : new BufferedStream(weights, 1 << 16);
                _csvPath = csvPath;
                _csv = csv;
                _featuresFile = features;
                _labelsFile = labels;
                _features = new BufferedStream(features, BufferBytes);
                _labels = new BufferedStream(labels, 1 << 16);
                _type = type;
                _progress = progress;
                _cancellationToken = cancellationToken;
                NpyWriter.WriteHeader(_features, Descr, 0, 0); // rewritten with the shape at the end
                NpyWriter.WriteHeader(_labels, "<i4", 0, null);
                if (_weights is not null)
                {
                    NpyWriter.WriteHeader(_weights, "<f4", 0, null);
                }
            }

            private string Descr => _type == NpyFeatureType.UInt8 ? "|u1" : "<f4";

            public override void Row(ReadOnlySpan<float> features, int label, float weight, int line)
            {
                if (_type == NpyFeatureType.Float32)
                {
                    _features.Write(MemoryMarshal.AsBytes(features));
                }
                else
                {
                    if (_bytes.Length != features.Length)
                    {
                        _bytes = new byte[features.Length];
                    }

                    for (int i = 0; i < features.Length; i++)
                    {
                        float v = features[i];
                        if (!(v >= 0f && v <= 255f && v == MathF.Floor(v)))
                        {
                            throw new InvalidDataException(
                                $"{_csvPath}, line {line}: feature {i + 1} is {v}, but uint8 features are whole numbers 0..255. Convert " +
                                    $"to float32 " +
                                "features (the default), or scale the column to 0..255 first.");
                        }

                        _bytes[i] = (byte)v;
                    }

                    _features.Write(_bytes);
                }

                Span<byte> l = stackalloc byte[4];
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(l, label);
                _labels.Write(l);
                if (_weights is not null)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(l, weight);
                    _weights.Write(l);
                }

                if (++_rows % ReportRows == 0)
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    _progress?.Report(_csv.Position);
                }
            }

            /// <summary>Writes the headers with the final shape, and renumbers the labels by <paramref name="remap"/> when given.</summary>
            public void Finish(long rows, int inputs, int[]? remap)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                _features.Flush();
                _featuresFile.Position = 0;
                NpyWriter.WriteHeader(_featuresFile, Descr, rows, inputs);
                _labels.Flush();
                if (remap is not null)
                {
                    Renumber(remap);
                }

                _labelsFile.Position = 0;
                NpyWriter.WriteHeader(_labelsFile, "<i4", rows, null);
                if (_weights is not null)
                {
                    _weights.Flush();
                    _weightsFile!.Position = 0;
                    NpyWriter.WriteHeader(_weightsFile, "<f4", rows, null);
                }

                _progress?.Report(_csv.Length);
            }

            private void Renumber(int[] remap)
            {
                byte[] buffer = new byte[1 << 16];
                Span<int> values = MemoryMarshal.Cast<byte, int>(buffer.AsSpan());
                long at = NpyWriter.HeaderBytes;
                long end = _labelsFile.Length;
                while (at < end)
                {
                    int n = (int)Math.Min(buffer.Length, end - at);
                    _labelsFile.Position = at;
                    _labelsFile.ReadExactly(buffer, 0, n);
                    for (int i = 0; i < n / 4; i++)
                    {
                        values[i] = remap[values[i]];
                    }

                    _labelsFile.Position = at;
                    _labelsFile.Write(buffer, 0, n);
                    at += n;
                }
            }
        }
    }
}
