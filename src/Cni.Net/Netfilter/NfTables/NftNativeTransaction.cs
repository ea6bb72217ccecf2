using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;
using static Cni.Net.Netfilter.NfTables.NftNativeProtocol;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// Changes to one native nf_tables table (family <c>ip</c>, <c>ip6</c> or <c>inet</c>: see <see cref="NftNativeProtocol.FamilyOf"/>), sent as one nfnetlink batch: the kernel
/// applies all of it or none. "Add" has <c>nft add</c>'s meaning (create unless it exists); rules are appended.
/// </summary>
/// <remarks>
/// Chains that already exist as asked, and replaced chains that already hold exactly the rules asked for, are left
/// out of the batch (checked against the ruleset generation the batch carries). Re-sending them would change nothing
/// visible, but the kernel turns a NEWCHAIN on an existing chain into an update and a flush into rule deletions, whose
/// memory it frees only after an RCU grace period; the process that then closes its NETLINK_NETFILTER socket waits for
/// that (about 10 ms), which is most of an exec'd plugin's ADD.
/// </remarks>
internal sealed class NftNativeTransaction
{
    private const NetlinkMessageFlags Create = (NetlinkMessageFlags)0x400;
    private const NetlinkMessageFlags AppendFlag = (NetlinkMessageFlags)0x800;

    private enum Kind
    {
        AddTable,
        DeleteTable,
        AddChain,
        FlushChain,
        AddRule,
        DeleteRule,
    }

    private readonly record struct Operation(Kind Kind, NftNativeChain? Chain = null, NftNativeRule? Rule = null, ulong Handle = 0, string? ChainName = null, string? Comment = null);

    private readonly List<Operation> _operations = [];
    private readonly List<string> _replaced = [];

    /// <summary>The longest comment nft accepts (NFTNL_UDATA_COMMENT_MAXLEN; knftables' CommentLengthMax).</summary>
    public const int MaxCommentBytes = 128;

    public NftNativeTransaction(AddressFamily family, string table)
    {
        Family = family;
        Table = table;
    }

    public AddressFamily Family { get; }

    public string Table { get; }

    public int Count => _operations.Count;

    public NftNativeTransaction AddTable(string? comment = null)
    {
        _operations.Add(new Operation(Kind.AddTable, Comment: comment));
        return this;
    }

    public NftNativeTransaction DeleteTable()
    {
        _operations.Add(new Operation(Kind.DeleteTable));
        return this;
    }

    public NftNativeTransaction AddChain(NftNativeChain chain)
    {
        _operations.Add(new Operation(Kind.AddChain, Chain: chain));
        return this;
    }

    public NftNativeTransaction FlushChain(string chain)
    {
        _operations.Add(new Operation(Kind.FlushChain, ChainName: chain));
        return this;
    }

    /// <summary>
    /// A chain whose rules the layout owns whole: ensures the chain, flushes it and appends <paramref name="rules"/>
    /// (each a list of statements, uncommented) — the same chain content however often it is written.
    /// </summary>
    public NftNativeTransaction ReplaceChain(NftNativeChain chain, params ReadOnlySpan<IReadOnlyList<NftExpression>> rules)
    {
        AddChain(chain).FlushChain(chain.Name);
        _replaced.Add(chain.Name);
        foreach (IReadOnlyList<NftExpression> statements in rules)
        {
            AddRule(new NftNativeRule(chain.Name, statements));
        }
        return this;
    }

    public NftNativeTransaction AddRule(NftNativeRule rule)
    {
        _operations.Add(new Operation(Kind.AddRule, Rule: rule));
        return this;
    }

    public NftNativeTransaction DeleteRule(string chain, ulong handle)
    {
        _operations.Add(new Operation(Kind.DeleteRule, ChainName: chain, Handle: handle));
        return this;
    }

    /// <summary>Sends the batch on <paramref name="socket"/> (a NETLINK_NETFILTER socket in the target namespace).</summary>
    /// <exception cref="NetfilterException">The kernel refused a change; nothing was applied.</exception>
    public void Commit(NetlinkSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (_operations.Count == 0)
        {
            return;
        }
        if (_operations.Exists(op => op.Kind == Kind.AddChain))
        {
            uint generation;
            List<Operation> needed;
            try
            {
                generation = NftTableSnapshot.ReadGeneration(socket);
                needed = LeaveOutWhatExists(socket);
            }
            catch (Exception e) when (e is NetlinkException or NetlinkProtocolException)
            {
                throw new NetfilterException($"reading nf_tables table {Table} failed: {e.Message}", e);
            }
            if (needed.Count == 0)
            {
                return;
            }
            BeforeCheckedSend?.Invoke();
            if (needed.Count < _operations.Count && Send(socket, needed, generation))
            {
                return;
            }
            // Another writer changed the ruleset since it was read: send everything, as nft would.
        }
        Send(socket, _operations, generation: null);
    }

    /// <summary>Test hook: runs between reading what exists and sending the batch checked against it.</summary>
    internal Action? BeforeCheckedSend { get; set; }

    private bool Send(NetlinkSocket socket, List<Operation> operations, uint? generation)
    {
        byte family = FamilyOf(Family);
        return NftBatchSender.Send(socket, operations.Count, generation,
            (ref NetlinkWriter w, int index, uint sequence) => Write(ref w, operations[index], sequence, family),
            index => Describe(operations, index));
    }

    /// <summary>
    /// The operations without the chains that exist as asked and without the replacement of chains whose rules are
    /// already the ones asked for (no userdata, the same expressions in the same order).
    /// </summary>
    private List<Operation> LeaveOutWhatExists(NetlinkSocket socket)
    {
        byte family = FamilyOf(Family);
        var unchanged = new HashSet<string>(StringComparer.Ordinal);
        var inPlace = new HashSet<string>(StringComparer.Ordinal);
        foreach (Operation op in _operations)
        {
            if (op.Kind == Kind.AddChain && NftNativeTableReader.GetChain(socket, family, Table, op.Chain!.Name) is { } existing
                && existing.Matches(op.Chain))
            {
                unchanged.Add(op.Chain.Name);
            }
        }
        foreach (string chain in _replaced)
        {
            if (unchanged.Contains(chain) && HoldsExactly(socket, family, chain))
            {
                inPlace.Add(chain);
            }
        }
        var needed = new List<Operation>(_operations.Count);
        foreach (Operation op in _operations)
        {
            bool leaveOut = op.Kind switch
            {
                Kind.AddTable => unchanged.Count > 0, // a chain of it exists, so the table does
                Kind.AddChain => unchanged.Contains(op.Chain!.Name),
                Kind.FlushChain => inPlace.Contains(op.ChainName!),
                Kind.AddRule => op.Rule!.Comment is null && op.Rule.Owner is null && inPlace.Contains(op.Rule.Chain),
                _ => false,
            };
            if (!leaveOut)
            {
                needed.Add(op);
            }
        }
        return needed;
    }

    /// <summary>Whether a replaced chain holds exactly the rules this transaction would write into it.</summary>
    private bool HoldsExactly(NetlinkSocket socket, byte family, string chain)
    {
        List<NftDumpedRule> present = NftNativeTableReader.ListRules(socket, family, Table, chain);
        int index = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            foreach (Operation op in _operations)
            {
                if (op.Kind != Kind.AddRule || op.Rule!.Chain != chain)
                {
                    continue;
                }
                if (index >= present.Count || present[index].HasUserdata
                    || !NftExpressionListComparer.Same(present[index].Expressions, EncodeExpressions(op.Rule, buffer)))
                {
                    return false;
                }
                index++;
            }
        }
        catch (InvalidOperationException)
        {
            return false; // a rule too large for the buffer: not worth comparing
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return index == present.Count;
    }

    /// <summary>The rule's NFTA_RULE_EXPRESSIONS value as this transaction writes it.</summary>
    private ReadOnlySpan<byte> EncodeExpressions(NftNativeRule rule, byte[] buffer)
    {
        const int headers = 16 + 4; // nlmsghdr, nfgenmsg
        var w = new NetlinkWriter(buffer);
        MessageScope m = w.BeginMessage(0, NetlinkMessageFlags.None, 0);
        w.WriteFamilyHeader(NfGenMsg.For(FamilyOf(Family)));
        NestedScope list = w.BeginNested(NFTA_RULE_EXPRESSIONS);
        foreach (NftExpression statement in rule.Statements)
        {
            statement.Write(ref w, Family);
        }
        w.EndNested(list);
        int length = w.EndMessage(m);
        foreach (NetlinkAttr attr in new NetlinkAttributeEnumerator(buffer.AsSpan(headers, length - headers)))
        {
            return attr.Value;
        }
        return default;
    }

    internal bool TryWrite(Span<byte> buffer, uint firstSequence, out int length) =>
        NftBatchSender.TryWrite(buffer, firstSequence, _operations.Count, generation: null, WriteChange, out length);

    private void WriteChange(ref NetlinkWriter w, int index, uint sequence) => Write(ref w, _operations[index], sequence, FamilyOf(Family));

    private void Write(ref NetlinkWriter w, in Operation op, uint sequence, byte family)
    {
        MessageScope m;
        switch (op.Kind)
        {
            case Kind.AddTable:
                m = w.BeginMessage(MessageType(NFT_MSG_NEWTABLE), Create | NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_TABLE_NAME, Table);
                if (op.Comment is not null)
                {
                    WriteComment(ref w, NFTA_TABLE_USERDATA, op.Comment);
                }
                break;
            case Kind.DeleteTable:
                m = w.BeginMessage(MessageType(NFT_MSG_DELTABLE), NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_TABLE_NAME, Table);
                break;
            case Kind.AddChain:
                NftNativeChain chain = op.Chain!;
                m = w.BeginMessage(MessageType(NFT_MSG_NEWCHAIN), Create | NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_CHAIN_TABLE, Table);
                w.WriteString(NFTA_CHAIN_NAME, chain.Name);
                if (chain.IsBaseChain)
                {
                    NestedScope hook = w.BeginNested(NFTA_CHAIN_HOOK);
                    w.WriteUInt32BigEndian(NFTA_HOOK_HOOKNUM, chain.Hook);
                    w.WriteUInt32BigEndian(NFTA_HOOK_PRIORITY, unchecked((uint)chain.Priority));
                    w.EndNested(hook);
                    w.WriteString(NFTA_CHAIN_TYPE, chain.Type!);
                }
                if (chain.Comment is not null)
                {
                    WriteComment(ref w, NFTA_CHAIN_USERDATA, chain.Comment);
                }
                break;
            case Kind.FlushChain:
                m = w.BeginMessage(MessageType(NFT_MSG_DELRULE), NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_RULE_TABLE, Table);
                w.WriteString(NFTA_RULE_CHAIN, op.ChainName!);
                break;
            case Kind.AddRule:
                NftNativeRule rule = op.Rule!;
                m = w.BeginMessage(MessageType(NFT_MSG_NEWRULE), Create | AppendFlag | NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_RULE_TABLE, Table);
                w.WriteString(NFTA_RULE_CHAIN, rule.Chain);
                NestedScope list = w.BeginNested(NFTA_RULE_EXPRESSIONS);
                foreach (NftExpression statement in rule.Statements)
                {
                    statement.Write(ref w, Family);
                }
                w.EndNested(list);
                if (rule.Comment is not null || rule.Owner is not null)
                {
                    WriteUserdata(ref w, NFTA_RULE_USERDATA, rule.Comment, rule.Owner);
                }
                break;
            default:
                m = w.BeginMessage(MessageType(NFT_MSG_DELRULE), NetlinkMessageFlags.Ack, sequence);
                w.WriteFamilyHeader(NfGenMsg.For(family));
                w.WriteString(NFTA_RULE_TABLE, Table);
                w.WriteString(NFTA_RULE_CHAIN, op.ChainName!);
                BinaryPrimitives.WriteUInt64BigEndian(w.ReserveAttribute(NFTA_RULE_HANDLE, 8), op.Handle);
                break;
        }
        w.EndMessage(m);
    }

    /// <summary>
    /// The userdata type of a rule's owner tag. libnftnl numbers its rule entries from 0 (comment) upwards and nft
    /// skips types it does not know; a high number stays clear of future ones.
    /// </summary>
    public const byte OwnerUserdataType = 0xc5;

    private static void WriteComment(ref NetlinkWriter w, ushort attribute, string comment) => WriteUserdata(ref w, attribute, comment, null);

    /// <summary>libnftnl's userdata: TLVs (type, length, value with its NUL) — the comment, then the owner tag.</summary>
    private static void WriteUserdata(ref NetlinkWriter w, ushort attribute, string? comment, string? owner)
    {
        int commentLength = comment is null ? 0 : Encoding.UTF8.GetByteCount(comment) + 1;
        int ownerLength = owner is null ? 0 : Encoding.UTF8.GetByteCount(owner) + 1;
        if (commentLength > MaxCommentBytes + 1)
        {
            throw new ArgumentException($"an nf_tables comment holds at most {MaxCommentBytes} bytes: '{comment}'");
        }
        if (ownerLength > byte.MaxValue)
        {
            throw new ArgumentException($"an nf_tables owner tag holds at most {byte.MaxValue - 1} bytes: '{owner}'");
        }
        Span<byte> data = w.ReserveAttribute(attribute, (comment is null ? 0 : commentLength + 2) + (owner is null ? 0 : ownerLength + 2));
        if (comment is not null)
        {
            data = WriteTlv(data, NFTNL_UDATA_COMMENT, comment, commentLength);
        }
        if (owner is not null)
        {
            WriteTlv(data, OwnerUserdataType, owner, ownerLength);
        }
    }

    private static Span<byte> WriteTlv(Span<byte> into, byte type, string value, int length)
    {
        into[0] = type;
        into[1] = (byte)length;
        Encoding.UTF8.GetBytes(value, into[2..]);
        into[1 + length] = 0;
        return into[(2 + length)..];
    }

    /// <summary>The comment in a table's or rule's userdata, or null.</summary>
    internal static string? ReadComment(ReadOnlySpan<byte> userdata) => ReadUserdata(userdata, NFTNL_UDATA_COMMENT);

    /// <summary>The owner tag in a rule's userdata, or null.</summary>
    internal static string? ReadOwner(ReadOnlySpan<byte> userdata) => ReadUserdata(userdata, OwnerUserdataType);

    /// <summary>The comment in a rule's userdata as its bytes (without the NUL), when there is one.</summary>
    internal static bool TryReadComment(ReadOnlySpan<byte> userdata, out ReadOnlySpan<byte> comment) =>
        TryReadUserdata(userdata, NFTNL_UDATA_COMMENT, out comment);

    private static string? ReadUserdata(ReadOnlySpan<byte> userdata, byte wanted) =>
        TryReadUserdata(userdata, wanted, out ReadOnlySpan<byte> value) ? Encoding.UTF8.GetString(value) : null;

    private static bool TryReadUserdata(ReadOnlySpan<byte> userdata, byte wanted, out ReadOnlySpan<byte> value)
    {
        while (userdata.Length >= 2)
        {
            byte type = userdata[0];
            int length = userdata[1];
            if (userdata.Length < 2 + length)
            {
                break;
            }
            if (type == wanted)
            {
                value = userdata.Slice(2, length);
                int nul = value.IndexOf((byte)0);
                if (nul >= 0)
                {
                    value = value[..nul];
                }
                return true;
            }
            userdata = userdata[(2 + length)..];
        }
        value = default;
        return false;
    }

    private string Describe(List<Operation> operations, int index)
    {
        string family = FamilyName(Family);
        if ((uint)index >= (uint)operations.Count)
        {
            return "nf_tables batch";
        }
        Operation op = operations[index];
        return op.Kind switch
        {
            Kind.AddTable => $"add table {family} {Table}",
            Kind.DeleteTable => $"delete table {family} {Table}",
            Kind.AddChain => $"add chain {family} {Table} {op.Chain!.Name}",
            Kind.FlushChain => $"flush chain {family} {Table} {op.ChainName}",
            Kind.AddRule => $"add rule {family} {Table} {op.Rule!.Chain} ({op.Rule.Comment})",
            _ => $"delete rule {family} {Table} {op.ChainName} handle {op.Handle}",
        };
    }
}
