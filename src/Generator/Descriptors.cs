using Microsoft.CodeAnalysis;

namespace GenSoftmax.Generator
{
    /// <summary>Every diagnostic the generator reports. IDs are never reused.</summary>
    internal static class Descriptors
    {
        private const string Category = "GenSoftmax";
        /// <summary>
        /// Each ID's help link is this page's section for it: the heading "## GSM0001" and so on, whose anchor on the
        /// repository's rendered page is the lower-case ID (a test checks every descriptor against docs/generator.md).
        /// </summary>
        internal const string HelpBase = "https://github.com/gensoftmax/gensoftmax/blob/main/docs/generator.md#";

        public static readonly DiagnosticDescriptor ClassMustBePartial = Error(
            "GSM0001",
            "Model class must be partial",
            "'{0}' must be declared partial: add the 'partial' modifier to it and to every enclosing type");

        public static readonly DiagnosticDescriptor InputsOutOfRange = Error(
            "GSM0002",
            "Inputs out of range",
            "Inputs = {0} is out of range: a model takes between {1} and {2} inputs");

        public static readonly DiagnosticDescriptor ClassesOutOfRange = Error(
            "GSM0003",
            "Classes out of range",
            "Classes = {0} is out of range: a model has between {1} and {2} classes (2 is logistic regression)");

        public static readonly DiagnosticDescriptor SizeMissing = Error(
            "GSM0004",
            "Model size not set",
            "[SoftmaxModel] on '{0}' must set both sizes as constants, for example [SoftmaxModel(Inputs = " +
                "784, Classes = 10)]; missing: {1}");

        public static readonly DiagnosticDescriptor GenericNotSupported = Error(
            "GSM0005",
            "Generic model classes are not supported",
            "'{0}' is generic or nested in a generic type: declare the model in a non-generic class, since " +
                "its kernels are specialised to " +
                "one fixed shape");

        public static readonly DiagnosticDescriptor MemberClash = Error(
            "GSM0006",
            "Member name clashes with a generated member",
            "'{0}' declares '{1}', which the generator emits for the model: rename or remove it");

        public static readonly DiagnosticDescriptor UnsupportedTypeKind = Error(
            "GSM0007",
            "Model must be a non-static class",
            "'{0}' is a static class: remove the 'static' modifier, since each instance of a model holds its own weights");

        public static readonly DiagnosticDescriptor TooManyParameters = Error(
            "GSM0008",
            "Model too large",
            "'{0}' would have {1} weights (Inputs x Classes), more than the {2} a model may hold: reduce Inputs or Classes");

        public static readonly DiagnosticDescriptor FileLocalNotSupported = Error(
            "GSM0009",
            "File-local model classes are not supported",
            "'{0}' is file-local: remove the 'file' modifier from it and from every enclosing type, since " +
                "the generated part of the class " +
                "lives in another file");

        public static readonly DiagnosticDescriptor ModelNameClash = Error(
            "GSM0010",
            "Model class name clashes with a generated member",
            "'{0}' is also the name of a member the generator emits into the model, and a member cannot have the name of its class: " +
                "rename the class");

        public static readonly DiagnosticDescriptor InheritedMemberClash = Error(
            "GSM0011",
            "Inherited member clashes with a generated member",
            "'{0}' inherits '{1}' from '{2}', and the generator emits a member of that name into the model: derive '{0}' from a class " +
                "without that member, or rename it there");

        public static readonly DiagnosticDescriptor BaseIsModel = Error(
            "GSM0012",
            "Model derives from another model",
            "'{0}' derives from '{1}', which is a [SoftmaxModel] too, so the two would declare the same members: derive '{0}' from a " +
                "class that is not a model");

        public static readonly DiagnosticDescriptor LanguageVersionTooOld = Error(
            "GSM0013",
            "C# language version too old for the generated kernels",
            "'{0}' needs C# 11 or newer for its generated kernels, and the project uses C# {1}: set <LangVersion> to 11 or later (the " +
                ".NET 7+ SDK default)");

        public static readonly DiagnosticDescriptor HypercomplexOutOfRange = Error(
            "GSM0014",
            "Hypercomplex factor count out of range",
            "Hypercomplex = {0} is out of range: a hypercomplex layer has at least 2 factors, such as Hypercomplex = 2; leave it out (or " +
                "0) for the dense layer");

        public static readonly DiagnosticDescriptor HypercomplexNotDivisor = Error(
            "GSM0015",
            "Hypercomplex factor count does not divide the sizes",
            "Hypercomplex = {0} must divide both Inputs = {1} and Classes = {2}, since W is a sum of Kronecker products of {0} x {0} and " +
                "(Classes / {0}) x (Inputs / {0}) matrices: {3}");

        public static readonly DiagnosticDescriptor HypercomplexNotSmaller = Error(
            "GSM0016",
            "Hypercomplex layer no smaller than the dense layer",
            "Hypercomplex = {0} gives {1} factor weights (n³ + Inputs·Classes/n), not fewer than the {2} weights of the dense layer it " +
                "stands for: {3}");

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
                helpLinkUri: HelpBase + id.ToLowerInvariant());
    }
}
