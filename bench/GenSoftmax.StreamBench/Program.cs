using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;

// gensoftmax-streambench generate: a linear-probe data set from a known model.
//   x ~ approximately N(0, 1) per feature (the sum of four uniforms, rescaled);  y = argmax(W* x), W* ~ the same, [classes, dims];
//   then with probability --noise y is replaced by a class drawn uniformly (possibly itself).
// The best any classifier can do on fresh rows is (1 - noise) + noise / classes, which W* itself reaches, and a softmax
// regression can represent argmax(W* x) exactly: the accuracy SGD should approach is known. Rows are made in blocks of
// 4096, each from its own random stream (seed, block), so the files are the same whatever the thread count.
var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(
        "usage: gensoftmax-streambench generate --out DIR [--rows N] [--test-rows N] [--dims D] [--classes K] [--noise P] [--seed S] [--format npy|csv]");
    return 2;
}

Directory.CreateDirectory(options.Out);
float[] model = Generator.Model(options);
foreach ((string name, long rows, int stream) in new[] { ("train", options.Rows, 0), ("test", options.TestRows, 1) })
{
    if (rows == 0)
    {
        continue;
    }

    string path = Path.Combine(options.Out, name + (options.Csv ? ".csv" : ".npy"));
    Generator.Write(options, model, path, rows, stream);
    Console.WriteLine($"wrote {path} ({rows:N0} rows of {options.Dims} features, {new FileInfo(path).Length / 1e9:F2} GB)");
}

double achievable = (1 - options.Noise) + (options.Noise / options.Classes);
File.WriteAllText(Path.Combine(options.Out, "generated.json"), string.Create(CultureInfo.InvariantCulture,
    $"{{\"rows\": {options.Rows}, \"testRows\": {options.TestRows}, \"dims\": {options.Dims}, \"classes\": {options.Classes}, " +
    $"\"noise\": {options.Noise}, \"seed\": {options.Seed}, \"format\": \"{(options.Csv ? "csv" : "npy")}\", \"achievableAccuracy\": {achievable:F4}}}\n"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"achievable accuracy (W* itself on fresh rows): {achievable:F4}"));
return 0;

internal sealed record Options(string Out, long Rows, long TestRows, int Dims, int Classes, double Noise, int Seed, bool Csv)
{
    public static Options? Parse(string[] args)
    {
        if (args.Length == 0 || args[0] != "generate")
        {
            return null;
        }

        var o = new Options("", 8_000_000, 100_000, 1024, 100, 0.1, 1, false);
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            CultureInfo inv = CultureInfo.InvariantCulture;
            o = args[i] switch
            {
                "--out" => o with { Out = v },
                "--rows" => o with { Rows = long.Parse(v, inv) },
                "--test-rows" => o with { TestRows = long.Parse(v, inv) },
                "--dims" => o with { Dims = int.Parse(v, inv) },
                "--classes" => o with { Classes = int.Parse(v, inv) },
                "--noise" => o with { Noise = double.Parse(v, inv) },
                "--seed" => o with { Seed = int.Parse(v, inv) },
                "--format" => o with { Csv = v == "csv" },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return o.Out.Length == 0 ? null : o;
    }
}

internal static class Generator
{
    private const int BlockRows = 4096;

    /// <summary>W* [classes, dims], from stream -1.</summary>
    public static float[] Model(Options o)
    {
        float[] w = new float[o.Classes * o.Dims];
        var random = new Random(Seed(o.Seed, -1, 0));
        Normal(random, w);
        return w;
    }

    /// <summary>Writes <paramref name="rows"/> rows: NAME.npy and NAME.labels.npy, or one CSV with a header and the label last.</summary>
    public static void Write(Options o, float[] model, string path, long rows, int stream)
    {
        using var features = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using FileStream? labels = o.Csv ? null : new FileStream(Path.ChangeExtension(path, ".labels.npy"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        if (o.Csv)
        {
            var header = new StringBuilder();
            for (int j = 0; j < o.Dims; j++)
            {
                header.Append('f').Append(j).Append(',');
            }

            features.Write(Encoding.ASCII.GetBytes(header.Append("label\n").ToString()));
        }
        else
        {
            NpyHeader(features, "<f4", $"({rows}, {o.Dims})");
            NpyHeader(labels!, "<i4", $"({rows},)");
        }

        long blocks = (rows + BlockRows - 1) / BlockRows;
        int parallel = Environment.ProcessorCount;
        var x = new float[parallel][];
        var y = new int[parallel][];
        var text = new byte[parallel][];
        var textLength = new int[parallel];
        for (long first = 0; first < blocks; first += parallel)
        {
            int group = (int)Math.Min(parallel, blocks - first);
            Parallel.For(0, group, g =>
            {
                long block = first + g;
                int n = (int)Math.Min(BlockRows, rows - (block * BlockRows));
                x[g] ??= new float[BlockRows * o.Dims];
                y[g] ??= new int[BlockRows];
                Block(o, model, Seed(o.Seed, stream, block), x[g].AsSpan(0, n * o.Dims), y[g].AsSpan(0, n));
                if (o.Csv)
                {
                    textLength[g] = Csv(x[g].AsSpan(0, n * o.Dims), y[g].AsSpan(0, n), o.Dims, ref text[g]);
                }
            });
            for (int g = 0; g < group; g++)
            {
                int n = (int)Math.Min(BlockRows, rows - ((first + g) * BlockRows));
                if (o.Csv)
                {
                    features.Write(text[g], 0, textLength[g]);
                }
                else
                {
                    features.Write(MemoryMarshal.AsBytes(x[g].AsSpan(0, n * o.Dims)));
                    labels!.Write(MemoryMarshal.AsBytes(y[g].AsSpan(0, n)));
                }
            }
        }
    }

    private static void Block(Options o, float[] model, int seed, Span<float> x, Span<int> y)
    {
        var random = new Random(seed);
        Normal(random, x);
        Span<float> logits = stackalloc float[o.Classes];
        for (int r = 0; r < y.Length; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * o.Dims, o.Dims);
            for (int c = 0; c < o.Classes; c++)
            {
                logits[c] = TensorPrimitives.Dot(row, model.AsSpan(c * o.Dims, o.Dims));
            }

            int label = TensorPrimitives.IndexOfMax(logits);
            y[r] = random.NextDouble() < o.Noise ? random.Next(o.Classes) : label;
        }
    }

    /// <summary>Approximately standard normal values: (u1 + u2 + u3 + u4 - 2) * sqrt(3), fast and plenty for a probe.</summary>
    private static void Normal(Random random, Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            double sum = random.NextDouble() + random.NextDouble() + random.NextDouble() + random.NextDouble();
            values[i] = (float)((sum - 2) * 1.7320508075688772);
        }
    }

    private static int Csv(ReadOnlySpan<float> x, ReadOnlySpan<int> y, int dims, ref byte[] buffer)
    {
        int need = y.Length * ((dims * 16) + 16);
        if (buffer is null || buffer.Length < need)
        {
            buffer = new byte[need];
        }

        int at = 0;
        for (int r = 0; r < y.Length; r++)
        {
            for (int j = 0; j < dims; j++)
            {
                x[(r * dims) + j].TryFormat(buffer.AsSpan(at), out int written, "F4", CultureInfo.InvariantCulture);
                at += written;
                buffer[at++] = (byte)',';
            }

            y[r].TryFormat(buffer.AsSpan(at), out int w, default, CultureInfo.InvariantCulture);
            at += w;
            buffer[at++] = (byte)'\n';
        }

        return at;
    }

    private static void NpyHeader(Stream stream, string descr, string shape)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int padded = (10 + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(padded - 10 - 1) + "\n";
        Span<byte> prefix = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 0, 0];
        BinaryPrimitives.WriteUInt16LittleEndian(prefix.Slice(8), (ushort)header.Length);
        stream.Write(prefix);
        stream.Write(Encoding.ASCII.GetBytes(header));
    }

    /// <summary>A block's seed from (seed, stream, block), the same on every machine.</summary>
    private static int Seed(int seed, int stream, long block)
    {
        ulong z = unchecked(((ulong)(uint)seed << 32) ^ ((ulong)(uint)stream * 0x9E3779B97F4A7C15UL) ^ (ulong)block);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }
}
