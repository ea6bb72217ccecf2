using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Spec;

namespace Cni.Net.Conventions;

/// <summary>
/// portmap's iptables layout (<see cref="PortMapRules"/>, <c>backend: "iptables"</c>) as whole operations on a netfilter
/// backend — ADD, CHECK, DEL and GC — the counterpart of <see cref="NftablesPortMap"/>.
/// </summary>
public static class IptablesPortMap
{
    private static readonly AddressFamily[] s_families = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];

    /// <summary>ADD for one pod address: one transaction of that address's family.</summary>
    /// <param name="backend">Where the rules go (the native nf_tables backend on a node).</param>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <param name="address">The pod's address and prefix length.</param>
    /// <param name="mappings">The host port mappings.</param>
    /// <param name="options">The plugin's knobs.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    /// <exception cref="ArgumentException">A bad protocol, prefix or mark bit.</exception>
    /// <exception cref="NetfilterException">The backend refused (nothing was applied).</exception>
    public static ValueTask SetupAsync(INetfilterBackend backend, string network, string containerId, CniIPNet address,
        IReadOnlyList<HostPortMapping> mappings, PortMapOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return backend.ApplyAsync(Setup(network, containerId, address, mappings, options), cancellationToken);
    }

    /// <summary>DEL in one family: the container's chain and the entry rule jumping to it; nothing when gone.</summary>
    /// <param name="backend">Where the rules are.</param>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <param name="family">InterNetwork or InterNetworkV6.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    /// <exception cref="NetfilterException">The backend refused.</exception>
    public static ValueTask TeardownAsync(INetfilterBackend backend, string network, string containerId, AddressFamily family,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return backend.ApplyAsync(PortMapRules.AddTeardown(new NetfilterTransaction(family), network, containerId), cancellationToken);
    }

    /// <summary>
    /// CHECK for one pod address: every rule ADD would write is there — the container's chain exactly, the shared
    /// chains at least.
    /// </summary>
    /// <param name="backend">Where the rules are.</param>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <param name="address">The pod's address and prefix length.</param>
    /// <param name="mappings">The host port mappings.</param>
    /// <param name="options">The plugin's knobs.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Null when all is there, else what is missing.</returns>
    /// <exception cref="ArgumentException">A bad protocol, prefix or mark bit.</exception>
    /// <exception cref="NetfilterException">The rules could not be read.</exception>
    public static async ValueTask<string?> VerifyAsync(INetfilterBackend backend, string network, string containerId, CniIPNet address,
        IReadOnlyList<HostPortMapping> mappings, PortMapOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        // The expected rules are what ADD would write into an empty table.
        AddressFamily family = address.Address.AddressFamily;
        var expected = new InMemoryNetfilterBackend();
        if (options.ExternalSetMarkChain is { } external)
        {
            // Someone else's chain: ADD only jumps to it, so it must exist before the expected rules can.
            await expected.ApplyAsync(new NetfilterTransaction(family).EnsureChain(NetfilterTable.Nat, external), cancellationToken).ConfigureAwait(false);
        }
        await expected.ApplyAsync(Setup(network, containerId, address, mappings, options), cancellationToken).ConfigureAwait(false);
        NetfilterTableState want = await expected.ReadTableAsync(family, NetfilterTable.Nat, cancellationToken).ConfigureAwait(false);
        NetfilterTableState have = await backend.ReadTableAsync(family, NetfilterTable.Nat, cancellationToken).ConfigureAwait(false);
        string containerChain = CniNames.PortMapChain(network, containerId);
        foreach (NetfilterChainState chain in want.Chains)
        {
            if (chain.Name == options.ExternalSetMarkChain)
            {
                continue;
            }
            NetfilterChainState? actual = have.FindChain(chain.Name);
            if (actual is null)
            {
                return $"nat chain {chain.Name} is missing";
            }
            if (chain.Name == containerChain ? !chain.Rules.SequenceEqual(actual.Rules) : chain.Rules.Any(r => !actual.Rules.Contains(r)))
            {
                return $"nat chain {chain.Name} does not hold the rules for container {containerId}";
            }
        }
        return null;
    }

    /// <summary>
    /// GC in both families: the network's containers (found by the entry rules' comment and their jump target, so a
    /// comment cut short by a long id still counts) that are not in <paramref name="validContainerIds"/> lose their
    /// chain and entry rule. A family without a nat table is skipped.
    /// </summary>
    /// <param name="backend">Where the rules are.</param>
    /// <param name="network">The network name.</param>
    /// <param name="validContainerIds">The containers whose rules stay.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many containers' rules were removed.</returns>
    /// <exception cref="NetfilterException">The backend refused.</exception>
    public static async ValueTask<int> CollectGarbageAsync(INetfilterBackend backend, string network, IEnumerable<string> validContainerIds,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(validContainerIds);
        var keep = new HashSet<string>(validContainerIds.Select(id => CniNames.PortMapChain(network, id)), StringComparer.Ordinal);
        // Every entry comment of this network starts so, whatever the id (the comment is cut at its end).
        string prefix = CniNames.PortMapComment(network, "")[..^1];
        int removed = 0;
        foreach (AddressFamily family in s_families)
        {
            NetfilterTableState table;
            try
            {
                table = await backend.ReadTableAsync(family, NetfilterTable.Nat, cancellationToken).ConfigureAwait(false);
            }
            catch (NetfilterException) when (family == AddressFamily.InterNetworkV6)
            {
                continue;
            }
            var stale = new SortedSet<string>(StringComparer.Ordinal);
            foreach (NetfilterRule rule in table.FindChain(PortMapRules.DnatChain)?.Rules ?? [])
            {
                if (rule.Comment?.StartsWith(prefix, StringComparison.Ordinal) == true && rule.Target is JumpTarget { Chain: { } chain } && !keep.Contains(chain))
                {
                    stale.Add(chain);
                }
            }
            if (stale.Count == 0)
            {
                continue;
            }
            var transaction = new NetfilterTransaction(family);
            foreach (string chain in stale)
            {
                transaction
                    .DeleteJumps(NetfilterTable.Nat, PortMapRules.DnatChain, chain)
                    .DeleteChain(NetfilterTable.Nat, chain, ignoreMissing: true);
            }
            await backend.ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
            removed += stale.Count;
        }
        return removed;
    }

    private static NetfilterTransaction Setup(string network, string containerId, CniIPNet address, IReadOnlyList<HostPortMapping> mappings, PortMapOptions options) =>
        PortMapRules.AddSetup(new NetfilterTransaction(address.Address.AddressFamily), network, containerId, address.Address, address.PrefixLength, mappings, options);
}
