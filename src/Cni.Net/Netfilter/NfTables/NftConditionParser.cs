using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// Reads rule conditions written in nft syntax (as a config hands them to knftables) into native statements, for the
/// forms a node operator restricts traffic with: <c>ip|ip6 saddr|daddr [!=] ADDRESS[/LEN]</c> and
/// <c>iifname|oifname [!=] NAME</c> (<c>NAME*</c> for a prefix). Anything else is refused by name rather than
/// approximated.
/// </summary>
internal static class NftConditionParser
{
    /// <summary>The statements of <paramref name="conditions"/> (each a space-separated sequence of matches).</summary>
    /// <exception cref="FormatException">A condition is not one of the supported forms, or of the other family.</exception>
    public static List<NftExpression> Parse(IEnumerable<string> conditions, AddressFamily family)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        string[] tokens = [.. conditions.SelectMany(c => c.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
        var statements = new List<NftExpression>();
        int i = 0;
        while (i < tokens.Length)
        {
            string keyword = tokens[i++];
            string field = keyword is "ip" or "ip6" ? Next(tokens, ref i, keyword) : keyword;
            bool negated = i < tokens.Length && tokens[i] == "!=";
            if (negated || (i < tokens.Length && tokens[i] == "=="))
            {
                i++;
            }
            string value = Next(tokens, ref i, field);
            switch (keyword, field)
            {
                case ("ip" or "ip6", "saddr" or "daddr"):
                    IPNetwork network = ParseNetwork(value);
                    AddressFamily wanted = keyword == "ip6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
                    if (network.BaseAddress.AddressFamily != wanted || wanted != family)
                    {
                        throw new FormatException($"condition \"{keyword} {field} {value}\" does not fit an {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} rule");
                    }
                    statements.Add(new NftNetworkMatch(field == "saddr", network, negated));
                    break;
                case ("iifname" or "oifname", _):
                    string name = value.Trim('"');
                    if (name.Length is 0 or > 15 || name.AsSpan(0, name.Length - 1).Contains('*'))
                    {
                        throw new FormatException($"condition \"{keyword} {value}\" is not an interface name (1 to 15 characters, '*' only at the end)");
                    }
                    statements.Add(new NftInterfaceNameMatch(keyword == "iifname", name, negated));
                    break;
                default:
                    throw new FormatException($"nftables condition \"{(keyword == field ? keyword : keyword + " " + field)}\" is not supported (only ip/ip6 saddr/daddr and iifname/oifname)");
            }
        }
        return statements;
    }

    private static string Next(string[] tokens, ref int i, string after) =>
        i < tokens.Length ? tokens[i++] : throw new FormatException($"nftables condition ends after \"{after}\"");

    private static IPNetwork ParseNetwork(string text)
    {
        if (IPNetwork.TryParse(text, out IPNetwork network))
        {
            return network;
        }
        if (IPAddress.TryParse(text, out IPAddress? address))
        {
            return new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32);
        }
        throw new FormatException($"\"{text}\" is not an address or a prefix");
    }
}
