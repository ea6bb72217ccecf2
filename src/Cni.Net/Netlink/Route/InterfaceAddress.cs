using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Netlink.Route;

/// <summary>An IPv4 or IPv6 address on a link: what <c>ip addr</c> shows, and what it adds.</summary>
public sealed class InterfaceAddress
{
    /// <summary>Describes <paramref name="address"/>/<paramref name="prefixLength"/> on the link <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The prefix length is out of range for the family.</exception>
    public InterfaceAddress(int index, IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        RouteNetlink.ValidatePrefix(address, prefixLength, nameof(prefixLength));
        Index = index;
        Address = address;
        PrefixLength = prefixLength;
    }

    /// <summary>The link index.</summary>
    public int Index { get; set; }

    /// <summary>The local address (IFA_LOCAL).</summary>
    public IPAddress Address { get; set; }

    /// <summary>The prefix length.</summary>
    public int PrefixLength { get; set; }

    /// <summary>The peer address of a point-to-point link (IFA_ADDRESS when it differs), or <see langword="null"/>.</summary>
    public IPAddress? Peer { get; set; }

    /// <summary>IPv4 broadcast address, or <see langword="null"/> for none.</summary>
    public IPAddress? Broadcast { get; set; }

    /// <summary>The scope; <see cref="RouteScope.Universe"/> by default.</summary>
    public RouteScope Scope { get; set; }

    /// <summary>IPv4 label (IFA_LABEL), which must start with the link's name; <see langword="null"/> for none.</summary>
    public string? Label { get; set; }

    /// <summary>IFA_F_* flags (NoDad, NoPrefixRoute …).</summary>
    public AddressFlags Flags { get; set; }

    /// <summary>Valid lifetime; <see langword="null"/> for forever.</summary>
    public TimeSpan? ValidLifetime { get; set; }

    /// <summary>Preferred lifetime; <see langword="null"/> for forever (or the valid lifetime when that is set).</summary>
    public TimeSpan? PreferredLifetime { get; set; }

    /// <summary>The address family.</summary>
    public AddressFamily Family => Address.AddressFamily;

    /// <inheritdoc/>
    public override string ToString() => $"{Address}/{PrefixLength} dev {Index}";

    internal static bool TryDecode(NetlinkMessage message, out InterfaceAddress address)
    {
        if (message.Type != (ushort)RouteMessageType.NewAddress)
        {
            address = null!;
            return false;
        }
        InterfaceAddressMessage ifa = message.ReadFamilyHeader<InterfaceAddressMessage>();
        IPAddress? local = null, peer = null, broadcast = null;
        string? label = null;
        uint flags = ifa.Flags;
        TimeSpan? valid = null, preferred = null;
        foreach (NetlinkAttr a in message.GetAttributes<InterfaceAddressMessage>())
        {
            switch (a.Type)
            {
                case Ifa.IFA_LOCAL:
                    local = a.GetIPAddress();
                    break;
                case Ifa.IFA_ADDRESS:
                    peer = a.GetIPAddress();
                    break;
                case Ifa.IFA_BROADCAST:
                    broadcast = a.GetIPAddress();
                    break;
                case Ifa.IFA_LABEL:
                    label = a.GetString();
                    break;
                case Ifa.IFA_FLAGS:
                    flags = a.GetUInt32();
                    break;
                case Ifa.IFA_CACHEINFO:
                    uint pref = a.GetUInt32();
                    uint val = a.Value.Length >= 8 ? System.Runtime.InteropServices.MemoryMarshal.Read<uint>(a.Value[4..]) : Ifa.INFINITY_LIFE_TIME;
                    valid = val == Ifa.INFINITY_LIFE_TIME ? null : TimeSpan.FromSeconds(val);
                    preferred = pref == Ifa.INFINITY_LIFE_TIME ? null : TimeSpan.FromSeconds(pref);
                    break;
            }
        }
        // IPv4 reports IFA_LOCAL (and IFA_ADDRESS = peer or the same); IPv6 only IFA_ADDRESS unless point-to-point.
        IPAddress? main = local ?? peer;
        if (main is null || ifa.PrefixLength > (main.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32))
        {
            ThrowHelper.ThrowProtocol("RTM_NEWADDR without a valid address and prefix length");
        }
        address = new InterfaceAddress(ifa.Index, main, ifa.PrefixLength)
        {
            Peer = local is not null && peer is not null && !peer.Equals(local) ? peer : null,
            Broadcast = broadcast,
            Scope = (RouteScope)ifa.Scope,
            Label = label,
            Flags = (AddressFlags)flags,
            ValidLifetime = valid,
            PreferredLifetime = preferred,
        };
        return true;
    }
}
