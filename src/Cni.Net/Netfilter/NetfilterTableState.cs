using System.Net.Sockets;

namespace Cni.Net.Netfilter;

/// <summary>One table of one address family as read back: its chains in the order the backend lists them.</summary>
public sealed class NetfilterTableState
{
    internal NetfilterTableState(AddressFamily family, NetfilterTable table, List<NetfilterChainState> chains)
    {
        Family = family;
        Table = table;
        ChainList = chains;
    }

    /// <summary><see cref="AddressFamily.InterNetwork"/> (iptables) or <see cref="AddressFamily.InterNetworkV6"/> (ip6tables).</summary>
    public AddressFamily Family { get; }

    /// <summary>The table.</summary>
    public NetfilterTable Table { get; }

    /// <summary>The chains, built-in ones first.</summary>
    public IReadOnlyList<NetfilterChainState> Chains => ChainList;

    internal List<NetfilterChainState> ChainList { get; }

    /// <summary>Finds a chain by name.</summary>
    /// <param name="name">The chain name.</param>
    /// <returns>The chain, or null when the table has none of that name.</returns>
    public NetfilterChainState? FindChain(string name)
    {
        foreach (NetfilterChainState c in ChainList)
        {
            if (c.Name == name)
            {
                return c;
            }
        }
        return null;
    }

    /// <summary>
    /// The table as <c>iptables-save -t &lt;table&gt;</c> (or <c>ip6tables-save</c>) prints it, without its comment lines:
    /// <c>*nat</c>, the chains with their policies, one <c>-A</c> line per rule, <c>COMMIT</c>. Counters are printed
    /// as <c>[0:0]</c>. The text can be fed to <c>iptables-restore</c>.
    /// </summary>
    /// <returns>The text, lines ending in <c>\n</c>.</returns>
    public string ToIptablesSave() => IptablesSaveFormatter.Format(this);

    /// <summary>The table as <see cref="ToIptablesSave"/> prints it.</summary>
    public override string ToString() => ToIptablesSave();

    /// <summary>An empty table: only its built-in chains, policy ACCEPT.</summary>
    internal static NetfilterTableState Empty(AddressFamily family, NetfilterTable table)
    {
        var chains = new List<NetfilterChainState>();
        foreach (string name in NetfilterTables.BuiltinChains(table))
        {
            chains.Add(new NetfilterChainState(name, NetfilterVerdict.Accept, []));
        }
        return new NetfilterTableState(family, table, chains);
    }

    internal NetfilterTableState Clone() => new(Family, Table, ChainList.ConvertAll(c => c.Clone()));
}
