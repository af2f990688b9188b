using System;

namespace GenSoftmax.Training
{
    /// <summary>
    /// A training set whose target for each row is a probability vector rather than one class: knowledge distillation,
    /// crowd-sourced labels, the chapter's 0.9 / 0.1 targets. Train on it with <see cref="Trainer.FitTargets"/>.
    /// </summary>
    /// <remarks>The rows' inputs (float features or byte pixels) and labels come from <see cref="Data"/>; the labels are only
    /// used to report accuracy. The targets array is used as given, not copied.</remarks>
    public sealed class SoftTargets
    {
        /// <summary>Tolerance of each row's sum: |Σ_c t_c - 1| must be at most this.</summary>
        public const float SumTolerance = 1e-3f;

        /// <summary>Soft targets <paramref name="targets"/> [data.Count, classes] for the rows of <paramref name="data"/>.</summary>
        /// <param name="data">The inputs and (for accuracy) the labels.</param>
        /// <param name="targets">Row-major [data.Count, classes]; each row non-negative, finite and summing to 1.</param>
        /// <param name="classes">Classes per row: the model's class count.</param>
        /// <exception cref="ArgumentException">The sizes do not match, or a row is not a probability distribution (the
        /// message names the row and the class).</exception>
        public SoftTargets(LabeledData data, float[] targets, int classes)
        {
            ArgumentNullException.ThrowIfNull(data);
            ArgumentNullException.ThrowIfNull(targets);
            ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
            if (targets.LongLength != (long)data.Count * classes)
            {
                throw new ArgumentException(
                    $"targets has {Plural.Of(targets.LongLength, "value")} but {Plural.Of(data.Count, "row")} x " +
                        $"{Plural.Of(classes, "class")} need " +
                        $"{(long)data.Count * classes}: " +
                    "pass one probability vector per row of the data, row-major.", nameof(targets));
            }

            for (int r = 0; r < data.Count; r++)
            {
                double sum = 0;
                for (int c = 0; c < classes; c++)
                {
                    float t = targets[(r * classes) + c];
                    if (!(t >= 0f) || float.IsInfinity(t))
                    {
                        throw new ArgumentException(
                            $"targets[{r}, {c}] = {t} is not a probability: every target must be a finite number >= 0.", nameof(targets));
                    }

                    sum += t;
                }

                if (Math.Abs(sum - 1) > SumTolerance)
                {
                    throw new ArgumentException(
                        $"The targets of row {r} sum to {sum:G6}, not 1: each row must be a probability " +
                            $"distribution over the {classes} classes.",
                        nameof(targets));
                }
            }

            Data = data;
            Targets = targets;
            Classes = classes;
        }

        /// <summary>The inputs and labels.</summary>
        public LabeledData Data { get; }

        /// <summary>The targets, [Data.Count, Classes].</summary>
        public float[] Targets { get; }

        /// <summary>Classes per row.</summary>
        public int Classes { get; }

        /// <summary>
        /// Targets that put <paramref name="onTarget"/> on each row's label and share the rest equally among the other
        /// classes: the chapter's binary question is <c>OnLabels(data, 0.9f, 2)</c> (0.9 / 0.1).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="onTarget"/> is not in [0, 1].</exception>
        public static SoftTargets OnLabels(LabeledData data, float onTarget, int classes)
        {
            ArgumentNullException.ThrowIfNull(data);
            if (!(onTarget >= 0f && onTarget <= 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(onTarget), onTarget,
                    "The target of the labelled class must be between 0 and 1, such as 0.9.");
            }

            ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
            float off = (1f - onTarget) / (classes - 1);
            var targets = new float[checked(data.Count * classes)];
            for (int r = 0; r < data.Count; r++)
            {
                int y = data.Labels[r];
                if ((uint)y >= (uint)classes)
                {
                    throw new ArgumentException($"Label {y} of row {r} is not one of the {Plural.Of(classes, "class")}.", nameof(data));
                }

                targets.AsSpan(r * classes, classes).Fill(off);
                targets[(r * classes) + y] = onTarget;
            }

            return new SoftTargets(data, targets, classes);
        }
    }
}
