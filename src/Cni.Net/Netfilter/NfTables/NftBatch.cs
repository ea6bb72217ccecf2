using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;
using Cni.Net.Netfilter.Iptables;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// Collects a plan's primitive changes as nf_tables messages and commits them as one nfnetlink batch (one kernel
/// transaction for every table touched). Rules are addressed by handle, or by the batch-local rule id of a rule
/// added earlier in the same batch. Tables and base chains are created on first use, as iptables-nft does.
/// </summary>
internal sealed class NftBatch : INetfilterPlanSink
{
    private readonly AddressFamily _family;
    private readonly Func<NetfilterTable, NftTableSnapshot> _snapshot;
    private readonly List<Operation> _operations = [];
    private readonly Dictionary<(NetfilterTable, string), List<RuleRef>> _rules = [];
    private readonly HashSet<(NetfilterTable, string)> _baseChains = [];
    private readonly HashSet<NetfilterTable> _tables = [];
    private uint _nextRuleId = 1;

    public NftBatch(AddressFamily family, Func<NetfilterTable, NftTableSnapshot> snapshot)
    {
        _family = family;
        _snapshot = snapshot;
    }

    private enum Kind
    {
        NewTable,
        NewBaseChain,
        NewChain,
        NewRule,
        DeleteRule,
        FlushChain,
        DeleteChain,
        Policy,
    }

    private readonly record struct RuleRef(ulong Handle, uint Id);

    private readonly record struct Operation(Kind Kind, NetfilterTable Table, string Chain)
    {
        public NetfilterRule? Rule { get; init; }
        public bool Append { get; init; }
        public RuleRef Target { get; init; }
        public uint Id { get; init; }
        public NetfilterVerdict Policy { get; init; }
    }

    public int Count => _operations.Count;

    public void BeginTable(NetfilterTable table)
    {
        NftTableSnapshot snapshot = _snapshot(table);
        foreach (var (chain, handles) in snapshot.Handles)
        {
            _rules[(table, chain)] = handles.ConvertAll(h => new RuleRef(h, 0));
        }
        foreach (string chain in snapshot.ExistingBaseChains)
        {
            _baseChains.Add((table, chain));
        }
    }

    public void AddChain(NetfilterTable table, string chain)
    {
        Table(table);
        _operations.Add(new Operation(Kind.NewChain, table, chain));
        _rules[(table, chain)] = [];
    }

    public void AddRule(NetfilterTable table, string chain, int index, NetfilterRule rule, bool append)
    {
        BaseChain(table, chain);
        List<RuleRef> list = Rules(table, chain);
        uint id = _nextRuleId++;
        RuleRef target = default;
        bool atEnd = index >= list.Count;
        if (!atEnd && index > 0)
        {
            target = list[index];
        }
        _operations.Add(new Operation(Kind.NewRule, table, chain) { Rule = rule, Append = atEnd && (append || index > 0), Target = target, Id = id });
        list.Insert(Math.Min(index, list.Count), new RuleRef(0, id));
    }

    public void DeleteRule(NetfilterTable table, string chain, int index, NetfilterRule rule)
    {
        List<RuleRef> list = Rules(table, chain);
        Table(table);
        _operations.Add(new Operation(Kind.DeleteRule, table, chain) { Rule = rule, Target = list[index] });
        list.RemoveAt(index);
    }

    public void FlushChain(NetfilterTable table, string chain)
    {
        Table(table);
        _operations.Add(new Operation(Kind.FlushChain, table, chain));
        Rules(table, chain).Clear();
    }

    public void DeleteChain(NetfilterTable table, string chain)
    {
        Table(table);
        _operations.Add(new Operation(Kind.DeleteChain, table, chain));
        _rules.Remove((table, chain));
    }

    public void SetPolicy(NetfilterTable table, string chain, NetfilterVerdict policy)
    {
        BaseChain(table, chain);
        _operations.Add(new Operation(Kind.Policy, table, chain) { Policy = policy });
    }

    private List<RuleRef> Rules(NetfilterTable table, string chain)
    {
        if (!_rules.TryGetValue((table, chain), out List<RuleRef>? list))
        {
            _rules[(table, chain)] = list = [];
        }
        return list;
    }

    private void Table(NetfilterTable table)
    {
        if (_tables.Add(table))
        {
            _operations.Add(new Operation(Kind.NewTable, table, ""));
        }
    }

    private void BaseChain(NetfilterTable table, string chain)
    {
        Table(table);
        if (NetfilterTables.IsBuiltin(table, chain) && _baseChains.Add((table, chain)))
        {
            _operations.Add(new Operation(Kind.NewBaseChain, table, chain));
        }
    }

    /// <summary>
    /// Sends the batch, checked against <paramref name="generation"/>. Returns false when another writer changed the
    /// ruleset since (ERESTART): nothing was applied and the caller should read and plan again.
    /// </summary>
    /// <exception cref="NetfilterException">The kernel refused the batch; nothing was applied.</exception>
    public bool Commit(NetlinkSocket socket, uint generation) =>
        NftBatchSender.Send(socket, _operations.Count, generation, WriteChange, Describe);

    /// <summary>Writes the whole batch (begin, messages, end); false when <paramref name="buffer"/> is too small.</summary>
    internal bool TryWrite(Span<byte> buffer, uint firstSequence, uint generation, out int length) =>
        NftBatchSender.TryWrite(buffer, firstSequence, _operations.Count, generation, WriteChange, out length);

    private void WriteChange(ref NetlinkWriter w, int index, uint sequence) =>
        WriteOperation(ref w, _operations[index], sequence, NftTableSnapshot.FamilyOf(_family), _family == AddressFamily.InterNetworkV6);

    private const NetlinkMessageFlags Create = (NetlinkMessageFlags)0x400;
    private const NetlinkMessageFlags Exclusive = (NetlinkMessageFlags)0x200;
    private const NetlinkMessageFlags AppendFlag = (NetlinkMessageFlags)0x800;

    private static void WriteOperation(ref NetlinkWriter w, in Operation op, uint sequence, byte family, bool ipv6)
    {
        string table = NetfilterTables.Name(op.Table);
        MessageScope m;
        switch (op.Kind)
        {
            case Kind.NewTable:
                m = w.BeginMessage(MessageType(NFT_MSG_NEWTABLE), Create | NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_TABLE_NAME, table);
                break;
            case Kind.NewChain:
                m = w.BeginMessage(MessageType(NFT_MSG_NEWCHAIN), Exclusive | NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_CHAIN_TABLE, table);
                w.WriteString(NFTA_CHAIN_NAME, op.Chain);
                break;
            case Kind.NewBaseChain:
            case Kind.Policy:
                m = w.BeginMessage(MessageType(NFT_MSG_NEWCHAIN), Create | NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_CHAIN_TABLE, table);
                w.WriteString(NFTA_CHAIN_NAME, op.Chain);
                (uint hook, int priority, string type) = BaseChainOf(op.Table, op.Chain);
                NestedScope h = w.BeginNested(NFTA_CHAIN_HOOK);
                w.WriteUInt32BigEndian(NFTA_HOOK_HOOKNUM, hook);
                w.WriteUInt32BigEndian(NFTA_HOOK_PRIORITY, unchecked((uint)priority));
                w.EndNested(h);
                bool drop = op.Kind == Kind.Policy && op.Policy == NetfilterVerdict.Drop;
                w.WriteUInt32BigEndian(NFTA_CHAIN_POLICY, drop ? (uint)NF_DROP : NF_ACCEPT);
                if (op.Kind == Kind.Policy)
                {
                    NestedScope counters = w.BeginNested(NFTA_CHAIN_COUNTERS);
                    w.ReserveAttribute(NFTA_COUNTER_PACKETS, 8);
                    w.ReserveAttribute(NFTA_COUNTER_BYTES, 8);
                    w.EndNested(counters);
                }
                w.WriteString(NFTA_CHAIN_TYPE, type);
                break;
            case Kind.NewRule:
                m = w.BeginMessage(MessageType(NFT_MSG_NEWRULE), Create | (op.Append ? AppendFlag : 0) | NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_RULE_TABLE, table);
                w.WriteString(NFTA_RULE_CHAIN, op.Chain);
                NftRuleEncoder.Write(ref w, op.Rule!, ipv6);
                w.WriteUInt32BigEndian(NFTA_RULE_ID, op.Id);
                if (op.Target.Id != 0)
                {
                    w.WriteUInt32BigEndian(NFTA_RULE_POSITION_ID, op.Target.Id);
                }
                else if (op.Target.Handle != 0)
                {
                    WriteHandle(ref w, NFTA_RULE_POSITION, op.Target.Handle);
                }
                break;
            case Kind.DeleteRule:
                m = w.BeginMessage(MessageType(NFT_MSG_DELRULE), NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_RULE_TABLE, table);
                w.WriteString(NFTA_RULE_CHAIN, op.Chain);
                if (op.Target.Id != 0)
                {
                    w.WriteUInt32BigEndian(NFTA_RULE_ID, op.Target.Id);
                }
                else
                {
                    WriteHandle(ref w, NFTA_RULE_HANDLE, op.Target.Handle);
                }
                break;
            case Kind.FlushChain:
                m = w.BeginMessage(MessageType(NFT_MSG_DELRULE), NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_RULE_TABLE, table);
                w.WriteString(NFTA_RULE_CHAIN, op.Chain);
                break;
            default:
                m = w.BeginMessage(MessageType(NFT_MSG_DELCHAIN), NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_CHAIN_TABLE, table);
                w.WriteString(NFTA_CHAIN_NAME, op.Chain);
                break;
        }
        w.EndMessage(m);
    }

    private static void WriteHandle(ref NetlinkWriter w, ushort type, ulong handle) =>
        BinaryPrimitives.WriteUInt64BigEndian(w.ReserveAttribute(type, 8), handle);

    /// <summary>Hook number, priority and chain type of iptables' built-in chains (xtables' builtin table).</summary>
    internal static (uint Hook, int Priority, string Type) BaseChainOf(NetfilterTable table, string chain)
    {
        uint hook = chain switch
        {
            "PREROUTING" => 0,
            "INPUT" => 1,
            "FORWARD" => 2,
            "OUTPUT" => 3,
            _ => 4,
        };
        return table switch
        {
            NetfilterTable.Nat => (hook, hook is 0 or 3 ? -100 : 100, "nat"),
            NetfilterTable.Mangle => (hook, -150, hook == 3 ? "route" : "filter"),
            NetfilterTable.Raw => (hook, -300, "filter"),
            _ => (hook, 0, "filter"),
        };
    }

    private string Describe(int index)
    {
        if ((uint)index >= (uint)_operations.Count)
        {
            return "nf_tables batch";
        }
        Operation op = _operations[index];
        string table = NetfilterTables.Name(op.Table);
        return op.Kind switch
        {
            Kind.NewTable => $"create table {table}",
            Kind.NewBaseChain => $"create {table} chain {op.Chain}",
            Kind.NewChain => $"create {table} chain {op.Chain}",
            Kind.NewRule => $"add rule '{IptablesRuleFormatter.FormatSpec(op.Rule!)}' to {table} chain {op.Chain}",
            Kind.DeleteRule => $"delete rule '{IptablesRuleFormatter.FormatSpec(op.Rule!)}' from {table} chain {op.Chain}",
            Kind.FlushChain => $"flush {table} chain {op.Chain}",
            Kind.DeleteChain => $"delete {table} chain {op.Chain}",
            _ => $"set the policy of {table} chain {op.Chain}",
        };
    }
}
