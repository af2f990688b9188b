using System;
using System.Collections.Generic;
using System.Linq;
using GenSoftmax.Generator.Emit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace GenSoftmax.Generator.Tests
{
    /// <summary>
    /// The generator's table of variants, <see cref="IsaProfile.All"/>, against what it emits: every variant gets a kernel
    /// namespace and an arm in every switch of every dispatch method, the fallback is each switch's default, and every
    /// variant is a member of the runtime's <see cref="KernelIsa"/>. A row added to the table and forgotten anywhere fails here.
    /// </summary>
    public sealed class DispatchTests
    {
        private static readonly string[] DispatchMethods = { "Logits", "Gradient", "Softmax", "LossRows" };

        [Fact]
        public void Every_variant_has_a_KernelIsa_member_and_the_fallback_is_the_last_preferred()
        {
            Assert.Equal(Enum.GetNames<KernelIsa>().Order(), IsaProfile.All.Select(p => p.Name).Order());
            Assert.Equal(IsaSelection.Preference.Select(i => i.ToString()), IsaProfile.All.Select(p => p.Name));
            Assert.Same(IsaProfile.All[^1], IsaProfile.Fallback);
            Assert.Equal(KernelIsa.Portable.ToString(), IsaProfile.Fallback.Name);
        }

        [Theory]
        [InlineData(16, 3)]
        [InlineData(17, 10)]
        public void Every_switch_of_every_dispatch_method_calls_every_variant(int inputs, int classes)
        {
            CompilationUnitSyntax root = GeneratedRoot(inputs, classes);

            string[] kernelNamespaces = root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>()
                .Select(n => n.Name.ToString()).Where(n => n.StartsWith("GenSoftmax.Generated.", StringComparison.Ordinal)).ToArray();
            Assert.Equal(IsaProfile.All.Select(p => "GenSoftmax.Generated." + p.Name), kernelNamespaces);

            ClassDeclarationSyntax dispatch = root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>()
                .Single(n => n.Name.ToString() == "GenSoftmax.Generated").Members.OfType<ClassDeclarationSyntax>().Single();
            Assert.Equal(DispatchMethods, dispatch.Members.OfType<MethodDeclarationSyntax>().Select(m => m.Identifier.Text));

            string[] named = IsaProfile.All.Where(p => p != IsaProfile.Fallback).Select(p => p.Name).ToArray();
            foreach (MethodDeclarationSyntax method in dispatch.Members.OfType<MethodDeclarationSyntax>())
            {
                List<(string? Label, string Call)>[] switches = Switches(method);
                Assert.True(switches.Length > 0, $"{method.Identifier.Text} has no switch on the variant");
                foreach (List<(string? Label, string Call)> arms in switches)
                {
                    // One arm per variant but the fallback, which is the default: a value no arm names still runs.
                    Assert.Equal(named.Select(n => "KernelIsa." + n), arms.Where(a => a.Label is not null).Select(a => a.Label));
                    Assert.Equal(IsaProfile.Fallback.Name + ".ModelKernels", Assert.Single(arms, a => a.Label is null).Call);
                    Assert.All(
                        arms.Where(a => a.Label is not null),
                        a => Assert.Equal(a.Label!.Replace("KernelIsa.", "", StringComparison.Ordinal) + ".ModelKernels", a.Call));
                }
            }
        }

        private static CompilationUnitSyntax GeneratedRoot(int inputs, int classes)
        {
            string source = $$"""
                using GenSoftmax;

                namespace Contoso.Models;

                [SoftmaxModel(Inputs = {{inputs}}, Classes = {{classes}})]
                public sealed partial class M{{inputs}}x{{classes}};
                """;
            var (driver, output, diagnostics) = Harness.Run(source);
            Assert.Empty(Harness.Problems(output, diagnostics));
            string text = Assert.Single(Harness.Generated(driver).Values);
            return (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(text, Harness.ParseOptions).GetRoot();
        }

        /// <summary>
        /// Each switch on <c>isa</c> in <paramref name="method"/> (statements and expressions), as its arms: the label
        /// (<c>KernelIsa.X</c>, null for the default) and the class whose kernel the arm calls (<c>X.ModelKernels</c>).
        /// </summary>
        private static List<(string? Label, string Call)>[] Switches(MethodDeclarationSyntax method)
        {
            var result = new List<List<(string?, string)>>();
            foreach (SyntaxNode node in method.DescendantNodes())
            {
                if (node is SwitchStatementSyntax { Expression: IdentifierNameSyntax { Identifier.Text: "isa" } } statement)
                {
                    result.Add(statement.Sections.Select(s => (
                        s.Labels.OfType<CaseSwitchLabelSyntax>().SingleOrDefault()?.Value.ToString(),
                        Callee(s.Statements.OfType<ExpressionStatementSyntax>().First().Expression))).ToList());
                }
                else if (node is SwitchExpressionSyntax { GoverningExpression: IdentifierNameSyntax { Identifier.Text: "isa" } } expression)
                {
                    result.Add(expression.Arms.Select(a => (
                        a.Pattern is DiscardPatternSyntax ? null : a.Pattern.ToString(),
                        Callee(a.Expression))).ToList());
                }
            }

            return result.ToArray();
        }

        private static string Callee(ExpressionSyntax call) =>
            ((MemberAccessExpressionSyntax)((InvocationExpressionSyntax)call).Expression).Expression.ToString();
    }
}
