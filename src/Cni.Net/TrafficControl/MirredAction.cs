using System.Buffers.Binary;
using Cni.Net.Netlink;

namespace Cni.Net.TrafficControl;

/// <summary>What a mirred action does with a packet.</summary>
public enum MirredKind
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

/// <summary>The mirred action: send the packet (or a copy) to another device.</summary>
/// <param name="Kind">Redirect or mirror, to egress or ingress.</param>
/// <param name="TargetIfIndex">The device's index.</param>
public sealed record MirredAction(MirredKind Kind, int TargetIfIndex)
{
    /// <summary>Writes the action list (the TCA_*_ACT attribute): this one action, as action 1.</summary>
    internal void WriteList(ref NetlinkWriter writer, ushort listType)
    {
        NestedScope list = writer.BeginNested(listType, setNestedFlag: false);
        NestedScope action = writer.BeginNested(1, setNestedFlag: false);
        writer.WriteString(TcConstants.TCA_ACT_KIND, "mirred");
        NestedScope options = writer.BeginNested(TcConstants.TCA_ACT_OPTIONS, setNestedFlag: true);
        // struct tc_mirred { tc_gen (index, capab, action, refcnt, bindcnt); int eaction; u32 ifindex; }
        Span<byte> m = writer.ReserveAttribute(TcConstants.TCA_MIRRED_PARMS, 28);
        bool redirect = Kind is MirredKind.EgressRedirect or MirredKind.IngressRedirect;
        BinaryPrimitives.WriteInt32LittleEndian(m[8..], redirect ? TcConstants.TC_ACT_STOLEN : TcConstants.TC_ACT_PIPE);
        BinaryPrimitives.WriteInt32LittleEndian(m[20..], (int)Kind);
        BinaryPrimitives.WriteInt32LittleEndian(m[24..], TargetIfIndex);
        writer.EndNested(options);
        writer.EndNested(action);
        writer.EndNested(list);
    }

    /// <summary>Reads the first mirred action of an action list; null when there is none.</summary>
    internal static MirredAction? ReadList(ReadOnlySpan<byte> list)
    {
        foreach (NetlinkAttr action in new NetlinkAttributeEnumerator(list))
        {
            bool isMirred = false;
            MirredAction? found = null;
            foreach (NetlinkAttr a in action.GetNested())
            {
                if (a.Type == TcConstants.TCA_ACT_KIND)
                {
                    isMirred = a.StringEquals("mirred"u8);
                }
                else if (a.Type == TcConstants.TCA_ACT_OPTIONS)
                {
                    foreach (NetlinkAttr o in a.GetNested())
                    {
                        if (o.Type == TcConstants.TCA_MIRRED_PARMS && o.Value.Length >= 28)
                        {
                            found = new MirredAction((MirredKind)BinaryPrimitives.ReadInt32LittleEndian(o.Value[20..]),
                                BinaryPrimitives.ReadInt32LittleEndian(o.Value[24..]));
                        }
                    }
                }
            }
            if (isMirred && found is not null)
            {
                return found;
            }
        }
        return null;
    }
}
