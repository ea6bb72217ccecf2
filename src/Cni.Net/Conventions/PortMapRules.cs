using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter.Iptables;
using Cni.Net.Netfilter;

namespace Cni.Net.Conventions;

/// <summary>
/// Host-port forwarding laid out as the reference portmap plugin does, so that either can clean up after the other:
/// nat chains <c>CNI-HOSTPORT-DNAT</c> (jumped to from PREROUTING and OUTPUT for local destinations),
/// <c>CNI-HOSTPORT-SETMARK</c>, <c>CNI-HOSTPORT-MASQ</c> (first in POSTROUTING), and per container
/// <c>CNI-DN-&lt;hash&gt;</c> with the hairpin/localhost mark rules before each DNAT rule. Entry rules use multiport,
/// at most 15 ports each. One transaction replaces the ~27 iptables processes of the reference.
/// </summary>
public static class PortMapRules
{
    /// <summary>The shared chain every per-container chain is entered from.</summary>
    public const string DnatChain = "CNI-HOSTPORT-DNAT";

    /// <summary>The shared chain that sets the masquerade mark.</summary>
    public const string SetMarkChain = "CNI-HOSTPORT-SETMARK";

    /// <summary>The shared chain that masquerades marked connections.</summary>
    public const string MasqueradeChain = "CNI-HOSTPORT-MASQ";

    private static readonly IPNetwork s_localhost = IPNetwork.Parse("127.0.0.1/32");

    /// <summary>Adds the forwarding of <paramref name="mappings"/> to one container address; replaces what the container had.</summary>
    /// <param name="transaction">A transaction of the address's family.</param>
    /// <param name="network">The CNI network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <param name="containerAddress">The container's address.</param>
    /// <param name="prefixLength">The prefix length of the container's network (hairpin traffic comes from it).</param>
    /// <param name="mappings">The ports; mappings whose host address is of the other family are skipped.</param>
    /// <param name="options">The plugin's knobs; null for the defaults.</param>
    /// <returns>The transaction.</returns>
    /// <exception cref="ArgumentException">A bad protocol, family, prefix or mark bit.</exception>
    public static NetfilterTransaction AddSetup(NetfilterTransaction transaction, string network, string containerId,
        IPAddress containerAddress, int prefixLength, IReadOnlyList<HostPortMapping> mappings, PortMapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(containerAddress);
        ArgumentNullException.ThrowIfNull(mappings);
        options ??= new PortMapOptions();
        IPMasquerade.CheckFamily(transaction, containerAddress);
        bool v6 = containerAddress.AddressFamily == AddressFamily.InterNetworkV6;
        if ((uint)prefixLength > (v6 ? 128u : 32u))
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, "prefix length out of range");
        }
        if ((uint)options.MarkMasqBit > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MarkMasqBit, "markMasqBit is 0 to 31");
        }
        foreach (HostPortMapping m in mappings)
        {
            if (m.Protocol is not ("tcp" or "udp" or "sctp"))
            {
                throw new ArgumentException($"portmap protocol must be tcp, udp or sctp, not '{m.Protocol}'", nameof(mappings));
            }
        }

        uint mark = 1u << options.MarkMasqBit;
        string setMarkChain = options.ExternalSetMarkChain ?? SetMarkChain;
        // With an external mark chain its owner (kube-proxy) also masquerades what it marked, so neither shared chain
        // is ours to create; the reference plugin (1.1.1) does the same.
        if (options.Snat && options.ExternalSetMarkChain is null)
        {
            transaction
                .EnsureChain(NetfilterTable.Nat, SetMarkChain)
                .AppendUnique(NetfilterTable.Nat, SetMarkChain, new NetfilterRule
                {
                    Matches = [NetfilterMatch.Comment("CNI portfwd masquerade mark")],
                    Target = NetfilterTarget.SetMark(mark, mark),
                })
                .EnsureChain(NetfilterTable.Nat, MasqueradeChain)
                .AppendUnique(NetfilterTable.Nat, MasqueradeChain, new NetfilterRule
                {
                    Matches = [NetfilterMatch.Mark(mark, mark)],
                    Target = NetfilterTarget.Masquerade,
                })
                // First in POSTROUTING: the bridge and ptp masquerade rules would otherwise take the packet.
                .InsertUnique(NetfilterTable.Nat, "POSTROUTING", 1, new NetfilterRule
                {
                    Matches = [NetfilterMatch.Comment("CNI portfwd requiring masquerade")],
                    Target = NetfilterTarget.Jump(MasqueradeChain),
                });
        }

        NetfilterRule toDnat = new()
        {
            Matches = [NetfilterMatch.DestinationType(AddressType.Local)],
            Target = NetfilterTarget.Jump(DnatChain),
        };
        transaction
            .EnsureChain(NetfilterTable.Nat, DnatChain)
            .AppendUnique(NetfilterTable.Nat, "PREROUTING", toDnat)
            .AppendUnique(NetfilterTable.Nat, "OUTPUT", toDnat);

        // Start the container's chain afresh, as the reference does, in case an earlier ADD left something.
        AddTeardown(transaction, network, containerId);
        string chain = CniNames.PortMapChain(network, containerId);
        transaction.EnsureChain(NetfilterTable.Nat, chain);

        IPNetwork containerNet = new(IPMasquerade.Mask(containerAddress, prefixLength), prefixLength);
        foreach (HostPortMapping m in mappings)
        {
            IPNetwork? hostDestination = null;
            if (m.HostAddress is IPAddress host)
            {
                if (host.AddressFamily != containerAddress.AddressFamily)
                {
                    continue;
                }
                if (!host.Equals(IPAddress.Any) && !host.Equals(IPAddress.IPv6Any))
                {
                    hostDestination = new IPNetwork(host, v6 ? 128 : 32);
                }
            }
            NetfilterRule baseRule = new()
            {
                Protocol = m.Protocol,
                Destination = hostDestination,
                Matches = [NetfilterMatch.DestinationPort(m.HostPort)],
            };
            if (options.Snat && options.MasqueradeAll)
            {
                transaction.AppendUnique(NetfilterTable.Nat, chain, baseRule with { Target = NetfilterTarget.Jump(setMarkChain) });
            }
            else if (options.Snat)
            {
                transaction.AppendUnique(NetfilterTable.Nat, chain, baseRule with { Source = containerNet, Target = NetfilterTarget.Jump(setMarkChain) });
                if (!v6)
                {
                    transaction.AppendUnique(NetfilterTable.Nat, chain, baseRule with { Source = s_localhost, Target = NetfilterTarget.Jump(setMarkChain) });
                }
            }
            transaction.AppendUnique(NetfilterTable.Nat, chain, baseRule with { Target = NetfilterTarget.Dnat(containerAddress, m.ContainerPort) });
        }

        CommentMatch comment = NetfilterMatch.Comment(CniNames.PortMapComment(network, containerId));
        IReadOnlyList<string>? conditionArgs = v6 ? options.ConditionsV6 : options.ConditionsV4;
        NetfilterRule conditions = conditionArgs is { Count: > 0 }
            ? IptablesSaveParser.ParseArguments(conditionArgs, transaction.Family)
            : new NetfilterRule();
        if (conditions.Protocol is not null || conditions.Target is not null)
        {
            throw new ArgumentException("portmap conditions may not set a protocol or a target", nameof(options));
        }
        foreach (IGrouping<string, HostPortMapping> group in mappings.GroupBy(m => m.Protocol).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            foreach (HostPortMapping[] chunk in group.Chunk(MultiportMatch.MaxPorts))
            {
                // The reference appends the conditions after its own matches; basic options print first anyway.
                transaction.AppendUnique(NetfilterTable.Nat, DnatChain, conditions with
                {
                    Protocol = group.Key,
                    Matches = [comment, NetfilterMatch.DestinationPorts([.. chunk.Select(m => new PortRange(m.HostPort))]), .. conditions.Matches],
                    Target = NetfilterTarget.Jump(chain),
                });
            }
        }
        return transaction;
    }

    /// <summary>
    /// Adds the removal of one container's forwarding: the entry rules that jump to its chain and the chain itself.
    /// Needs no mappings, so a DEL without runtimeConfig still cleans up; the shared chains stay.
    /// </summary>
    /// <param name="transaction">A transaction.</param>
    /// <param name="network">The CNI network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <returns>The transaction.</returns>
    public static NetfilterTransaction AddTeardown(NetfilterTransaction transaction, string network, string containerId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        string chain = CniNames.PortMapChain(network, containerId);
        return transaction
            .DeleteJumps(NetfilterTable.Nat, DnatChain, chain)
            .DeleteChain(NetfilterTable.Nat, chain, ignoreMissing: true);
    }
}
