using System.Net.NetworkInformation;
using Cni.Net.Namespaces;

namespace Cni.Net.Netlink.Route;

/// <summary>A veth pair: this end and its peer, which can be created directly in another namespace.</summary>
public sealed class VethLink : LinkDefinition
{
    /// <summary>Describes the pair <paramref name="name"/> / <paramref name="peerName"/>.</summary>
    public VethLink(string name, string peerName)
        : base(name)
    {
        PeerName = peerName;
    }

    /// <inheritdoc/>
    public override string Kind => "veth";

    /// <summary>The peer's name.</summary>
    public string PeerName { get; set; }

    /// <summary>Namespace to create the peer in (by file descriptor), or <see langword="null"/> for the same one.</summary>
    public NetworkNamespace? PeerNamespace { get; set; }

    /// <summary>The peer's MTU; <see langword="null"/> uses <see cref="LinkDefinition.Mtu"/>.</summary>
    public int? PeerMtu { get; set; }

    /// <summary>The peer's MAC address, or <see langword="null"/> for a random one.</summary>
    public PhysicalAddress? PeerMacAddress { get; set; }

    private protected override bool HasInfoData => true;

    private protected override void WriteInfoData(ref NetlinkWriter writer)
    {
        RouteNetlink.ValidateName(PeerName, nameof(PeerName));
        RouteNetlink.WriteVethPeer(ref writer, PeerName, PeerNamespace, PeerMtu ?? Mtu ?? 0, PeerMacAddress);
    }
}
