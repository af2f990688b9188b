using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace GenSoftmax.Internal
{
    /// <summary>Argument checks shared by every model. Messages are formatted only on failure, so a passing check allocates
    /// nothing.</summary>
    internal static class Guard
    {
        /// <summary>Checks that <paramref name="length"/> holds whole rows of <paramref name="width"/> and returns the row count.</summary>
        public static int Rows(int length, int width, string name)
        {
            if (length % width != 0)
            {
                throw new ArgumentException(
                    $"{name} has {Plural.Of(length, "element")}, which is not a whole number of rows of {width}: " +
                    $"pass [n, {width}] row-major data (n * {Plural.Of(width, "element")}).", name);
            }

            return length / width;
        }

        /// <summary>Checks that a span holds exactly [<paramref name="rows"/>] or [<paramref name="rows"/>, <paramref name="columns"/>]
        /// elements. The message is only formatted on failure, so a passing check allocates nothing.</summary>
        public static void Length(int actual, string name, int rows, int columns = -1)
        {
            long expected = columns < 0 ? rows : (long)rows * columns;
            if (actual != expected)
            {
                string shape = columns < 0 ? $"[{rows}]" : $"[{rows}, {columns}]";
                throw new ArgumentException($"{name} has {Plural.Of(actual, "element")} but must have {expected} ({shape}).", name);
            }
        }

        /// <summary>Checks that there is one label per row of the data, and that there are labels at all.</summary>
        public static void HasLabels(int labels, int rows, string dataName)
        {
            if (labels == 0 && rows > 0)
            {
                throw new ArgumentException(
                    "The batch has no labels or targets: describe it with Batch.WithLabels(labels) or Batch.WithTargets(targets).",
                        "batch");
            }

            if (labels != rows)
            {
                throw new ArgumentException(
                    $"labels has {Plural.Of(labels, "element")} but {dataName} has {Plural.Of(rows, "row")}: pass one label per row " +
                        $"([{rows}]).", "labels");
            }
        }

        /// <summary>Checks that a batch is not empty.</summary>
        public static void NotEmpty(int n, string name)
        {
            if (n == 0)
            {
                throw new ArgumentException($"{name} is empty: a loss needs at least one row.", name);
            }
        }

        /// <summary>Checks every row index in <paramref name="rows"/> against the data set's row count.</summary>
        // Once a batch, and over every row of an evaluation: one compile, not tier 0 and an on-stack replacement (1.4 ms in a
        // fresh process's first epoch when the evaluation's rows are split across threads).
        [MethodImpl(FirstCall.Optimized)]
        public static void RowIndices(ReadOnlySpan<int> rows, int available, string name)
        {
            for (int i = 0; i < rows.Length; i++)
            {
                if ((uint)rows[i] >= (uint)available)
                {
                    ThrowNotARow(rows[i], i, available, name);
                }
            }
        }

        // The message apart, so the loop above compiles small.
        [DoesNotReturn]
        private static void ThrowNotARow(int row, int i, int available, string name) =>
            throw new ArgumentOutOfRangeException(
                name, row, $"{name}[{i}] = {row} is not a row of the data, which has {Plural.Of(available, "row")} (0..{available - 1}).");

        /// <summary>Checks the labels a batch reads (all of them, or those named by <paramref name="rows"/>).</summary>
        [MethodImpl(FirstCall.Optimized)] // once a batch: one compile, not tier 0 and an on-stack replacement
        public static void Labels(ReadOnlySpan<int> labels, ReadOnlySpan<int> rows, bool hasRows, int n, int classes, string name)
        {
            for (int i = 0; i < n; i++)
            {
                int row = hasRows ? rows[i] : i;
                if ((uint)labels[row] >= (uint)classes)
                {
                    ThrowNotAClass(labels[row], row, classes, name);
                }
            }
        }

        // The message apart, so the loop above (run for every batch) compiles small.
        [DoesNotReturn]
        private static void ThrowNotAClass(int label, int row, int classes, string name) =>
            throw new ArgumentOutOfRangeException(name, label, $"{name}[{row}] = {label} is not a class: labels must be 0..{classes - 1}.");

        /// <summary>Checks a learning rate: positive and finite.</summary>
        public static void LearningRate(float learningRate, string name)
        {
            if (!(learningRate > 0f) || float.IsInfinity(learningRate))
            {
                throw new ArgumentOutOfRangeException(name, learningRate,
                    "The learning rate must be a positive finite number, such as 0.1.");
            }
        }
    }
}
