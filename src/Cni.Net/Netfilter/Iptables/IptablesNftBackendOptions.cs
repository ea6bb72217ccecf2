using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Iptables;

/// <summary>Where <see cref="IptablesNftBackend"/> finds its tools. The defaults are looked up on PATH.</summary>
public sealed class IptablesNftBackendOptions
{
    /// <summary><c>iptables</c>, asked for its version to tell legacy from nf_tables.</summary>
    public string IptablesPath { get; set; } = "iptables";

    /// <summary><c>iptables-nft-restore</c>.</summary>
    public string IptablesRestorePath { get; set; } = "iptables-nft-restore";

    /// <summary><c>ip6tables-nft-restore</c>.</summary>
    public string Ip6tablesRestorePath { get; set; } = "ip6tables-nft-restore";

    /// <summary><c>iptables-nft-save</c>.</summary>
    public string IptablesSavePath { get; set; } = "iptables-nft-save";

    /// <summary><c>ip6tables-nft-save</c>.</summary>
    public string Ip6tablesSavePath { get; set; } = "ip6tables-nft-save";

    /// <summary><c>iptables-legacy-save</c>, run only when legacy tables exist.</summary>
    public string IptablesLegacySavePath { get; set; } = "iptables-legacy-save";

    /// <summary>The kernel's list of legacy tables in this namespace.</summary>
    public string LegacyTablesPath { get; set; } = "/proc/net/ip_tables_names";
}
