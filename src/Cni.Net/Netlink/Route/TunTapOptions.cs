namespace Cni.Net.Netlink.Route;

/// <summary>How <see cref="TunTap.Create"/> makes a tun or tap device (the flags of TUNSETIFF and the owner ioctls).</summary>
public sealed class TunTapOptions
{
    /// <summary>A tap (layer 2, Ethernet frames) rather than a tun (layer 3) device.</summary>
    public bool Tap { get; set; } = true;

    /// <summary>IFF_MULTI_QUEUE: the device may be opened once per queue.</summary>
    public bool MultiQueue { get; set; }

    /// <summary>Frames carry the 4-byte packet-information header (without IFF_NO_PI); off by default, as <c>ip tuntap</c> makes them.</summary>
    public bool PacketInformation { get; set; }

    /// <summary>IFF_VNET_HDR: frames carry a virtio-net header.</summary>
    public bool VirtioNetHeader { get; set; }

    /// <summary>The user that may open the device (TUNSETOWNER); null for any user with CAP_NET_ADMIN only.</summary>
    public uint? Owner { get; set; }

    /// <summary>The group that may open the device (TUNSETGROUP); null for none.</summary>
    public uint? Group { get; set; }
}
