using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;

namespace Cni.Net.Conventions;

/// <summary>
/// The reference firewall plugin's iptables layout, in the filter table: <c>FORWARD</c> jumps first to
/// <c>CNI-FORWARD</c> ("CNI firewall plugin rules"), whose first rule jumps to the admin chain (<c>CNI-ADMIN</c> by
/// default, "CNI firewall plugin admin overrides"), then per pod address <c>-d &lt;ip&gt; -m conntrack --ctstate
/// RELATED,ESTABLISHED -j ACCEPT</c> and <c>-s &lt;ip&gt; -j ACCEPT</c>. The ingress policies <c>same-bridge</c> and
/// <c>isolated</c> add the two-stage bridge isolation chains that podman's networks use.
/// </summary>
public static class FirewallRules
{
    /// <summary>The chain FORWARD jumps to.</summary>
    public const string ForwardChain = "CNI-FORWARD";

    /// <summary>The admin chain when <c>iptablesAdminChainName</c> is not set.</summary>
    public const string DefaultAdminChain = "CNI-ADMIN";

    /// <summary>The first isolation stage, jumped to from FORWARD.</summary>
    public const string IsolationStage1 = "CNI-ISOLATION-STAGE-1";

    /// <summary>The second isolation stage.</summary>
    public const string IsolationStage2 = "CNI-ISOLATION-STAGE-2";

    private const string FilterComment = "CNI firewall plugin rules";
    private const string AdminComment = "CNI firewall plugin admin overrides";
    private const string IsolationComment = "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)";

    /// <summary>
    /// Adds the pod's rules: both chains, FORWARD's jump and the admin jump (each inserted first unless present),
    /// then the two rules per address of the transaction's family. Idempotent. Does nothing without an address of
    /// the family (the reference touches no chain then).
    /// </summary>
    /// <param name="transaction">A transaction of one family.</param>
    /// <param name="podAddresses">The pod's addresses (other families are skipped).</param>
    /// <param name="adminChain">The admin chain; null or empty for <see cref="DefaultAdminChain"/>.</param>
    /// <returns>The transaction.</returns>
    public static NetfilterTransaction AddSetup(NetfilterTransaction transaction, IEnumerable<IPAddress> podAddresses, string? adminChain = null)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        List<NetfilterRule> rules = PodRules(transaction.Family, podAddresses);
        if (rules.Count == 0)
        {
            return transaction;
        }
        string admin = AdminChain(adminChain);
        transaction
            .EnsureChain(NetfilterTable.Filter, ForwardChain)
            .EnsureChain(NetfilterTable.Filter, admin)
            .InsertUnique(NetfilterTable.Filter, "FORWARD", 1, ForwardJump())
            .InsertUnique(NetfilterTable.Filter, ForwardChain, 1, AdminJump(admin));
        foreach (NetfilterRule rule in rules)
        {
            transaction.AppendUnique(NetfilterTable.Filter, ForwardChain, rule);
        }
        return transaction;
    }

    /// <summary>Removes the pod's rules (the chains stay, as the reference leaves them); nothing where they are gone.</summary>
    /// <param name="transaction">A transaction of one family.</param>
    /// <param name="podAddresses">The pod's addresses (other families are skipped).</param>
    /// <returns>The transaction.</returns>
    public static NetfilterTransaction AddTeardown(NetfilterTransaction transaction, IEnumerable<IPAddress> podAddresses)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        foreach (NetfilterRule rule in PodRules(transaction.Family, podAddresses))
        {
            transaction.Delete(NetfilterTable.Filter, ForwardChain, rule, ignoreMissing: true);
        }
        return transaction;
    }

    /// <summary>
    /// CHECK: FORWARD jumps to <see cref="ForwardChain"/>, which jumps to the admin chain and holds the pod's rules.
    /// </summary>
    /// <param name="filter">The filter table of one family as it is now.</param>
    /// <param name="podAddresses">The pod's addresses (other families are skipped).</param>
    /// <param name="adminChain">The admin chain; null or empty for <see cref="DefaultAdminChain"/>.</param>
    /// <returns>Null when all is there, else what is missing.</returns>
    public static string? Verify(NetfilterTableState filter, IEnumerable<IPAddress> podAddresses, string? adminChain = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        List<NetfilterRule> rules = PodRules(filter.Family, podAddresses);
        if (rules.Count == 0)
        {
            return null;
        }
        string admin = AdminChain(adminChain);
        if (filter.FindChain(admin) is null)
        {
            return $"chain {admin} not found";
        }
        if (filter.FindChain("FORWARD") is not { } forward || !forward.Rules.Contains(ForwardJump()))
        {
            return $"FORWARD does not jump to {ForwardChain}";
        }
        if (filter.FindChain(ForwardChain) is not { } chain)
        {
            return $"chain {ForwardChain} not found";
        }
        if (!chain.Rules.Contains(AdminJump(admin)))
        {
            return $"{ForwardChain} does not jump to {admin}";
        }
        foreach (NetfilterRule rule in rules)
        {
            if (!chain.Rules.Contains(rule))
            {
                return $"{ForwardChain} lacks the rule for {(rule.Destination ?? rule.Source)}";
            }
        }
        return null;
    }

    /// <summary>
    /// The ingress policy <c>same-bridge</c> (or <c>isolated</c>): stage 1 sends what leaves the bridge for another
    /// interface to stage 2, which drops what enters another isolated bridge; <c>isolated</c> also drops traffic
    /// between two ports of the same bridge. Both stages end in RETURN; FORWARD jumps to stage 1 first. Idempotent.
    /// </summary>
    /// <param name="transaction">A transaction of one family.</param>
    /// <param name="bridge">The bridge (the first interface of the previous result).</param>
    /// <param name="isolated">The <c>isolated</c> policy rather than <c>same-bridge</c>.</param>
    /// <returns>The transaction.</returns>
    public static NetfilterTransaction AddIsolation(NetfilterTransaction transaction, string bridge, bool isolated)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrEmpty(bridge);
        CommentMatch policy = NetfilterMatch.Comment($"CNI firewall plugin rules (ingressPolicy: {(isolated ? "isolated" : "same-bridge")})");
        CommentMatch common = NetfilterMatch.Comment(IsolationComment);
        var stageReturn = new NetfilterRule { Matches = [common], Target = NetfilterTarget.Return };
        transaction
            .EnsureChain(NetfilterTable.Filter, IsolationStage1)
            .EnsureChain(NetfilterTable.Filter, IsolationStage2)
            .InsertUnique(NetfilterTable.Filter, "FORWARD", 1, new NetfilterRule { Matches = [common], Target = NetfilterTarget.Jump(IsolationStage1) })
            .InsertUnique(NetfilterTable.Filter, IsolationStage1, 1, new NetfilterRule
            {
                InInterface = bridge,
                OutInterface = bridge,
                OutInterfaceNegated = true,
                Matches = [policy],
                Target = NetfilterTarget.Jump(IsolationStage2),
            });
        if (isolated)
        {
            transaction.InsertUnique(NetfilterTable.Filter, IsolationStage1, 1, new NetfilterRule
            {
                InInterface = bridge,
                OutInterface = bridge,
                Matches = [policy],
                Target = NetfilterTarget.Drop,
            });
        }
        return transaction
            .AppendUnique(NetfilterTable.Filter, IsolationStage1, stageReturn)
            .InsertUnique(NetfilterTable.Filter, IsolationStage2, 1, new NetfilterRule
            {
                OutInterface = bridge,
                Matches = [common],
                Target = NetfilterTarget.Drop,
            })
            .AppendUnique(NetfilterTable.Filter, IsolationStage2, stageReturn);
    }

    private static string AdminChain(string? adminChain) => string.IsNullOrEmpty(adminChain) ? DefaultAdminChain : adminChain;

    private static NetfilterRule ForwardJump() =>
        new() { Matches = [NetfilterMatch.Comment(FilterComment)], Target = NetfilterTarget.Jump(ForwardChain) };

    private static NetfilterRule AdminJump(string admin) =>
        new() { Matches = [NetfilterMatch.Comment(AdminComment)], Target = NetfilterTarget.Jump(admin) };

    private static List<NetfilterRule> PodRules(AddressFamily family, IEnumerable<IPAddress> podAddresses)
    {
        ArgumentNullException.ThrowIfNull(podAddresses);
        var rules = new List<NetfilterRule>();
        foreach (IPAddress address in podAddresses)
        {
            if (address.AddressFamily != family)
            {
                continue;
            }
            var host = new IPNetwork(address, family == AddressFamily.InterNetwork ? 32 : 128);
            rules.Add(new NetfilterRule
            {
                Destination = host,
                Matches = [NetfilterMatch.ConntrackState(ConntrackStates.Related | ConntrackStates.Established)],
                Target = NetfilterTarget.Accept,
            });
            rules.Add(new NetfilterRule { Source = host, Target = NetfilterTarget.Accept });
        }
        return rules;
    }
}
