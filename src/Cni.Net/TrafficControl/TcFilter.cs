using System.Buffers.Binary;
using Cni.Net.Netlink;

namespace Cni.Net.TrafficControl;

/// <summary>A classifier and what it does with matching packets. The kinds are the subclasses.</summary>
public abstract record TcFilter
{
    private protected TcFilter()
    {
    }

    /// <summary>The kernel's name for the classifier (TCA_KIND), such as <c>u32</c>.</summary>
    public abstract string Kind { get; }

    internal abstract void WriteOptions(ref NetlinkWriter writer);
}

/// <summary>One 32-bit u32 key: <c>(packet[offset] &amp; mask) == value</c>.</summary>
/// <param name="Value">The value, in the order the packet bytes are read (big-endian).</param>
/// <param name="Mask">The bits compared.</param>
/// <param name="Offset">The byte offset from the network header, a multiple of 4.</param>
public readonly record struct U32Key(uint Value, uint Mask, int Offset);

/// <summary>
/// The u32 classifier with one terminal selector (<see cref="MatchAll"/> is tc's <c>match u32 0 0</c>), an optional
/// class id and an optional mirred action.
/// </summary>
/// <param name="Keys">The keys, all of which must match (1 to 128).</param>
/// <param name="ClassId">The class matching packets go to, if any.</param>
/// <param name="Action">The action for matching packets, if any.</param>
public sealed record U32Filter(IReadOnlyList<U32Key> Keys, TcHandle? ClassId = null, MirredAction? Action = null) : TcFilter
{
    /// <summary>The keys, all of which must match.</summary>
    public IReadOnlyList<U32Key> Keys { get; init; } = Keys is { Count: > 0 and <= 128 }
        ? [.. Keys]
        : throw new ArgumentException("a u32 selector holds 1 to 128 keys", nameof(Keys));

    /// <summary>tc's <c>u32 match u32 0 0</c>: every packet.</summary>
    public static IReadOnlyList<U32Key> MatchAll { get; } = [new U32Key(0, 0, 0)];

    /// <inheritdoc/>
    public override string Kind => "u32";

    internal override void WriteOptions(ref NetlinkWriter writer)
    {
        NestedScope options = writer.BeginNested(TcConstants.TCA_OPTIONS, setNestedFlag: false);
        if (ClassId is TcHandle c)
        {
            writer.WriteUInt32(TcConstants.TCA_U32_CLASSID, c.Value);
        }
        Action?.WriteList(ref writer, TcConstants.TCA_U32_ACT);
        // struct tc_u32_sel (16 bytes) + struct tc_u32_key (16 bytes) per key
        Span<byte> s = writer.ReserveAttribute(TcConstants.TCA_U32_SEL, 16 + (16 * Keys.Count));
        s[0] = TcConstants.TC_U32_TERMINAL;
        s[2] = (byte)Keys.Count;
        for (int i = 0; i < Keys.Count; i++)
        {
            Span<byte> k = s[(16 + (16 * i))..];
            BinaryPrimitives.WriteUInt32BigEndian(k, Keys[i].Mask);
            BinaryPrimitives.WriteUInt32BigEndian(k[4..], Keys[i].Value & Keys[i].Mask);
            BinaryPrimitives.WriteInt32LittleEndian(k[8..], Keys[i].Offset);
        }
        writer.EndNested(options);
    }

    /// <inheritdoc/>
    public bool Equals(U32Filter? other) =>
        other is not null && Keys.SequenceEqual(other.Keys) && ClassId == other.ClassId && Equals(Action, other.Action);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Keys.Count, ClassId, Action);
}

/// <summary>The matchall classifier: every packet, an optional class id and an optional mirred action.</summary>
/// <param name="ClassId">The class packets go to, if any.</param>
/// <param name="Action">The action, if any.</param>
public sealed record MatchallFilter(TcHandle? ClassId = null, MirredAction? Action = null) : TcFilter
{
    /// <inheritdoc/>
    public override string Kind => "matchall";

    internal override void WriteOptions(ref NetlinkWriter writer)
    {
        NestedScope options = writer.BeginNested(TcConstants.TCA_OPTIONS, setNestedFlag: false);
        if (ClassId is TcHandle c)
        {
            writer.WriteUInt32(TcConstants.TCA_MATCHALL_CLASSID, c.Value);
        }
        Action?.WriteList(ref writer, TcConstants.TCA_MATCHALL_ACT);
        writer.EndNested(options);
    }
}
