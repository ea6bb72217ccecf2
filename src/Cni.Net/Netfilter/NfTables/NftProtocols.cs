using System.Globalization;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// IP protocol names as <c>iptables-save</c> prints them (its table of common protocols, then /etc/protocols), and
/// their numbers for <c>meta l4proto</c>.
/// </summary>
internal static class NftProtocols
{
    private static readonly (string Name, byte Number)[] s_known =
    [
        ("tcp", 6), ("udp", 17), ("udplite", 136), ("icmp", 1), ("ipv6-icmp", 58), ("icmpv6", 58), ("esp", 50),
        ("ah", 51), ("mh", 135), ("sctp", 132), ("dccp", 33), ("gre", 47), ("igmp", 2), ("ipip", 4),
    ];

    /// <exception cref="NetfilterException">The name is unknown.</exception>
    public static byte Number(string name)
    {
        foreach ((string n, byte number) in s_known)
        {
            if (n == name)
            {
                return number;
            }
        }
        if (byte.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out byte parsed))
        {
            return parsed;
        }
        throw new NetfilterException($"unknown protocol '{name}' (the native nf_tables backend knows common names and numbers)");
    }

    /// <summary>The name iptables-save prints for <paramref name="number"/>.</summary>
    public static string Name(byte number)
    {
        foreach ((string n, byte value) in s_known)
        {
            if (value == number)
            {
                return n;
            }
        }
        return number.ToString(CultureInfo.InvariantCulture);
    }
}
