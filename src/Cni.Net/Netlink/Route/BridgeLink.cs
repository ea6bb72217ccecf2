

namespace Cni.Net.Netlink.Route;

/// <summary>A Linux bridge and its options (unset options keep the kernel's defaults).</summary>
public sealed class BridgeLink : LinkDefinition
{
    /// <summary>Describes the bridge <paramref name="name"/>.</summary>
    public BridgeLink(string name)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string Kind => "bridge";

    /// <summary>Spanning tree on or off (IFLA_BR_STP_STATE).</summary>
    public bool? StpEnabled { get; set; }

    /// <summary>STP forward delay (IFLA_BR_FORWARD_DELAY, kept by the kernel in hundredths of a second).</summary>
    public TimeSpan? ForwardDelay { get; set; }

    /// <summary>VLAN filtering (IFLA_BR_VLAN_FILTERING).</summary>
    public bool? VlanFiltering { get; set; }

    /// <summary>Default PVID for new ports (IFLA_BR_VLAN_DEFAULT_PVID); 0 disables it.</summary>
    public ushort? DefaultPvid { get; set; }

    /// <summary>Multicast snooping (IFLA_BR_MCAST_SNOOPING).</summary>
    public bool? MulticastSnooping { get; set; }

    private protected override bool HasInfoData =>
        StpEnabled.HasValue || ForwardDelay.HasValue || VlanFiltering.HasValue || DefaultPvid.HasValue || MulticastSnooping.HasValue;

    private protected override void WriteInfoData(ref NetlinkWriter writer)
    {
        if (ForwardDelay is TimeSpan delay)
        {
            writer.WriteUInt32(Ifla.IFLA_BR_FORWARD_DELAY, checked((uint)Math.Round(delay.TotalMilliseconds / 10)));
        }
        if (StpEnabled is bool stp)
        {
            writer.WriteUInt32(Ifla.IFLA_BR_STP_STATE, stp ? 1u : 0u);
        }
        if (VlanFiltering is bool filtering)
        {
            writer.WriteUInt8(Ifla.IFLA_BR_VLAN_FILTERING, filtering ? (byte)1 : (byte)0);
        }
        if (DefaultPvid is ushort pvid)
        {
            writer.WriteUInt16(Ifla.IFLA_BR_VLAN_DEFAULT_PVID, pvid);
        }
        if (MulticastSnooping is bool snooping)
        {
            writer.WriteUInt8(Ifla.IFLA_BR_MCAST_SNOOPING, snooping ? (byte)1 : (byte)0);
        }
    }
}
