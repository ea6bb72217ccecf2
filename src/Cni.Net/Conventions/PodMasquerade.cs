using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Spec;

namespace Cni.Net.Conventions;

/// <summary>
/// The <c>ipMasq</c> option of the veth plugins (bridge, ptp) as whole operations on a netfilter backend: set up
/// <see cref="IPMasquerade"/> for a result's addresses, tear it down by network and container id (so it goes even
/// when the pod's namespace and addresses are gone), verify it for CHECK, and collect the setups of containers that
/// are no longer valid attachments (GC).
/// </summary>
public static class PodMasquerade
{
    private static readonly AddressFamily[] s_families = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];

    /// <summary>Masquerades every address of the result (one transaction per family).</summary>
    /// <param name="backend">The backend (the native nf_tables one on a node).</param>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <param name="addresses">The pod's addresses.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    /// <exception cref="NetfilterException">The backend refused.</exception>
    public static async ValueTask SetupAsync(INetfilterBackend backend, string network, string containerId, IEnumerable<CniIPConfig> addresses,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(addresses);
        foreach (IGrouping<AddressFamily, CniIPConfig> family in addresses.GroupBy(a => a.Address.Address.AddressFamily))
        {
            var transaction = new NetfilterTransaction(family.Key);
            foreach (CniIPConfig ip in family)
            {
                IPMasquerade.AddSetup(transaction, ip.Address.Address, ip.Address.PrefixLength, network, containerId);
            }
            await backend.ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes the container's setup in the given families (both when null); nothing where it is gone.</summary>
    /// <param name="backend">The backend.</param>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <param name="families">The families, or null for IPv4 and IPv6.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    /// <exception cref="NetfilterException">The backend refused.</exception>
    public static async ValueTask TeardownAsync(INetfilterBackend backend, string network, string containerId, IEnumerable<AddressFamily>? families = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        foreach (AddressFamily family in (families ?? s_families).Distinct())
        {
            await backend.ApplyAsync(IPMasquerade.AddTeardown(new NetfilterTransaction(family), network, containerId), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// CHECK: the container's chain exists with rules, and POSTROUTING sends each address to it.
    /// </summary>
    /// <param name="backend">The backend.</param>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <param name="addresses">The pod's addresses (from prevResult).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Null when all is there, else what is missing.</returns>
    public static async ValueTask<string?> VerifyAsync(INetfilterBackend backend, string network, string containerId, IEnumerable<CniIPConfig> addresses,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(addresses);
        string chain = CniNames.ContainerChain(network, containerId);
        foreach (IGrouping<AddressFamily, CniIPConfig> group in addresses.GroupBy(ip => ip.Address.Address.AddressFamily))
        {
            NetfilterTableState nat = await backend.ReadTableAsync(group.Key, NetfilterTable.Nat, cancellationToken).ConfigureAwait(false);
            if (nat.FindChain(chain) is not { Rules.Count: > 0 })
            {
                return $"masquerade chain {chain} is missing or empty";
            }
            NetfilterChainState? postrouting = nat.FindChain("POSTROUTING");
            foreach (CniIPConfig ip in group)
            {
                bool jumps = postrouting is not null && postrouting.Rules.Any(r =>
                    r.Target is JumpTarget j && j.Chain == chain && r.Source is System.Net.IPNetwork s && s.Contains(ip.Address.Address));
                if (!jumps)
                {
                    return $"no POSTROUTING rule sends {ip.Address.Address} to {chain}";
                }
            }
        }
        return null;
    }

    /// <summary>GC: removes the setups of this network's containers that are not in <paramref name="validContainerIds"/>.</summary>
    /// <param name="backend">The backend.</param>
    /// <param name="network">The network name.</param>
    /// <param name="validContainerIds">The containers whose setups stay.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    /// <exception cref="NetfilterException">The backend refused.</exception>
    public static async ValueTask CollectGarbageAsync(INetfilterBackend backend, string network, IEnumerable<string> validContainerIds,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        List<string> valid = [.. validContainerIds];
        foreach (AddressFamily family in s_families)
        {
            NetfilterTableState nat;
            try
            {
                nat = await backend.ReadTableAsync(family, NetfilterTable.Nat, cancellationToken).ConfigureAwait(false);
            }
            catch (NetfilterException) when (family == AddressFamily.InterNetworkV6)
            {
                continue; // no IPv6 nat on this node: nothing of ours there
            }
            var transaction = new NetfilterTransaction(family);
            IPMasquerade.AddGarbageCollection(transaction, nat, network, valid);
            if (transaction.Count > 0)
            {
                await backend.ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
