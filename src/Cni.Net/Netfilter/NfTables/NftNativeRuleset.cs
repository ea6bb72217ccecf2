using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;
using static Cni.Net.Netfilter.NfTables.NftNativeProtocol;
using Cni.Net.Interop;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>Reads what a native table holds (its rules with their chain, handle and comment) and removes rules from it.</summary>
internal static class NftNativeRuleset
{
    /// <summary>A NETLINK_NETFILTER socket in the calling thread's namespace.</summary>
    /// <exception cref="NetfilterException">The socket cannot be opened: nf_tables is not available.</exception>
    public static NetlinkSocket OpenSocket() => OpenSocket(NetlinkSocket.BufferSize);

    /// <summary>Opens a NETLINK_NETFILTER socket with send and receive buffers of <paramref name="bufferSize"/> bytes.</summary>
    /// <exception cref="NetfilterException">nf_tables is not available.</exception>
    public static NetlinkSocket OpenSocket(int bufferSize)
    {
        try
        {
            return new NetlinkSocket(NetlinkProtocol.Netfilter, bufferSize);
        }
        catch (NetlinkException e)
        {
            throw new NetfilterException($"cannot open a NETLINK_NETFILTER socket; nf_tables is not available on this node ({e.Message})", e);
        }
    }

    /// <summary>Runs <paramref name="action"/> on a socket of the calling thread's namespace, kept open for the next
    /// call (<see cref="NfnetlinkSocketPool"/>: a socket closed after a delete waits for a grace period).</summary>
    public static void Run(Action<NetlinkSocket> action) => NfnetlinkSocketPool.Run(OpenSocket, action);

    /// <summary>
    /// Removes, in one transaction, the rules of the table that <paramref name="stale"/> picks. Returns how many; 0 when
    /// the table does not exist.
    /// </summary>
    /// <exception cref="NetfilterException">nf_tables refused the change (nothing was applied).</exception>
    public static int DeleteRules(NetlinkSocket socket, AddressFamily family, string table, Func<NftListedRule, bool> stale)
    {
        List<NftListedRule>? rules = ListRules(socket, family, table);
        if (rules is null)
        {
            return 0;
        }
        var tx = new NftNativeTransaction(family, table);
        foreach (NftListedRule rule in rules)
        {
            if (stale(rule))
            {
                tx.DeleteRule(rule.Chain, rule.Handle);
            }
        }
        tx.Commit(socket);
        return tx.Count;
    }

    /// <summary>Every rule of the table in dump order; null when the table does not exist.</summary>
    /// <exception cref="NetfilterException">nf_tables refused the dump for another reason.</exception>
    public static List<NftListedRule>? ListRules(NetlinkSocket socket, AddressFamily family, string table)
    {
        var handler = new RuleHandler(table);
        return TryDumpRules(socket, family, table, null, ref handler) ? handler.Rules : null;
    }

    /// <summary>
    /// The handles of the rules of one chain whose comment starts with <paramref name="commentPrefix"/>, from a dump of
    /// that chain alone, matched on the kernel's bytes: nothing is decoded into strings or objects for the rules that do
    /// not match, which on a node with hundreds of pods are nearly all of them (the masquerade chain holds a rule per
    /// pod). Null when the table or the chain does not exist.
    /// </summary>
    /// <exception cref="NetfilterException">nf_tables refused the dump for another reason.</exception>
    public static List<ulong>? FindRuleHandles(NetlinkSocket socket, AddressFamily family, string table, string chain, string commentPrefix)
    {
        var handler = new PrefixHandler(Encoding.UTF8.GetBytes(table), Encoding.UTF8.GetBytes(chain), Encoding.UTF8.GetBytes(commentPrefix));
        return TryDumpRules(socket, family, table, chain, ref handler) ? handler.Handles : null;
    }

    /// <summary>Dumps the rules of a table, or of one of its chains, into <paramref name="handler"/>; false when either does not exist.</summary>
    private static bool TryDumpRules<THandler>(NetlinkSocket socket, AddressFamily family, string table, string? chain, ref THandler handler)
        where THandler : INetlinkReplyHandler
    {
        ArgumentNullException.ThrowIfNull(socket);
        NetlinkWriter w = socket.BeginRequest(MessageType(NFT_MSG_GETRULE), NetlinkMessageFlags.Dump);
        w.WriteFamilyHeader(NfGenMsg.For(FamilyOf(family)));
        w.WriteString(NFTA_RULE_TABLE, table);
        if (chain is not null)
        {
            w.WriteString(NFTA_RULE_CHAIN, chain);
        }
        string what = chain is null ? $"table {table}" : $"chain {table} {chain}";
        try
        {
            socket.Request(ref w, $"list {what} rules", ref handler);
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENOENT)
        {
            return false;
        }
        catch (NetlinkException e)
        {
            throw new NetfilterException($"reading nf_tables {what} failed: {e.Message}", e);
        }
        return true;
    }

    private sealed class PrefixHandler(byte[] table, byte[] chain, byte[] commentPrefix) : INetlinkReplyHandler
    {
        public List<ulong> Handles { get; } = [];

        public void OnMessage(NetlinkMessage message)
        {
            bool inTable = false, inChain = false, matches = false;
            ulong handle = 0;
            foreach (NetlinkAttr a in message.GetAttributes<NfGenMsg>())
            {
                switch (a.Type)
                {
                    case NFTA_RULE_TABLE:
                        inTable = WithoutNul(a.Value).SequenceEqual(table);
                        break;
                    case NFTA_RULE_CHAIN:
                        inChain = WithoutNul(a.Value).SequenceEqual(chain);
                        break;
                    case NFTA_RULE_HANDLE when a.Value.Length == 8:
                        handle = BinaryPrimitives.ReadUInt64BigEndian(a.Value);
                        break;
                    case NFTA_RULE_USERDATA:
                        matches = NftNativeTransaction.TryReadComment(a.Value, out ReadOnlySpan<byte> comment) && comment.StartsWith(commentPrefix);
                        break;
                }
            }
            if (inTable && inChain && matches)
            {
                Handles.Add(handle);
            }
        }

        public void OnRestart() => Handles.Clear();

        private static ReadOnlySpan<byte> WithoutNul(ReadOnlySpan<byte> value) =>
            value.Length > 0 && value[^1] == 0 ? value[..^1] : value;
    }

    private sealed class RuleHandler(string table) : INetlinkReplyHandler
    {
        public List<NftListedRule> Rules { get; } = [];

        public void OnMessage(NetlinkMessage message)
        {
            string? tableName = null, chain = null, comment = null, owner = null;
            ulong handle = 0;
            foreach (NetlinkAttr a in message.GetAttributes<NfGenMsg>())
            {
                switch (a.Type)
                {
                    case NFTA_RULE_TABLE:
                        tableName = a.GetString();
                        break;
                    case NFTA_RULE_CHAIN:
                        chain = a.GetString();
                        break;
                    case NFTA_RULE_HANDLE when a.Value.Length == 8:
                        handle = BinaryPrimitives.ReadUInt64BigEndian(a.Value);
                        break;
                    case NFTA_RULE_USERDATA:
                        comment = NftNativeTransaction.ReadComment(a.Value);
                        owner = NftNativeTransaction.ReadOwner(a.Value);
                        break;
                }
            }
            if (tableName == table && chain is not null)
            {
                Rules.Add(new NftListedRule(chain, handle, comment, owner));
            }
        }

        public void OnRestart() => Rules.Clear();
    }
}
