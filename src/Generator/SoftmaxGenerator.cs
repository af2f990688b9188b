using GenSoftmax.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenSoftmax.Generator
{
    /// <summary>Emits shape-specialised softmax-regression kernels for every class marked [SoftmaxModel].</summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class SoftmaxGenerator : IIncrementalGenerator
    {
        internal const string AttributeMetadataName = "GenSoftmax.SoftmaxModelAttribute";

        /// <inheritdoc />
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    AttributeMetadataName,
                    predicate: static (node, _) => node is TypeDeclarationSyntax,
                    transform: static (ctx, ct) => Parser.Parse(ctx, ct)) // symbols are read here and dropped here
                .WithTrackingName(TrackingNames.Parse);

            // Diagnostics compare by reference, so they never sit beside the spec in a step whose output is
            // cached: moving code around re-reports them but does not re-emit kernels.
            IncrementalValuesProvider<ModelSpec> specs = parsed
                .Where(static r => r.Spec is not null)
                .Select(static (r, _) => r.Spec!)
                .WithTrackingName(TrackingNames.Spec);

            context.RegisterSourceOutput(specs, static (spc, spec) => spc.AddSource(spec.HintName, Emitter.Emit(spec)));
            context.RegisterSourceOutput(parsed, static (spc, r) => r.Report(spc));
        }
    }
}
