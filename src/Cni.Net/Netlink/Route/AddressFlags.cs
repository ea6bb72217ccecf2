namespace Cni.Net.Netlink.Route;

/// <summary>Address flags (<c>IFA_F_*</c> in linux/if_addr.h).</summary>
[Flags]
#pragma warning disable CA1711 // IFA_F_* are the kernel's address flags
public enum AddressFlags : uint
#pragma warning restore CA1711
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>IFA_F_SECONDARY (IFA_F_TEMPORARY for IPv6).</summary>
    Secondary = 0x01,
    /// <summary>IFA_F_NODAD: skip duplicate address detection.</summary>
    NoDad = 0x02,
    /// <summary>IFA_F_OPTIMISTIC.</summary>
    Optimistic = 0x04,
    /// <summary>IFA_F_DADFAILED.</summary>
    DadFailed = 0x08,
    /// <summary>IFA_F_HOMEADDRESS.</summary>
    HomeAddress = 0x10,
    /// <summary>IFA_F_DEPRECATED.</summary>
    Deprecated = 0x20,
    /// <summary>IFA_F_TENTATIVE.</summary>
    Tentative = 0x40,
    /// <summary>IFA_F_PERMANENT.</summary>
    Permanent = 0x80,
    /// <summary>IFA_F_MANAGETEMPADDR.</summary>
    ManageTempAddress = 0x100,
    /// <summary>IFA_F_NOPREFIXROUTE: do not add the prefix route.</summary>
    NoPrefixRoute = 0x200,
    /// <summary>IFA_F_MCAUTOJOIN.</summary>
    MulticastAutoJoin = 0x400,
    /// <summary>IFA_F_STABLE_PRIVACY.</summary>
    StablePrivacy = 0x800,
}
