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
            /// <summary>Nothing to emit and nothing to add: the compiler already reports the mistake.</summary>
            public static readonly ParseResult Silent = new ParseResult(null, ImmutableArray<Diagnostic>.Empty);

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
            /// <summary>Every member the emitter declares in the model class, public or private: a user member with one of these names
            /// clashes.</summary>
            /// <remarks>ToString is not among them: it is generated only where the user's class and its bases declare none.</remarks>
            internal static readonly ImmutableHashSet<string> EmittedMembers = EmittedMemberNames(hypercomplex: 0);

            /// <summary>The same for a hypercomplex model, which also declares <c>IHypercomplexModel</c>'s members.</summary>
            internal static readonly ImmutableHashSet<string> EmittedHypercomplexMembers = EmittedMemberNames(hypercomplex: 2);

            /// <summary>Namespaces with keywords escaped ("@event.Models"), without "global::".</summary>
            private static readonly SymbolDisplayFormat NamespaceFormat = new SymbolDisplayFormat(
                globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
                typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
                miscellaneousOptions: SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

            public static ParseResult Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
            {
                var type = (INamedTypeSymbol)ctx.TargetSymbol;
                var syntax = (TypeDeclarationSyntax)ctx.TargetNode;
                Location identifier = syntax.Identifier.GetLocation();

                // ctx.Attributes can hold the [SoftmaxModel] of every part of a partial class: take the one on this part.
                AttributeData? attribute = ctx.Attributes.FirstOrDefault(a => a.ApplicationSyntaxReference is { } r
                    && r.SyntaxTree == syntax.SyntaxTree && syntax.Span.Contains(r.Span));
                var attributeSyntax = attribute?.ApplicationSyntaxReference?.GetSyntax(ct) as AttributeSyntax;

                // Mistakes the compiler already reports on the attribute get no second error and no code: a struct or
                // interface (CS0592, the attribute is only valid on classes), positional or non-constant arguments
                // (CS1729, CS0182), a value of the wrong type (CS0266), or a second [SoftmaxModel] on another part of
                // the class (CS0579, reported on the second one; the first one's part is emitted).
                if (type.TypeKind != TypeKind.Class || attribute is null || attributeSyntax is null
                    || HasCompilerError(ctx.SemanticModel, attributeSyntax, ct))
                {
                    return ParseResult.Silent;
                }

                if (!IsFirstModelAttribute(type, attribute))
                {
                    return ParseResult.Silent;
                }

                var diagnostics = ImmutableArray.CreateBuilder<Diagnostic>();
                if (type.IsStatic)
                {
                    diagnostics.Add(Diagnostic.Create(Descriptors.UnsupportedTypeKind, identifier, type.Name));
                    return new ParseResult(null, diagnostics.ToImmutable());
                }

                // The generated kernels are file-local classes behind a contract of static abstract members (C# 11). The
                // tree's own parse options say which C# the project compiles with: no compilation needed.
                var parseOptions = syntax.SyntaxTree.Options as CSharpParseOptions;
                if (parseOptions is not null && parseOptions.LanguageVersion < LanguageVersion.CSharp11)
                {
                    diagnostics.Add(Diagnostic.Create(Descriptors.LanguageVersionTooOld, identifier, type.Name,
                        parseOptions.LanguageVersion.ToDisplayString()));
                }

                // A file-local class (or one nested in a file-local class) cannot have a part in the generated file.
                foreach (TypeDeclarationSyntax decl in SelfAndContainingDeclarations(syntax))
                {
                    if (decl.Modifiers.Any(SyntaxKind.FileKeyword))
                    {
                        diagnostics.Add(Diagnostic.Create(Descriptors.FileLocalNotSupported, decl.Identifier.GetLocation(),
                            decl.Identifier.Text));
                        break;
                    }
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
                        diagnostics.Add(Diagnostic.Create(Descriptors.ClassMustBePartial, decl.Identifier.GetLocation(),
                            decl.Identifier.Text));
                        break;
                    }
                }

                int? inputs = null;
                int? classes = null;
                int hypercomplex = 0;
                Location? hypercomplexWhere = null;
                foreach (KeyValuePair<string, TypedConstant> arg in attribute.NamedArguments)
                {
                    if (arg.Value.Kind != TypedConstantKind.Primitive || arg.Value.Value is not int value)
                    {
                        continue;
                    }

                    Location where = ArgumentLocation(attributeSyntax, arg.Key) ?? identifier;
                    if (arg.Key == "Inputs")
                    {
                        inputs = value;
                        if (value < ModelLimits.MinInputs || value > ModelLimits.MaxInputs)
                        {
                            diagnostics.Add(Diagnostic.Create(Descriptors.InputsOutOfRange, where, value, ModelLimits.MinInputs,
                                ModelLimits.MaxInputs));
                        }
                    }
                    else if (arg.Key == "Classes")
                    {
                        classes = value;
                        if (value < ModelLimits.MinClasses || value > ModelLimits.MaxClasses)
                        {
                            diagnostics.Add(Diagnostic.Create(Descriptors.ClassesOutOfRange, where, value, ModelLimits.MinClasses,
                                ModelLimits.MaxClasses));
                        }
                    }
                    else if (arg.Key == "Hypercomplex")
                    {
                        // 0 is the dense layer; 1 would be the dense layer times one extra scale, so it is refused too.
                        hypercomplex = value;
                        hypercomplexWhere = where;
                        if (value < 0 || (value > 0 && value < ModelLimits.MinHypercomplex))
                        {
                            diagnostics.Add(Diagnostic.Create(Descriptors.HypercomplexOutOfRange, where, value));
                        }
                    }
                }

                if (inputs is null || classes is null)
                {
                    string missing = inputs is null && classes is null ? "Inputs and Classes" : inputs is null ? "Inputs" : "Classes";
                    diagnostics.Add(Diagnostic.Create(Descriptors.SizeMissing, attributeSyntax.GetLocation(), type.Name, missing));
                }
                else if (!InRange(inputs.Value, classes.Value))
                {
                    // A size out of range has its own error; the size of the product follows from it (one error per mistake).
                }
                else if ((long)inputs.Value * classes.Value > ModelLimits.MaxParameters)
                {
                    diagnostics.Add(Diagnostic.Create(Descriptors.TooManyParameters, attributeSyntax.GetLocation(), type.Name,
                        (long)inputs.Value * classes.Value, ModelLimits.MaxParameters));
                }
                else if (hypercomplex >= 2 && hypercomplexWhere is not null && InRange(inputs.Value, classes.Value))
                {
                    // Sizes out of range already have their error; a second about the factors would only repeat it.
                    CheckHypercomplex(hypercomplex, inputs.Value, classes.Value, hypercomplexWhere, diagnostics);
                }

                ImmutableHashSet<string> emittedMembers = hypercomplex >= 2 ? EmittedHypercomplexMembers : EmittedMembers;

                if (emittedMembers.Contains(type.Name))
                {
                    diagnostics.Add(Diagnostic.Create(Descriptors.ModelNameClash, identifier, type.Name));
                }

                foreach (ISymbol member in type.GetMembers())
                {
                    if (!member.IsImplicitlyDeclared && emittedMembers.Contains(member.Name))
                    {
                        Location where = member.Locations.FirstOrDefault(l => l.IsInSource) ?? identifier;
                        diagnostics.Add(Diagnostic.Create(Descriptors.MemberClash, where, type.Name, member.Name));
                    }
                }

                CheckBaseTypes(ctx, type, syntax, identifier, emittedMembers, diagnostics);

                if (diagnostics.Count > 0)
                {
                    return new ParseResult(null, diagnostics.ToImmutable());
                }

                string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(NamespaceFormat);
                var containing = SelfAndContainingDeclarations(syntax).Skip(1).Reverse().Select(Declaration).ToArray();

                // Symbol names, never source spelling: "@class" is "class" here, so the hint name has no '@'.
                string fullName = string.Join(".",
                    NamespaceParts(type.ContainingNamespace).Concat(ContainingTypes(type).Reverse().Select(t => t.Name)).Append(type.Name));
                var spec = new ModelSpec(
                    ns,
                    new EquatableArray<string>(containing),
                    Declaration(syntax),
                    type.Name,
                    fullName,
                    HintName(type, fullName, ctx.SemanticModel.Compilation),
                    inputs!.Value,
                    classes!.Value,
                    hypercomplex,
                    DeclaresToString(type));
                return new ParseResult(spec, ImmutableArray<Diagnostic>.Empty);
            }

            /// <summary>
            /// The names the emitter declares, read from what it writes for a probe model with tails in every loop, so
            /// the list follows the emitter by itself when it gains a helper (a test checks other shapes add none).
            /// </summary>
            private static ImmutableHashSet<string> EmittedMemberNames(int hypercomplex)
            {
                // With factors, 34 inputs (17 per block) keep the tails of the dense probe.
                var probe = new ModelSpec(
                    null, EquatableArray<string>.Empty, "partial class Probe", "Probe", "Probe", "Probe.g.cs", Inputs: hypercomplex == 0
                        ? 17 : 34, Classes: 10, hypercomplex);
                SyntaxNode root = CSharpSyntaxTree.ParseText(Emitter.Emit(probe)).GetRoot();
                ImmutableHashSet<string>.Builder names = ImmutableHashSet.CreateBuilder<string>();
                foreach (TypeDeclarationSyntax model in root.DescendantNodes().OfType<TypeDeclarationSyntax>().Where(t =>
                    t.Identifier.ValueText == "Probe"))
                {
                    foreach (MemberDeclarationSyntax member in model.Members)
                    {
                        names.UnionWith(member switch
                        {
                            BaseFieldDeclarationSyntax f => f.Declaration.Variables.Select(v => v.Identifier.ValueText),
                            MethodDeclarationSyntax m => [m.Identifier.ValueText],
                            PropertyDeclarationSyntax p => [p.Identifier.ValueText],
                            EventDeclarationSyntax e => [e.Identifier.ValueText],
                            BaseTypeDeclarationSyntax t => [t.Identifier.ValueText],
                            DelegateDeclarationSyntax d => [d.Identifier.ValueText],
                            _ => [],
                        });
                    }
                }

                names.Remove(nameof(ToString));
                return names.ToImmutable();
            }

            /// <summary>
            /// "Contoso.Ml.Outer.Model.g.cs". Roslyn compares hint names ignoring case, so two models whose full names
            /// differ only in case (N.Model, N.model) would collide and fail the whole generator: those two get a
            /// stable hash of the exact name as well ("N.Model.1a2b3c4d.g.cs"), everyone else a plain name.
            /// </summary>
            private static string HintName(INamedTypeSymbol type, string fullName, Compilation compilation)
            {
                return HasCaseOnlyTwin(type, compilation) ? $"{fullName}.{Fnv1a(fullName):x8}.g.cs" : fullName + ".g.cs";
            }

            private static bool HasCaseOnlyTwin(INamedTypeSymbol type, Compilation compilation)
            {
                var path = new List<string>(NamespaceParts(type.ContainingNamespace));
                path.AddRange(ContainingTypes(type).Reverse().Select(t => t.Name));
                path.Add(type.Name);

                // Follow the path from the source assembly's global namespace, taking every namespace or type whose
                // name matches the segment ignoring case; models left at the end other than this one are twins.
                IEnumerable<INamespaceOrTypeSymbol> level = new INamespaceOrTypeSymbol[] { compilation.Assembly.GlobalNamespace };
                foreach (string segment in path)
                {
                    level = level
                        .SelectMany(s => s.GetMembers())
                        .OfType<INamespaceOrTypeSymbol>()
                        .Where(m => string.Equals(m.Name, segment, System.StringComparison.OrdinalIgnoreCase))
                        .ToList();
                }

                return level.OfType<INamedTypeSymbol>().Any(t =>
                    !SymbolEqualityComparer.Default.Equals(t, type)
                    && t.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeMetadataName));
            }

            private static uint Fnv1a(string text)
            {
                uint hash = 2166136261;
                foreach (char c in text)
                {
                    hash = unchecked((hash ^ c) * 16777619);
                }

                return hash;
            }

            /// <summary>True when the compiler reports an error on the attribute itself (bad target, arguments or duplicate).</summary>
            private static bool HasCompilerError(SemanticModel model, AttributeSyntax attribute, CancellationToken ct)
            {
                foreach (Diagnostic d in model.GetDiagnostics(attribute.Span, ct))
                {
                    if (d.Severity == DiagnosticSeverity.Error)
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>With [SoftmaxModel] on two parts of one class, only the first is a model: the compiler rejects the second
            /// (CS0579).</summary>
            private static bool IsFirstModelAttribute(INamedTypeSymbol type, AttributeData attribute)
            {
                foreach (AttributeData a in type.GetAttributes())
                {
                    if (a.AttributeClass?.ToDisplayString() == AttributeMetadataName)
                    {
                        return a.ApplicationSyntaxReference?.Span == attribute.ApplicationSyntaxReference?.Span
                            && a.ApplicationSyntaxReference?.SyntaxTree == attribute.ApplicationSyntaxReference?.SyntaxTree;
                    }
                }

                return true;
            }

            /// <summary>
            /// A base class that is a model, or that has an accessible member named like one the generator emits, would
            /// make the emitted members hide or clash with inherited ones (CS0108, CS0114, CS0533) in the generated file.
            /// </summary>
            /// <summary>Whether the class or a base below object declares ToString() itself (a record's synthesized one does not
            /// count).</summary>
            private static bool DeclaresToString(INamedTypeSymbol type)
            {
                for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
                {
                    if (t.GetMembers(nameof(ToString)).OfType<IMethodSymbol>().Any(m =>
                        m.Parameters.Length == 0 && !m.IsImplicitlyDeclared))
                    {
                        return true;
                    }
                }

                return false;
            }

            private static void CheckBaseTypes(
                GeneratorAttributeSyntaxContext ctx, INamedTypeSymbol type, TypeDeclarationSyntax syntax, Location identifier,
                    ImmutableHashSet<string> emittedMembers,
                ImmutableArray<Diagnostic>.Builder diagnostics)
            {
                Compilation compilation = ctx.SemanticModel.Compilation;
                Location where = BaseTypeLocation(ctx.SemanticModel, syntax, type.BaseType) ?? identifier;
                for (INamedTypeSymbol? b = type.BaseType; b is not null && b.SpecialType != SpecialType.System_Object; b = b.BaseType)
                {
                    if (b.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeMetadataName))
                    {
                        diagnostics.Add(Diagnostic.Create(Descriptors.BaseIsModel, where, type.Name, b.Name));
                        return;
                    }
                }

                for (INamedTypeSymbol? b = type.BaseType; b is not null && b.SpecialType != SpecialType.System_Object; b = b.BaseType)
                {
                    foreach (ISymbol member in b.GetMembers())
                    {
                        if (!member.IsImplicitlyDeclared && emittedMembers.Contains(member.Name)
                            && compilation.IsSymbolAccessibleWithin(member, type))
                        {
                            diagnostics.Add(Diagnostic.Create(Descriptors.InheritedMemberClash, where, type.Name, member.Name, b.Name));
                            return;
                        }
                    }
                }
            }

            /// <summary>
            /// W = Σ A_i ⊗ S_i needs n to divide both sizes (GSM0015), and is only worth generating when its n³ + dq/n
            /// factor weights are fewer than the dq of W (GSM0016); each message names the n that would work.
            /// </summary>
            private static void CheckHypercomplex(int n, int inputs, int classes, Location where,
                ImmutableArray<Diagnostic>.Builder diagnostics)
            {
                if (!ModelLimits.HypercomplexDivides(n, inputs, classes))
                {
                    diagnostics.Add(Diagnostic.Create(Descriptors.HypercomplexNotDivisor, where, n, inputs, classes,
                        ModelLimits.HypercomplexAdvice(inputs, classes)));
                    return;
                }

                if (!ModelLimits.HypercomplexIsSmaller(n, inputs, classes))
                {
                    diagnostics.Add(Diagnostic.Create(
                        Descriptors.HypercomplexNotSmaller, where, n, ModelLimits.HypercomplexFactorWeights(n, inputs, classes),
                            (long)inputs * classes,
                        ModelLimits.HypercomplexAdvice(inputs, classes)));
                }
            }

            private static bool InRange(int inputs, int classes) =>
                inputs >= ModelLimits.MinInputs && inputs <= ModelLimits.MaxInputs && classes >= ModelLimits.MinClasses
                    && classes <= ModelLimits.MaxClasses;

            /// <summary>The base class in this declaration's base list, if this part names it.</summary>
            private static Location? BaseTypeLocation(SemanticModel model, TypeDeclarationSyntax syntax, INamedTypeSymbol? baseType)
            {
                if (syntax.BaseList is null || baseType is null)
                {
                    return null;
                }

                foreach (BaseTypeSyntax b in syntax.BaseList.Types)
                {
                    if (SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(b.Type).Type, baseType))
                    {
                        return b.GetLocation();
                    }
                }

                return null;
            }

            private static IEnumerable<string> NamespaceParts(INamespaceSymbol ns)
            {
                var parts = new Stack<string>();
                for (INamespaceSymbol? n = ns; n is not null && !n.IsGlobalNamespace; n = n.ContainingNamespace)
                {
                    parts.Push(n.Name);
                }

                return parts;
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

            /// <summary>"partial class Outer" / "partial record struct Outer": the declaration header the emitted part repeats.</summary>
            private static string Declaration(TypeDeclarationSyntax decl)
            {
                var sb = new StringBuilder("partial ");
                sb.Append(decl.Keyword.ValueText);
                if (decl is RecordDeclarationSyntax record && record.ClassOrStructKeyword.ValueText.Length > 0)
                {
                    sb.Append(' ').Append(record.ClassOrStructKeyword.ValueText);
                }

                // Text, not ValueText: a keyword used as a name keeps its '@' ("partial class @class"). A lower-case
                // ASCII name gets one too, so CS8981 ("may become reserved") is reported where the user wrote the
                // name, not a second time in the generated file.
                string name = decl.Identifier.Text;
                sb.Append(' ').Append(name.All(c => c >= 'a' && c <= 'z') ? "@" + name : name);
                return sb.ToString();
            }

            private static Location? ArgumentLocation(AttributeSyntax syntax, string name)
            {
                if (syntax.ArgumentList is null)
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
