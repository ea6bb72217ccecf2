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
    /// Makes the port an access port of <paramref name="vlanId"/> (PVID, egress untagged), as the reference plugin's
    /// <c>vlan</c> key does; unless <paramref name="preserveDefaultVlan"/>, the bridge's default VLAN 1 is removed from
    /// the port first.
    /// </summary>
    /// <param name="netlink">rtnetlink of the bridge's namespace.</param>
    /// <param name="portIndex">The port (a link whose master is a VLAN-filtering bridge).</param>
    /// <param name="vlanId">1 to 4094.</param>
    /// <param name="preserveDefaultVlan">Keep VLAN 1 on the port.</param>
    /// <exception cref="ArgumentOutOfRangeException">The VLAN id is out of range.</exception>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public static void SetAccessVlan(RouteNetlink netlink, int portIndex, int vlanId, bool preserveDefaultVlan)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentOutOfRangeException.ThrowIfLessThan(vlanId, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vlanId, 4094);
        if (!preserveDefaultVlan)
        {
            Send(netlink, RouteMessageType.DeleteLink, portIndex, DefaultVlan, 0, tolerateMissing: true);
        }
        Send(netlink, RouteMessageType.NewLink, portIndex, (ushort)vlanId, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, tolerateMissing: false);
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
