using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using GenSoftmax;
using GenSoftmax.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

// ML.NET's LbfgsMaximumEntropy (multinomial logistic regression by L-BFGS) on Fashion-MNIST, pixels / 255 as GenSoftmax and
// scikit-learn see them: prints the fit's wall time and the test accuracy. Arguments: [threads] [L2 weight] [tolerance]
// (defaults: 2, then ML.NET's defaults 1 and 1e-7). ML.NET's objective is the sum of the rows' cross-entropies plus
// L2/2 ||W||^2, so L2 = 1 is scikit-learn's C = 1. The clock covers Fit only (the data are in memory before it starts).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
float l2 = args.Length > 1 ? float.Parse(args[1], CultureInfo.InvariantCulture) : 1f;
float tolerance = args.Length > 2 ? float.Parse(args[2], CultureInfo.InvariantCulture) : 1e-7f;

(LabeledData train, LabeledData test) = FashionMnist.Load();
var ml = new MLContext(seed: 1);
IDataView trainView = ml.Data.LoadFromEnumerable(Rows(train), Schema(train.Inputs));
IDataView testView = ml.Data.LoadFromEnumerable(Rows(test), Schema(test.Inputs));
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
    {
        L2Regularization = l2,
        OptimizationTolerance = tolerance,
        NumberOfThreads = threads,
    }));
trainView = ml.Data.Cache(trainView);
_ = trainView.Preview(1); // fill the cache before the clock starts
var clock = Stopwatch.StartNew();
ITransformer model = pipeline.Fit(trainView);
double seconds = clock.Elapsed.TotalSeconds;
MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(model.Transform(testView));
Console.WriteLine(
    $"ML.NET LbfgsMaximumEntropy L2={l2} tolerance={tolerance} threads={threads}: {seconds:F2} s, " +
    $"test accuracy {metrics.MicroAccuracy:F4}");

static SchemaDefinition Schema(int inputs)
{
    SchemaDefinition schema = SchemaDefinition.Create(typeof(Row));
    schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, inputs);
    return schema;
}

static System.Collections.Generic.IEnumerable<Row> Rows(LabeledData data)
{
    for (int r = 0; r < data.Count; r++)
    {
        float[] x = data.Pixels!.AsSpan(r * data.Inputs, data.Inputs).ToArray().Select(p => p / 255f).ToArray();
        yield return new Row { Label = (uint)data.Labels[r], Features = x };
    }
}

/// <summary>One row as ML.NET reads it: the label and the 784 scaled pixels.</summary>
internal sealed class Row
{
    public uint Label { get; set; }

    public float[] Features { get; set; } = [];
}
