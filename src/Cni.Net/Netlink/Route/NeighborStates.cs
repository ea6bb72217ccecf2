namespace Cni.Net.Netlink.Route;

/// <summary>Neighbour cache entry states (<c>NUD_*</c> in linux/neighbour.h).</summary>
[Flags]
public enum NeighborStates : ushort
{
    /// <summary>NUD_NONE.</summary>
    None = 0,
    /// <summary>NUD_INCOMPLETE: resolution in progress.</summary>
    Incomplete = 0x01,
    /// <summary>NUD_REACHABLE: confirmed reachable.</summary>
    Reachable = 0x02,
    /// <summary>NUD_STALE.</summary>
    Stale = 0x04,
    /// <summary>NUD_DELAY.</summary>
    Delay = 0x08,
    /// <summary>NUD_PROBE.</summary>
    Probe = 0x10,
    /// <summary>NUD_FAILED.</summary>
    Failed = 0x20,
    /// <summary>NUD_NOARP: no resolution needed.</summary>
    NoArp = 0x40,
    /// <summary>NUD_PERMANENT: static entry.</summary>
    Permanent = 0x80,
}
