using System.Net;
using Cni.Net.Spec;

namespace Cni.Net.Ipam;

/// <summary>
/// The static IPAM engine: the addresses a configuration names, as the reference <c>static</c> plugin resolves
/// them — the configured <c>addresses</c>, plus those of the <c>IP</c> CNI_ARGS (comma-separated CIDRs) whose
/// gateways the <c>GATEWAY</c> CNI_ARGS assigns by containment; <c>args.cni.ips</c> replaces the list, and the
/// <c>ips</c> capability (runtimeConfig) replaces it again. Addresses keep their host bits.
/// </summary>
public static class StaticIpam
{
    /// <summary>Resolves the pod's addresses.</summary>
    /// <param name="configured">The <c>ipam.addresses</c> entries: address (CIDR) and optional gateway.</param>
    /// <param name="args">CNI_ARGS (<c>IP</c>, <c>GATEWAY</c>).</param>
    /// <param name="argsIps"><c>args.cni.ips</c>, or null.</param>
    /// <param name="runtimeIps"><c>runtimeConfig.ips</c>, or null.</param>
    /// <param name="cniVersion">The config's version: before 0.3.0 at most one address per family.</param>
    /// <returns>The addresses with their gateways, in order.</returns>
    /// <exception cref="CniException">An address is not CIDR, a gateway not an address, or too many addresses for the version (code 7).</exception>
    public static List<CniIPConfig> ResolveAddresses(IEnumerable<(string Address, string? Gateway)> configured, CniArgs args,
        IReadOnlyList<string>? argsIps, IReadOnlyList<string>? runtimeIps, CniVersion cniVersion)
    {
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(args);
        var addresses = new List<CniIPConfig>();
        foreach ((string address, string? gateway) in configured)
        {
            addresses.Add(new CniIPConfig
            {
                Address = ParseCidr(address, "the 'address' field is expected to be in CIDR notation, got: '{0}'"),
                Gateway = string.IsNullOrEmpty(gateway) ? null : ParseAddress(gateway),
            });
        }
        if (args.TryGetValue("IP", out string? envIps) && envIps.Length > 0)
        {
            foreach (string item in envIps.Split(','))
            {
                addresses.Add(new CniIPConfig { Address = ParseCidr(item.Trim(), "the 'ip' field is expected to be in CIDR notation, got: '{0}'") });
            }
        }
        if (args.TryGetValue("GATEWAY", out string? envGateways) && envGateways.Length > 0)
        {
            foreach (string item in envGateways.Split(','))
            {
                IPAddress gateway = ParseAddress(item.Trim());
                foreach (CniIPConfig ip in addresses)
                {
                    if (ip.Address.Network.Contains(gateway))
                    {
                        ip.Gateway = gateway;
                    }
                }
            }
        }
        foreach (IReadOnlyList<string>? replacement in (IReadOnlyList<string>?[])[argsIps, runtimeIps])
        {
            if (replacement is { Count: > 0 })
            {
                addresses = [.. replacement.Select(a => new CniIPConfig
                {
                    Address = ParseCidr(a, "an entry in the 'ips' field is NOT in CIDR notation, got: '{0}'"),
                })];
            }
        }
        int v4 = addresses.Count(a => a.Address.IsIPv4);
        if ((v4 > 1 || addresses.Count - v4 > 1) && cniVersion < CniVersion.V0_3_0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"CNI version {cniVersion} does not support more than 1 address per family");
        }
        return addresses;
    }

    /// <summary>
    /// CHECK as the reference: each configured address found in the previous result must carry the configured
    /// gateway (when one is configured).
    /// </summary>
    /// <param name="addresses">The resolved addresses.</param>
    /// <param name="previous">The previous result.</param>
    /// <returns>Null when they agree, else the address that does not.</returns>
    public static string? Verify(IEnumerable<CniIPConfig> addresses, CniResult previous)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(previous);
        foreach (CniIPConfig configured in addresses)
        {
            CniIPConfig? found = previous.IPs.FirstOrDefault(ip => ip.Address.Address.Equals(configured.Address.Address));
            if (found is not null && configured.Gateway is not null && !configured.Gateway.Equals(found.Gateway))
            {
                return $"static: Failed to match addr {found.Address.Address}";
            }
        }
        return null;
    }

    private static CniIPNet ParseCidr(string text, string format) =>
        CniIPNet.TryParse(text, out CniIPNet net)
            ? net
            : throw new CniException(CniErrorCode.InvalidNetworkConfig, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, text));

    private static IPAddress ParseAddress(string text) =>
        CniIPNet.TryParseAddress(text, out IPAddress? address)
            ? address
            : throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid gateway address: {text}");
}
