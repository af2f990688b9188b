namespace GenSoftmax.Generator.Model
{
    /// <summary>
    /// Everything the emitter needs and nothing it does not. Value equality is what lets Roslyn skip emission,
    /// so only strings, numbers and <see cref="EquatableArray{T}"/> live here: never symbols, syntax or locations.
    /// </summary>
    internal sealed record ModelSpec(
        string? Namespace,                      // null: global namespace
        EquatableArray<string> ContainingTypes, // "partial class Outer", "partial record struct Inner", outermost first
        string TypeDeclaration,                 // "partial class FashionClassifier": modifiers stay on the user's part
        string TypeName,                        // "FashionClassifier"
        string FullName,                        // "Contoso.Ml.Outer.FashionClassifier", for comments
        string HintName,                        // "Contoso.Ml.Outer.FashionClassifier.g.cs": unique, stable
        int Inputs,
        int Classes,
        int Hypercomplex = 0,                   // factors n of W = Σ A_i ⊗ S_i; 0: the dense layer
        bool DeclaresToString = false);         // the user's class (or a base) has its own ToString(): none is generated
}
