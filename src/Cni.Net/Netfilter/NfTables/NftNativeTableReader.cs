using System.Buffers.Binary;
using Cni.Net.Interop;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;
using static Cni.Net.Netfilter.NfTables.NftNativeProtocol;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>A chain of a native table as the kernel holds it: whether it is a base chain, and on which hook.</summary>
internal readonly record struct NftExistingChain(string? Type, uint Hook, int Priority)
{
    /// <summary>Whether <paramref name="wanted"/> would change nothing here (NEWCHAIN on an existing chain is an update).</summary>
    public bool Matches(NftNativeChain wanted) =>
        wanted.IsBaseChain
            ? Type == wanted.Type && Hook == wanted.Hook && Priority == wanted.Priority
            : Type is null;
}

/// <summary>A rule of a native chain as dumped: its expressions as the kernel encodes them, and whether it has userdata.</summary>
internal readonly record struct NftDumpedRule(byte[] Expressions, bool HasUserdata);

/// <summary>Reads single chains of a native table, and their rules: what <see cref="NftNativeTransaction"/> checks
/// before it writes a change that is already in place.</summary>
internal static class NftNativeTableReader
{
    /// <summary>The chain, or null when it (or its table) does not exist.</summary>
    /// <exception cref="NetlinkException">The kernel refused the request for another reason.</exception>
    public static NftExistingChain? GetChain(NetlinkSocket socket, byte family, string table, string chain)
    {
        NetlinkWriter w = socket.BeginRequest(MessageType(NFT_MSG_GETCHAIN), NetlinkMessageFlags.None);
        w.WriteFamilyHeader(NfGenMsg.For(family));
        w.WriteString(NFTA_CHAIN_TABLE, table);
        w.WriteString(NFTA_CHAIN_NAME, chain);
        var handler = new ChainHandler();
        return socket.TryRequest(ref w, $"get chain {table} {chain}", [Errno.ENOENT], ref handler) == 0 && handler.Found
            ? new NftExistingChain(handler.Type, handler.Hook, handler.Priority)
            : null;
    }

    /// <summary>The chain's rules in order (empty when the chain does not exist).</summary>
    /// <exception cref="NetlinkException">The kernel refused the dump for another reason.</exception>
    public static List<NftDumpedRule> ListRules(NetlinkSocket socket, byte family, string table, string chain)
    {
        NetlinkWriter w = socket.BeginRequest(MessageType(NFT_MSG_GETRULE), NetlinkMessageFlags.Dump);
        w.WriteFamilyHeader(NfGenMsg.For(family));
        w.WriteString(NFTA_RULE_TABLE, table);
        w.WriteString(NFTA_RULE_CHAIN, chain);
        var handler = new RuleHandler(chain);
        socket.TryRequest(ref w, $"list chain {table} {chain}", [Errno.ENOENT], ref handler);
        return handler.Rules;
    }

    private struct ChainHandler : INetlinkReplyHandler
    {
        public bool Found;
        public string? Type;
        public uint Hook;
        public int Priority;

        public void OnMessage(NetlinkMessage message)
        {
            Found = true;
            foreach (NetlinkAttr a in message.GetAttributes<NfGenMsg>())
            {
                switch (a.Type)
                {
                    case NFTA_CHAIN_TYPE:
                        Type = a.GetString();
                        break;
                    case NFTA_CHAIN_HOOK:
                        foreach (NetlinkAttr h in a.GetNested())
                        {
                            if (h.Type == NFTA_HOOK_HOOKNUM && h.Value.Length == 4)
                            {
                                Hook = BinaryPrimitives.ReadUInt32BigEndian(h.Value);
                            }
                            else if (h.Type == NFTA_HOOK_PRIORITY && h.Value.Length == 4)
                            {
                                Priority = BinaryPrimitives.ReadInt32BigEndian(h.Value);
                            }
                        }
                        break;
                }
            }
        }

        public void OnRestart() => this = default;
    }

    private sealed class RuleHandler(string chain) : INetlinkReplyHandler
    {
        public List<NftDumpedRule> Rules { get; } = [];

        public void OnMessage(NetlinkMessage message)
        {
            byte[] expressions = [];
            bool userdata = false, ours = false;
            foreach (NetlinkAttr a in message.GetAttributes<NfGenMsg>())
            {
                if (a.Type == NFTA_RULE_CHAIN)
                {
                    ours = a.GetString() == chain;
                }
                else if (a.Type == NFTA_RULE_EXPRESSIONS)
                {
                    expressions = a.Value.ToArray();
                }
                else if (a.Type == NFTA_RULE_USERDATA)
                {
                    userdata = true;
                }
            }
            if (ours)
            {
                Rules.Add(new NftDumpedRule(expressions, userdata));
            }
        }

        public void OnRestart() => Rules.Clear();
    }
}
