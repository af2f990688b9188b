namespace GenSoftmax.Data
{
    /// <summary>How <see cref="CsvReader"/> reads the label column.</summary>
    public enum CsvLabels
    {
        /// <summary>
        /// Decided by the first row of data: a whole number there means every label is a class number
        /// (<see cref="Numbers"/>), anything else that is not a number means every label is a class name
        /// (<see cref="Names"/>). A first label that is a number but not a whole one (<c>0.25</c>) is an error: it is
        /// usually a feature column taken for the label column. With <see cref="CsvOptions.ClassNames"/> given, Auto
        /// means <see cref="Names"/>.
        /// </summary>
        Auto,

        /// <summary>Every label is a class number 0, 1, 2, ... (<c>3</c> and <c>3.0</c> are class 3).</summary>
        Numbers,

        /// <summary>Every label is a class name (<c>cat</c>, <c>dog</c>; <c>7</c> is the name "7").</summary>
        Names,
    }
}
