using System.Buffers.Binary;

namespace Cni.Net.TrafficControl;

/// <summary>A classifier and what it does with matching packets.</summary>
internal abstract record TcFilter
{
    public abstract string Kind { get; }

    internal abstract void WriteOptions(ref TcMessageWriter writer);
}

/// <summary>One 32-bit u32 key: <c>(packet[offset] &amp; mask) == value</c>, big-endian on the wire.</summary>
internal readonly record struct U32Key(uint Value, uint Mask, int Offset);

/// <summary>
/// The u32 classifier with one terminal selector (no keys or <c>match u32 0 0</c> matches everything), an optional
/// class id and an optional mirred action.
/// </summary>
internal sealed record U32Filter(IReadOnlyList<U32Key> Keys, TcHandle? ClassId = null, MirredAction? Action = null) : TcFilter
{
    /// <summary>tc's <c>u32 match u32 0 0</c>.</summary>
    public static IReadOnlyList<U32Key> MatchAll { get; } = [new U32Key(0, 0, 0)];

    public override string Kind => "u32";

    internal override void WriteOptions(ref TcMessageWriter writer)
    {
        int options = writer.BeginNested(TcConstants.TCA_OPTIONS);
        if (ClassId is TcHandle c)
        {
            writer.WriteUInt32(TcConstants.TCA_U32_CLASSID, c.Value);
        }
        Action?.WriteList(ref writer, TcConstants.TCA_U32_ACT);
        // struct tc_u32_sel (16 bytes) + struct tc_u32_key (16 bytes) per key
        Span<byte> s = writer.ReserveAttribute(TcConstants.TCA_U32_SEL, 16 + (16 * Keys.Count));
        s.Clear();
        s[0] = TcConstants.TC_U32_TERMINAL;
        s[2] = checked((byte)Keys.Count);
        for (int i = 0; i < Keys.Count; i++)
        {
            Span<byte> k = s[(16 + (16 * i))..];
            BinaryPrimitives.WriteUInt32BigEndian(k, Keys[i].Mask);
            BinaryPrimitives.WriteUInt32BigEndian(k[4..], Keys[i].Value & Keys[i].Mask);
            BinaryPrimitives.WriteInt32LittleEndian(k[8..], Keys[i].Offset);
        }
        writer.EndNested(options);
    }
}

/// <summary>The matchall classifier: every packet, an optional class id and an optional mirred action.</summary>
internal sealed record MatchallFilter(TcHandle? ClassId = null, MirredAction? Action = null) : TcFilter
{
    public override string Kind => "matchall";

    internal override void WriteOptions(ref TcMessageWriter writer)
    {
        int options = writer.BeginNested(TcConstants.TCA_OPTIONS);
        if (ClassId is TcHandle c)
        {
            writer.WriteUInt32(TcConstants.TCA_MATCHALL_CLASSID, c.Value);
        }
        Action?.WriteList(ref writer, TcConstants.TCA_MATCHALL_ACT);
        writer.EndNested(options);
    }
}
