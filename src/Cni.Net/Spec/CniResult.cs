using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cni.Net.Spec;

/// <summary>
/// A plugin's ADD result. One model (the 1.1.0 superset) for every version; <see cref="CniVersion"/> says which
/// wire format it is written in: <c>ip4</c>/<c>ip6</c> up to 0.2.0, <c>interfaces</c>/<c>ips</c>/<c>routes</c>/<c>dns</c>
/// from 0.3.0 (with <c>ips[].version</c> until 0.4.0), interface and route extras from 1.1.0.
/// </summary>
public sealed partial class CniResult
{
    /// <summary>Creates an empty result in <see cref="CniVersion.Latest"/> format.</summary>
    public CniResult()
        : this(CniVersion.Latest)
    {
    }

    /// <summary>Creates an empty result in the given version's format.</summary>
    public CniResult(CniVersion cniVersion)
    {
        CniVersion = cniVersion;
    }

    /// <summary>The version whose wire format this result has.</summary>
    public CniVersion CniVersion { get; set; }

    /// <summary>Interfaces created or configured (0.3.0 and later).</summary>
    public IList<CniInterface> Interfaces { get; } = new List<CniInterface>();

    /// <summary>Assigned addresses.</summary>
    public IList<CniIPConfig> IPs { get; } = new List<CniIPConfig>();

    /// <summary>Routes.</summary>
    public IList<CniRoute> Routes { get; } = new List<CniRoute>();

    /// <summary>DNS settings; null when absent (an empty value is written as <c>{}</c>, as Go plugins do).</summary>
    public CniDns? Dns { get; set; }

    /// <summary>
    /// Converts to another version with the spec's rules: to 0.1.0/0.2.0 only the first IPv4 and first IPv6
    /// address survive (with the routes of their family) and interfaces are dropped; below 1.1.0 the interface
    /// <c>mtu</c>/<c>socketPath</c>/<c>pciID</c> and route <c>mtu</c>/<c>advmss</c>/<c>priority</c>/<c>table</c>/<c>scope</c>
    /// are dropped. The result is a new object; this one is unchanged.
    /// </summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.IncompatibleVersion"/>: the version is not supported,
    /// or the target is 0.1.0/0.2.0 and the result has no IP address.</exception>
    public CniResult ConvertTo(CniVersion version)
    {
        if (!version.IsSupported)
        {
            throw new CniException(CniErrorCode.IncompatibleVersion,
                $"cannot convert a result to version {version}: supported versions are {string.Join(", ", CniVersion.Supported)}");
        }
        var converted = new CniResult(version) { Dns = Dns?.Clone() };
        if (version < CniVersion.V0_3_0)
        {
            CniIPConfig? ip4 = null;
            CniIPConfig? ip6 = null;
            foreach (CniIPConfig ip in IPs)
            {
                if (ip.Address.IsIPv4)
                {
                    ip4 ??= ip;
                }
                else
                {
                    ip6 ??= ip;
                }
            }
            if (ip4 is null && ip6 is null)
            {
                throw new CniException(CniErrorCode.IncompatibleVersion,
                    $"cannot convert a result to version {version}: it has no IP addresses");
            }
            foreach (CniIPConfig? ip in (ReadOnlySpan<CniIPConfig?>)[ip4, ip6])
            {
                if (ip is not null)
                {
                    converted.IPs.Add(new CniIPConfig { Address = ip.Address, Gateway = ip.Gateway });
                }
            }
            foreach (CniRoute route in Routes)
            {
                if (route.Destination.IsIPv4 ? ip4 is not null : ip6 is not null)
                {
                    converted.Routes.Add(new CniRoute { Destination = route.Destination, Gateway = route.Gateway });
                }
            }
            return converted;
        }
        bool keepV11 = version >= CniVersion.V1_1_0;
        foreach (CniInterface i in Interfaces)
        {
            CniInterface copy = i.Clone();
            if (!keepV11)
            {
                copy.Mtu = null;
                copy.SocketPath = null;
                copy.PciId = null;
            }
            converted.Interfaces.Add(copy);
        }
        foreach (CniIPConfig ip in IPs)
        {
            converted.IPs.Add(ip.Clone());
        }
        foreach (CniRoute route in Routes)
        {
            CniRoute copy = route.Clone();
            if (!keepV11)
            {
                copy.Mtu = null;
                copy.AdvMss = null;
                copy.Priority = null;
                copy.Table = null;
                copy.Scope = null;
            }
            converted.Routes.Add(copy);
        }
        return converted;
    }

    /// <summary>A deep copy.</summary>
    public CniResult Clone()
    {
        var copy = new CniResult(CniVersion) { Dns = Dns?.Clone() };
        foreach (CniInterface i in Interfaces)
        {
            copy.Interfaces.Add(i.Clone());
        }
        foreach (CniIPConfig ip in IPs)
        {
            copy.IPs.Add(ip.Clone());
        }
        foreach (CniRoute r in Routes)
        {
            copy.Routes.Add(r.Clone());
        }
        return copy;
    }

    /// <summary>The result as UTF-8 JSON in the wire format of <see cref="CniVersion"/>.</summary>
    /// <param name="indented">Indent with four spaces, as the Go plugins print results.</param>
    public byte[] ToUtf8Bytes(bool indented = false)
    {
        Utf8JsonWriter writer = CniJson.RentWriter(indented);
        WriteTo(writer);
        return CniJson.ToArrayAndReset(writer);
    }

    /// <summary>The result as a JSON node (for example to inject as <c>prevResult</c>).</summary>
    public JsonNode ToJsonNode() => JsonNode.Parse(ToUtf8Bytes())!;
}
