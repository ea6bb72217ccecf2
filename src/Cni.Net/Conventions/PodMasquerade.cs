using System.Net.Sockets;
using Cni.Net.Netfilter;
using Cni.Net.Spec;

namespace Cni.Net.Conventions;

/// <summary>
/// The <c>ipMasq</c> option of the veth plugins (bridge, ptp) as whole operations, in either of the reference's two
/// layouts (<c>ipMasqBackend</c>): <see cref="IPMasquerade"/>'s iptables chains, written through a netfilter backend, or
/// <see cref="NftablesIPMasquerade"/>'s native table. Setup and CHECK use the configured layout; teardown and GC clean
/// both, as plugins v1.9.1 do, so a pod set up before the node's config switched layouts still goes.
/// </summary>
public static class PodMasquerade
{
    private static readonly AddressFamily[] s_families = [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6];

    /// <summary>Masquerades every address of the result in <paramref name="layout"/>.</summary>
    /// <param name="backend">Where the iptables layout is written (the native nf_tables backend on a node).</param>
    /// <param name="layout"><see cref="ReferenceBackendChoice.Iptables"/> or <see cref="ReferenceBackendChoice.Nftables"/>.</param>
    /// <param name="attachment">The network, container and interface the rules belong to.</param>
    /// <param name="addresses">The pod's addresses.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    /// <exception cref="ArgumentException"><paramref name="layout"/> is neither layout.</exception>
    /// <exception cref="NetfilterException">The kernel refused.</exception>
    public static async ValueTask SetupAsync(INetfilterBackend backend, string layout, PodAttachment attachment, IEnumerable<CniIPConfig> addresses,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(addresses);
        if (IsNftables(layout))
        {
            NftablesIPMasquerade.Setup(attachment.Network, attachment.IfName, attachment.ContainerId,
                addresses.Select(a => (a.Address.Address, a.Address.PrefixLength)));
            return;
        }
        foreach (IGrouping<AddressFamily, CniIPConfig> family in addresses.GroupBy(a => a.Address.Address.AddressFamily))
        {
            var transaction = new NetfilterTransaction(family.Key);
            foreach (CniIPConfig ip in family)
            {
                IPMasquerade.AddSetup(transaction, ip.Address.Address, ip.Address.PrefixLength, attachment.Network, attachment.ContainerId);
            }
            await backend.ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes the attachment's rules from both layouts (the iptables one in the given families, both when null);
    /// nothing where they are gone. Works from the names alone, so it succeeds after the pod's namespace is gone.
    /// </summary>
    /// <param name="backend">Where the iptables layout lives.</param>
    /// <param name="attachment">The attachment.</param>
    /// <param name="families">The families of the iptables layout, or null for IPv4 and IPv6.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    /// <exception cref="NetfilterException">The kernel refused.</exception>
    public static async ValueTask TeardownAsync(INetfilterBackend backend, PodAttachment attachment, IEnumerable<AddressFamily>? families = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        foreach (AddressFamily family in (families ?? s_families).Distinct())
        {
            await backend.ApplyAsync(IPMasquerade.AddTeardown(new NetfilterTransaction(family), attachment.Network, attachment.ContainerId), cancellationToken)
                .ConfigureAwait(false);
        }
        NftablesIPMasquerade.Teardown(attachment.Network, attachment.IfName, attachment.ContainerId);
    }

    /// <summary>
    /// CHECK in <paramref name="layout"/>: for iptables, the container's chain exists with rules and POSTROUTING sends
    /// each address to it; for nftables, the attachment has a rule per address.
    /// </summary>
    /// <param name="backend">Where the iptables layout lives.</param>
    /// <param name="layout">The layout ADD wrote.</param>
    /// <param name="attachment">The attachment.</param>
    /// <param name="addresses">The pod's addresses (from prevResult).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Null when all is there, else what is missing.</returns>
    /// <exception cref="ArgumentException"><paramref name="layout"/> is neither layout.</exception>
    /// <exception cref="NetfilterException">The rules could not be read.</exception>
    public static async ValueTask<string?> VerifyAsync(INetfilterBackend backend, string layout, PodAttachment attachment, IEnumerable<CniIPConfig> addresses,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(addresses);
        if (IsNftables(layout))
        {
            int count = addresses.Count();
            return NftablesIPMasquerade.HasRules(attachment.Network, attachment.IfName, attachment.ContainerId, count)
                ? null
                : $"table inet {NftablesIPMasquerade.Table} lacks the masquerade rules of {attachment.ContainerId}/{attachment.IfName}";
        }
        string chain = CniNames.ContainerChain(attachment.Network, attachment.ContainerId);
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

    /// <summary>GC: removes, from both layouts, this network's rules of attachments not in <paramref name="valid"/>.</summary>
    /// <param name="backend">Where the iptables layout lives.</param>
    /// <param name="network">The network name.</param>
    /// <param name="valid">The attachments whose rules stay.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    /// <exception cref="NetfilterException">The kernel refused.</exception>
    public static async ValueTask CollectGarbageAsync(INetfilterBackend backend, string network, IEnumerable<CniAttachmentId> valid,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        List<CniAttachmentId> attachments = [.. valid];
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
            IPMasquerade.AddGarbageCollection(transaction, nat, network, attachments.Select(a => a.ContainerId));
            if (transaction.Count > 0)
            {
                await backend.ApplyAsync(transaction, cancellationToken).ConfigureAwait(false);
            }
        }
        NftablesIPMasquerade.GarbageCollect(network, attachments.Select(a => (a.ContainerId, a.IfName)));
    }

    private static bool IsNftables(string layout) => layout switch
    {
        ReferenceBackendChoice.Nftables => true,
        ReferenceBackendChoice.Iptables => false,
        _ => throw new ArgumentException($"unrecognized masquerade layout \"{layout}\" (iptables or nftables)", nameof(layout)),
    };
}
