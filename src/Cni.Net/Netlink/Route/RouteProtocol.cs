namespace Cni.Net.Netlink.Route;

/// <summary>Who installed a route (<c>RTPROT_*</c>); other values (routing daemons) are kept as their number.</summary>
public enum RouteProtocol : byte
{
    /// <summary>RTPROT_UNSPEC.</summary>
    Unspecified = 0,
    /// <summary>RTPROT_REDIRECT.</summary>
    Redirect = 1,
    /// <summary>RTPROT_KERNEL: installed by the kernel (prefix routes of addresses).</summary>
    Kernel = 2,
    /// <summary>RTPROT_BOOT: the default of <c>ip route add</c>.</summary>
    Boot = 3,
    /// <summary>RTPROT_STATIC.</summary>
    Static = 4,
    /// <summary>RTPROT_RA: IPv6 router advertisement.</summary>
    RouterAdvertisement = 9,
    /// <summary>RTPROT_DHCP.</summary>
    Dhcp = 16,
}
