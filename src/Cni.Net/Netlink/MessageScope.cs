namespace Cni.Net.Netlink;

/// <summary>
/// Token returned by <see cref="NetlinkWriter.BeginMessage"/>: where the message header sits, so that
/// <see cref="NetlinkWriter.EndMessage(MessageScope)"/> can write <c>nlmsg_len</c>.
/// </summary>
public readonly struct MessageScope : IEquatable<MessageScope>
{
    internal MessageScope(int offset) => Offset = offset + 1;

    // Stored plus one so that default(MessageScope) is recognisably not a token from BeginMessage.
    internal int Offset { get; }

    /// <inheritdoc/>
    public bool Equals(MessageScope other) => Offset == other.Offset;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is MessageScope other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Offset;

    /// <summary>Compares two tokens.</summary>
    public static bool operator ==(MessageScope left, MessageScope right) => left.Equals(right);

    /// <summary>Compares two tokens.</summary>
    public static bool operator !=(MessageScope left, MessageScope right) => !left.Equals(right);
}
