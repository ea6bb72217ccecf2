using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Netlink.Route;

/// <summary>
/// A policy routing rule (<c>ip rule</c>): packets matching the selector look up <see cref="Table"/>. The header is
/// <c>struct fib_rule_hdr</c>, laid out as <c>rtmsg</c> (family, dst_len, src_len, tos, table, two reserved bytes,
/// action, flags); the selector and table travel as FRA_* attributes.
/// </summary>
public sealed class RoutingRule
{
    private const byte FrActToTable = 1;
    private const ushort FraDst = 1;
    private const ushort FraSrc = 2;
    private const ushort FraPriority = 6;
    private const ushort FraTable = 15;

    /// <summary>The family (IPv4 or IPv6).</summary>
    public AddressFamily Family { get; set; } = AddressFamily.InterNetwork;

    /// <summary>The source prefix matched (<c>from</c>), or null for any.</summary>
    public IPAddress? Source { get; set; }

    /// <summary>The source prefix length.</summary>
    public int SourcePrefixLength { get; set; }

    /// <summary>The destination prefix matched (<c>to</c>), or null for any.</summary>
    public IPAddress? Destination { get; set; }

    /// <summary>The destination prefix length.</summary>
    public int DestinationPrefixLength { get; set; }

    /// <summary>The table looked up.</summary>
    public uint Table { get; set; }

    /// <summary>The rule's priority (<c>pref</c>), or null to let the kernel choose.</summary>
    public uint? Priority { get; set; }

    /// <summary>The action: 1 (FR_ACT_TO_TBL) for a table lookup, the only one written.</summary>
    public byte Action { get; private set; } = FrActToTable;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{(Priority is uint p ? p + ": " : "")}from {(Source is null ? "all" : $"{Source}/{SourcePrefixLength}")} lookup {Table}";

    internal static void Encode(ref NetlinkWriter w, RoutingRule rule)
    {
        if (rule.Family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException("a rule is IPv4 or IPv6", nameof(rule));
        }
        int max = rule.Family == AddressFamily.InterNetworkV6 ? 128 : 32;
        foreach (IPAddress? a in (IPAddress?[])[rule.Source, rule.Destination])
        {
            if (a is not null && a.AddressFamily != rule.Family)
            {
                throw new ArgumentException("the rule's addresses must be of its family", nameof(rule));
            }
        }
        if ((uint)rule.SourcePrefixLength > (uint)max || (uint)rule.DestinationPrefixLength > (uint)max)
        {
            throw new ArgumentException($"prefix lengths are 0–{max}", nameof(rule));
        }
        var header = new RouteMessage
        {
            Family = RouteNetlink.ToKernelFamily(rule.Family),
            DestinationLength = (byte)(rule.Destination is null ? 0 : rule.DestinationPrefixLength),
            SourceLength = (byte)(rule.Source is null ? 0 : rule.SourcePrefixLength),
            Table = rule.Table < 256 ? (byte)rule.Table : (byte)0,
            Type = rule.Action,
        };
        w.WriteFamilyHeader(in header);
        if (rule.Source is not null)
        {
            w.WriteIPAddress(FraSrc, rule.Source);
        }
        if (rule.Destination is not null)
        {
            w.WriteIPAddress(FraDst, rule.Destination);
        }
        w.WriteUInt32(FraTable, rule.Table);
        if (rule.Priority is uint priority)
        {
            w.WriteUInt32(FraPriority, priority);
        }
    }

    internal static bool TryDecode(NetlinkMessage message, out RoutingRule rule)
    {
        if (message.Type != (ushort)RouteMessageType.NewRule)
        {
            rule = null!;
            return false;
        }
        RouteMessage header = message.ReadFamilyHeader<RouteMessage>();
        int max = header.Family == AddressFamilies.AF_INET6 ? 128 : 32;
        if (header.SourceLength > max || header.DestinationLength > max)
        {
            ThrowHelper.ThrowProtocol($"rule prefix length exceeds {max}");
        }
        rule = new RoutingRule
        {
            Family = header.Family == AddressFamilies.AF_INET6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork,
            SourcePrefixLength = header.SourceLength,
            DestinationPrefixLength = header.DestinationLength,
            Table = header.Table,
            Action = header.Type,
        };
        foreach (NetlinkAttr a in message.GetAttributes<RouteMessage>())
        {
            switch (a.Type)
            {
                case FraSrc:
                    rule.Source = a.GetIPAddress();
                    break;
                case FraDst:
                    rule.Destination = a.GetIPAddress();
                    break;
                case FraTable:
                    rule.Table = a.GetUInt32();
                    break;
                case FraPriority:
                    rule.Priority = a.GetUInt32();
                    break;
            }
        }
        return true;
    }
}
