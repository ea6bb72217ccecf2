using System.Net;
using System.Net.Sockets;
using Cni.Net.Conventions;
using Cni.Net.Netfilter;
using Cni.Net.Plugins;
using Cni.Net.Conventions.Links;
using Cni.Net.Spec;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Net.Samples.Firewall;

/// <summary>
/// The reference firewall plugin's iptables backend on Cni.Net's netfilter engine: per family one nf_tables
/// transaction adds the CNI-FORWARD/CNI-ADMIN chains and the pod's accept rules (and the isolation stages of the
/// <c>same-bridge</c>/<c>isolated</c> ingress policies). The firewalld backend is refused: it needs D-Bus and a
/// running firewalld, which this plugin does not talk to.
/// </summary>
internal sealed class FirewallPlugin() : CniPlugin<FirewallConfig>(FirewallConfig.ReadCniConfig)
{
    private const string MissingPrevResult = "missing prevResult from earlier plugin";

    // As the reference: the firewall needs a previous result, which exists from 0.4.0 on... and CHECK with it.
    public override IReadOnlyList<CniVersion> SupportedVersions { get; } = [.. CniVersion.Supported.Where(v => v >= CniVersion.Parse("0.4.0"))];

    protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<FirewallConfig> request, CancellationToken cancellationToken)
    {
        FirewallConfig config = request.NetConf;
        CniResult previous = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, MissingPrevResult);
        string? bridge = null;
        if (config.IngressPolicy is "same-bridge" or "isolated")
        {
            bridge = previous.Interfaces.Count > 0 ? previous.Interfaces[0].Name : null;
            if (string.IsNullOrEmpty(bridge))
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig,
                    $"interface needs to be set for ingress policy \"{config.IngressPolicy}\", make sure to chain \"firewall\" plugin with \"bridge\"");
            }
        }
        var backend = new NftablesBackend();
        foreach (AddressFamily family in Families(previous))
        {
            NetfilterTransaction transaction = FirewallRules.AddSetup(new NetfilterTransaction(family), Addresses(previous), config.IptablesAdminChainName);
            if (bridge is not null)
            {
                FirewallRules.AddIsolation(transaction, bridge, config.IngressPolicy == "isolated");
            }
            await backend.ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
        return previous;
    }

    protected override async ValueTask DelAsync(CniPluginRequest<FirewallConfig> request, CancellationToken cancellationToken)
    {
        // Without prevResult the reference removes nothing either: the rules are keyed by the pod's addresses only.
        if (request.PrevResult is not { } previous)
        {
            return;
        }
        var backend = new NftablesBackend();
        foreach (AddressFamily family in Families(previous))
        {
            await backend.ApplyAsync(FirewallRules.AddTeardown(new NetfilterTransaction(family), Addresses(previous)), cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async ValueTask CheckAsync(CniPluginRequest<FirewallConfig> request, CancellationToken cancellationToken)
    {
        FirewallConfig config = request.NetConf;
        CniResult previous = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, MissingPrevResult);
        var backend = new NftablesBackend();
        foreach (AddressFamily family in Families(previous))
        {
            NetfilterTableState filter = await backend.ReadTableAsync(family, NetfilterTable.Filter, cancellationToken).ConfigureAwait(false);
            if (FirewallRules.Verify(filter, Addresses(previous), config.IptablesAdminChainName) is { } missing)
            {
                throw new CniException(PodInterface.CheckFailedCode, missing);
            }
        }
    }

    protected override void Validate(FirewallConfig config, CniPluginRequest request)
    {
        switch (config.Backend)
        {
            case null or "" or "iptables":
                break;
            case "firewalld":
                throw new CniException(CniErrorCode.InvalidNetworkConfig, "firewalld not available: this plugin implements the iptables backend only");
            default:
                throw new CniException(CniErrorCode.InvalidNetworkConfig, $"unknown firewall backend \"{config.Backend}\" (iptables or firewalld)");
        }
        if (config.IngressPolicy is not (null or "" or "open" or "same-bridge" or "isolated"))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"unknown ingress policy: \"{config.IngressPolicy}\"");
        }
    }

    private static IEnumerable<IPAddress> Addresses(CniResult result) => result.IPs.Select(ip => ip.Address.Address);

    private static IEnumerable<AddressFamily> Families(CniResult result) => result.IPs.Select(ip => ip.Address.Address.AddressFamily).Distinct();
}
