using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Ipam;

/// <summary>
/// One host-local range: a subnet and the inclusive span <see cref="RangeStart"/>–<see cref="RangeEnd"/> handed
/// out from it, with the gateway that is never handed out. Defaults follow the reference plugin: the gateway is
/// the first host, the start is the first host (the gateway is skipped when allocating), the end is the last
/// address (the one before the broadcast address for IPv4).
/// </summary>
public sealed class IPRange
{
    private IPRange(IPNetwork subnet, UInt128 start, UInt128 end, UInt128 gateway)
    {
        Subnet = subnet;
        IsIPv6 = subnet.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        Start = start;
        End = end;
        GatewayValue = gateway;
        Network = IPAddressMath.ToValue(subnet.BaseAddress);
        Last = Network | IPAddressMath.HostMask(subnet.PrefixLength, IsIPv6);
        RangeStart = IPAddressMath.FromValue(start, IsIPv6);
        RangeEnd = IPAddressMath.FromValue(end, IsIPv6);
        Gateway = IPAddressMath.FromValue(gateway, IsIPv6);
    }

    /// <summary>The subnet the addresses belong to; its prefix length is the one given to the container.</summary>
    public IPNetwork Subnet { get; }

    /// <summary>The first address that may be handed out (inclusive).</summary>
    public IPAddress RangeStart { get; }

    /// <summary>The last address that may be handed out (inclusive).</summary>
    public IPAddress RangeEnd { get; }

    /// <summary>The gateway returned with each address; never handed out itself.</summary>
    public IPAddress Gateway { get; }

    /// <summary>Whether the range is IPv6.</summary>
    public bool IsIPv6 { get; }

    internal UInt128 Start { get; }

    internal UInt128 End { get; }

    internal UInt128 GatewayValue { get; }

    internal UInt128 Network { get; }

    /// <summary>The last address of the subnet (the IPv4 broadcast address).</summary>
    internal UInt128 Last { get; }

    /// <summary>
    /// Creates a range, filling in the reference plugin's defaults and validating every address against the subnet.
    /// </summary>
    /// <param name="subnet">The subnet; it must leave at least two host addresses (not a /31 or /32, /127 or /128).</param>
    /// <param name="rangeStart">The first address to hand out; default: the first host of the subnet.</param>
    /// <param name="rangeEnd">The last address to hand out; default: the last host (IPv4) or last address (IPv6).</param>
    /// <param name="gateway">The gateway; default: the first host of the subnet.</param>
    /// <exception cref="ArgumentException">An address is of the other family, outside the subnet, or the start is after the end.
    /// The parameter name is the config key at fault (<c>subnet</c>, <c>rangeStart</c>, <c>rangeEnd</c>, <c>gateway</c>).</exception>
    public static IPRange Create(IPNetwork subnet, IPAddress? rangeStart = null, IPAddress? rangeEnd = null, IPAddress? gateway = null)
    {
        IPAddress baseAddress = subnet.BaseAddress ?? throw new ArgumentException("subnet is missing", nameof(subnet));
        bool isIPv6 = baseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        if (baseAddress.IsIPv4MappedToIPv6)
        {
            int prefix = subnet.PrefixLength - 96;
            if (prefix < 0)
            {
                throw new ArgumentException($"subnet {subnet} is an IPv4-mapped prefix shorter than ::ffff:0:0/96", nameof(subnet));
            }
            subnet = new IPNetwork(baseAddress.MapToIPv4(), prefix);
            isIPv6 = false;
        }

        int bits = IPAddressMath.BitLength(isIPv6);
        if (subnet.PrefixLength > bits - 2)
        {
            throw new ArgumentException($"subnet {subnet} is too small to allocate from: it needs at least two host addresses", nameof(subnet));
        }

        UInt128 network = IPAddressMath.ToValue(subnet.BaseAddress);
        UInt128 last = network | IPAddressMath.HostMask(subnet.PrefixLength, isIPv6);

        UInt128 gw = gateway is null ? network + 1 : InSubnet(gateway, nameof(gateway));
        UInt128 start = rangeStart is null ? network + 1 : InSubnet(rangeStart, nameof(rangeStart));
        UInt128 end = rangeEnd is null ? (isIPv6 ? last : last - 1) : InSubnet(rangeEnd, nameof(rangeEnd));
        if (start > end)
        {
            throw new ArgumentException(
                $"rangeStart {IPAddressMath.Format(start, isIPv6)} is after rangeEnd {IPAddressMath.Format(end, isIPv6)} in subnet {subnet}",
                nameof(rangeStart));
        }
        return new IPRange(subnet, start, end, gw);

        UInt128 InSubnet(IPAddress address, string field)
        {
            address = IPAddressMath.Canonicalize(address);
            bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
            if (v6 != isIPv6)
            {
                throw new ArgumentException($"{field} {address} is not of the same address family as subnet {subnet}", field);
            }
            UInt128 value = IPAddressMath.ToValue(address);
            if (value < network || value > last)
            {
                throw new ArgumentException($"{field} {IPAddressMath.Format(address)} is outside subnet {subnet}", field);
            }
            return value;
        }
    }

    /// <summary>
    /// Creates a range from the text of the reference plugin's config keys, with the same validation as
    /// <see cref="Create"/>; unlike <see cref="IPNetwork.Parse(string)"/>, a subnet with host bits set is refused, as
    /// the reference refuses it.
    /// </summary>
    /// <param name="subnet">The <c>subnet</c> key, in CIDR form.</param>
    /// <param name="rangeStart">The <c>rangeStart</c> key, or null.</param>
    /// <param name="rangeEnd">The <c>rangeEnd</c> key, or null.</param>
    /// <param name="gateway">The <c>gateway</c> key, or null.</param>
    /// <exception cref="ArgumentException">A value does not parse or does not fit; the parameter name is the key at fault.</exception>
    public static IPRange Parse(string? subnet, string? rangeStart = null, string? rangeEnd = null, string? gateway = null) =>
        Create(ParseSubnet(subnet), ParseAddress(rangeStart, nameof(rangeStart)), ParseAddress(rangeEnd, nameof(rangeEnd)),
            ParseAddress(gateway, nameof(gateway)));

    internal static IPNetwork ParseSubnet(string? subnet)
    {
        if (string.IsNullOrEmpty(subnet))
        {
            throw new ArgumentException("subnet is missing", nameof(subnet));
        }
        int slash = subnet.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0
            || !IsStrictAddressText(subnet[..slash])
            || !IPAddress.TryParse(subnet.AsSpan(0, slash), out IPAddress? address)
            || !int.TryParse(subnet.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int prefix)
            || prefix > (address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32)
            || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
        {
            throw new ArgumentException($"subnet '{subnet}' is not an address/prefix-length (CIDR)", nameof(subnet));
        }
        var network = new IPNetwork(address, prefix);
        if (!network.BaseAddress.Equals(address))
        {
            throw new ArgumentException(
                $"subnet {subnet} has host bits set: for a prefix length of {prefix} the network address is {IPAddressMath.Format(network.BaseAddress)}",
                nameof(subnet));
        }
        return network;
    }

    private static IPAddress? ParseAddress(string? text, string field)
    {
        if (text is null)
        {
            return null;
        }
        if (!IPAddress.TryParse(text, out IPAddress? address) || !IsStrictAddressText(text)
            || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
        {
            throw new ArgumentException($"{field} '{text}' is not an IP address", field);
        }
        return address;
    }

    /// <summary>Go accepts only dotted quads and colon forms; .NET also takes "10.1" or "0x0a000001" for IPv4.</summary>
    private static bool IsStrictAddressText(string text)
    {
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return true;
        }
        int dots = 0;
        foreach (char c in text)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return dots == 3;
    }

    /// <summary>Whether <paramref name="address"/> lies between <see cref="RangeStart"/> and <see cref="RangeEnd"/>.</summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = IPAddressMath.Canonicalize(address);
        return (address.AddressFamily == AddressFamily.InterNetworkV6) == IsIPv6 && Contains(IPAddressMath.ToValue(address));
    }

    internal bool Contains(UInt128 value) => value >= Start && value <= End;

    /// <summary>
    /// Whether an address of this range may be handed out: not the gateway, not the network address, and for
    /// IPv4 not the broadcast address (the reference plugin hands out an explicit <c>rangeStart</c> equal to the
    /// network address; this one skips it).
    /// </summary>
    internal bool IsAllocatable(UInt128 value) =>
        value != GatewayValue && value != Network && (IsIPv6 || value != Last);

    /// <summary>How many addresses of the range may be handed out, saturating at <see cref="UInt128.MaxValue"/>.</summary>
    internal UInt128 AllocatableCount()
    {
        UInt128 span = End - Start;
        UInt128 count = span == UInt128.MaxValue ? span : span + 1;
        if (Contains(GatewayValue))
        {
            count--;
        }
        if (Network != GatewayValue && Contains(Network))
        {
            count--;
        }
        if (!IsIPv6 && Last != GatewayValue && Contains(Last))
        {
            count--;
        }
        return count;
    }

    internal bool Overlaps(IPRange other) =>
        IsIPv6 == other.IsIPv6 && Start <= other.End && other.Start <= End;

    /// <summary>The reference plugin's form: <c>rangeStart-rangeEnd</c>.</summary>
    public override string ToString() =>
        IPAddressMath.Format(RangeStart) + "-" + IPAddressMath.Format(RangeEnd);
}
