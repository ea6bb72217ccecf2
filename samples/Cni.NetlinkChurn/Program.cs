using System.Diagnostics;
using System.Globalization;
using System.Net;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.NetlinkChurn;

/// <summary>
/// Netlink churn driver: performs one operation N times in the current network namespace and prints
/// <c>inner_ns=&lt;nanoseconds of the operation loop&gt;</c>. Exits non-zero on the first error.
/// </summary>
/// <remarks>
/// Usage: <c>cni-netlink-churn OP N [--batch]</c>; OP is veth-add (pairs bpa&lt;i&gt;/bpb&lt;i&gt;), veth-del
/// (deletes bpa&lt;i&gt;), addr-add / addr-del (10.64.0.0+i+1/32 on the existing link bpbr0), route-add / route-del
/// (10.128.0.0+i+1/32 via 10.0.0.2 dev bpbr0, main table). <c>--batch</c> pipelines up to 256 requests per sendto.
/// </remarks>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 2 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 0)
        {
            Console.Error.WriteLine("usage: cni-netlink-churn veth-add|veth-del|addr-add|addr-del|route-add|route-del N [--batch]");
            return 2;
        }
        string op = args[0];
        bool batch = args.Length > 2 && args[2] == "--batch";
        try
        {
            using var rtnl = new RouteNetlink();
            int uplink = op is "veth-add" or "veth-del" ? 0 : rtnl.GetLinkIndex("bpbr0");
            var route = new IPRoute { DestinationPrefixLength = 32, Gateway = IPAddress.Parse("10.0.0.2"), DeviceIndex = uplink };
            long start = Stopwatch.GetTimestamp();
            if (batch)
            {
                RunBatched(rtnl, op, n, uplink, route);
            }
            else
            {
                Span<char> a = stackalloc char[16];
                Span<char> b = stackalloc char[16];
                for (int i = 0; i < n; i++)
                {
                    switch (op)
                    {
                        case "veth-add":
                            rtnl.AddVeth(Name(a, "bpa", i), Name(b, "bpb", i));
                            break;
                        case "veth-del":
                            rtnl.DeleteLink(Name(a, "bpa", i));
                            break;
                        case "addr-add":
                            rtnl.AddAddress(uplink, Address(10, 64, i), 32);
                            break;
                        case "addr-del":
                            rtnl.DeleteAddress(uplink, Address(10, 64, i), 32);
                            break;
                        case "route-add":
                            route.Destination = Address(10, 128, i);
                            rtnl.AddRoute(route);
                            break;
                        case "route-del":
                            route.Destination = Address(10, 128, i);
                            rtnl.DeleteRoute(route);
                            break;
                        default:
                            Console.Error.WriteLine($"unknown operation '{op}'");
                            return 2;
                    }
                }
            }
            long elapsed = Stopwatch.GetElapsedTime(start).Ticks * 100;
            Console.WriteLine($"inner_ns={elapsed.ToString(CultureInfo.InvariantCulture)}");
            return 0;
        }
        catch (Exception e) when (e is NetlinkException or NetlinkProtocolException or ArgumentException)
        {
            Console.Error.WriteLine($"cni-netlink-churn {op}: {e.Message}");
            return 1;
        }
    }

    private static void RunBatched(RouteNetlink rtnl, string op, int n, int uplink, IPRoute route)
    {
        Span<char> a = stackalloc char[16];
        Span<char> b = stackalloc char[16];
        RouteBatch batch = rtnl.BeginBatch();
        for (int i = 0; i < n; i++)
        {
            bool queued = op switch
            {
                "veth-add" => batch.AddVeth(Name(a, "bpa", i), Name(b, "bpb", i)),
                "veth-del" => batch.DeleteLink(Name(a, "bpa", i)),
                "addr-add" => batch.AddAddress(uplink, Address(10, 64, i), 32),
                "addr-del" => batch.DeleteAddress(uplink, Address(10, 64, i), 32),
                "route-add" => batch.AddRoute(SetDestination(route, Address(10, 128, i))),
                "route-del" => batch.DeleteRoute(SetDestination(route, Address(10, 128, i))),
                _ => throw new ArgumentException($"unknown operation '{op}'"),
            };
            if (!queued)
            {
                batch.Execute();
                i--; // queue the same request again into the emptied batch
            }
        }
        batch.Execute();
    }

    private static IPRoute SetDestination(IPRoute route, IPAddress destination)
    {
        route.Destination = destination;
        return route;
    }

    private static ReadOnlySpan<char> Name(Span<char> buffer, string prefix, int i)
    {
        prefix.CopyTo(buffer);
        i.TryFormat(buffer[prefix.Length..], out int written, default, CultureInfo.InvariantCulture);
        return buffer[..(prefix.Length + written)];
    }

    // base.second.0.0 + i + 1, as the issue defines the churn addresses.
    private static IPAddress Address(byte first, byte second, int i)
    {
        uint value = ((uint)first << 24 | (uint)second << 16) + (uint)i + 1;
        return new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
    }
}
