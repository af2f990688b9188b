using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using GenSoftmax.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenSoftmax.Generator
{
    public sealed partial class SoftmaxGenerator
    {
        /// <summary>What parsing one declaration produced: a spec to emit, or diagnostics and no spec.</summary>
        internal sealed class ParseResult
        {
            public ParseResult(ModelSpec? spec, ImmutableArray<Diagnostic> diagnostics)
            {
                Spec = spec;
                Diagnostics = diagnostics;
            }

            public ModelSpec? Spec { get; }

            public ImmutableArray<Diagnostic> Diagnostics { get; }

            public void Report(SourceProductionContext context)
            {
                foreach (Diagnostic d in Diagnostics)
                {
                    context.ReportDiagnostic(d);
                }
            }
        }

        internal static class Parser
        {
            /// <summary>Names the generator emits into the user's class; a user member with one of these clashes.</summary>
            internal static readonly ImmutableHashSet<string> EmittedMembers = ImmutableHashSet.Create(
                "InputCount", "ClassCount", "Inputs", "Classes", "Weights", "Bias", "Isa",
                "Forward", "Probabilities", "Predict", "LossAndGradient", "LossAndGradientSoft", "TrainStep",
                "ForwardAvx512", "ForwardAvx2", "ForwardPortable",
                "ProbabilitiesAvx512", "ProbabilitiesAvx2", "ProbabilitiesPortable",
                "PredictAvx512", "PredictAvx2", "PredictPortable",
                "LossAndGradientAvx512", "LossAndGradientAvx2", "LossAndGradientPortable",
                "TrainStepAvx512", "TrainStepAvx2", "TrainStepPortable");

            public static ParseResult Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
            {
                var type = (INamedTypeSymbol)ctx.TargetSymbol;
                var syntax = (TypeDeclarationSyntax)ctx.TargetNode;
                AttributeData attribute = ctx.Attributes[0];
                var diagnostics = ImmutableArray.CreateBuilder<Diagnostic>();
                Location identifier = syntax.Identifier.GetLocation();

                if (type.TypeKind != TypeKind.Class || type.IsStatic)
                {
                    diagnostics.Add(Diagnostic.Create(Descriptors.UnsupportedTypeKind, identifier, type.Name));
                    return new ParseResult(null, diagnostics.ToImmutable());
                }

                if (type.IsGenericType || ContainingTypes(type).Any(t => t.IsGenericType))
                {
                    diagnostics.Add(Diagnostic.Create(Descriptors.GenericNotSupported, identifier, type.Name));
                }

                // The first declaration (or containing type) lacking 'partial' is the one to point at.
                foreach (TypeDeclarationSyntax decl in SelfAndContainingDeclarations(syntax))
                {
                    if (!decl.Modifiers.Any(SyntaxKind.PartialKeyword))
                    {
                        diagnostics.Add(Diagnostic.Create(Descriptors.ClassMustBePartial, decl.Identifier.GetLocation(), decl.Identifier.Text));
                        break;
                    }
                }

                int? inputs = null;
                int? classes = null;
                foreach (KeyValuePair<string, TypedConstant> arg in attribute.NamedArguments)
                {
                    if (arg.Value.Kind != TypedConstantKind.Primitive || arg.Value.Value is not int value)
                    {
                        continue;
                    }

                    Location where = ArgumentLocation(attribute, arg.Key, ct) ?? identifier;
                    if (arg.Key == "Inputs")
                    {
                        inputs = value;
                        if (value < ModelLimits.MinInputs || value > ModelLimits.MaxInputs)
                        {
                            diagnostics.Add(Diagnostic.Create(Descriptors.InputsOutOfRange, where, value, ModelLimits.MinInputs, ModelLimits.MaxInputs));
                        }
                    }
                    else if (arg.Key == "Classes")
                    {
                        classes = value;
                        if (value < ModelLimits.MinClasses || value > ModelLimits.MaxClasses)
                        {
                            diagnostics.Add(Diagnostic.Create(Descriptors.ClassesOutOfRange, where, value, ModelLimits.MinClasses, ModelLimits.MaxClasses));
                        }
                    }
                }

                if (inputs is null || classes is null)
                {
                    string missing = inputs is null && classes is null ? "Inputs and Classes" : inputs is null ? "Inputs" : "Classes";
                    Location where = attribute.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation() ?? identifier;
                    diagnostics.Add(Diagnostic.Create(Descriptors.SizeMissing, where, type.Name, missing));
                }
                else if ((long)inputs.Value * classes.Value > ModelLimits.MaxParameters)
                {
                    Location where = attribute.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation() ?? identifier;
                    diagnostics.Add(Diagnostic.Create(Descriptors.TooManyParameters, where, type.Name, (long)inputs.Value * classes.Value, ModelLimits.MaxParameters));
                }

                foreach (ISymbol member in type.GetMembers())
                {
                    if (!member.IsImplicitlyDeclared && EmittedMembers.Contains(member.Name) && !member.Locations.IsEmpty)
                    {
                        Location where = member.Locations.FirstOrDefault(l => l.IsInSource) ?? identifier;
                        diagnostics.Add(Diagnostic.Create(Descriptors.MemberClash, where, type.Name, member.Name));
                    }
                }

                if (diagnostics.Count > 0)
                {
                    return new ParseResult(null, diagnostics.ToImmutable());
                }

                string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
                var containing = SelfAndContainingDeclarations(syntax).Skip(1).Reverse().Select(Declaration).ToArray();
                string fullName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty);
                var spec = new ModelSpec(
                    ns,
                    new EquatableArray<string>(containing),
                    Declaration(syntax),
                    type.Name,
                    fullName,
                    fullName + ".g.cs",
                    inputs!.Value,
                    classes!.Value);
                return new ParseResult(spec, ImmutableArray<Diagnostic>.Empty);
            }

            private static IEnumerable<INamedTypeSymbol> ContainingTypes(INamedTypeSymbol type)
            {
                for (INamedTypeSymbol? t = type.ContainingType; t is not null; t = t.ContainingType)
                {
                    yield return t;
                }
            }

            private static IEnumerable<TypeDeclarationSyntax> SelfAndContainingDeclarations(TypeDeclarationSyntax syntax)
            {
                for (SyntaxNode? node = syntax; node is not null; node = node.Parent)
                {
                    if (node is TypeDeclarationSyntax t)
                    {
                        yield return t;
                    }
                }
            }

            /// <summary>"partial class Outer" / "partial record Model": the declaration header the emitted part repeats.</summary>
            private static string Declaration(TypeDeclarationSyntax decl)
            {
                var sb = new StringBuilder("partial ");
                sb.Append(decl.Keyword.ValueText);
                if (decl is RecordDeclarationSyntax record && record.ClassOrStructKeyword.ValueText.Length > 0)
                {
                    sb.Append(' ').Append(record.ClassOrStructKeyword.ValueText);
                }

                sb.Append(' ').Append(decl.Identifier.ValueText);
                return sb.ToString();
            }

            private static Location? ArgumentLocation(AttributeData attribute, string name, CancellationToken ct)
            {
                if (attribute.ApplicationSyntaxReference?.GetSyntax(ct) is not AttributeSyntax syntax || syntax.ArgumentList is null)
                {
                    return null;
                }

                foreach (AttributeArgumentSyntax arg in syntax.ArgumentList.Arguments)
                {
                    if (arg.NameEquals?.Name.Identifier.ValueText == name)
                    {
                        return arg.GetLocation();
                    }
                }

                return null;
            }
        }
    }
}
