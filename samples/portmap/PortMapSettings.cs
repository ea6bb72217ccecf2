using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.Conventions;

namespace Cni.Net.Samples.PortMap;

/// <summary>One invocation's validated view: the rule knobs, the mappings and the container's addresses.</summary>
internal sealed class PortMapSettings
{
    private PortMapSettings(string network, string backend, PortMapOptions options, List<HostPortMapping> mappings)
    {
        Network = network;
        Backend = backend;
        Options = options;
        Mappings = mappings;
    }

    public string Network { get; }

    /// <summary>The layout: <see cref="ReferenceBackendChoice.Iptables"/> or <see cref="ReferenceBackendChoice.Nftables"/>.</summary>
    public string Backend { get; }

    public bool IsNftables => Backend == ReferenceBackendChoice.Nftables;

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
            throw CniException.InvalidConfig("markMasqBit", $"must be between 0 and 31, not {conf.MarkMasqBit}");
        }
        if (conf.ExternalSetMarkChain is { } external && (external.Length is 0 or > CniNames.MaxChainLength || external.Any(char.IsWhiteSpace)))
        {
            throw CniException.InvalidConfig("externalSetMarkChain", $"'{external}' is not a chain name (1 to {CniNames.MaxChainLength} characters, no spaces)");
        }
        conf.ResolvedBackend = ResolveBackend(conf);
    }

    /// <summary>
    /// The layout, as the reference's ensureBackend decides it: the configured one, else the node's default; keys
    /// that belong to the other layout (<c>externalSetMarkChain</c>, conditions in the other syntax) are refused.
    /// </summary>
    private static string ResolveBackend(PortMapNetConf conf)
    {
        string backend;
        try
        {
            backend = ReferenceBackendChoice.Resolve(conf.Backend);
        }
        catch (ArgumentException e)
        {
            throw CniException.InvalidConfig("backend", e.Message);
        }
        var byLayout = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Note(string? layout, string key)
        {
            if (layout is not null)
            {
                (byLayout.TryGetValue(layout, out List<string>? keys) ? keys : byLayout[layout] = []).Add(key);
            }
        }
        Note(conf.ExternalSetMarkChain is null ? null : ReferenceBackendChoice.Iptables, "externalSetMarkChain");
        Note(SyntaxOf(conf.ConditionsV4), "conditionsV4");
        Note(SyntaxOf(conf.ConditionsV6), "conditionsV6");
        string other = backend == ReferenceBackendChoice.Iptables ? ReferenceBackendChoice.Nftables : ReferenceBackendChoice.Iptables;
        if (byLayout.TryGetValue(other, out List<string>? wrong))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"{backend} backend was requested but configuration contains {other}-specific options [{string.Join(' ', wrong)}]");
        }
        return backend;
    }

    /// <summary>iptables conditions start with '-' or '!'; no nft condition does (the reference's test).</summary>
    private static string? SyntaxOf(List<string>? conditions) =>
        conditions is not { Count: > 0 } || conditions[0].Length == 0 ? null
        : conditions[0][0] is '-' or '!' ? ReferenceBackendChoice.Iptables : ReferenceBackendChoice.Nftables;

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

        List<HostPortMapping> mappings = request.RuntimeConfig?.PortMappings?.ToHostPortMappings() ?? [];
        var settings = new PortMapSettings(request.Config.Name ?? string.Empty, conf.ResolvedBackend ?? ResolveBackend(conf), options, mappings);
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
}
