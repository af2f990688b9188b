using System;
using System.Buffers.Binary;

namespace GenSoftmax
{
    /// <summary>
    /// The layout of a model file, version 1, in one place (README.md, "Model files", documents it byte by byte; a
    /// test pins it). Everything is little-endian.
    /// </summary>
    /// <remarks>
    /// <code>
    /// header    32 bytes   magic, version, reserved, inputs, classes, section count, file length
    /// sections  each: tag (4 ASCII bytes), flags (uint32, bit 0 = required), payload length (uint64), payload
    /// checksum  8 bytes    XxHash3 (64-bit, seed 0) of every byte before it
    /// </code>
    /// A reader skips a section it does not know unless its required flag is set: new optional content (say, a
    /// description) is a new section that older readers ignore; content they must not ignore sets the flag; a change
    /// to what existing bytes mean is a new format version. Sections of version 1: PARM (required), NAME, TOPT, TOPX
    /// (required, only when options beyond TOPT's differ from their defaults), TSTA, ESTA (required), PHMF, PHMO,
    /// PHMT (required).
    /// </remarks>
    internal static class ModelFileFormat
    {
        /// <summary>"\x89GSM\r\n\x1a\n": a non-ASCII first byte, the name, and line endings that a text-mode transfer would alter (as PNG's).</summary>
        public static ReadOnlySpan<byte> Magic => [0x89, (byte)'G', (byte)'S', (byte)'M', 0x0D, 0x0A, 0x1A, 0x0A];

        public const ushort Version = 1;

        public const int HeaderLength = 32;

        // Offsets in the header.
        public const int VersionOffset = 8;
        public const int ReservedOffset = 10;
        public const int InputsOffset = 12;
        public const int ClassesOffset = 16;
        public const int SectionCountOffset = 20;
        public const int FileLengthOffset = 24;

        public const int SectionHeaderLength = 16;

        public const int ChecksumLength = 8;

        /// <summary>Flag bit 0 of a section: a reader that does not know the section must refuse the file.</summary>
        public const uint RequiredFlag = 1;

        /// <summary>The parameters (required): element type, layout, weights, bias.</summary>
        public static readonly uint ParametersTag = Tag("PARM");

        /// <summary>The class names (optional): count, then (byte length, UTF-8 bytes) per class.</summary>
        public static readonly uint ClassNamesTag = Tag("NAME");

        /// <summary>The trainer options (optional): 32 bytes.</summary>
        public static readonly uint TrainerOptionsTag = Tag("TOPT");

        /// <summary>The training state (optional): 44 bytes, then the velocity if the run has momentum.</summary>
        public static readonly uint TrainingStateTag = Tag("TSTA");

        /// <summary>
        /// The trainer options beyond TOPT's (required when present): schedule, loss, label smoothing, early stopping; 48
        /// bytes. Written only when one of them differs from its default, so a file of a textbook run stays readable by
        /// readers older than it; without it, they are the defaults. Required: a reader that ignored it would continue a
        /// cosine-schedule run at a constant rate.
        /// </summary>
        public static readonly uint TrainerOptionsExtensionTag = Tag("TOPX");

        /// <summary>Early stopping's record of the training state (required when present): 24 bytes, then the best weights and bias.</summary>
        public static readonly uint EarlyStoppingStateTag = Tag("ESTA");

        /// <summary>A hypercomplex model's factors (optional: W in PARM is the model for a dense reader): n, A, S.</summary>
        public static readonly uint HypercomplexFactorsTag = Tag("PHMF");

        /// <summary>A hypercomplex optimizer's settings, learning rate and velocity (optional): 24 bytes, then the velocity.</summary>
        public static readonly uint HypercomplexOptimizerTag = Tag("PHMO");

        /// <summary>
        /// A hypercomplex model's training state beyond TSTA's (required when present): n, flags (bit 0 = velocity, bit 1 =
        /// best factors), then the velocity of A, S and the bias, then early stopping's best A and S. Written with TSTA for a
        /// hypercomplex model, whose velocity is its factors' (TSTA then has none). Required: a reader that ignored it would
        /// continue a momentum run from zero velocity.
        /// </summary>
        public static readonly uint HypercomplexTrainingStateTag = Tag("PHMT");

        /// <summary>Bytes of the hypercomplex training state before the velocity: n, flags.</summary>
        public const int HypercomplexTrainingStatePrefix = 8;

        /// <summary>Element type 1: IEEE 754 binary32, little-endian.</summary>
        public const byte Float32 = 1;

        /// <summary>Layout 1: weights [classes, inputs] class-major, then bias [classes].</summary>
        public const byte ClassMajor = 1;

        /// <summary>Bytes of the parameters section before the weights: element type, layout, two reserved bytes.</summary>
        public const int ParametersPrefix = 4;

        public const int TrainerOptionsLength = 32;

        public const int TrainerOptionsExtensionLength = 48;

        /// <summary>Bytes of the early-stopping record before the best weights.</summary>
        public const int EarlyStoppingFixedLength = 24;

        /// <summary>Bytes of the hypercomplex factors section before A: n, reserved.</summary>
        public const int HypercomplexFactorsPrefix = 8;

        /// <summary>Bytes of the hypercomplex optimizer section before the velocity.</summary>
        public const int HypercomplexOptimizerFixedLength = 24;

        /// <summary>Bytes of the training state before the velocity.</summary>
        public const int TrainingStateFixedLength = 44;

        /// <summary>The smallest whole file: a header, one section header and a checksum.</summary>
        public const int MinimumLength = HeaderLength + SectionHeaderLength + ChecksumLength;

        /// <summary>Bytes of the parameters section for a shape.</summary>
        public static long ParametersLength(int inputs, int classes) => ParametersPrefix + (4L * classes * ((long)inputs + 1));

        /// <summary>Bytes of the training state section for a shape, with or without velocity.</summary>
        public static long TrainingStateLength(int inputs, int classes, bool velocity) =>
            TrainingStateFixedLength + (velocity ? 4L * classes * ((long)inputs + 1) : 0);

        /// <summary>Bytes of the early-stopping record, with or without the best weights.</summary>
        public static long EarlyStoppingLength(int inputs, int classes, bool weights) =>
            EarlyStoppingFixedLength + (weights ? 4L * classes * ((long)inputs + 1) : 0);

        /// <summary>Bytes of the hypercomplex factors section.</summary>
        public static long HypercomplexFactorsLength(HypercomplexLayout layout) =>
            HypercomplexFactorsPrefix + (4L * ((long)layout.FactorALength + layout.FactorSLength));

        /// <summary>Bytes of the hypercomplex optimizer section, with or without velocity.</summary>
        public static long HypercomplexOptimizerLength(HypercomplexLayout layout, bool velocity) =>
            HypercomplexOptimizerFixedLength + (velocity ? 4L * ((long)layout.FactorALength + layout.FactorSLength + layout.Classes) : 0);

        /// <summary>Bytes of the hypercomplex training state section, with or without velocity and best factors.</summary>
        public static long HypercomplexTrainingStateLength(HypercomplexLayout layout, bool velocity, bool bestFactors) =>
            HypercomplexTrainingStatePrefix
            + (velocity ? 4L * ((long)layout.FactorALength + layout.FactorSLength + layout.Classes) : 0)
            + (bestFactors ? 4L * ((long)layout.FactorALength + layout.FactorSLength) : 0);

        public static uint Tag(string name) => BinaryPrimitives.ReadUInt32LittleEndian(
            [(byte)name[0], (byte)name[1], (byte)name[2], (byte)name[3]]);

        /// <summary>A tag as text, with any byte that is not printable ASCII as \xNN.</summary>
        public static string TagName(uint tag)
        {
            var text = new System.Text.StringBuilder(4);
            for (int i = 0; i < 4; i++)
            {
                byte b = (byte)(tag >> (8 * i));
                text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
            }

            return text.ToString();
        }
    }
}
