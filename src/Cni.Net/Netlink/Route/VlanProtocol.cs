namespace Cni.Net.Netlink.Route;

/// <summary>VLAN tag protocol (an EtherType, carried big-endian in IFLA_VLAN_PROTOCOL).</summary>
public enum VlanProtocol
{
    /// <summary>802.1Q (0x8100), the default.</summary>
    Dot1Q = 0x8100,
    /// <summary>802.1ad (0x88A8), QinQ.</summary>
    Dot1AD = 0x88A8,
}
