using System.Globalization;
using System.Text;
using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Iptables;

/// <summary>Renders a plan as iptables-restore input: one block per table, each ended by COMMIT.</summary>
internal sealed class RestoreTextSink : INetfilterPlanSink
{
    private readonly Dictionary<NetfilterTable, List<string>> _commands = [];

    public void BeginTable(NetfilterTable table) => _commands.TryAdd(table, []);

    public void AddChain(NetfilterTable table, string chain) => _commands[table].Add("-N " + chain);

    public void AddRule(NetfilterTable table, string chain, int index, NetfilterRule rule, bool append)
    {
        string spec = IptablesRuleFormatter.FormatSpec(rule);
        _commands[table].Add(append
            ? $"-A {chain} {spec}"
            : string.Create(CultureInfo.InvariantCulture, $"-I {chain} {index + 1} {spec}"));
    }

    public void DeleteRule(NetfilterTable table, string chain, int index, NetfilterRule rule) =>
        _commands[table].Add($"-D {chain} {IptablesRuleFormatter.FormatSpec(rule)}");

    public void FlushChain(NetfilterTable table, string chain) => _commands[table].Add("-F " + chain);

    public void DeleteChain(NetfilterTable table, string chain) => _commands[table].Add("-X " + chain);

    public void SetPolicy(NetfilterTable table, string chain, NetfilterVerdict policy) =>
        _commands[table].Add($"-P {chain} {IptablesRuleFormatter.VerdictName(policy)}");

    public string Render()
    {
        var sb = new StringBuilder();
        foreach (var (table, commands) in _commands)
        {
            if (commands.Count == 0)
            {
                continue;
            }
            sb.Append('*').Append(NetfilterTables.Name(table)).Append('\n');
            foreach (string c in commands)
            {
                sb.Append(c).Append('\n');
            }
            sb.Append("COMMIT\n");
        }
        return sb.ToString();
    }
}
