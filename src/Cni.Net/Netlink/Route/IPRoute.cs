using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Cni.Net.Netlink.Route;

/// <summary>
/// An IPv4 or IPv6 route: what <c>ip route</c> shows, and what it adds or deletes. An instance can be reused for many
/// requests (change <see cref="Destination"/> and send again) without allocating.
/// </summary>
public sealed class IPRoute
{
    /// <summary>The destination network, or <see langword="null"/> for the default route.</summary>
    public IPAddress? Destination { get; set; }

    /// <summary>The destination prefix length (0 for the default route).</summary>
    public int DestinationPrefixLength { get; set; }

    /// <summary>The family; taken from the destination or gateway when <see cref="AddressFamily.Unspecified"/>.</summary>
    public AddressFamily Family
    {
        get => field != AddressFamily.Unspecified ? field
            : Destination?.AddressFamily ?? Gateway?.AddressFamily ?? FirstHopFamily() ?? AddressFamily.InterNetwork;
        set => field = value;
    }

    /// <summary>The gateway, or <see langword="null"/>.</summary>
    public IPAddress? Gateway { get; set; }

    /// <summary>The output link index, or 0.</summary>
    public int DeviceIndex { get; set; }

    /// <summary>Preferred source address (RTA_PREFSRC), or <see langword="null"/>.</summary>
    public IPAddress? PreferredSource { get; set; }

    /// <summary>
    /// The scope, or <see langword="null"/> to choose as <c>ip route</c> does: host for local routes, link for
    /// unicast routes without a gateway, universe otherwise.
    /// </summary>
    public RouteScope? Scope { get; set; }

    /// <summary>The routing table; <see cref="RouteTable.Main"/> by default.</summary>
    public uint Table { get; set; } = RouteTable.Main;

    /// <summary>Who installed the route; <see cref="RouteProtocol.Boot"/> by default, as <c>ip route add</c>.</summary>
    public RouteProtocol Protocol { get; set; } = RouteProtocol.Boot;

    /// <summary>The metric (RTA_PRIORITY), or <see langword="null"/>.</summary>
    public uint? Priority { get; set; }

    /// <summary>The route type; <see cref="RouteType.Unicast"/> by default.</summary>
    public RouteType Type { get; set; } = RouteType.Unicast;

    /// <summary>Path MTU (RTAX_MTU), or <see langword="null"/>.</summary>
    public uint? Mtu { get; set; }

    /// <summary>Advertised TCP MSS (RTAX_ADVMSS), or <see langword="null"/>.</summary>
    public uint? AdvertisedMss { get; set; }

    /// <summary>Treat the gateway as on-link (RTNH_F_ONLINK).</summary>
    public bool OnLink { get; set; }

    /// <summary>Next hops of a multipath route (RTA_MULTIPATH); empty for a single-path route.</summary>
    public IList<NextHop> NextHops { get; } = new List<NextHop>();

    /// <inheritdoc/>
    public override string ToString() =>
        $"{(Destination is null ? "default" : $"{Destination}/{DestinationPrefixLength}")} via {Gateway} dev {DeviceIndex} table {Table}";

    private AddressFamily? FirstHopFamily() => NextHops.Count > 0 ? NextHops[0].Gateway?.AddressFamily : null;

    internal static bool TryDecode(NetlinkMessage message, out IPRoute route)
    {
        if (message.Type != (ushort)RouteMessageType.NewRoute)
        {
            route = null!;
            return false;
        }
        route = Decode(message);
        return true;
    }

    internal static IPRoute Decode(NetlinkMessage message)
    {
        RouteMessage rtm = message.ReadFamilyHeader<RouteMessage>();
        var route = new IPRoute
        {
            DestinationPrefixLength = rtm.DestinationLength,
            Family = rtm.Family == AddressFamilies.AF_INET6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork,
            Scope = (RouteScope)rtm.Scope,
            Table = rtm.Table,
            Protocol = (RouteProtocol)rtm.Protocol,
            Type = (RouteType)rtm.Type,
            OnLink = (rtm.Flags & Rta.RTNH_F_ONLINK) != 0,
        };
        int maxPrefix = rtm.Family == AddressFamilies.AF_INET6 ? 128 : 32;
        if (rtm.DestinationLength > maxPrefix)
        {
            ThrowHelper.ThrowProtocol($"route prefix length {rtm.DestinationLength} exceeds {maxPrefix}");
        }
        foreach (NetlinkAttr a in message.GetAttributes<RouteMessage>())
        {
            switch (a.Type)
            {
                case Rta.RTA_DST:
                    route.Destination = a.GetIPAddress();
                    break;
                case Rta.RTA_GATEWAY:
                    route.Gateway = a.GetIPAddress();
                    break;
                case Rta.RTA_OIF:
                    route.DeviceIndex = a.GetInt32();
                    break;
                case Rta.RTA_PREFSRC:
                    route.PreferredSource = a.GetIPAddress();
                    break;
                case Rta.RTA_PRIORITY:
                    route.Priority = a.GetUInt32();
                    break;
                case Rta.RTA_TABLE:
                    route.Table = a.GetUInt32();
                    break;
                case Rta.RTA_METRICS:
                    foreach (NetlinkAttr m in a.GetNested())
                    {
                        if (m.Type == Rta.RTAX_MTU)
                        {
                            route.Mtu = m.GetUInt32();
                        }
                        else if (m.Type == Rta.RTAX_ADVMSS)
                        {
                            route.AdvertisedMss = m.GetUInt32();
                        }
                    }
                    break;
                case Rta.RTA_MULTIPATH:
                    DecodeNextHops(a.Value, route.NextHops);
                    break;
            }
        }
        return route;
    }

    private static void DecodeNextHops(ReadOnlySpan<byte> data, IList<NextHop> hops)
    {
        while (data.Length >= Rta.RtNextHopSize)
        {
            ushort length = MemoryMarshal.Read<ushort>(data);
            if (length < Rta.RtNextHopSize || length > data.Length)
            {
                ThrowHelper.ThrowProtocol($"rtnexthop length {length} is outside {Rta.RtNextHopSize}..{data.Length}");
            }
            var hop = new NextHop
            {
                OnLink = (data[2] & Rta.RTNH_F_ONLINK) != 0,
                Weight = data[3] + 1,
                DeviceIndex = MemoryMarshal.Read<int>(data[4..]),
            };
            foreach (NetlinkAttr a in new NetlinkAttributeEnumerator(data[Rta.RtNextHopSize..length]))
            {
                if (a.Type == Rta.RTA_GATEWAY)
                {
                    hop.Gateway = a.GetIPAddress();
                }
            }
            hops.Add(hop);
            int advance = Math.Min((length + 3) & ~3, data.Length);
            data = data[advance..];
        }
    }
}
