namespace Cni.Net.Netlink.Route;

/// <summary>Link flags (<c>IFF_*</c> in linux/if.h), as in <c>ifi_flags</c>.</summary>
[Flags]
#pragma warning disable CA1711 // IFF_* are the kernel's interface flags
public enum InterfaceFlags : uint
#pragma warning restore CA1711
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>IFF_UP: administratively up.</summary>
    Up = 0x1,
    /// <summary>IFF_BROADCAST.</summary>
    Broadcast = 0x2,
    /// <summary>IFF_DEBUG.</summary>
    Debug = 0x4,
    /// <summary>IFF_LOOPBACK.</summary>
    Loopback = 0x8,
    /// <summary>IFF_POINTOPOINT.</summary>
    PointToPoint = 0x10,
    /// <summary>IFF_NOTRAILERS.</summary>
    NoTrailers = 0x20,
    /// <summary>IFF_RUNNING: operationally up.</summary>
    Running = 0x40,
    /// <summary>IFF_NOARP.</summary>
    NoArp = 0x80,
    /// <summary>IFF_PROMISC.</summary>
    Promiscuous = 0x100,
    /// <summary>IFF_ALLMULTI.</summary>
    AllMulticast = 0x200,
    /// <summary>IFF_MASTER.</summary>
    Master = 0x400,
    /// <summary>IFF_SLAVE.</summary>
    Slave = 0x800,
    /// <summary>IFF_MULTICAST.</summary>
    Multicast = 0x1000,
    /// <summary>IFF_PORTSEL.</summary>
    PortSelect = 0x2000,
    /// <summary>IFF_AUTOMEDIA.</summary>
    AutoMedia = 0x4000,
    /// <summary>IFF_DYNAMIC.</summary>
    Dynamic = 0x8000,
    /// <summary>IFF_LOWER_UP: the carrier is up.</summary>
    LowerUp = 0x10000,
    /// <summary>IFF_DORMANT.</summary>
    Dormant = 0x20000,
    /// <summary>IFF_ECHO.</summary>
    Echo = 0x40000,
}
