namespace Cni.Net.Netlink;

/// <summary>
/// Token returned by <see cref="NetlinkWriter.BeginNested(ushort)"/>: where the nested attribute's header sits, so
/// that <see cref="NetlinkWriter.EndNested(NestedScope)"/> can write its final length, and which nested attribute
/// encloses it, so that the writer knows the innermost open one again once this one ends.
/// </summary>
public readonly struct NestedScope : IEquatable<NestedScope>
{
    internal NestedScope(int offset, int parent)
    {
        Offset = offset + 1;
        Parent = parent;
    }

    // Stored plus one so that default(NestedScope) is recognisably not a token from BeginNested.
    internal int Offset { get; }

    // The enclosing nested attribute's Offset (plus one, as stored); 0 at the top level.
    internal int Parent { get; }

    /// <inheritdoc/>
    public bool Equals(NestedScope other) => Offset == other.Offset && Parent == other.Parent;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is NestedScope other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Offset, Parent);

    /// <summary>Compares two tokens.</summary>
    public static bool operator ==(NestedScope left, NestedScope right) => left.Equals(right);

    /// <summary>Compares two tokens.</summary>
    public static bool operator !=(NestedScope left, NestedScope right) => !left.Equals(right);
}
