using System.Net;
using System.Net.Sockets;

namespace Cni.Net.Netfilter;

/// <summary>
/// An ordered set of packet-filter changes for one address family, applied all at once by an
/// <see cref="INetfilterBackend"/>: either every change takes effect or none does. Idempotent operations
/// (<see cref="EnsureChain"/>, <see cref="AppendUnique"/>, <see cref="InsertUnique"/>, deletes with
/// <c>ignoreMissing</c>) are resolved against the kernel's state when the transaction is applied.
/// </summary>
public sealed class NetfilterTransaction
{
    private readonly List<NetfilterOperation> _operations = [];

    /// <summary>Creates an empty transaction.</summary>
    /// <param name="family"><see cref="AddressFamily.InterNetwork"/> (iptables) or <see cref="AddressFamily.InterNetworkV6"/> (ip6tables).</param>
    /// <exception cref="ArgumentException">Another family.</exception>
    public NetfilterTransaction(AddressFamily family)
    {
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException("netfilter transactions are for InterNetwork or InterNetworkV6", nameof(family));
        }
        Family = family;
    }

    /// <summary>The address family the rules are for.</summary>
    public AddressFamily Family { get; }

    /// <summary>The number of operations.</summary>
    public int Count => _operations.Count;

    internal IReadOnlyList<NetfilterOperation> Operations => _operations;

    /// <summary>Creates the user chain unless it exists (a built-in chain always exists). An existing chain keeps its rules.</summary>
    /// <param name="table">The table.</param>
    /// <param name="chain">The chain name (1 to 28 characters).</param>
    /// <returns>This transaction.</returns>
    public NetfilterTransaction EnsureChain(NetfilterTable table, string chain) =>
        Add(new NetfilterOperation(NetfilterOperationKind.EnsureChain, table, ValidChain(chain)));

    /// <summary>Appends the rule at the end of the chain.</summary>
    /// <param name="table">The table.</param>
    /// <param name="chain">The chain, which must exist when the transaction runs.</param>
    /// <param name="rule">The rule.</param>
    /// <returns>This transaction.</returns>
    public NetfilterTransaction Append(NetfilterTable table, string chain, NetfilterRule rule) =>
        Add(new NetfilterOperation(NetfilterOperationKind.Append, table, ValidChain(chain)) { Rule = ValidRule(rule) });

    /// <summary>Appends the rule unless the chain already holds an equal rule.</summary>
    /// <param name="table">The table.</param>
    /// <param name="chain">The chain, which must exist when the transaction runs.</param>
    /// <param name="rule">The rule.</param>
    /// <returns>This transaction.</returns>
    public NetfilterTransaction AppendUnique(NetfilterTable table, string chain, NetfilterRule rule) =>
        Add(new NetfilterOperation(NetfilterOperationKind.Append, table, ValidChain(chain)) { Rule = ValidRule(rule), Unique = true });

    /// <summary>Inserts the rule at a 1-based position (1 = first).</summary>
    /// <param name="table">The table.</param>
    /// <param name="chain">The chain, which must exist when the transaction runs.</param>
    /// <param name="position">1-based; at most one past the last rule.</param>
    /// <param name="rule">The rule.</param>
    /// <returns>This transaction.</returns>
    public NetfilterTransaction Insert(NetfilterTable table, string chain, int position, NetfilterRule rule) =>
        Add(new NetfilterOperation(NetfilterOperationKind.Insert, table, ValidChain(chain)) { Rule = ValidRule(rule), Position = ValidPosition(position) });

    /// <summary>Inserts the rule at a 1-based position unless the chain already holds an equal rule anywhere.</summary>
    /// <param name="table">The table.</param>
    /// <param name="chain">The chain, which must exist when the transaction runs.</param>
    /// <param name="position">1-based; at most one past the last rule.</param>
    /// <param name="rule">The rule.</param>
    /// <returns>This transaction.</returns>
    public NetfilterTransaction InsertUnique(NetfilterTable table, string chain, int position, NetfilterRule rule) =>
        Add(new NetfilterOperation(NetfilterOperationKind.Insert, table, ValidChain(chain)) { Rule = ValidRule(rule), Position = ValidPosition(position), Unique = true });

    /// <summary>Deletes the first rule equal to <paramref name="rule"/>.</summary>
    /// <param name="table">The table.</param>
    /// <param name="chain">The chain.</param>
    /// <param name="rule">The rule.</param>
    /// <param name="ignoreMissing">Do nothing, instead of failing, when the rule or the chain is absent.</param>
    /// <returns>This transaction.</returns>
    public NetfilterTransaction Delete(NetfilterTable table, string chain, NetfilterRule rule, bool ignoreMissing = false) =>
        Add(new NetfilterOperation(NetfilterOperationKind.Delete, table, ValidChain(chain)) { Rule = ValidRule(rule), IgnoreMissing = ignoreMissing });

    /// <summary>Deletes every rule of the chain for which <paramref name="predicate"/> is true; nothing when the chain is absent.</summary>
    /// <param name="table">The table.</param>
    /// <param name="chain">The chain.</param>
    /// <param name="predicate">Chooses the rules, evaluated against the state when the transaction runs.</param>
    /// <returns>This transaction.</returns>
    public NetfilterTransaction DeleteRules(NetfilterTable table, string chain, Func<NetfilterRule, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return Add(new NetfilterOperation(NetfilterOperationKind.DeleteWhere, table, ValidChain(chain)) { Predicate = predicate });
    }

    /// <summary>
    /// Deletes every rule of the chain that jumps to <paramref name="target"/>; nothing when the chain is absent. Unlike
    /// an opaque <see cref="DeleteRules"/>, planning knows what it deletes: when <paramref name="target"/> does not
    /// exist, no rule jumps to it and the chain's rules need not be read.
    /// </summary>
    internal NetfilterTransaction DeleteJumps(NetfilterTable table, string chain, string target) =>
        Add(new NetfilterOperation(NetfilterOperationKind.DeleteWhere, table, ValidChain(chain))
        {
            Predicate = r => r.Target is JumpTarget j && j.Chain == target,
            OnlyJumpsTo = ValidChain(target),
        });

    /// <summary>Removes every rule of the chain.</summary>
    /// <param name="table">The table.</param>
    /// <param name="chain">The chain.</param>
    /// <param name="ignoreMissing">Do nothing, instead of failing, when the chain is absent.</param>
    /// <returns>This transaction.</returns>
    public NetfilterTransaction FlushChain(NetfilterTable table, string chain, bool ignoreMissing = false) =>
        Add(new NetfilterOperation(NetfilterOperationKind.Flush, table, ValidChain(chain)) { IgnoreMissing = ignoreMissing });

    /// <summary>Flushes and deletes a user chain; fails while a rule still jumps to it.</summary>
    /// <param name="table">The table.</param>
    /// <param name="chain">The user chain.</param>
    /// <param name="ignoreMissing">Do nothing, instead of failing, when the chain is absent.</param>
    /// <returns>This transaction.</returns>
    public NetfilterTransaction DeleteChain(NetfilterTable table, string chain, bool ignoreMissing = false) =>
        Add(new NetfilterOperation(NetfilterOperationKind.DeleteChain, table, ValidChain(chain)) { IgnoreMissing = ignoreMissing });

    /// <summary>Sets the policy of a built-in chain.</summary>
    /// <param name="table">The table.</param>
    /// <param name="chain">A built-in chain.</param>
    /// <param name="policy">ACCEPT or DROP.</param>
    /// <returns>This transaction.</returns>
    public NetfilterTransaction SetPolicy(NetfilterTable table, string chain, NetfilterVerdict policy)
    {
        if (policy == NetfilterVerdict.Return || !NetfilterTables.IsBuiltin(table, chain))
        {
            throw new ArgumentException("a policy is ACCEPT or DROP, on a built-in chain", nameof(policy));
        }
        return Add(new NetfilterOperation(NetfilterOperationKind.Policy, table, chain) { Policy = policy });
    }

    private NetfilterTransaction Add(NetfilterOperation operation)
    {
        _operations.Add(operation);
        return this;
    }

    private static int ValidPosition(int position) =>
        position >= 1 ? position : throw new ArgumentOutOfRangeException(nameof(position), position, "positions start at 1");

    internal static string ValidChain(string chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        // XT_EXTENSION_MAXNAMELEN is 29 with the NUL; a leading '-' or '!' would read as an option.
        if (chain.Length is 0 or > 28 || chain[0] is '-' or '!')
        {
            throw new ArgumentException($"invalid chain name '{chain}': 1 to 28 characters, not starting with '-' or '!'", nameof(chain));
        }
        foreach (char c in chain)
        {
            if (c <= ' ' || c >= 0x7f || c is '"' or '\'' or '\\')
            {
                throw new ArgumentException($"invalid chain name '{chain}': printable ASCII without spaces or quotes", nameof(chain));
            }
        }
        return chain;
    }

    private NetfilterRule ValidRule(NetfilterRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        NetfilterRuleValidator.Validate(rule, Family);
        return rule;
    }
}

internal enum NetfilterOperationKind
{
    EnsureChain,
    Append,
    Insert,
    Delete,
    DeleteWhere,
    Flush,
    DeleteChain,
    Policy,
}

internal sealed record NetfilterOperation(NetfilterOperationKind Kind, NetfilterTable Table, string Chain)
{
    public NetfilterRule? Rule { get; init; }
    public int Position { get; init; }
    public bool Unique { get; init; }
    public bool IgnoreMissing { get; init; }
    public Func<NetfilterRule, bool>? Predicate { get; init; }

    /// <summary>For DeleteWhere: the predicate chooses only rules that jump to this chain.</summary>
    public string? OnlyJumpsTo { get; init; }
    public NetfilterVerdict Policy { get; init; }
}
