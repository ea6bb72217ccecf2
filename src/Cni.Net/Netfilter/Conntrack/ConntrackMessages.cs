using System.Buffers.Binary;
using Cni.Net.Netlink;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Conntrack;

/// <summary>
/// Encodes the ctnetlink requests Cni.Net sends (a dump of one family, optionally filtered by the kernel on protocol
/// and original destination port; the deletion of one entry) and decodes the entries of a dump. The tuple layout is
/// the kernel's own: CTA_TUPLE_IP { src, dst } then CTA_TUPLE_PROTO { num (u8), src port, dst port (be16) }.
/// </summary>
internal static class ConntrackMessages
{
    /// <summary>
    /// Writes the body of a dump request (after its nlmsghdr): nfgenmsg and, with a port, a CTA_FILTER. The same body
    /// sent as IPCTNL_MSG_CT_DELETE asks the kernel to flush the matching entries.
    /// </summary>
    public static void WriteDumpBody(ref NetlinkWriter writer, byte family, byte protocol = 0, ushort destinationPort = 0)
    {
        WriteNfGenMsg(ref writer, family);
        if (destinationPort == 0)
        {
            return;
        }
        // The kernel compares only the fields named in CTA_FILTER_ORIG_FLAGS; the tuple carries their values.
        NestedScope tuple = writer.BeginNested(ConntrackLayout.CTA_TUPLE_ORIG);
        NestedScope proto = writer.BeginNested(ConntrackLayout.CTA_TUPLE_PROTO);
        writer.WriteUInt8(ConntrackLayout.CTA_PROTO_NUM, protocol);
        writer.WriteUInt16BigEndian(ConntrackLayout.CTA_PROTO_DST_PORT, destinationPort);
        writer.EndNested(proto);
        writer.EndNested(tuple);
        NestedScope filter = writer.BeginNested(ConntrackLayout.CTA_FILTER);
        writer.WriteUInt32(ConntrackLayout.CTA_FILTER_ORIG_FLAGS, ConntrackLayout.FilterProtoNum | ConntrackLayout.FilterProtoDstPort);
        writer.WriteUInt32(ConntrackLayout.CTA_FILTER_REPLY_FLAGS, 0);
        writer.EndNested(filter);
    }

    /// <summary>
    /// Writes the body of a delete request (after its nlmsghdr): nfgenmsg, the original tuple, the zone when the entry
    /// has one and its id, so that a new flow that reused the tuple meanwhile is not deleted (the kernel answers
    /// ENOENT instead).
    /// </summary>
    public static void WriteDeleteBody(ref NetlinkWriter writer, in ConntrackEntry entry)
    {
        WriteNfGenMsg(ref writer, entry.Family);
        WriteTuple(ref writer, ConntrackLayout.CTA_TUPLE_ORIG, in entry);
        if (entry.HasZone)
        {
            writer.WriteUInt16BigEndian(ConntrackLayout.CTA_ZONE, entry.Zone);
        }
        if (entry.HasId)
        {
            writer.WriteUInt32BigEndian(ConntrackLayout.CTA_ID, entry.Id);
        }
    }

    /// <summary>Writes a complete tuple attribute of <paramref name="type"/> (CTA_TUPLE_ORIG or CTA_TUPLE_REPLY).</summary>
    public static void WriteTuple(ref NetlinkWriter writer, ushort type, in ConntrackEntry entry)
    {
        int length = entry.AddressLength;
        bool v6 = entry.Family == ConntrackLayout.AF_INET6;
        ReadOnlySpan<byte> source = entry.Source;
        ReadOnlySpan<byte> destination = entry.Destination;
        NestedScope tuple = writer.BeginNested(type);
        NestedScope ip = writer.BeginNested(ConntrackLayout.CTA_TUPLE_IP);
        writer.WriteBytes(v6 ? ConntrackLayout.CTA_IP_V6_SRC : ConntrackLayout.CTA_IP_V4_SRC, source[..length]);
        writer.WriteBytes(v6 ? ConntrackLayout.CTA_IP_V6_DST : ConntrackLayout.CTA_IP_V4_DST, destination[..length]);
        writer.EndNested(ip);
        NestedScope proto = writer.BeginNested(ConntrackLayout.CTA_TUPLE_PROTO);
        writer.WriteUInt8(ConntrackLayout.CTA_PROTO_NUM, entry.Protocol);
        if (HasPorts(entry.Protocol))
        {
            writer.WriteUInt16BigEndian(ConntrackLayout.CTA_PROTO_SRC_PORT, entry.SourcePort);
            writer.WriteUInt16BigEndian(ConntrackLayout.CTA_PROTO_DST_PORT, entry.DestinationPort);
        }
        writer.EndNested(proto);
        if (entry.HasTupleZone)
        {
            writer.WriteUInt16BigEndian(ConntrackLayout.CTA_TUPLE_ZONE, entry.TupleZone);
        }
        writer.EndNested(tuple);
    }

    /// <summary>
    /// Decodes one message of a conntrack dump. Returns <see langword="false"/> for messages that are not entries.
    /// </summary>
    /// <exception cref="NetlinkProtocolException">The entry is malformed (no original tuple, a wrong address length).</exception>
    public static bool TryDecode(NetlinkMessage message, out ConntrackEntry entry)
    {
        entry = default;
        if (message.Type != ConntrackLayout.NewMessageType)
        {
            return false;
        }
        NetlinkAttributeEnumerator attributes = message.GetAttributes(ConntrackLayout.NfGenMsgSize);
        entry.Family = message.Payload[0];
        if (entry.Family != ConntrackLayout.AF_INET && entry.Family != ConntrackLayout.AF_INET6)
        {
            return false;
        }
        bool tuple = false;
        foreach (NetlinkAttr attribute in attributes)
        {
            switch (attribute.Type)
            {
                case ConntrackLayout.CTA_TUPLE_ORIG:
                    ReadTuple(attribute, ref entry);
                    tuple = true;
                    break;
                case ConntrackLayout.CTA_ZONE:
                    entry.Zone = attribute.GetUInt16BigEndian();
                    entry.HasZone = true;
                    break;
                case ConntrackLayout.CTA_ID:
                    entry.Id = attribute.GetUInt32BigEndian();
                    entry.HasId = true;
                    break;
            }
        }
        if (!tuple)
        {
            throw new NetlinkProtocolException("conntrack entry without CTA_TUPLE_ORIG");
        }
        return true;
    }

    /// <summary>Whether the kernel's tuple for <paramref name="protocol"/> carries ports (TCP, UDP, DCCP, SCTP, UDP-Lite).</summary>
    public static bool HasPorts(byte protocol) => protocol is 6 or 17 or 33 or 132 or 136;

    private static void ReadTuple(NetlinkAttr tuple, ref ConntrackEntry entry)
    {
        foreach (NetlinkAttr part in tuple.GetNested())
        {
            switch (part.Type)
            {
                case ConntrackLayout.CTA_TUPLE_IP:
                    foreach (NetlinkAttr address in part.GetNested())
                    {
                        switch (address.Type)
                        {
                            case ConntrackLayout.CTA_IP_V4_SRC:
                            case ConntrackLayout.CTA_IP_V6_SRC:
                                ReadAddress(address, entry.AddressLength, entry.Source);
                                break;
                            case ConntrackLayout.CTA_IP_V4_DST:
                            case ConntrackLayout.CTA_IP_V6_DST:
                                ReadAddress(address, entry.AddressLength, entry.Destination);
                                break;
                        }
                    }
                    break;
                case ConntrackLayout.CTA_TUPLE_PROTO:
                    foreach (NetlinkAttr field in part.GetNested())
                    {
                        switch (field.Type)
                        {
                            case ConntrackLayout.CTA_PROTO_NUM:
                                entry.Protocol = field.GetUInt8();
                                break;
                            case ConntrackLayout.CTA_PROTO_SRC_PORT:
                                entry.SourcePort = field.GetUInt16BigEndian();
                                break;
                            case ConntrackLayout.CTA_PROTO_DST_PORT:
                                entry.DestinationPort = field.GetUInt16BigEndian();
                                break;
                        }
                    }
                    break;
                case ConntrackLayout.CTA_TUPLE_ZONE:
                    entry.TupleZone = part.GetUInt16BigEndian();
                    entry.HasTupleZone = true;
                    break;
            }
        }
    }

    private static void ReadAddress(NetlinkAttr attribute, int length, Span<byte> destination)
    {
        if (attribute.Value.Length != length)
        {
            throw new NetlinkProtocolException(
                $"conntrack address attribute {attribute.Type} has {attribute.Value.Length} bytes, the family needs {length}");
        }
        attribute.Value.CopyTo(destination);
    }

    private static void WriteNfGenMsg(ref NetlinkWriter writer, byte family)
    {
        Span<byte> header = stackalloc byte[ConntrackLayout.NfGenMsgSize];
        header[0] = family;
        header[1] = ConntrackLayout.NfNetlinkV0;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], 0); // res_id: the subsystem's resource id, unused here
        writer.WriteRaw(header);
    }
}
