using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Cni.Net.Netlink.Route;

public sealed partial class RouteNetlink
{
    /// <summary>Adds <paramref name="address"/>/<paramref name="prefixLength"/> to the link. Allocation-free.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The prefix length is out of range.</exception>
    /// <exception cref="NetlinkException">The kernel refused (EEXIST when present, ENODEV …).</exception>
    public void AddAddress(int index, IPAddress address, int prefixLength)
    {
        NetlinkWriter w = BeginAddress(RouteMessageType.NewAddress, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl, index, address, prefixLength, 0, 0);
        Socket.ExecuteOn(ref w, "add address", NetlinkSubject.Address(address, prefixLength, index));
    }

    /// <summary>Adds an address with all its options (flags, broadcast, label, lifetimes, scope).</summary>
    /// <exception cref="NetlinkException">The kernel refused (EEXIST when present …).</exception>
    public void AddAddress(InterfaceAddress address)
    {
        NetlinkWriter w = BeginFullAddress(address, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl);
        Socket.ExecuteOn(ref w, "add address", NetlinkSubject.Of(address));
    }

    /// <summary>Adds an address unless present; <see langword="false"/> when it existed (EEXIST).</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryAddAddress(InterfaceAddress address)
    {
        NetlinkWriter w = BeginFullAddress(address, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl);
        return Socket.TryExecuteOn(ref w, "add address", ExistsErrors, NetlinkSubject.Of(address)) == 0;
    }

    /// <summary>Adds the address, or replaces its options when present.</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void ReplaceAddress(InterfaceAddress address)
    {
        NetlinkWriter w = BeginFullAddress(address, NetlinkMessageFlags.Create | NetlinkMessageFlags.Replace);
        Socket.ExecuteOn(ref w, "replace address", NetlinkSubject.Of(address));
    }

    /// <summary>Removes <paramref name="address"/>/<paramref name="prefixLength"/> from the link. Allocation-free.</summary>
    /// <exception cref="NetlinkException">The kernel refused (EADDRNOTAVAIL when absent …).</exception>
    public void DeleteAddress(int index, IPAddress address, int prefixLength)
    {
        NetlinkWriter w = BeginAddress(RouteMessageType.DeleteAddress, NetlinkMessageFlags.None, index, address, prefixLength, 0, 0);
        Socket.ExecuteOn(ref w, "delete address", NetlinkSubject.Address(address, prefixLength, index));
    }

    /// <summary>Removes the address; <see langword="false"/> when it was not there.</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryDeleteAddress(int index, IPAddress address, int prefixLength)
    {
        NetlinkWriter w = BeginAddress(RouteMessageType.DeleteAddress, NetlinkMessageFlags.None, index, address, prefixLength, 0, 0);
        return Socket.TryExecuteOn(ref w, "delete address", GoneErrors, NetlinkSubject.Address(address, prefixLength, index)) == 0;
    }

    /// <summary>Lists addresses, optionally only of one family and one link.</summary>
    /// <param name="family">InterNetwork, InterNetworkV6 or Unspecified for both.</param>
    /// <param name="index">A link index, or 0 for all links.</param>
    /// <exception cref="NetlinkException">The dump failed.</exception>
    public List<InterfaceAddress> ListAddresses(AddressFamily family = AddressFamily.Unspecified, int index = 0)
    {
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.GetAddress, NetlinkMessageFlags.Dump);
        var ifa = new InterfaceAddressMessage { Family = ToKernelFamily(family), Index = Socket.StrictChecking ? index : 0 };
        w.WriteFamilyHeader(in ifa);
        List<InterfaceAddress> all = Socket.DumpOn<InterfaceAddress>(ref w, "list addresses", InterfaceAddress.TryDecode, NetlinkSubject.Link(index));
        if (index != 0)
        {
            all.RemoveAll(a => a.Index != index);
        }
        return all;
    }

    internal static byte ToKernelFamily(AddressFamily family) => family switch
    {
        AddressFamily.Unspecified => AddressFamilies.AF_UNSPEC,
        AddressFamily.InterNetwork => AddressFamilies.AF_INET,
        AddressFamily.InterNetworkV6 => AddressFamilies.AF_INET6,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "only IPv4 and IPv6 are supported"),
    };

    internal static byte FamilyOf(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? AddressFamilies.AF_INET6 : AddressFamilies.AF_INET;

    internal static void ValidatePrefix(IPAddress address, int prefixLength, string paramName)
    {
        int max = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException("only IPv4 and IPv6 addresses are supported", paramName);
        }
        if ((uint)prefixLength > (uint)max)
        {
            throw new ArgumentOutOfRangeException(paramName, prefixLength, $"the prefix length must be 0–{max}");
        }
    }

    private NetlinkWriter BeginAddress(RouteMessageType type, NetlinkMessageFlags flags, int index, IPAddress address,
        int prefixLength, AddressFlags addressFlags, RouteScope scope)
    {
        ArgumentNullException.ThrowIfNull(address);
        ValidatePrefix(address, prefixLength, nameof(prefixLength));
        NetlinkWriter w = Socket.BeginRequest((ushort)type, flags);
        EncodeAddress(ref w, index, address, prefixLength, addressFlags, scope);
        return w;
    }

    /// <summary>The body of RTM_NEWADDR/RTM_DELADDR (after the message header).</summary>
    internal static void EncodeAddress(ref NetlinkWriter w, int index, IPAddress address, int prefixLength, AddressFlags addressFlags, RouteScope scope)
    {
        var ifa = new InterfaceAddressMessage
        {
            Family = FamilyOf(address),
            PrefixLength = (byte)prefixLength,
            Flags = (byte)((uint)addressFlags & 0xff),
            Scope = (byte)scope,
            Index = index,
        };
        w.WriteFamilyHeader(in ifa);
        w.WriteIPAddress(Ifa.IFA_LOCAL, address);
        w.WriteIPAddress(Ifa.IFA_ADDRESS, address);
        if ((uint)addressFlags > 0xff)
        {
            w.WriteUInt32(Ifa.IFA_FLAGS, (uint)addressFlags);
        }
    }

    private NetlinkWriter BeginFullAddress(InterfaceAddress address, NetlinkMessageFlags flags)
    {
        ArgumentNullException.ThrowIfNull(address);
        NetlinkWriter w = BeginAddress(RouteMessageType.NewAddress, flags, address.Index, address.Address, address.PrefixLength, address.Flags, address.Scope);
        if (address.Peer is not null)
        {
            // IFA_ADDRESS was written as the local address; point it at the peer instead.
            w.WriteIPAddress(Ifa.IFA_ADDRESS, address.Peer);
        }
        if (address.Broadcast is not null)
        {
            w.WriteIPAddress(Ifa.IFA_BROADCAST, address.Broadcast);
        }
        if (address.Label is not null)
        {
            w.WriteString(Ifa.IFA_LABEL, address.Label);
        }
        if (address.ValidLifetime is not null || address.PreferredLifetime is not null)
        {
            uint valid = Seconds(address.ValidLifetime);
            uint preferred = address.PreferredLifetime is null ? valid : Seconds(address.PreferredLifetime);
            Span<byte> cache = w.ReserveAttribute(Ifa.IFA_CACHEINFO, 16);
            MemoryMarshal.Write(cache, in preferred);
            MemoryMarshal.Write(cache[4..], in valid);
        }
        return w;
    }

    private static uint Seconds(TimeSpan? lifetime) =>
        lifetime is TimeSpan t ? (uint)Math.Clamp(t.TotalSeconds, 0, Ifa.INFINITY_LIFE_TIME - 1) : Ifa.INFINITY_LIFE_TIME;
}
