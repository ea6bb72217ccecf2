using System.Buffers.Binary;
using System.Net.Sockets;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;
using static Cni.Net.Netfilter.NfTables.NftNativeProtocol;
using Cni.Net.Interop;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>Reads what a native table holds: its rules with their chain, handle and comment.</summary>
internal static class NftNativeRuleset
{
    /// <summary>Every rule of the table in dump order; null when the table does not exist.</summary>
    /// <exception cref="NetfilterException">nf_tables refused the dump for another reason.</exception>
    public static List<NftListedRule>? ListRules(NetlinkSocket socket, AddressFamily family, string table)
    {
        ArgumentNullException.ThrowIfNull(socket);
        NetlinkWriter w = socket.BeginRequest(MessageType(NFT_MSG_GETRULE), NetlinkMessageFlags.Dump);
        w.WriteFamilyHeader(NfGenMsg.For(FamilyOf(family)));
        w.WriteString(NFTA_RULE_TABLE, table);
        var handler = new RuleHandler(table);
        try
        {
            socket.Request(ref w, $"list table {table} rules", ref handler);
        }
        catch (NetlinkException e) when (e.Errno == Errno.ENOENT)
        {
            return null;
        }
        catch (NetlinkException e)
        {
            throw new NetfilterException($"reading nf_tables table {table} failed: {e.Message}", e);
        }
        return handler.Rules;
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
