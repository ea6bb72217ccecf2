using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Cni.Net.Dhcp;

/// <summary>
/// What a DHCPACK granted: the address, its mask, the lease times (with RFC 2131's defaults for T1 and T2) and the
/// configuration options a network plugin applies (routers, routes, DNS).
/// </summary>
public sealed class DhcpLease
{
    /// <summary>The lease time used when the server sends none (as the Go reference client does).</summary>
    public static readonly TimeSpan DefaultLeaseTime = TimeSpan.FromMinutes(60);

    private DhcpLease(IPAddress address, DateTimeOffset acquiredAt)
    {
        Address = address;
        AcquiredAt = acquiredAt;
    }

    /// <summary>yiaddr: the leased address.</summary>
    public IPAddress Address { get; }

    /// <summary>Option 1, or null when the server sent none.</summary>
    public IPAddress? SubnetMask { get; private init; }

    /// <summary>The prefix length of <see cref="SubnetMask"/>, or null without a (contiguous) mask.</summary>
    public int? PrefixLength { get; private init; }

    /// <summary>Option 54: the server that granted the lease (renewals and the release go to it).</summary>
    public IPAddress? ServerIdentifier { get; private init; }

    /// <summary>Option 3.</summary>
    public IReadOnlyList<IPAddress> Routers { get; private init; } = [];

    /// <summary>Option 6.</summary>
    public IReadOnlyList<IPAddress> DnsServers { get; private init; } = [];

    /// <summary>Option 15, or null.</summary>
    public string? DomainName { get; private init; }

    /// <summary>Option 121 (RFC 3442).</summary>
    public IReadOnlyList<DhcpRoute> ClasslessStaticRoutes { get; private init; } = [];

    /// <summary>Option 33, destinations with their classful masks.</summary>
    public IReadOnlyList<DhcpRoute> StaticRoutes { get; private init; } = [];

    /// <summary>Option 51, else <see cref="DefaultLeaseTime"/>.</summary>
    public TimeSpan LeaseTime { get; private init; }

    /// <summary>Option 58 (T1), else half the lease time.</summary>
    public TimeSpan RenewalTime { get; private init; }

    /// <summary>Option 59 (T2), else 85 % of the lease time (RFC 2131 section 4.4.5 says 87.5 %; the reference uses 85 %).</summary>
    public TimeSpan RebindingTime { get; private init; }

    /// <summary>When the ACK arrived.</summary>
    public DateTimeOffset AcquiredAt { get; }

    /// <summary>When the client starts renewing (T1).</summary>
    public DateTimeOffset RenewAt => AcquiredAt + RenewalTime;

    /// <summary>When the client starts rebinding (T2).</summary>
    public DateTimeOffset RebindAt => AcquiredAt + RebindingTime;

    /// <summary>When the lease ends.</summary>
    public DateTimeOffset ExpiresAt => AcquiredAt + LeaseTime;

    /// <summary>Reads the lease from a DHCPACK (or an OFFER, to see what is offered).</summary>
    /// <param name="ack">The server's message.</param>
    /// <param name="receivedAt">When it arrived; the lease times count from here.</param>
    public static DhcpLease FromAck(DhcpMessageReader ack, DateTimeOffset receivedAt)
    {
        TimeSpan lease = Seconds(ack, DhcpOptionCode.IPAddressLeaseTime) ?? DefaultLeaseTime;
        IPAddress? mask = ack.TryGetOption(DhcpOptionCode.SubnetMask, out ReadOnlySpan<byte> m) && m.Length == 4 ? new IPAddress(m) : null;
        return new DhcpLease(ack.YourAddress, receivedAt)
        {
            SubnetMask = mask,
            PrefixLength = mask is null ? null : PrefixOf(BinaryPrimitives.ReadUInt32BigEndian(m)),
            ServerIdentifier = ack.TryGetOption(DhcpOptionCode.ServerIdentifier, out ReadOnlySpan<byte> s) && s.Length == 4 ? new IPAddress(s) : null,
            Routers = Addresses(ack, DhcpOptionCode.Router),
            DnsServers = Addresses(ack, DhcpOptionCode.DomainNameServer),
            DomainName = ack.TryGetOption(DhcpOptionCode.DomainName, out ReadOnlySpan<byte> d) && d.Length > 0
                ? Encoding.ASCII.GetString(d).TrimEnd('\0') : null,
            ClasslessStaticRoutes = ClasslessRoutes(ack),
            StaticRoutes = ClassfulRoutes(ack),
            LeaseTime = lease,
            RenewalTime = Seconds(ack, DhcpOptionCode.RenewalTime) ?? lease / 2,
            RebindingTime = Seconds(ack, DhcpOptionCode.RebindingTime) ?? lease * 85 / 100,
        };
    }

    private static TimeSpan? Seconds(DhcpMessageReader message, byte code)
        => message.TryGetOption(code, out ReadOnlySpan<byte> v) && v.Length == 4 ? TimeSpan.FromSeconds(BinaryPrimitives.ReadUInt32BigEndian(v)) : null;

    private static int? PrefixOf(uint mask)
    {
        int prefix = System.Numerics.BitOperations.LeadingZeroCount(~mask);
        return prefix == 32 || (mask << prefix) == 0 ? prefix : null;
    }

    private static IPAddress[] Addresses(DhcpMessageReader message, byte code)
    {
        if (!message.TryGetOption(code, out ReadOnlySpan<byte> value) || value.Length == 0 || value.Length % 4 != 0)
        {
            return [];
        }
        var addresses = new IPAddress[value.Length / 4];
        for (int i = 0; i < addresses.Length; i++)
        {
            addresses[i] = new IPAddress(value.Slice(i * 4, 4));
        }
        return addresses;
    }

    /// <summary>Option 121: width, the significant octets of the destination, the router; malformed means none.</summary>
    private static DhcpRoute[] ClasslessRoutes(DhcpMessageReader message)
    {
        int length = message.GetOptionLength(DhcpOptionCode.ClasslessStaticRoute);
        if (length == 0)
        {
            return [];
        }
        Span<byte> value = length <= 1024 ? stackalloc byte[length] : new byte[length];
        message.CopyOption(DhcpOptionCode.ClasslessStaticRoute, value);
        var routes = new List<DhcpRoute>();
        Span<byte> destination = stackalloc byte[4];
        while (value.Length > 0)
        {
            int width = value[0];
            int significant = (width + 7) / 8;
            if (width > 32 || value.Length < 1 + significant + 4)
            {
                return [];
            }
            destination.Clear();
            value.Slice(1, significant).CopyTo(destination);
            routes.Add(new DhcpRoute(Network(destination, width), new IPAddress(value.Slice(1 + significant, 4))));
            value = value[(1 + significant + 4)..];
        }
        return [.. routes];
    }

    /// <summary>Option 33: destination and router pairs; the destination's mask is its address class's.</summary>
    private static DhcpRoute[] ClassfulRoutes(DhcpMessageReader message)
    {
        if (!message.TryGetOption(DhcpOptionCode.StaticRoute, out ReadOnlySpan<byte> value))
        {
            return [];
        }
        var routes = new List<DhcpRoute>();
        for (; value.Length >= 8; value = value[8..])
        {
            int prefix = value[0] switch
            {
                < 128 => 8,
                < 192 => 16,
                < 224 => 24,
                _ => -1, // class D and E have no default mask: not a route
            };
            if (prefix > 0)
            {
                routes.Add(new DhcpRoute(Network(value[..4], prefix), new IPAddress(value.Slice(4, 4))));
            }
        }
        return [.. routes];
    }

    private static IPNetwork Network(ReadOnlySpan<byte> address, int prefix)
    {
        uint bits = BinaryPrimitives.ReadUInt32BigEndian(address);
        uint masked = prefix == 0 ? 0 : bits & (uint.MaxValue << (32 - prefix));
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, masked);
        return new IPNetwork(new IPAddress(bytes), prefix);
    }
}
