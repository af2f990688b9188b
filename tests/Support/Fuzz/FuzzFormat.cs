using System;
using CsCheck;

namespace GenSoftmax.Fuzz
{
    /// <summary>One format under fuzzing: its valid file, the mutations of it, how to load one and what a load must give.</summary>
    /// <param name="Name">The format's name in reports.</param>
    /// <param name="FileName">The file each mutated case is written to (errors must name it).</param>
    /// <param name="Valid">The valid file every mutation starts from.</param>
    /// <param name="Mutations">The mutations.</param>
    /// <param name="Documented">The exception type the reader documents for bad input.</param>
    /// <param name="Load">Reads the file at the path.</param>
    /// <param name="CheckLoaded">Checks what a case that loaded gave (the bytes, the mutation, the loaded value).</param>
    /// <param name="AllocationBound">The most a case may allocate for the given bytes.</param>
    internal sealed record FuzzFormat(
        string Name,
        string FileName,
        byte[] Valid,
        Gen<Mutation> Mutations,
        Type Documented,
        Func<string, object> Load,
        Action<byte[], Mutation, object> CheckLoaded,
        Func<byte[], long> AllocationBound)
    {
        /// <summary>A file written once beside the cases (a .npy features file's labels), which errors may name instead.</summary>
        public (string Name, byte[] Bytes)? Companion { get; init; }

        /// <summary>Checks what a case that was refused was refused for (the bytes, the documented exception), or null.</summary>
        public Action<byte[], Exception>? CheckRejected { get; init; }
    }
}
