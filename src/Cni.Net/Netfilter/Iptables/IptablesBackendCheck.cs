using Cni.Net.Netfilter;

namespace Cni.Net.Netfilter.Iptables;

/// <summary>Decides from <c>iptables --version</c> and the legacy rule count whether the node mixes backends.</summary>
internal static class IptablesBackendCheck
{
    public static string? Problem(string versionText, int legacyRuleCount)
    {
        if (versionText.Contains("(legacy)", StringComparison.Ordinal))
        {
            return "this node's iptables is iptables-legacy (" + versionText.Trim() + "); Cni.Net writes iptables-nft rules only, " +
                "and rules split over the two backends do not see each other. Switch the node to iptables-nft " +
                "(update-alternatives --set iptables /usr/sbin/iptables-nft) or keep the reference plugins.";
        }
        if (legacyRuleCount > 0)
        {
            return $"this network namespace holds {legacyRuleCount} iptables-legacy rule(s) (see iptables-legacy-save); " +
                "Cni.Net writes iptables-nft rules only and refuses to mix the two backends. Remove the legacy rules " +
                "or keep the node on iptables-legacy with the reference plugins.";
        }
        if (!versionText.Contains("nf_tables", StringComparison.Ordinal))
        {
            return "cannot tell which iptables backend this node uses: 'iptables --version' printed '" + versionText.Trim() + "'";
        }
        return null;
    }
}
