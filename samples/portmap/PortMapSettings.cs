using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.Conventions;

namespace Cni.Net.Samples.PortMap;

/// <summary>One invocation's validated view: the rule knobs, the mappings and the container's addresses.</summary>
internal sealed class PortMapSettings
{
    private PortMapSettings(string network, PortMapOptions options, List<HostPortMapping> mappings)
    {
        Network = network;
        Options = options;
        Mappings = mappings;
    }

    public string Network { get; }

    public PortMapOptions Options { get; }

    public List<HostPortMapping> Mappings { get; }

    /// <summary>The first IPv4 and first IPv6 address of the previous result, with their prefix lengths.</summary>
    public List<CniIPNet> ContainerAddresses { get; } = [];

    /// <summary>The checks the reference makes on its own keys (the mappings are checked as they are read).</summary>
    public static void Validate(PortMapNetConf conf)
    {
        if (conf.MarkMasqBit is int && conf.ExternalSetMarkChain is not null)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "cannot specify externalSetMarkChain and markMasqBit");
        }
        if (conf.MarkMasqBit is < 0 or > 31)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"markMasqBit must be between 0 and 31, not {conf.MarkMasqBit}");
        }
        if (conf.ExternalSetMarkChain is { } external && (external.Length is 0 or > CniNames.MaxChainLength || external.Any(char.IsWhiteSpace)))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"externalSetMarkChain '{external}' is not a chain name (1 to {CniNames.MaxChainLength} characters, no spaces)");
        }
    }

    public static PortMapSettings Read(CniPluginRequest<PortMapNetConf> request)
    {
        PortMapNetConf conf = request.NetConf;
        var options = new PortMapOptions
        {
            Snat = conf.Snat ?? true,
            MarkMasqBit = conf.MarkMasqBit ?? 13,
            ExternalSetMarkChain = conf.ExternalSetMarkChain,
            MasqueradeAll = conf.MasqAll ?? false,
            ConditionsV4 = conf.ConditionsV4,
            ConditionsV6 = conf.ConditionsV6,
        };

        var mappings = new List<HostPortMapping>();
        IReadOnlyList<PortMapping>? entries = request.RuntimeConfig?.PortMappings;
        if (entries is not null)
        {
            for (int i = 0; i < entries.Count; i++)
            {
                mappings.Add(ToMapping(entries[i], i));
            }
        }
        var settings = new PortMapSettings(request.Config.Name ?? string.Empty, options, mappings);
        if (request.PrevResult is { } prev)
        {
            AddFirst(settings.ContainerAddresses, prev, AddressFamily.InterNetwork, request.IfName);
            AddFirst(settings.ContainerAddresses, prev, AddressFamily.InterNetworkV6, request.IfName);
        }
        return settings;
    }

    private static void AddFirst(List<CniIPNet> into, CniResult result, AddressFamily family, string ifName)
    {
        foreach (CniIPConfig ip in result.IPs)
        {
            if (ip.Address.Address?.AddressFamily == family && !OnAnotherInterface(ip, result, ifName))
            {
                into.Add(ip.Address);
                return;
            }
        }
    }

    /// <summary>
    /// An address the result puts on a known interface that is not the pod's CNI_IFNAME inside the sandbox (a node
    /// side address, say): the reference skips those when it picks the address to forward to. An address without an
    /// interface index, or with one out of range, still counts.
    /// </summary>
    private static bool OnAnotherInterface(CniIPConfig ip, CniResult result, string ifName) =>
        ip.Interface is int i && i >= 0 && i < result.Interfaces.Count &&
        (result.Interfaces[i].Name != ifName || string.IsNullOrEmpty(result.Interfaces[i].Sandbox));

    private static HostPortMapping ToMapping(PortMapping entry, int index)
    {
        string where = $"runtimeConfig.portMappings[{index}]";
        if (entry.HostPort is <= 0 or > ushort.MaxValue)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{where}: invalid host port number: {entry.HostPort}");
        }
        if (entry.ContainerPort is <= 0 or > ushort.MaxValue)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{where}: invalid container port number: {entry.ContainerPort}");
        }
        string protocol = string.IsNullOrEmpty(entry.Protocol) ? "tcp" : entry.Protocol.ToLowerInvariant();
        if (protocol is not ("tcp" or "udp" or "sctp"))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{where}: protocol must be tcp, udp or sctp, not '{entry.Protocol}'");
        }
        IPAddress? hostAddress = null;
        if (!string.IsNullOrEmpty(entry.HostIP) && !IPAddress.TryParse(entry.HostIP, out hostAddress))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{where}: hostIP '{entry.HostIP}' is not an IP address");
        }
        return new HostPortMapping((ushort)entry.HostPort, (ushort)entry.ContainerPort, protocol, hostAddress);
    }
}
