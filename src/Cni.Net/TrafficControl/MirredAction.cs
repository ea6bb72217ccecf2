using System.Buffers.Binary;

namespace Cni.Net.TrafficControl;

/// <summary>What a mirred action does with a packet.</summary>
internal enum MirredKind
{
    /// <summary>Redirect to the device's egress (the packet is stolen).</summary>
    EgressRedirect = 1,

    /// <summary>Copy to the device's egress (the packet continues).</summary>
    EgressMirror = 2,

    /// <summary>Redirect to the device's ingress.</summary>
    IngressRedirect = 3,

    /// <summary>Copy to the device's ingress.</summary>
    IngressMirror = 4,
}

/// <summary>The mirred action: send (a copy of) the packet to another device.</summary>
/// <param name="Kind">Redirect or mirror, to egress or ingress.</param>
/// <param name="TargetIfIndex">The device.</param>
internal sealed record MirredAction(MirredKind Kind, int TargetIfIndex)
{
    /// <summary>Writes the action list (TCA_*_ACT payload): this one action, as action 1.</summary>
    internal void WriteList(ref TcMessageWriter writer, ushort listType)
    {
        int list = writer.BeginNested(listType);
        int action = writer.BeginNested(1);
        writer.WriteString(TcConstants.TCA_ACT_KIND, "mirred");
        int options = writer.BeginNested(TcConstants.TCA_ACT_OPTIONS | TcConstants.NLA_F_NESTED);
        // struct tc_mirred { tc_gen (index, capab, action, refcnt, bindcnt); int eaction; u32 ifindex; }
        Span<byte> m = writer.ReserveAttribute(TcConstants.TCA_MIRRED_PARMS, 28);
        m.Clear();
        bool redirect = Kind is MirredKind.EgressRedirect or MirredKind.IngressRedirect;
        BinaryPrimitives.WriteInt32LittleEndian(m[8..], redirect ? TcConstants.TC_ACT_STOLEN : TcConstants.TC_ACT_PIPE);
        BinaryPrimitives.WriteInt32LittleEndian(m[20..], (int)Kind);
        BinaryPrimitives.WriteInt32LittleEndian(m[24..], TargetIfIndex);
        writer.EndNested(options);
        writer.EndNested(action);
        writer.EndNested(list);
    }
}
