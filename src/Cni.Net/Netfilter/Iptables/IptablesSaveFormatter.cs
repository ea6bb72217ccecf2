using System.Text;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Iptables;

/// <summary>Prints a table as <c>iptables-save -t</c> does, without its "# Generated" lines.</summary>
internal static class IptablesSaveFormatter
{
    public static string Format(NetfilterTableState table)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(NetfilterTables.Name(table.Table)).Append('\n');
        // iptables-save lists built-in chains in their fixed order, then user chains by name.
        List<NetfilterChainState> chains = [.. table.Chains.Where(c => c.IsBuiltin), .. table.Chains.Where(c => !c.IsBuiltin).OrderBy(c => c.Name, StringComparer.Ordinal)];
        foreach (NetfilterChainState c in chains)
        {
            sb.Append(':').Append(c.Name).Append(' ')
              .Append(c.Policy is NetfilterVerdict p ? IptablesRuleFormatter.VerdictName(p) : "-")
              .Append(" [0:0]\n");
        }
        foreach (NetfilterChainState c in chains)
        {
            foreach (NetfilterRule r in c.Rules)
            {
                sb.Append("-A ").Append(c.Name).Append(' ');
                IptablesRuleFormatter.AppendSpec(sb, r);
                sb.Append('\n');
            }
        }
        sb.Append("COMMIT\n");
        return sb.ToString();
    }
}
