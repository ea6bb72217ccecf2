using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;
using Cni.Net.Netfilter;
using Cni.Net.Interop;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>
/// One iptables table as dumped from nf_tables: the model state (built-in chains first, then user chains in the
/// order iptables-nft-save prints them), each rule's handle, and which built-in chains really exist (iptables-nft
/// creates base chains only when first used).
/// </summary>
internal sealed class NftTableSnapshot
{
    private NftTableSnapshot(NetfilterTableState state, Dictionary<string, List<ulong>> handles, HashSet<string> baseChains)
    {
        State = state;
        Handles = handles;
        ExistingBaseChains = baseChains;
    }

    public NetfilterTableState State { get; }

    /// <summary>Per chain, the handle of each rule in order.</summary>
    public Dictionary<string, List<ulong>> Handles { get; }

    public HashSet<string> ExistingBaseChains { get; }

    /// <summary>A snapshot of a table whose base chains do not exist yet, with the given user chains (unit tests).</summary>
    internal static NftTableSnapshot ForTests(AddressFamily family, NetfilterTable table, Dictionary<string, (ulong Handle, NetfilterRule Rule)[]> userChains)
    {
        NetfilterTableState state = NetfilterTableState.Empty(family, table);
        var handles = new Dictionary<string, List<ulong>>();
        foreach (NetfilterChainState builtin in state.ChainList)
        {
            handles[builtin.Name] = [];
        }
        foreach (var (name, rules) in userChains)
        {
            state.ChainList.Add(new NetfilterChainState(name, null, [.. rules.Select(r => r.Rule)]));
            handles[name] = [.. rules.Select(r => r.Handle)];
        }
        return new NftTableSnapshot(state, handles, []);
    }

    public static byte FamilyOf(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? (byte)10 : (byte)2;

    /// <summary>Reads NFT_MSG_GETGEN's generation id.</summary>
    public static uint ReadGeneration(NetlinkSocket socket)
    {
        NetlinkWriter w = socket.BeginRequest(MessageType(NFT_MSG_GETGEN), NetlinkMessageFlags.None);
        w.WriteFamilyHeader(NfGenMsg.For(0));
        var handler = new GenerationHandler();
        socket.Request(ref w, "get nf_tables generation", ref handler);
        return handler.Id;
    }

    /// <summary>
    /// Reads the table's chains and then the rules of the chains <paramref name="ruleChains"/> chooses, given which
    /// chains exist (null, or a null choice: every chain's).
    /// </summary>
    /// <remarks>Chains not chosen appear without rules.</remarks>
    /// <exception cref="NetlinkException">A dump failed.</exception>
    /// <exception cref="NetlinkProtocolException">The kernel's reply is malformed.</exception>
    public static NftTableSnapshot Read(NetlinkSocket socket, AddressFamily family, NetfilterTable table,
        Func<Predicate<string>, IReadOnlySet<string>?>? ruleChains = null)
    {
        string tableName = NetfilterTables.Name(table);
        byte nfFamily = FamilyOf(family);

        NetlinkWriter w = socket.BeginRequest(MessageType(NFT_MSG_GETCHAIN), NetlinkMessageFlags.Dump);
        w.WriteFamilyHeader(NfGenMsg.For(nfFamily));
        w.WriteString(NFTA_CHAIN_TABLE, tableName);
        var chains = new ChainHandler(tableName);
        socket.Request(ref w, $"list {tableName} chains", ref chains);

        var rules = new RuleHandler(tableName, family == AddressFamily.InterNetworkV6);
        IReadOnlySet<string>? chosen = ruleChains?.Invoke(chains.Policies.ContainsKey);
        if (chosen is null)
        {
            DumpRules(socket, nfFamily, tableName, null, rules);
        }
        else
        {
            foreach (string chain in chosen)
            {
                if (chains.Policies.ContainsKey(chain))
                {
                    DumpRules(socket, nfFamily, tableName, chain, rules);
                }
            }
        }

        return Build(family, table, chains.Policies, rules);
    }

    /// <summary>
    /// Reads only the table's built-in chains and <paramref name="chains"/> (one GET each; those that do not exist are
    /// left out) and the rules of the named chains that exist: what planning a pod's transaction needs, at a cost that does not
    /// grow with the rest of the table (a node's nat table can hold thousands of kube-proxy chains and rules).
    /// </summary>
    /// <remarks>Chains not named are absent from the snapshot, so planning cannot see a jump from them; the kernel
    /// still refuses to delete a chain something jumps to (EBUSY).</remarks>
    /// <exception cref="NetlinkException">A request failed.</exception>
    /// <exception cref="NetlinkProtocolException">The kernel's reply is malformed.</exception>
    /// <param name="socket">A NETLINK_NETFILTER socket.</param>
    /// <param name="family">The table's family.</param>
    /// <param name="table">The table.</param>
    /// <param name="chains">The chains to read.</param>
    /// <param name="rulesNeeded">
    /// Asked for each named chain that exists, with whether a chain exists: false leaves its rules unread (an empty
    /// list in the snapshot). Null reads every named chain's rules.
    /// </param>
    /// <param name="rulesSought">
    /// Asked for each chain whose rules are needed, after the others were read, with how many references the kernel
    /// counts to a chain whose rules were read: what planning only looks for in it, or null when it needs all its
    /// rules. The chain is then read only until everything sought was seen (see <see cref="PartlyRead"/>).
    /// </param>
    public static NftTableSnapshot ReadChains(NetlinkSocket socket, AddressFamily family, NetfilterTable table, IReadOnlySet<string> chains,
        Func<string, Predicate<string>, bool>? rulesNeeded = null,
        Func<string, Func<string, int?>, IReadOnlyList<SoughtRules>?>? rulesSought = null)
    {
        string tableName = NetfilterTables.Name(table);
        byte nfFamily = FamilyOf(family);
        var found = new ChainHandler(tableName);
        var names = new List<string>(NetfilterTables.BuiltinChains(table));
        foreach (string chain in chains)
        {
            if (!names.Contains(chain))
            {
                names.Add(chain);
            }
        }
        // One GET per chain, all sent in one datagram: one round trip for them, not one each.
        // ENOENT: no such chain (or no such table yet, on a node where nothing wrote this table).
        string operation = $"get {tableName} chains";
        NetlinkWriter batch = socket.BeginBatch();
        for (int i = 0; i < names.Count;)
        {
            if (socket.AppendRequest(ref batch, MessageType(NFT_MSG_GETCHAIN), NetlinkMessageFlags.None))
            {
                batch.WriteFamilyHeader(NfGenMsg.For(nfFamily));
                batch.WriteString(NFTA_CHAIN_TABLE, tableName);
                batch.WriteString(NFTA_CHAIN_NAME, names[i++]);
            }
            else
            {
                socket.RequestBatch(ref batch, operation, [Errno.ENOENT], ref found);
            }
        }
        socket.RequestBatch(ref batch, operation, [Errno.ENOENT], ref found);
        // Built-in chains not named only need to be known to exist (a first rule in one creates it).
        var rules = new RuleHandler(tableName, family == AddressFamily.InterNetworkV6);
        // First the chains read whole, then those searched: a search for the jumps to a deleted chain needs how many
        // the kernel counts, and its use count holds the chain's own rules as well.
        var readWhole = new HashSet<string>(StringComparer.Ordinal);
        var searched = new List<string>();
        foreach (string name in chains)
        {
            if (!found.Policies.ContainsKey(name) || (rulesNeeded is not null && !rulesNeeded(name, found.Policies.ContainsKey)))
            {
                continue;
            }
            // Whether the chain could be searched at all, before any reference is counted (a count of 0 stands in);
            // a short chain is dumped: a search costs a socket of its own and reads two parts at least.
            if (rulesSought?.Invoke(name, static _ => 0) is null || found.Uses.GetValueOrDefault(name) <= MinRulesSearched)
            {
                DumpRules(socket, nfFamily, tableName, name, rules);
                readWhole.Add(name);
            }
            else
            {
                searched.Add(name);
            }
        }
        Func<string, int?> references = chain => readWhole.Contains(chain) && found.Uses.TryGetValue(chain, out uint use)
            ? (int)use - (rules.Chains.TryGetValue(chain, out var own) ? own.Count : 0)
            : null;
        var partlyRead = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in searched)
        {
            if (rulesSought!(name, references) is not { } sought)
            {
                DumpRules(socket, nfFamily, tableName, name, rules);
            }
            else if (!SearchRules(nfFamily, tableName, name, sought, rules))
            {
                partlyRead.Add(name);
            }
        }
        NftTableSnapshot snapshot = Build(family, table, found.Policies, rules);
        snapshot.PartlyRead.UnionWith(partlyRead);
        return snapshot;
    }

    /// <summary>
    /// Chains whose rules were read only up to the last of the rules sought in them: their rules in the snapshot are a
    /// prefix of the kernel's, enough to know that those rules exist and nothing more.
    /// </summary>
    public HashSet<string> PartlyRead { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads <paramref name="chain"/>'s rules until everything <paramref name="sought"/> names was seen, on a socket of its
    /// own with small receive buffers: a fresh socket's dump is made in parts of the size its reader asks for, one
    /// part ahead, so finding the rules near the head of a long chain costs the kernel two small parts instead of the
    /// chain. A shared chain such as POSTROUTING, which holds one jump per pod, is thus not read and decoded on every
    /// pod's ADD to find the one rule portmap put first in it when the first pod came, nor whole on a DEL to find the
    /// pod's own jump.
    /// </summary>
    /// <returns>True when the chain was read to its end (something sought is missing); false when the search stopped early.</returns>
    private static bool SearchRules(byte nfFamily, string tableName, string chain, IReadOnlyList<SoughtRules> sought, RuleHandler into)
    {
        if (sought.All(s => s.Count <= 0))
        {
            // Nothing to find (no rule jumps to the chain whose jumps are deleted): none of the chain is needed.
            return false;
        }
        // A search socket of its own: left unfinished, its dump goes with it (NfnetlinkSearchSockets finishes it off the
        // request's path); the socket of the transaction stays clean.
        (NetlinkSocket search, (ulong, ulong) key) = NfnetlinkSearchSockets.Rent(static () => NftNativeRuleset.OpenSocket(SearchBufferSize));
        var rules = new RuleHandler(tableName, into.Ipv6, sought);
        bool? complete = null;
        try
        {
            NetlinkWriter w = search.BeginRequest(MessageType(NFT_MSG_GETRULE), NetlinkMessageFlags.Dump);
            w.WriteFamilyHeader(NfGenMsg.For(nfFamily));
            w.WriteString(NFTA_RULE_TABLE, tableName);
            w.WriteString(NFTA_RULE_CHAIN, chain);
            complete = search.RequestUntilSatisfied(ref w, $"list {tableName} chain {chain} rules", ref rules);
        }
        finally
        {
            NfnetlinkSearchSockets.Return(key, search, complete);
        }
        foreach (var (name, list) in rules.Chains)
        {
            into.Chains[name] = list;
        }
        return complete.Value;
    }

    /// <summary>
    /// Chains with at most this many rules and references (NFTA_CHAIN_USE) are dumped whole rather than searched: two
    /// parts of a search hold about as many.
    /// </summary>
    internal const int MinRulesSearched = 64;

    /// <summary>
    /// The receive buffer of a search (<see cref="SearchRules"/>), which sets the size of the dump's parts: about 25
    /// iptables rules each. Larger than any rule iptables-nft or the library writes.
    /// </summary>
    internal const int SearchBufferSize = NfnetlinkSearchSockets.BufferSize;

    private static NftTableSnapshot Build(AddressFamily family, NetfilterTable table, Dictionary<string, NetfilterVerdict?> policies, RuleHandler rules)
    {
        var list = new List<NetfilterChainState>();
        var handles = new Dictionary<string, List<ulong>>();
        var baseChains = new HashSet<string>();
        foreach (string builtin in NetfilterTables.BuiltinChains(table))
        {
            NetfilterVerdict policy = NetfilterVerdict.Accept;
            if (policies.TryGetValue(builtin, out NetfilterVerdict? p) && p is not null)
            {
                policy = p.Value;
                baseChains.Add(builtin);
            }
            list.Add(Chain(builtin, policy, rules, handles));
        }
        var users = new List<string>();
        foreach (var (name, policy) in policies)
        {
            if (policy is null || !NetfilterTables.IsBuiltin(table, name))
            {
                users.Add(name);
            }
        }
        users.Sort(StringComparer.Ordinal);
        foreach (string name in users)
        {
            list.Add(Chain(name, null, rules, handles));
        }
        return new NftTableSnapshot(new NetfilterTableState(family, table, list), handles, baseChains);
    }

    private static void DumpRules(NetlinkSocket socket, byte nfFamily, string tableName, string? chain, RuleHandler into)
    {
        NetlinkWriter w = socket.BeginRequest(MessageType(NFT_MSG_GETRULE), NetlinkMessageFlags.Dump);
        w.WriteFamilyHeader(NfGenMsg.For(nfFamily));
        w.WriteString(NFTA_RULE_TABLE, tableName);
        if (chain is not null)
        {
            w.WriteString(NFTA_RULE_CHAIN, chain);
        }
        // One handler per dump: an interrupted dump restarts only its own chain's rules.
        var rules = new RuleHandler(tableName, into.Ipv6);
        socket.Request(ref w, chain is null ? $"list {tableName} rules" : $"list {tableName} chain {chain} rules", ref rules);
        foreach (var (name, list) in rules.Chains)
        {
            into.Chains[name] = list;
        }
    }

    private static NetfilterChainState Chain(string name, NetfilterVerdict? policy, RuleHandler rules, Dictionary<string, List<ulong>> handles)
    {
        var ruleList = new List<NetfilterRule>();
        var handleList = new List<ulong>();
        if (rules.Chains.TryGetValue(name, out List<(ulong Handle, NetfilterRule Rule)>? found))
        {
            foreach ((ulong handle, NetfilterRule rule) in found)
            {
                ruleList.Add(rule);
                handleList.Add(handle);
            }
        }
        handles[name] = handleList;
        return new NetfilterChainState(name, policy, ruleList);
    }

    private struct GenerationHandler : INetlinkReplyHandler
    {
        public uint Id;

        public void OnMessage(NetlinkMessage message)
        {
            if (message.Type != MessageType(NFT_MSG_NEWGEN))
            {
                return;
            }
            foreach (NetlinkAttr a in message.GetAttributes<NfGenMsg>())
            {
                if (a.Type == NFTA_GEN_ID)
                {
                    Id = a.GetUInt32BigEndian();
                }
            }
        }

        public readonly void OnRestart()
        {
        }
    }

    private sealed class ChainHandler(string table) : INetlinkReplyHandler
    {
        /// <summary>Every chain of the table; the policy of base chains, null for the others.</summary>
        public Dictionary<string, NetfilterVerdict?> Policies { get; } = [];

        /// <summary>Each chain's use count (NFTA_CHAIN_USE): its rules plus the references to it.</summary>
        public Dictionary<string, uint> Uses { get; } = [];

        public void OnMessage(NetlinkMessage message)
        {
            string? tableName = null, name = null;
            bool hooked = false;
            NetfilterVerdict? policy = null;
            uint? use = null;
            foreach (NetlinkAttr a in message.GetAttributes<NfGenMsg>())
            {
                switch (a.Type)
                {
                    case NFTA_CHAIN_TABLE:
                        tableName = a.GetString();
                        break;
                    case NFTA_CHAIN_NAME:
                        name = a.GetString();
                        break;
                    case NFTA_CHAIN_HOOK:
                        hooked = true;
                        break;
                    case NFTA_CHAIN_POLICY:
                        policy = a.GetUInt32BigEndian() == NF_DROP ? NetfilterVerdict.Drop : NetfilterVerdict.Accept;
                        break;
                    case NFTA_CHAIN_USE:
                        use = a.GetUInt32BigEndian();
                        break;
                }
            }
            if (tableName == table && name is not null)
            {
                Policies[name] = hooked ? policy ?? NetfilterVerdict.Accept : null;
                if (use is uint u)
                {
                    Uses[name] = u;
                }
            }
        }

        public void OnRestart()
        {
            Policies.Clear();
            Uses.Clear();
        }
    }

    private sealed class RuleHandler(string table, bool ipv6, IReadOnlyList<SoughtRules>? sought = null) : ISatisfiableReplyHandler
    {
        private readonly byte[] _table = Encoding.UTF8.GetBytes(table);
        // How many rules of each sought kind were seen, and how many kinds are still short of their count.
        private readonly int[] _seen = sought is null ? [] : new int[sought.Count];
        private int _short = Wanted(sought);
        // A dump names the table and chain in every rule; one chain's rules come in a row, so its name is made once.
        private string? _chain;

        public bool Ipv6 => ipv6;

        public Dictionary<string, List<(ulong Handle, NetfilterRule Rule)>> Chains { get; } = [];

        public void OnMessage(NetlinkMessage message)
        {
            bool ourTable = false;
            string? chain = null;
            ulong handle = 0;
            NetfilterRule? rule = null;
            foreach (NetlinkAttr a in message.GetAttributes<NfGenMsg>())
            {
                switch (a.Type)
                {
                    case NFTA_RULE_TABLE:
                        ourTable = a.GetStringBytes().SequenceEqual(_table);
                        break;
                    case NFTA_RULE_CHAIN:
                        chain = ChainName(a.GetStringBytes());
                        break;
                    case NFTA_RULE_HANDLE:
                        if (a.Value.Length != 8)
                        {
                            throw new NetlinkProtocolException("NFTA_RULE_HANDLE is not 8 bytes");
                        }
                        handle = BinaryPrimitives.ReadUInt64BigEndian(a.Value);
                        break;
                    case NFTA_RULE_EXPRESSIONS:
                        rule = NftRuleDecoder.Decode(a.Value, ipv6);
                        break;
                }
            }
            if (!ourTable || chain is null)
            {
                return;
            }
            rule ??= new NetfilterRule();
            if (!Chains.TryGetValue(chain, out var list))
            {
                Chains[chain] = list = [];
            }
            list.Add((handle, rule));
            for (int i = 0; i < _seen.Length; i++)
            {
                if (_seen[i] < sought![i].Count && sought[i].Matches(rule) && ++_seen[i] == sought[i].Count)
                {
                    _short--;
                }
            }
        }

        /// <summary>True once everything sought was seen (never without something sought).</summary>
        public bool Satisfied => _seen.Length > 0 && _short == 0;

        public void OnRestart()
        {
            Chains.Clear();
            Array.Clear(_seen);
            _short = Wanted(sought);
        }

        /// <summary>How many of the sought kinds are to be seen at least once.</summary>
        private static int Wanted(IReadOnlyList<SoughtRules>? sought)
        {
            int wanted = 0;
            for (int i = 0; i < (sought?.Count ?? 0); i++)
            {
                wanted += sought![i].Count > 0 ? 1 : 0;
            }
            return wanted;
        }

        private string ChainName(ReadOnlySpan<byte> name)
        {
            if (_chain is null || !Ascii.Equals(name, _chain))
            {
                _chain = Encoding.UTF8.GetString(name);
            }
            return _chain;
        }
    }
}
