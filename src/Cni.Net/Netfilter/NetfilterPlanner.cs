using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.Netfilter;

/// <summary>
/// Resolves a transaction against a snapshot of the tables it touches: applies every operation to copies of the
/// tables, checks what the kernel would refuse, and hands the primitive changes that make the same change to an
/// <see cref="INetfilterPlanSink"/>: restore text for iptables-nft, an nf_tables batch for the native backend. The
/// in-memory fake keeps the copies. All backends thus share one semantics.
/// </summary>
internal sealed class NetfilterPlanner
{
    private readonly Dictionary<NetfilterTable, NetfilterTableState> _tables = [];
    private readonly INetfilterPlanSink _sink;
    private readonly RestoreTextSink? _restore;
    private int _changes;

    private NetfilterPlanner(INetfilterPlanSink sink, RestoreTextSink? restore)
    {
        _sink = sink;
        _restore = restore;
    }

    /// <summary>The changed tables.</summary>
    public IReadOnlyDictionary<NetfilterTable, NetfilterTableState> Tables => _tables;

    /// <summary>True when the transaction changes nothing.</summary>
    public bool IsEmpty => _changes == 0;

    /// <summary>The tables the transaction reads, in first-use order.</summary>
    public static List<NetfilterTable> TablesOf(NetfilterTransaction transaction)
    {
        var list = new List<NetfilterTable>();
        foreach (NetfilterOperation op in transaction.Operations)
        {
            if (!list.Contains(op.Table))
            {
                list.Add(op.Table);
            }
        }
        return list;
    }

    /// <summary>
    /// The chains of <paramref name="table"/> planning needs to see: those the transaction changes (with their rules)
    /// and those its new rules jump to (which must exist). On a node whose nat table holds thousands of kube-proxy
    /// rules this keeps a pod's transaction from reading and decoding all of them. Deleting a chain does not need the
    /// rest of the table either: nf_tables itself refuses to delete a chain a rule still jumps to (EBUSY), and the
    /// whole table is read only then, to name that rule's chain.
    /// </summary>
    public static HashSet<string> ChainsToRead(NetfilterTransaction transaction, NetfilterTable table)
    {
        var chains = new HashSet<string>(StringComparer.Ordinal);
        foreach (NetfilterOperation op in transaction.Operations)
        {
            if (op.Table != table)
            {
                continue;
            }
            chains.Add(op.Chain);
            if (op.Kind is NetfilterOperationKind.Append or NetfilterOperationKind.Insert && TargetChain(op.Rule!) is string target)
            {
                chains.Add(target);
            }
            // Whether it exists decides whether op.Chain's rules are read (RulesNeeded).
            if (op.OnlyJumpsTo is string jumpedTo)
            {
                chains.Add(jumpedTo);
            }
        }
        return chains;
    }

    /// <summary>
    /// Whether planning needs the rules of <paramref name="chain"/>, which exists: not when every operation on it
    /// appends, or adds once a rule that jumps to a chain that does not exist (yet), or deletes only rules that jump to
    /// such a chain. nf_tables refuses a jump to a chain that does not exist, so no rule can jump to one: a pod's first
    /// ADD, whose chain is new, need not read and decode the shared chain it hooks into — POSTROUTING (one jump per pod
    /// from bridge) or CNI-HOSTPORT-DNAT (one per pod from portmap).
    /// </summary>
    /// <param name="transaction">The transaction.</param>
    /// <param name="table">The chain's table.</param>
    /// <param name="chain">The chain.</param>
    /// <param name="exists">Whether a chain of the table exists in the kernel.</param>
    public static bool RulesNeeded(NetfilterTransaction transaction, NetfilterTable table, string chain, Predicate<string> exists)
    {
        foreach (NetfilterOperation op in transaction.Operations)
        {
            if (op.Table != table || op.Chain != chain)
            {
                continue;
            }
            string? target = op.Kind switch
            {
                NetfilterOperationKind.EnsureChain or NetfilterOperationKind.Policy => null,
                NetfilterOperationKind.Append when !op.Unique => null,
                NetfilterOperationKind.Append => TargetChain(op.Rule!) ?? chain,
                NetfilterOperationKind.DeleteWhere => op.OnlyJumpsTo ?? chain,
                _ => chain,
            };
            // The chain itself exists: an operation that names it needs its rules.
            if (target is not null && exists(target))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// What planning only needs to find in <paramref name="chain"/>, which exists and whose rules are needed, so that
    /// reading it may stop once that was seen: each rule the transaction adds to it unless already there
    /// (AppendUnique, InsertUnique), and the jumps it deletes to a chain whose references the kernel counted — all of
    /// them are then known to be in the part read. Null when an operation needs the whole chain (a plain insert at a
    /// position, an opaque deletion, a flush) or a deleted jump's target has no known count. Planning against a prefix
    /// of the chain that holds what was sought decides the same as against the whole: each rule to add is there, and
    /// no jump to delete is further on; when something is missing the reader has read the whole chain.
    /// </summary>
    /// <param name="transaction">The transaction.</param>
    /// <param name="table">The chain's table.</param>
    /// <param name="chain">The chain.</param>
    /// <param name="references">How many rules of the table jump or go to a chain, when known.</param>
    public static List<SoughtRules>? RulesSought(NetfilterTransaction transaction, NetfilterTable table, string chain,
        Func<string, int?> references)
    {
        List<SoughtRules>? sought = null;
        List<NetfilterRule>? added = null;
        foreach (NetfilterOperation op in transaction.Operations)
        {
            if (op.Table != table || op.Chain != chain)
            {
                continue;
            }
            switch (op.Kind)
            {
                case NetfilterOperationKind.EnsureChain or NetfilterOperationKind.Policy:
                case NetfilterOperationKind.Append when !op.Unique:
                    break;
                case NetfilterOperationKind.Append or NetfilterOperationKind.Insert when op.Unique:
                    NetfilterRule rule = op.Rule!;
                    added ??= [];
                    if (!added.Contains(rule))
                    {
                        added.Add(rule);
                        (sought ??= []).Add(new SoughtRules(rule.Equals, 1));
                    }
                    break;
                case NetfilterOperationKind.DeleteWhere when op.OnlyJumpsTo is string target && references(target) is int count:
                    (sought ??= []).Add(new SoughtRules(op.Predicate!, count));
                    break;
                default:
                    return null;
            }
        }
        return sought;
    }

    /// <summary>True when the transaction deletes a chain.</summary>
    public static bool DeletesChain(NetfilterTransaction transaction) =>
        transaction.Operations.Any(op => op.Kind == NetfilterOperationKind.DeleteChain);

    /// <exception cref="NetfilterException">The transaction cannot apply to this state.</exception>
    public static NetfilterPlanner Plan(NetfilterTransaction transaction, Func<NetfilterTable, NetfilterTableState> snapshot)
    {
        var restore = new RestoreTextSink();
        return Plan(transaction, snapshot, restore, restore);
    }

    /// <exception cref="NetfilterException">The transaction cannot apply to this state.</exception>
    public static NetfilterPlanner Plan(NetfilterTransaction transaction, Func<NetfilterTable, NetfilterTableState> snapshot,
        INetfilterPlanSink sink) => Plan(transaction, snapshot, sink, null);

    private static NetfilterPlanner Plan(NetfilterTransaction transaction, Func<NetfilterTable, NetfilterTableState> snapshot,
        INetfilterPlanSink sink, RestoreTextSink? restore)
    {
        var planner = new NetfilterPlanner(sink, restore);
        foreach (NetfilterOperation op in transaction.Operations)
        {
            if (!planner._tables.TryGetValue(op.Table, out NetfilterTableState? table))
            {
                table = snapshot(op.Table).Clone();
                planner._tables[op.Table] = table;
                sink.BeginTable(op.Table);
            }
            planner.Apply(op, table);
        }
        return planner;
    }

    /// <summary>The iptables-restore input: one block per table.</summary>
    /// <exception cref="InvalidOperationException">The plan was made for another sink.</exception>
    public string RenderRestoreInput() =>
        (_restore ?? throw new InvalidOperationException("this plan was not rendered as restore text")).Render();

    private void Apply(NetfilterOperation op, NetfilterTableState table)
    {
        INetfilterPlanSink sink = _sink;
        string tableName = NetfilterTables.Name(op.Table);
        NetfilterChainState? chain = table.FindChain(op.Chain);
        switch (op.Kind)
        {
            case NetfilterOperationKind.EnsureChain:
                if (chain is null)
                {
                    table.ChainList.Add(new NetfilterChainState(op.Chain, null, []));
                    sink.AddChain(op.Table, op.Chain);
                    _changes++;
                }
                break;

            case NetfilterOperationKind.Append:
            case NetfilterOperationKind.Insert:
            {
                NetfilterRule rule = op.Rule!;
                chain = Existing(chain, op, tableName);
                CheckRule(rule, op.Table, table, tableName);
                if (op.Unique && chain.RuleList.Contains(rule))
                {
                    break;
                }
                if (op.Kind == NetfilterOperationKind.Append)
                {
                    chain.RuleList.Add(rule);
                    sink.AddRule(op.Table, op.Chain, chain.RuleList.Count - 1, rule, append: true);
                }
                else
                {
                    if (op.Position > chain.RuleList.Count + 1)
                    {
                        throw new NetfilterException(
                            $"cannot insert at position {op.Position} of {tableName} chain {op.Chain}: it holds {chain.RuleList.Count} rules");
                    }
                    chain.RuleList.Insert(op.Position - 1, rule);
                    sink.AddRule(op.Table, op.Chain, op.Position - 1, rule, append: false);
                }
                _changes++;
                break;
            }

            case NetfilterOperationKind.Delete:
            {
                int index = chain?.RuleList.IndexOf(op.Rule!) ?? -1;
                if (index < 0)
                {
                    if (op.IgnoreMissing)
                    {
                        break;
                    }
                    throw new NetfilterException(chain is null
                        ? $"cannot delete from {tableName} chain {op.Chain}: no such chain"
                        : $"cannot delete from {tableName} chain {op.Chain}: no rule '{IptablesRuleFormatter.FormatSpec(op.Rule!)}'");
                }
                chain!.RuleList.RemoveAt(index);
                sink.DeleteRule(op.Table, op.Chain, index, op.Rule!);
                _changes++;
                break;
            }

            case NetfilterOperationKind.DeleteWhere:
                if (chain is null)
                {
                    break;
                }
                for (int i = 0; i < chain.RuleList.Count;)
                {
                    NetfilterRule rule = chain.RuleList[i];
                    if (op.Predicate!(rule))
                    {
                        // -D by specification removes the first equal rule; equal rules before i were kept, so
                        // only delete by spec when this is the first of its kind.
                        if (chain.RuleList.IndexOf(rule) != i)
                        {
                            throw new NetfilterException(
                                $"cannot delete a rule of {tableName} chain {op.Chain} by specification: an equal rule before it is kept");
                        }
                        chain.RuleList.RemoveAt(i);
                        sink.DeleteRule(op.Table, op.Chain, i, rule);
                        _changes++;
                    }
                    else
                    {
                        i++;
                    }
                }
                break;

            case NetfilterOperationKind.Flush:
                if (chain is null)
                {
                    if (op.IgnoreMissing)
                    {
                        break;
                    }
                    throw new NetfilterException($"cannot flush {tableName} chain {op.Chain}: no such chain");
                }
                if (chain.RuleList.Count > 0)
                {
                    chain.RuleList.Clear();
                    sink.FlushChain(op.Table, op.Chain);
                    _changes++;
                }
                break;

            case NetfilterOperationKind.DeleteChain:
                if (chain is null)
                {
                    if (op.IgnoreMissing)
                    {
                        break;
                    }
                    throw new NetfilterException($"cannot delete {tableName} chain {op.Chain}: no such chain");
                }
                if (chain.IsBuiltin)
                {
                    throw new NetfilterException($"cannot delete built-in {tableName} chain {op.Chain}");
                }
                foreach (NetfilterChainState other in table.ChainList)
                {
                    if (other != chain && other.RuleList.Any(r => TargetChain(r) == op.Chain))
                    {
                        throw new NetfilterException(
                            $"cannot delete {tableName} chain {op.Chain}: a rule in chain {other.Name} still jumps to it");
                    }
                }
                if (chain.RuleList.Count > 0)
                {
                    sink.FlushChain(op.Table, op.Chain);
                }
                table.ChainList.Remove(chain);
                sink.DeleteChain(op.Table, op.Chain);
                _changes++;
                break;

            case NetfilterOperationKind.Policy:
                chain = Existing(chain, op, tableName);
                if (chain.Policy != op.Policy)
                {
                    chain.Policy = op.Policy;
                    sink.SetPolicy(op.Table, op.Chain, op.Policy);
                    _changes++;
                }
                break;
        }
    }

    private static NetfilterChainState Existing(NetfilterChainState? chain, NetfilterOperation op, string tableName) =>
        chain ?? throw new NetfilterException($"{tableName} chain {op.Chain} does not exist (EnsureChain it first)");

    private static string? TargetChain(NetfilterRule rule) => rule.Target switch
    {
        JumpTarget j => j.Chain,
        GotoTarget g => g.Chain,
        _ => null,
    };

    private static void CheckRule(NetfilterRule rule, NetfilterTable table, NetfilterTableState state, string tableName)
    {
        if (TargetChain(rule) is string target && state.FindChain(target) is not { IsBuiltin: false })
        {
            throw new NetfilterException($"rule jumps to {tableName} chain {target}, which does not exist (EnsureChain it first)");
        }
        if (table == NetfilterTable.Nat && rule.Target is VerdictTarget { Verdict: NetfilterVerdict.Drop })
        {
            throw new NetfilterException("the nat table is not for filtering: DROP is not allowed there");
        }
        bool natTarget = rule.Target is DnatTarget or SnatTarget or MasqueradeTarget;
        if (natTarget && table != NetfilterTable.Nat)
        {
            throw new NetfilterException($"{rule.Target!.GetType().Name} belongs in the nat table, not {tableName}");
        }
    }
}
