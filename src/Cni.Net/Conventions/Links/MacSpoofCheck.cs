using System.Globalization;
using System.Net.NetworkInformation;
using System.Text;
using Cni.Net.Netfilter;
using Cni.Net.Spec;
using Cni.Net.Netfilter.Iptables;

namespace Cni.Net.Conventions.Links;

/// <summary>
/// The bridge plugin's <c>macspoofchk</c>: frames entering the bridge from a pod's host veth are dropped unless their
/// source MAC is the pod's. Laid out as the reference plugin does in nftables (table <c>bridge nat</c>, base chain
/// <c>PREROUTING</c> at priority -300, per attachment the chains <c>cni-br-iface-&lt;id&gt;</c> and
/// <c>…-mac</c>, comment <c>macspoofchk-&lt;id&gt;</c>, id = containerID-ifname), so that either plugin removes the
/// other's rules; each change is one <c>nft -f</c> transaction.
/// </summary>
public static class MacSpoofCheck
{
    private const string Table = "bridge nat";

    /// <summary>Installs (or replaces) the check for one attachment.</summary>
    /// <param name="hostIfName">The pod's host-side veth.</param>
    /// <param name="podMac">The only source MAC allowed from it.</param>
    /// <param name="containerId">The container id.</param>
    /// <param name="ifName">The pod's interface name (CNI_IFNAME).</param>
    /// <param name="cancellationToken">Cancels waiting for nft.</param>
    /// <returns>A task that completes when the rules are in effect.</returns>
    /// <exception cref="CniException">nft refused (code 5, with its message).</exception>
    public static async ValueTask SetupAsync(string hostIfName, PhysicalAddress podMac, string containerId, string ifName,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostIfName);
        ArgumentNullException.ThrowIfNull(podMac);
        string chain = Chain(containerId, ifName), mac = CniInterface.FormatMac(podMac), comment = Comment(containerId, ifName);
        var script = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"add table {Table}")
            .AppendLine(CultureInfo.InvariantCulture, $"add chain {Table} PREROUTING {{ type filter hook prerouting priority -300; policy accept; }}")
            .AppendLine(CultureInfo.InvariantCulture, $"add chain {Table} {chain}")
            .AppendLine(CultureInfo.InvariantCulture, $"add chain {Table} {chain}-mac")
            .AppendLine(CultureInfo.InvariantCulture, $"flush chain {Table} {chain}")
            .AppendLine(CultureInfo.InvariantCulture, $"flush chain {Table} {chain}-mac")
            .AppendLine(CultureInfo.InvariantCulture, $"add rule {Table} PREROUTING iifname \"{hostIfName}\" jump {chain} comment \"{comment}\"")
            .AppendLine(CultureInfo.InvariantCulture, $"add rule {Table} {chain} jump {chain}-mac comment \"{comment}\"")
            .AppendLine(CultureInfo.InvariantCulture, $"add rule {Table} {chain}-mac ether saddr {mac} return comment \"{comment}\"")
            .AppendLine(CultureInfo.InvariantCulture, $"add rule {Table} {chain}-mac drop comment \"{comment}\"");
        await ApplyAsync(script.ToString(), "set up", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the check of one attachment (the jump rule and both chains); nothing when it is absent.</summary>
    /// <param name="containerId">The container id.</param>
    /// <param name="ifName">The pod's interface name (CNI_IFNAME).</param>
    /// <param name="cancellationToken">Cancels waiting for nft.</param>
    /// <returns>A task that completes when the rules are gone.</returns>
    /// <exception cref="CniException">nft refused (code 5, with its message).</exception>
    public static async ValueTask TeardownAsync(string containerId, string ifName, CancellationToken cancellationToken = default)
    {
        ToolRunner.Result listing = await ToolRunner.RunAsync("nft", ["-a", "list", "table", "bridge", "nat"], null, cancellationToken).ConfigureAwait(false);
        if (listing.ExitCode != 0)
        {
            return; // no bridge nat table: nothing was set up
        }
        string chain = Chain(containerId, ifName), comment = $"comment \"{Comment(containerId, ifName)}\"";
        var script = new StringBuilder();
        string? current = null;
        bool hasChain = false, hasMacChain = false;
        foreach (string raw in listing.StdOut.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("chain ", StringComparison.Ordinal))
            {
                current = line.Split(' ')[1];
                hasChain |= current == chain;
                hasMacChain |= current == chain + "-mac";
                continue;
            }
            int handle = line.LastIndexOf("# handle ", StringComparison.Ordinal);
            if (current == "PREROUTING" && handle > 0 && line.Contains(comment, StringComparison.Ordinal))
            {
                script.AppendLine(CultureInfo.InvariantCulture, $"delete rule {Table} PREROUTING handle {line[(handle + 9)..].Trim()}");
            }
        }
        foreach ((bool present, string name) in new[] { (hasChain, chain), (hasMacChain, chain + "-mac") })
        {
            if (present)
            {
                script.AppendLine(CultureInfo.InvariantCulture, $"flush chain {Table} {name}");
            }
        }
        foreach ((bool present, string name) in new[] { (hasChain, chain), (hasMacChain, chain + "-mac") })
        {
            if (present)
            {
                script.AppendLine(CultureInfo.InvariantCulture, $"delete chain {Table} {name}");
            }
        }
        if (script.Length > 0)
        {
            await ApplyAsync(script.ToString(), "remove", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The per-attachment chain: <c>cni-br-iface-</c> + containerID-ifname.</summary>
    /// <param name="containerId">The container id.</param>
    /// <param name="ifName">CNI_IFNAME.</param>
    /// <returns>The chain name.</returns>
    public static string Chain(string containerId, string ifName) => "cni-br-iface-" + Id(containerId, ifName);

    private static string Comment(string containerId, string ifName) => "macspoofchk-" + Id(containerId, ifName);

    private static string Id(string containerId, string ifName)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        ArgumentException.ThrowIfNullOrEmpty(ifName);
        // nf_tables names hold 255 bytes; a longer id (the spec sets no limit) goes in as a hash.
        return Encoding.UTF8.GetByteCount(containerId) <= MaxIdBytes
            ? containerId + "-" + ifName
            : "sha512-" + Convert.ToHexStringLower(Interop.Sha512.HashData(Encoding.UTF8.GetBytes(containerId)))[..48] + "-" + ifName;
    }

    private const int MaxIdBytes = 200;

    private static async ValueTask ApplyAsync(string script, string what, CancellationToken cancellationToken)
    {
        ToolRunner.Result r = await ToolRunner.RunAsync("nft", ["-f", "-"], script, cancellationToken).ConfigureAwait(false);
        if (r.ExitCode != 0)
        {
            throw new CniException(CniErrorCode.IOFailure, $"failed to {what} the MAC spoof check: {r.StdErr.Trim()}");
        }
    }
}
