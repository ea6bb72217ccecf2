using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;

namespace Cni.Net.Conventions;

/// <summary>
/// Source NAT for a pod's traffic leaving its network, laid out as the reference plugins (bridge, ptp) do: in nat,
/// <c>POSTROUTING -s &lt;podIP&gt; -j CNI-&lt;hash&gt;</c>, and in that chain <c>-d &lt;subnet&gt; -j ACCEPT</c> then
/// <c>! -d 224.0.0.0/4 -j MASQUERADE</c> (<c>ff00::/8</c> for IPv6), each with the <c>name: ... id: ...</c> comment.
/// </summary>
public static class IPMasquerade
{
    private static readonly IPNetwork s_multicast4 = IPNetwork.Parse("224.0.0.0/4");
    private static readonly IPNetwork s_multicast6 = IPNetwork.Parse("ff00::/8");

    /// <summary>Adds the masquerade setup for one pod address to a transaction; idempotent.</summary>
    /// <param name="transaction">A transaction of the address's family.</param>
    /// <param name="podAddress">The pod's address.</param>
    /// <param name="prefixLength">The prefix length of the pod's network (traffic inside it is not masqueraded).</param>
    /// <param name="network">The CNI network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <returns>The transaction.</returns>
    /// <exception cref="ArgumentException">The address is not of the transaction's family, or the prefix is out of range.</exception>
    public static NetfilterTransaction AddSetup(NetfilterTransaction transaction, IPAddress podAddress, int prefixLength, string network, string containerId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(podAddress);
        CheckFamily(transaction, podAddress);
        bool v6 = podAddress.AddressFamily == AddressFamily.InterNetworkV6;
        if ((uint)prefixLength > (v6 ? 128u : 32u))
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, "prefix length out of range");
        }
        string chain = CniNames.ContainerChain(network, containerId);
        CommentMatch comment = NetfilterMatch.Comment(CniNames.Comment(network, containerId));
        IPNetwork subnet = new(Mask(podAddress, prefixLength), prefixLength);
        return transaction
            .EnsureChain(NetfilterTable.Nat, chain)
            .AppendUnique(NetfilterTable.Nat, chain, new NetfilterRule
            {
                Destination = subnet,
                Matches = [comment],
                Target = NetfilterTarget.Accept,
            })
            .AppendUnique(NetfilterTable.Nat, chain, new NetfilterRule
            {
                Destination = v6 ? s_multicast6 : s_multicast4,
                DestinationNegated = true,
                Matches = [comment],
                Target = NetfilterTarget.Masquerade,
            })
            .AppendUnique(NetfilterTable.Nat, "POSTROUTING", EntryRule(podAddress, chain, comment));
    }

    /// <summary>
    /// Adds the teardown to a transaction: every POSTROUTING rule jumping to the container's chain (whatever source
    /// it names, so it works without the pod address), then the chain. Does nothing where nothing is left.
    /// </summary>
    /// <param name="transaction">A transaction.</param>
    /// <param name="network">The CNI network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <returns>The transaction.</returns>
    public static NetfilterTransaction AddTeardown(NetfilterTransaction transaction, string network, string containerId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        string chain = CniNames.ContainerChain(network, containerId);
        return transaction
            .DeleteJumps(NetfilterTable.Nat, "POSTROUTING", chain)
            .DeleteChain(NetfilterTable.Nat, chain, ignoreMissing: true);
    }

    /// <summary>
    /// Adds to a transaction the teardown of every masquerade setup of <paramref name="network"/> found in
    /// <paramref name="nat"/> whose container is not in <paramref name="validContainerIds"/> (CNI GC). Setups are found
    /// by their POSTROUTING entry rule: the network's comment and a jump to a <c>CNI-</c> chain; the chain, not the
    /// comment, tells the container (a comment is cut at 255 bytes, a chain name is a hash of the whole id).
    /// </summary>
    /// <param name="transaction">A transaction of the table's family.</param>
    /// <param name="nat">The nat table as read now.</param>
    /// <param name="network">The CNI network name.</param>
    /// <param name="validContainerIds">The containers whose setups stay.</param>
    /// <returns>The chains torn down, in order.</returns>
    public static IReadOnlyList<string> AddGarbageCollection(NetfilterTransaction transaction, NetfilterTableState nat, string network,
        IEnumerable<string> validContainerIds)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(nat);
        ArgumentNullException.ThrowIfNull(validContainerIds);
        var valid = new HashSet<string>(validContainerIds.Select(id => CniNames.ContainerChain(network, id)), StringComparer.Ordinal);
        string empty = CniNames.Comment(network, string.Empty);
        string prefix = empty.EndsWith("\"\"", StringComparison.Ordinal) ? empty[..^1] : empty;
        var stale = new SortedSet<string>(StringComparer.Ordinal);
        foreach (NetfilterRule rule in nat.FindChain("POSTROUTING")?.Rules ?? [])
        {
            if (rule.Target is JumpTarget jump && jump.Chain.StartsWith("CNI-", StringComparison.Ordinal) && !valid.Contains(jump.Chain) &&
                rule.Comment is { } comment && comment.StartsWith(prefix, StringComparison.Ordinal))
            {
                stale.Add(jump.Chain);
            }
        }
        foreach (string chain in stale)
        {
            transaction
                .DeleteJumps(NetfilterTable.Nat, "POSTROUTING", chain)
                .DeleteChain(NetfilterTable.Nat, chain, ignoreMissing: true);
        }
        return [.. stale];
    }

    private static NetfilterRule EntryRule(IPAddress podAddress, string chain, CommentMatch comment) => new()
    {
        Source = new IPNetwork(podAddress, podAddress.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32),
        Matches = [comment],
        Target = NetfilterTarget.Jump(chain),
    };

    internal static void CheckFamily(NetfilterTransaction transaction, IPAddress address)
    {
        if (address.AddressFamily != transaction.Family)
        {
            throw new ArgumentException($"address {address} is not of the transaction's family {transaction.Family}", nameof(address));
        }
    }

    internal static IPAddress Mask(IPAddress address, int prefixLength)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(prefixLength - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff00 >> bits);
        }
        return new IPAddress(bytes);
    }
}
