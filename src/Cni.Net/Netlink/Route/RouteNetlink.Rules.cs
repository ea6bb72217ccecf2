using System.Net.Sockets;

namespace Cni.Net.Netlink.Route;

public sealed partial class RouteNetlink
{
    /// <summary>Adds a policy routing rule (<c>ip rule add</c>); an identical rule may exist twice, as with ip.</summary>
    /// <exception cref="ArgumentException">The rule is inconsistent.</exception>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void AddRule(RoutingRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.NewRule, NetlinkMessageFlags.Create);
        RoutingRule.Encode(ref w, rule);
        Socket.Execute(ref w, "add rule");
    }

    /// <summary>Deletes the first rule matching <paramref name="rule"/>; false when there is none (ENOENT).</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryDeleteRule(RoutingRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.DeleteRule, NetlinkMessageFlags.None);
        RoutingRule.Encode(ref w, rule);
        return Socket.TryExecute(ref w, "delete rule", GoneErrors) == 0;
    }

    /// <summary>Lists the rules of a family (both when <see cref="AddressFamily.Unspecified"/>).</summary>
    /// <exception cref="NetlinkException">The dump failed.</exception>
    public List<RoutingRule> ListRules(AddressFamily family = AddressFamily.Unspecified)
    {
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.GetRule, NetlinkMessageFlags.Dump);
        var header = new RouteMessage { Family = ToKernelFamily(family) };
        w.WriteFamilyHeader(in header);
        return Socket.Dump<RoutingRule>(ref w, "list rules", RoutingRule.TryDecode);
    }
}
