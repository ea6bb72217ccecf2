using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Cni.Net.Netlink.Route;

public sealed partial class RouteNetlink
{
    /// <summary>Adds the route; fails with EEXIST when an identical one exists. Allocation-free for a reused route.</summary>
    /// <exception cref="ArgumentException">The route is inconsistent (mixed families, bad prefix length).</exception>
    /// <exception cref="NetlinkException">The kernel refused (EEXIST, ENETUNREACH for an unreachable gateway …).</exception>
    public void AddRoute(IPRoute route)
    {
        NetlinkWriter w = BeginRoute(RouteMessageType.NewRoute, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl, route);
        Socket.ExecuteOn(ref w, "add route", NetlinkSubject.Of(route));
    }

    /// <summary>Adds the route unless it exists; <see langword="false"/> when it existed (EEXIST).</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryAddRoute(IPRoute route)
    {
        NetlinkWriter w = BeginRoute(RouteMessageType.NewRoute, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl, route);
        return Socket.TryExecuteOn(ref w, "add route", ExistsErrors, NetlinkSubject.Of(route)) == 0;
    }

    /// <summary>Adds the route or replaces the one with the same key (<c>ip route replace</c>).</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void ReplaceRoute(IPRoute route)
    {
        NetlinkWriter w = BeginRoute(RouteMessageType.NewRoute, NetlinkMessageFlags.Create | NetlinkMessageFlags.Replace, route);
        Socket.ExecuteOn(ref w, "replace route", NetlinkSubject.Of(route));
    }

    /// <summary>Appends the route after existing ones with the same key (<c>ip route append</c>).</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void AppendRoute(IPRoute route)
    {
        NetlinkWriter w = BeginRoute(RouteMessageType.NewRoute, NetlinkMessageFlags.Create | NetlinkMessageFlags.Append, route);
        Socket.ExecuteOn(ref w, "append route", NetlinkSubject.Of(route));
    }

    /// <summary>Deletes the route. Allocation-free for a reused route.</summary>
    /// <exception cref="NetlinkException">The kernel refused (ESRCH when there is no such route).</exception>
    public void DeleteRoute(IPRoute route)
    {
        NetlinkWriter w = BeginRoute(RouteMessageType.DeleteRoute, NetlinkMessageFlags.None, route);
        Socket.ExecuteOn(ref w, "delete route", NetlinkSubject.Of(route));
    }

    /// <summary>Deletes the route; <see langword="false"/> when it did not exist.</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryDeleteRoute(IPRoute route)
    {
        NetlinkWriter w = BeginRoute(RouteMessageType.DeleteRoute, NetlinkMessageFlags.None, route);
        return Socket.TryExecuteOn(ref w, "delete route", GoneErrors, NetlinkSubject.Of(route)) == 0;
    }

    /// <summary>Lists routes of a family, optionally of one table only (every table when <see cref="RouteTable.Unspecified"/>).</summary>
    /// <exception cref="NetlinkException">The dump failed.</exception>
    public List<IPRoute> ListRoutes(AddressFamily family, uint table = RouteTable.Main)
    {
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.GetRoute, NetlinkMessageFlags.Dump);
        var rtm = new RouteMessage { Family = ToKernelFamily(family), Table = table < 256 ? (byte)table : (byte)0 };
        w.WriteFamilyHeader(in rtm);
        if (table != RouteTable.Unspecified && Socket.StrictChecking)
        {
            w.WriteUInt32(Rta.RTA_TABLE, table);
        }
        List<IPRoute> routes = Socket.Dump<IPRoute>(ref w, "list routes", IPRoute.TryDecode);
        if (table != RouteTable.Unspecified)
        {
            routes.RemoveAll(r => r.Table != table);
        }
        return routes;
    }

    /// <summary>Asks the kernel which route it would use to reach <paramref name="destination"/> (<c>ip route get</c>).</summary>
    /// <exception cref="NetlinkException">No route (ENETUNREACH) or another refusal.</exception>
    public IPRoute GetRoute(IPAddress destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.GetRoute, NetlinkMessageFlags.None);
        var rtm = new RouteMessage
        {
            Family = FamilyOf(destination),
            DestinationLength = (byte)(destination.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32),
            Flags = Rta.RTM_F_LOOKUP_TABLE,
        };
        w.WriteFamilyHeader(in rtm);
        w.WriteIPAddress(Rta.RTA_DST, destination);
        return Single(Socket.DumpOn<IPRoute>(ref w, "get route", IPRoute.TryDecode, NetlinkSubject.Of(destination)));
    }

    private NetlinkWriter BeginRoute(RouteMessageType type, NetlinkMessageFlags flags, IPRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        NetlinkWriter w = Socket.BeginRequest((ushort)type, flags);
        EncodeRoute(ref w, route, type == RouteMessageType.DeleteRoute);
        return w;
    }

    /// <summary>The body of RTM_NEWROUTE/RTM_DELROUTE (after the message header).</summary>
    internal static void EncodeRoute(ref NetlinkWriter w, IPRoute route, bool delete)
    {
        AddressFamily family = route.Family;
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException("a route is IPv4 or IPv6", nameof(route));
        }
        int maxPrefix = family == AddressFamily.InterNetworkV6 ? 128 : 32;
        if ((uint)route.DestinationPrefixLength > (uint)maxPrefix)
        {
            throw new ArgumentException($"the destination prefix length must be 0–{maxPrefix}", nameof(route));
        }
        CheckFamily(route.Destination, family);
        CheckFamily(route.Gateway, family);
        CheckFamily(route.PreferredSource, family);
        RouteScope scope = route.Scope ?? DefaultScope(route, delete);
        var rtm = new RouteMessage
        {
            Family = family == AddressFamily.InterNetworkV6 ? AddressFamilies.AF_INET6 : AddressFamilies.AF_INET,
            DestinationLength = (byte)route.DestinationPrefixLength,
            Table = route.Table < 256 ? (byte)route.Table : Rta.RT_TABLE_UNSPEC,
            Protocol = delete && route.Protocol == RouteProtocol.Boot ? Rta.RTPROT_UNSPEC : (byte)route.Protocol,
            Scope = (byte)scope,
            Type = (byte)route.Type,
            Flags = route.OnLink ? Rta.RTNH_F_ONLINK : 0u,
        };
        w.WriteFamilyHeader(in rtm);
        if (route.Table >= 256)
        {
            w.WriteUInt32(Rta.RTA_TABLE, route.Table);
        }
        if (route.Destination is not null)
        {
            w.WriteIPAddress(Rta.RTA_DST, route.Destination);
        }
        if (route.Gateway is not null)
        {
            w.WriteIPAddress(Rta.RTA_GATEWAY, route.Gateway);
        }
        if (route.DeviceIndex != 0)
        {
            w.WriteUInt32(Rta.RTA_OIF, (uint)route.DeviceIndex);
        }
        if (route.PreferredSource is not null)
        {
            w.WriteIPAddress(Rta.RTA_PREFSRC, route.PreferredSource);
        }
        if (route.Priority is uint priority)
        {
            w.WriteUInt32(Rta.RTA_PRIORITY, priority);
        }
        if (route.Mtu.HasValue || route.AdvertisedMss.HasValue)
        {
            NestedScope metrics = w.BeginNested(Rta.RTA_METRICS);
            if (route.Mtu is uint mtu)
            {
                w.WriteUInt32(Rta.RTAX_MTU, mtu);
            }
            if (route.AdvertisedMss is uint mss)
            {
                w.WriteUInt32(Rta.RTAX_ADVMSS, mss);
            }
            w.EndNested(metrics);
        }
        if (route.NextHops.Count > 0)
        {
            WriteNextHops(ref w, route.NextHops, family);
        }
    }

    private static void WriteNextHops(ref NetlinkWriter w, IList<NextHop> hops, AddressFamily family)
    {
        // RTA_MULTIPATH is not a nest of attributes but a run of rtnexthop headers, each followed by attributes.
        NestedScope multipath = w.BeginNested(Rta.RTA_MULTIPATH, setNestedFlag: false);
        Span<byte> header = stackalloc byte[Rta.RtNextHopSize];
        for (int i = 0; i < hops.Count; i++)
        {
            NextHop hop = hops[i];
            CheckFamily(hop.Gateway, family);
            int start = w.BytesWritten;
            header.Clear();
            header[2] = hop.OnLink ? Rta.RTNH_F_ONLINK : (byte)0;
            header[3] = (byte)(hop.Weight - 1);
            int ifindex = hop.DeviceIndex;
            MemoryMarshal.Write(header[4..], in ifindex);
            w.WriteRaw(header);
            if (hop.Gateway is not null)
            {
                w.WriteIPAddress(Rta.RTA_GATEWAY, hop.Gateway);
            }
            ushort length = (ushort)(w.BytesWritten - start);
            w.PatchUInt16(start, length);
        }
        w.EndNested(multipath);
    }

    private static void CheckFamily(IPAddress? address, AddressFamily family)
    {
        if (address is not null && address.AddressFamily != family)
        {
            throw new ArgumentException($"{address} is not of the route's family {family}", nameof(address));
        }
    }

    private static RouteScope DefaultScope(IPRoute route, bool delete)
    {
        if (delete)
        {
            return RouteScope.Nowhere; // RT_SCOPE_NOWHERE in a delete matches any scope, as ip route del sends
        }
        return route.Type switch
        {
            RouteType.Local => RouteScope.Host,
            RouteType.Broadcast or RouteType.Multicast or RouteType.Anycast => RouteScope.Link,
            RouteType.Unicast or RouteType.Unspecified when route.Gateway is null && route.NextHops.Count == 0 => RouteScope.Link,
            _ => RouteScope.Universe,
        };
    }
}
