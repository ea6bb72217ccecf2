using System.Runtime.InteropServices;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Conventions.Links;

/// <summary>
/// VLANs of a port of a VLAN-filtering bridge (<c>bridge vlan add/del dev X vid N</c>): RTM_SETLINK/RTM_DELLINK of
/// family AF_BRIDGE carrying IFLA_AF_SPEC { IFLA_BRIDGE_VLAN_INFO }.
/// </summary>
public static class BridgeVlan
{
    private const byte AF_BRIDGE = 7;
    private const ushort IFLA_BRIDGE_VLAN_INFO = 2;
    private const ushort BRIDGE_VLAN_INFO_PVID = 0x2;
    private const ushort BRIDGE_VLAN_INFO_UNTAGGED = 0x4;
    private const ushort DefaultVlan = 1;

    /// <summary>
    /// Sets the port's VLANs as the reference bridge plugin does for <c>vlan</c> and <c>vlanTrunk</c>: with either one
    /// and unless <paramref name="preserveDefaultVlan"/>, the bridge's default VLAN 1 leaves the port first; then
    /// <paramref name="accessVlan"/> becomes the port's PVID, egress untagged, and every trunk VLAN is added tagged. A
    /// trunk without an access VLAN keeps VLAN 1 as its native (PVID, untagged) VLAN.
    /// </summary>
    /// <param name="netlink">rtnetlink of the bridge's namespace.</param>
    /// <param name="portIndex">The port (a link whose master is a VLAN-filtering bridge).</param>
    /// <param name="accessVlan">1 to 4094, or 0 for none.</param>
    /// <param name="trunk">Tagged VLANs, 1 to 4094 each (see <see cref="VlanTrunk.Collect"/>); empty for none.</param>
    /// <param name="preserveDefaultVlan">Keep VLAN 1 on the port.</param>
    /// <exception cref="ArgumentOutOfRangeException">A VLAN id is out of range.</exception>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public static void Configure(RouteNetlink netlink, int portIndex, int accessVlan, IReadOnlyList<int> trunk, bool preserveDefaultVlan)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentNullException.ThrowIfNull(trunk);
        ArgumentOutOfRangeException.ThrowIfNegative(accessVlan);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(accessVlan, VlanTrunk.MaxId);
        foreach (int vid in trunk)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(vid, 1, nameof(trunk));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(vid, VlanTrunk.MaxId, nameof(trunk));
        }
        if (accessVlan == 0 && trunk.Count == 0)
        {
            return;
        }
        if (!preserveDefaultVlan)
        {
            Send(netlink, RouteMessageType.DeleteLink, portIndex, DefaultVlan, 0, tolerateMissing: true);
        }
        if (accessVlan != 0)
        {
            Send(netlink, RouteMessageType.NewLink, portIndex, (ushort)accessVlan, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, tolerateMissing: false);
        }
        foreach (int vid in trunk)
        {
            Send(netlink, RouteMessageType.NewLink, portIndex, (ushort)vid, 0, tolerateMissing: false);
        }
        if (accessVlan == 0)
        {
            Send(netlink, RouteMessageType.NewLink, portIndex, DefaultVlan, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, tolerateMissing: false);
        }
    }

    private static void Send(RouteNetlink netlink, RouteMessageType type, int portIndex, ushort vid, ushort flags, bool tolerateMissing)
    {
        NetlinkWriter w = netlink.Socket.BeginRequest((ushort)type, NetlinkMessageFlags.None);
        w.WriteFamilyHeader(new InterfaceInfoMessage { Family = AF_BRIDGE, Index = portIndex });
        NestedScope spec = w.BeginNested(Ifla.IFLA_AF_SPEC);
        w.WriteStruct(IFLA_BRIDGE_VLAN_INFO, new BridgeVlanInfo { Flags = flags, Vid = vid });
        w.EndNested(spec);
        string operation = type == RouteMessageType.NewLink ? "add bridge vlan" : "delete bridge vlan";
        if (tolerateMissing)
        {
            netlink.Socket.TryExecute(ref w, operation, RouteNetlink.GoneErrors);
        }
        else
        {
            netlink.Socket.Execute(ref w, operation);
        }
    }

    // struct bridge_vlan_info from linux/if_bridge.h.
    [StructLayout(LayoutKind.Sequential)]
    private struct BridgeVlanInfo
    {
        public ushort Flags;
        public ushort Vid;
    }
}
