using System.Net;
using System.Net.Sockets;
using System.Text;
using Cni.Net.Netfilter;
using Cni.Net.Netfilter.NfTables;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NftNativeProtocol;

namespace Cni.Net.Conventions;

/// <summary>
/// The reference plugins' nftables IP masquerade layout (<c>ipMasqBackend: "nftables"</c>, plugins v1.9.1
/// pkg/ip/ipmasq_nftables_linux.go), over nf_tables netlink in the calling thread's namespace: table
/// <c>inet cni_plugins_masquerade</c>; chain <c>postrouting</c> (nat, srcnat) returning multicast and going to
/// <c>masq_checks</c>, where each attachment has, per address, <c>ip saddr A ip daddr != SUBNET masquerade</c>
/// commented <c>"&lt;hash(net)&gt;-&lt;hash(if:id)&gt;, net: N, if: I, id: C"</c>. The hashes let DEL find an attachment's
/// rules and GC a network's.
/// </summary>
public static class NftablesIPMasquerade
{
    /// <summary>The table (family inet).</summary>
    public const string Table = "cni_plugins_masquerade";

    /// <summary>The per-attachment chain.</summary>
    public const string Chain = "masq_checks";

    private const string TableComment = "Masquerading for plugins from github.com/containernetworking/plugins";
    private const string ChainComment = "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet";

    /// <summary>The first 16 hex digits of SHA-512 (the reference's <c>MustFormatHashWithPrefix(16, "", s)</c>).</summary>
    internal static string Hash16(string s) =>
        Convert.ToHexStringLower(Interop.Sha512.HashData(Encoding.UTF8.GetBytes(s)))[..16];

    /// <summary>The comment prefix of all of a network's rules.</summary>
    public static string NetworkPrefix(string network) => Hash16(network);

    /// <summary>The comment prefix of one attachment's rules.</summary>
    public static string InstancePrefix(string network, string ifName, string containerId) =>
        Hash16(network) + "-" + Hash16(ifName + ":" + containerId);

    /// <summary>The comment of an attachment's rules (at most 128 characters, as knftables cuts it).</summary>
    public static string Comment(string network, string ifName, string containerId)
    {
        string comment = $"{InstancePrefix(network, ifName, containerId)}, net: {network.Replace("\"", "", StringComparison.Ordinal)}, " +
            $"if: {ifName.Replace("\"", "", StringComparison.Ordinal)}, id: {containerId.Replace("\"", "", StringComparison.Ordinal)}";
        return comment.Length > NftNativeTransaction.MaxCommentBytes ? comment[..NftNativeTransaction.MaxCommentBytes] : comment;
    }

    /// <summary>
    /// ADD: ensures the table and its chains, replaces the attachment's previous rules, and adds one masquerade rule
    /// per address (the pod's address and prefix length: traffic to its own subnet is not masqueraded).
    /// </summary>
    /// <exception cref="NetfilterException">nf_tables refused the change (nothing was applied).</exception>
    public static void Setup(string network, string ifName, string containerId, IEnumerable<(IPAddress Address, int PrefixLength)> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        NftNativeRuleset.Run(socket =>
        {
            List<ulong> stale = NftNativeRuleset.FindRuleHandles(socket, AddressFamily.Unspecified, Table, Chain,
                InstancePrefix(network, ifName, containerId)) ?? [];
            var tx = new NftNativeTransaction(AddressFamily.Unspecified, Table)
                .AddTable(TableComment)
                .AddChain(new NftNativeChain(Chain, Comment: ChainComment))
                .ReplaceChain(new NftNativeChain("postrouting", "nat", NF_INET_POST_ROUTING, SrcNatPriority),
                    [new NftFamilyMatch(AddressFamily.InterNetwork), new NftNetworkMatch(false, IPNetwork.Parse("224.0.0.0/4")), NftJump.Return],
                    [new NftFamilyMatch(AddressFamily.InterNetworkV6), new NftNetworkMatch(false, IPNetwork.Parse("ff00::/8")), NftJump.Return],
                    [new NftJump(Chain, Goto: true)]);
            foreach (ulong handle in stale)
            {
                tx.DeleteRule(Chain, handle);
            }
            string comment = Comment(network, ifName, containerId);
            foreach ((IPAddress address, int prefixLength) in addresses)
            {
                var subnet = new IPNetwork(IPMasquerade.Mask(address, prefixLength), prefixLength);
                tx.AddRule(new NftNativeRule(Chain, [new NftFamilyMatch(address.AddressFamily),
                    new NftNetworkMatch(true, new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32)),
                    new NftNetworkMatch(false, subnet, Negated: true), new NftMasquerade()], comment));
            }
            tx.Commit(socket);
        });
    }

    /// <summary>DEL: removes the attachment's rules. Returns how many.</summary>
    /// <exception cref="NetfilterException">nf_tables refused the change.</exception>
    public static int Teardown(string network, string ifName, string containerId)
    {
        string prefix = InstancePrefix(network, ifName, containerId);
        int removed = 0;
        NftNativeRuleset.Run(socket =>
        {
            var tx = new NftNativeTransaction(AddressFamily.Unspecified, Table);
            foreach (ulong handle in NftNativeRuleset.FindRuleHandles(socket, AddressFamily.Unspecified, Table, Chain, prefix) ?? [])
            {
                tx.DeleteRule(Chain, handle);
            }
            tx.Commit(socket);
            removed = tx.Count;
        });
        return removed;
    }

    /// <summary>GC: removes the network's rules of attachments not in <paramref name="valid"/>. Returns how many.</summary>
    /// <exception cref="NetfilterException">nf_tables refused the change.</exception>
    public static int GarbageCollect(string network, IEnumerable<(string ContainerId, string IfName)> valid)
    {
        ArgumentNullException.ThrowIfNull(valid);
        string prefix = NetworkPrefix(network);
        var keep = new HashSet<string>(valid.Select(a => Comment(network, a.IfName, a.ContainerId)), StringComparer.Ordinal);
        return Remove(c => c.StartsWith(prefix, StringComparison.Ordinal) && !keep.Contains(c));
    }

    /// <summary>Whether the attachment has at least <paramref name="count"/> rules (CHECK).</summary>
    /// <exception cref="NetfilterException">nf_tables could not be read.</exception>
    public static bool HasRules(string network, string ifName, string containerId, int count)
    {
        string prefix = InstancePrefix(network, ifName, containerId);
        int found = 0;
        NftNativeRuleset.Run(socket => found = NftNativeRuleset.FindRuleHandles(socket, AddressFamily.Unspecified, Table, Chain, prefix)?.Count ?? 0);
        return found >= count;
    }

    private static int Remove(Func<string, bool> stale)
    {
        int removed = 0;
        NftNativeRuleset.Run(socket => removed = NftNativeRuleset.DeleteRules(socket, AddressFamily.Unspecified, Table,
            rule => rule.Chain == Chain && rule.Comment is { } c && stale(c)));
        return removed;
    }
}
