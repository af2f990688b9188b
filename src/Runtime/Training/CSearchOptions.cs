using System;
using System.Collections.Generic;

namespace GenSoftmax.Training
{
    /// <summary>
    /// Settings of <see cref="LbfgsSolver.SearchC"/>: the values of C tried, the held-out share of the data that judges them,
    /// and the solver's settings for each fit. The defaults are scikit-learn's <c>LogisticRegressionCV</c> grid (ten values
    /// from 1e-4 to 1e4, evenly spaced in log scale) with a fifth of the rows held out.
    /// </summary>
    public sealed record CSearchOptions
    {
        /// <summary>The values of C, tried from the smallest (the strongest penalty) up, each fit starting where the last ended.</summary>
        public IReadOnlyList<double> Cs { get; init; } = LogSpace(-4, 4, 10);

        /// <summary>The share of rows held out to judge each C, in (0, 1).</summary>
        public double HoldOutFraction { get; init; } = 0.2;

        /// <summary>Seed of the held-out split (<see cref="HoldOut.Rows"/>).</summary>
        public int Seed { get; init; } = 42;

        /// <summary>The solver's settings for every fit (its C is replaced by each value tried).</summary>
        public LbfgsOptions Solver { get; init; } = new LbfgsOptions();

        /// <summary><paramref name="count"/> values from 10^<paramref name="from"/> to 10^<paramref name="to"/>, evenly spaced in log
        /// scale.</summary>
        public static double[] LogSpace(double from, double to, int count)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
            double[] values = new double[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = Math.Pow(10, from + ((to - from) * i / (count - 1)));
            }

            return values;
        }

        /// <summary>Throws when a setting is out of range, naming it and a valid example.</summary>
        public void Validate()
        {
            ArgumentNullException.ThrowIfNull(Cs, nameof(Cs));
            if (Cs.Count == 0)
            {
                throw new ArgumentException("Give at least one value of C to try, such as 0.01, 1 and 100.", nameof(Cs));
            }

            foreach (double c in Cs)
            {
                if (!(c > 0) || double.IsNaN(c))
                {
                    throw new ArgumentOutOfRangeException(nameof(Cs), c,
                        $"C = {c} is not a valid penalty strength: every C tried must be positive.");
                }
            }

            if (!(HoldOutFraction > 0 && HoldOutFraction < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(HoldOutFraction), HoldOutFraction,
                    "The held-out share must be between 0 and 1, such as 0.2.");
            }

            ArgumentNullException.ThrowIfNull(Solver, nameof(Solver));
            Solver.Validate();
        }
    }
}
