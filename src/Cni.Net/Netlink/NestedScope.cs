namespace Cni.Net.Netlink;

/// <summary>
/// Token returned by <see cref="NetlinkWriter.BeginNested(ushort)"/>: where the nested attribute's header sits, so
/// that <see cref="NetlinkWriter.EndNested(NestedScope)"/> can write its final length.
/// </summary>
public readonly struct NestedScope : IEquatable<NestedScope>
{
    internal NestedScope(int offset) => Offset = offset + 1;

    // Stored plus one so that default(NestedScope) is recognisably not a token from BeginNested.
    internal int Offset { get; }

    /// <inheritdoc/>
    public bool Equals(NestedScope other) => Offset == other.Offset;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is NestedScope other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Offset;

    /// <summary>Compares two tokens.</summary>
    public static bool operator ==(NestedScope left, NestedScope right) => left.Equals(right);

    /// <summary>Compares two tokens.</summary>
    public static bool operator !=(NestedScope left, NestedScope right) => !left.Equals(right);
}
