namespace Cni.Net.Netlink.Route;

/// <summary>Neighbour entry flags (<c>NTF_*</c> in linux/neighbour.h).</summary>
[Flags]
#pragma warning disable CA1711 // NTF_* are the kernel's neighbour flags
public enum NeighborFlags : byte
#pragma warning restore CA1711
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>NTF_USE.</summary>
    Use = 0x01,
    /// <summary>NTF_SELF.</summary>
    Self = 0x02,
    /// <summary>NTF_MASTER.</summary>
    Master = 0x04,
    /// <summary>NTF_PROXY.</summary>
    Proxy = 0x08,
    /// <summary>NTF_EXT_LEARNED.</summary>
    ExternallyLearned = 0x10,
    /// <summary>NTF_OFFLOADED.</summary>
    Offloaded = 0x20,
    /// <summary>NTF_STICKY.</summary>
    Sticky = 0x40,
    /// <summary>NTF_ROUTER.</summary>
    Router = 0x80,
}
