namespace Cni.Net.Netlink.Route;

/// <summary>Per-port settings of a bridge port (<c>ip link set dev X type bridge_slave …</c>); unset ones stay as they are.</summary>
public sealed class BridgePortSettings
{
    /// <summary>Hairpin mode: send frames back out of the port they came in on (IFLA_BRPORT_MODE).</summary>
    public bool? Hairpin { get; set; }

    /// <summary>Isolated: talk only to non-isolated ports (IFLA_BRPORT_ISOLATED).</summary>
    public bool? Isolated { get; set; }

    /// <summary>MAC learning on the port (IFLA_BRPORT_LEARNING).</summary>
    public bool? Learning { get; set; }

    /// <summary>Flooding of unknown unicast (IFLA_BRPORT_UNICAST_FLOOD).</summary>
    public bool? UnicastFlood { get; set; }

    internal void Write(ref NetlinkWriter writer)
    {
        if (Hairpin is bool hairpin)
        {
            writer.WriteUInt8(Ifla.IFLA_BRPORT_MODE, hairpin ? (byte)1 : (byte)0);
        }
        if (Learning is bool learning)
        {
            writer.WriteUInt8(Ifla.IFLA_BRPORT_LEARNING, learning ? (byte)1 : (byte)0);
        }
        if (UnicastFlood is bool flood)
        {
            writer.WriteUInt8(Ifla.IFLA_BRPORT_UNICAST_FLOOD, flood ? (byte)1 : (byte)0);
        }
        if (Isolated is bool isolated)
        {
            writer.WriteUInt8(Ifla.IFLA_BRPORT_ISOLATED, isolated ? (byte)1 : (byte)0);
        }
    }
}
