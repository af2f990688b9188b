using System.Collections.Generic;

namespace GenSoftmax.Data
{
    /// <summary>What <see cref="CsvConverter.ToNpy"/> wrote: the files, and the shape and classes of the data.</summary>
    /// <param name="FeaturesPath">Features [Rows, Inputs], float32 or uint8.</param>
    /// <param name="LabelsPath">Labels [Rows], int32.</param>
    /// <param name="ClassNamesPath">The class names as a JSON array of strings (<c>null</c> when the labels are class numbers).</param>
    /// <param name="Rows">Rows written.</param>
    /// <param name="Inputs">Features per row.</param>
    /// <param name="ClassNames">The class names, indexed by label, or null for class numbers.</param>
    public sealed record NpyConversion(
        string FeaturesPath, string LabelsPath, string ClassNamesPath, long Rows, int Inputs, IReadOnlyList<string>? ClassNames)
    {
        /// <summary>The row weights [Rows] (float32), when the CSV had a weight column (<see cref="CsvOptions.WeightColumnName"/>); else
        /// null.</summary>
        public string? WeightsPath { get; init; }
    }
}
