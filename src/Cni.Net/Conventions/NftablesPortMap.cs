using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.NfTables;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NftNativeProtocol;

namespace Cni.Net.Conventions;

/// <summary>
/// portmap's native nftables layout (plugins v1.9.1, <c>backend: "nftables"</c>), written over nf_tables netlink in
/// the calling thread's namespace: table <c>cni_hostport</c> (families ip and ip6, comment "CNI portmap plugin") with
/// chains <c>hostports</c>, <c>hostip_hostports</c> and <c>hostports_all</c> (jumping to both), base chains
/// <c>prerouting</c> and <c>output</c> (nat, priority dstnat) sending <c>fib daddr type local</c> traffic to
/// <c>hostports_all</c>, and — with SNAT — <c>masquerading</c> (nat postrouting, priority srcnat). Each container's
/// rules carry its container id as their comment; that is how CHECK, DEL and GC find them. Rules and statements are
/// those of plugins/meta/portmap/portmap_nftables.go at v1.9.1, so the reference plugin and this one read and remove
/// each other's rules.
/// </summary>
public static class NftablesPortMap
{
    /// <summary>The table (in both the ip and the ip6 family).</summary>
    public const string Table = "cni_hostport";

    /// <summary>The table's comment.</summary>
    public const string TableComment = "CNI portmap plugin";

    private const string HostPorts = "hostports";
    private const string HostIPHostPorts = "hostip_hostports";
    private const string HostPortsAll = "hostports_all";
    private const string Masquerading = "masquerading";

    private static readonly string[] s_containerChains = [HostPorts, HostIPHostPorts, Masquerading];
    private static readonly AddressFamily[] s_families = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];

    /// <summary>
    /// ADD for one container address: ensures the table's skeleton and appends the container's DNAT rules (mappings
    /// whose host address is of the other family are skipped) and, with <paramref name="snat"/>, its hairpin and
    /// localhost masquerade rules.
    /// </summary>
    /// <param name="network">The network name (recorded in the rules' owner tag for GC).</param>
    /// <param name="containerId">The container id (the rules' comment).</param>
    /// <param name="containerAddress">The pod address the host ports forward to.</param>
    /// <param name="mappings">The host port mappings.</param>
    /// <param name="snat">Masquerade hairpin and localhost connections (portmap's <c>snat</c>, default true).</param>
    /// <param name="conditions">
    /// <c>conditionsV4</c>/<c>conditionsV6</c> in nft syntax, put before the jump of the prerouting and output rules:
    /// <c>ip|ip6 saddr|daddr [!=] PREFIX</c> and <c>iifname|oifname [!=] NAME</c>.
    /// </param>
    /// <exception cref="ArgumentException">A protocol other than tcp, udp or sctp, a port 0, or a condition that is not
    /// of the supported forms.</exception>
    /// <exception cref="NetfilterException">nf_tables refused the change (nothing was applied).</exception>
    public static void Add(string network, string containerId, IPAddress containerAddress, IReadOnlyList<HostPortMapping> mappings, bool snat,
        IReadOnlyList<string>? conditions = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        ArgumentNullException.ThrowIfNull(containerAddress);
        ArgumentNullException.ThrowIfNull(mappings);
        NftNativeTransaction transaction = BuildAdd(network, containerId, containerAddress, mappings, snat, conditions);
        NftNativeRuleset.Run(socket => transaction.Commit(socket));
    }

    internal static NftNativeTransaction BuildAdd(string network, string containerId, IPAddress containerAddress, IReadOnlyList<HostPortMapping> mappings,
        bool snat, IReadOnlyList<string>? conditions = null)
    {
        List<NftExpression> filter;
        try
        {
            filter = NftConditionParser.Parse(conditions ?? [], containerAddress.AddressFamily);
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, nameof(conditions), e);
        }
        string owner = OwnerTag(network);
        AddressFamily family = containerAddress.AddressFamily;
        bool v6 = family == AddressFamily.InterNetworkV6;
        var tx = new NftNativeTransaction(family, Table)
            .AddTable(TableComment)
            .AddChain(new NftNativeChain(HostPorts))
            .AddChain(new NftNativeChain(HostIPHostPorts))
            .ReplaceChain(new NftNativeChain(HostPortsAll), [new NftJump(HostIPHostPorts)], [new NftJump(HostPorts)]);
        foreach ((string name, uint hook) in (ReadOnlySpan<(string, uint)>)[("prerouting", NF_INET_PRE_ROUTING), ("output", NF_INET_LOCAL_OUT)])
        {
            tx.ReplaceChain(new NftNativeChain(name, "nat", hook, DstNatPriority), [.. filter, new NftLocalDestinationMatch(), new NftJump(HostPortsAll)]);
        }
        if (snat)
        {
            tx.AddChain(new NftNativeChain(Masquerading, "nat", NF_INET_POST_ROUTING, SrcNatPriority));
        }
        foreach (HostPortMapping m in mappings)
        {
            if (m.HostPort == 0 || m.ContainerPort == 0)
            {
                throw new ArgumentException($"invalid port mapping {m.HostPort} -> {m.ContainerPort}: ports must be positive");
            }
            byte protocol = m.Protocol.ToLowerInvariant() switch
            {
                "tcp" => 6,
                "udp" => 17,
                "sctp" => 132,
                _ => throw new ArgumentException($"unsupported port mapping protocol '{m.Protocol}' (tcp, udp or sctp)"),
            };
            var statements = new List<NftExpression>(3);
            if (m.HostAddress is { } hostAddress)
            {
                if (hostAddress.AddressFamily != family)
                {
                    continue; // as the reference: a host address of the other family is ignored
                }
                if (!hostAddress.Equals(IPAddress.Any) && !hostAddress.Equals(IPAddress.IPv6Any))
                {
                    statements.Add(new NftAddressMatch(Source: false, hostAddress));
                }
            }
            statements.Add(new NftDestinationPortMatch(protocol, m.HostPort));
            statements.Add(new NftDnat(containerAddress, m.ContainerPort));
            tx.AddRule(new NftNativeRule(HostPorts, statements, containerId, owner));
        }
        if (snat)
        {
            tx.AddRule(new NftNativeRule(Masquerading,
                [new NftAddressMatch(true, containerAddress), new NftAddressMatch(false, containerAddress), new NftMasquerade()], containerId, owner));
            if (!v6)
            {
                tx.AddRule(new NftNativeRule(Masquerading,
                    [new NftAddressMatch(true, IPAddress.Loopback), new NftAddressMatch(false, containerAddress), new NftMasquerade()], containerId, owner));
            }
        }
        return tx;
    }

    /// <summary>
    /// CHECK, as the reference counts: at least one <c>hostports</c> rule per mapping of the address's family and,
    /// with SNAT, the masquerade rules, all carrying the container id. Returns what is missing, or null.
    /// </summary>
    /// <exception cref="NetfilterException">nf_tables could not be read.</exception>
    public static string? Check(string containerId, IPAddress containerAddress, IReadOnlyList<HostPortMapping> mappings, bool snat)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        ArgumentNullException.ThrowIfNull(containerAddress);
        ArgumentNullException.ThrowIfNull(mappings);
        AddressFamily family = containerAddress.AddressFamily;
        int hostPorts = mappings.Count(m => m.HostAddress is null || m.HostAddress.AddressFamily == family);
        int masquerades = snat ? (family == AddressFamily.InterNetworkV6 ? 1 : 2) : 0;
        string? problem = null;
        NftNativeRuleset.Run(socket =>
        {
            List<NftListedRule> rules = NftNativeRuleset.ListRules(socket, family, Table) ?? [];
            if (rules.Count(r => r.Chain == HostPorts && r.Comment == containerId) < hostPorts)
            {
                problem = $"missing hostport rules in \"{HostPorts}\" chain";
            }
            else if (rules.Count(r => r.Chain == Masquerading && r.Comment == containerId) < masquerades)
            {
                problem = $"missing hostport rules in \"{Masquerading}\" chain";
            }
        });
        return problem;
    }

    /// <summary>DEL: removes every rule of the container (by its comment) from both families' tables.</summary>
    /// <returns>How many rules were removed.</returns>
    /// <exception cref="NetfilterException">nf_tables refused the change.</exception>
    public static int Delete(string containerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        return Remove((comment, _) => comment == containerId);
    }

    /// <summary>
    /// GC: removes the rules <paramref name="network"/> wrote for containers not in <paramref name="validContainerIds"/>.
    /// Rules of other networks, and rules without an owner tag (written by the reference plugin, which cannot say
    /// whose they are), stay.
    /// </summary>
    /// <returns>How many rules were removed.</returns>
    /// <exception cref="NetfilterException">nf_tables refused the change.</exception>
    public static int GarbageCollect(string network, IEnumerable<string> validContainerIds)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(validContainerIds);
        var valid = new HashSet<string>(validContainerIds, StringComparer.Ordinal);
        string owner = OwnerTag(network);
        return Remove((comment, tag) => tag == owner && comment is not null && !valid.Contains(comment));
    }

    /// <summary>The owner tag of a network's rules: its name, or a hash of it when the name is too long for a tag.</summary>
    internal static string OwnerTag(string network) =>
        System.Text.Encoding.UTF8.GetByteCount(network) < byte.MaxValue ? network : "sha512:" + NftablesIPMasquerade.NetworkPrefix(network);

    private static int Remove(Func<string?, string?, bool> stale)
    {
        int removed = 0;
        NftNativeRuleset.Run(socket =>
        {
            foreach (AddressFamily family in s_families)
            {
                removed += NftNativeRuleset.DeleteRules(socket, family, Table,
                    rule => Array.IndexOf(s_containerChains, rule.Chain) >= 0 && stale(rule.Comment, rule.Owner));
            }
        });
        return removed;
    }
}
