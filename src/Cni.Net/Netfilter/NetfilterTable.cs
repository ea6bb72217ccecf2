namespace Cni.Net.Netfilter;

/// <summary>The packet-filter tables that container networking uses.</summary>
public enum NetfilterTable
{
    /// <summary>The <c>filter</c> table (INPUT, FORWARD, OUTPUT).</summary>
    Filter,

    /// <summary>The <c>nat</c> table (PREROUTING, INPUT, OUTPUT, POSTROUTING).</summary>
    Nat,

    /// <summary>The <c>mangle</c> table.</summary>
    Mangle,

    /// <summary>The <c>raw</c> table.</summary>
    Raw,
}

/// <summary>Names and built-in chains of <see cref="NetfilterTable"/>.</summary>
internal static class NetfilterTables
{
    private static readonly string[] s_filterChains = ["INPUT", "FORWARD", "OUTPUT"];
    private static readonly string[] s_natChains = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"];
    private static readonly string[] s_mangleChains = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];
    private static readonly string[] s_rawChains = ["PREROUTING", "OUTPUT"];

    public static string Name(NetfilterTable table) => table switch
    {
        NetfilterTable.Filter => "filter",
        NetfilterTable.Nat => "nat",
        NetfilterTable.Mangle => "mangle",
        NetfilterTable.Raw => "raw",
        _ => throw new ArgumentOutOfRangeException(nameof(table), table, "unknown netfilter table"),
    };

    public static bool TryParse(ReadOnlySpan<char> name, out NetfilterTable table)
    {
        switch (name)
        {
            case "filter": table = NetfilterTable.Filter; return true;
            case "nat": table = NetfilterTable.Nat; return true;
            case "mangle": table = NetfilterTable.Mangle; return true;
            case "raw": table = NetfilterTable.Raw; return true;
            default: table = default; return false;
        }
    }

    /// <summary>The built-in chains in the order <c>iptables-save</c> prints them.</summary>
    public static IReadOnlyList<string> BuiltinChains(NetfilterTable table) => table switch
    {
        NetfilterTable.Filter => s_filterChains,
        NetfilterTable.Nat => s_natChains,
        NetfilterTable.Mangle => s_mangleChains,
        NetfilterTable.Raw => s_rawChains,
        _ => throw new ArgumentOutOfRangeException(nameof(table), table, "unknown netfilter table"),
    };

    public static bool IsBuiltin(NetfilterTable table, string chain)
    {
        foreach (string c in BuiltinChains(table))
        {
            if (c == chain)
            {
                return true;
            }
        }
        return false;
    }
}
