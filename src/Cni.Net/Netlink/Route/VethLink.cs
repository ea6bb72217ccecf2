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

    /// <summary>
    /// The transmit queues each end is made with (<c>IFLA_NUM_TX_QUEUES</c>), or <see langword="null"/> for the
    /// kernel's default: one per possible CPU, of which the kernel then uses one.
    /// </summary>
    /// <remarks>
    /// Cutting the default down to the one queue used costs the kernel an expedited RCU grace period per end, with
    /// the RTNL lock held: 1 makes a pair without them. More queues can only be turned on later (<c>ethtool -L</c>)
    /// up to the number a veth was made with.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">Set to 0 (a device has at least one queue).</exception>
    public uint? TransmitQueues
    {
        get => _transmitQueues;
        set
        {
            if (value == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "a veth has at least one transmit queue; null for the kernel's default");
            }
            _transmitQueues = value;
        }
    }

    private uint? _transmitQueues;

    private protected override void WriteLinkAttributes(ref NetlinkWriter writer)
    {
        if (TransmitQueues is uint queues)
        {
            writer.WriteUInt32(Ifla.IFLA_NUM_TX_QUEUES, queues);
        }
    }

    private protected override bool HasInfoData => true;

    private protected override void WriteInfoData(ref NetlinkWriter writer)
    {
        RouteNetlink.ValidateName(PeerName, nameof(PeerName));
        RouteNetlink.WriteVethPeer(ref writer, PeerName, PeerNamespace, PeerMtu ?? Mtu ?? 0, PeerMacAddress, TransmitQueues ?? 0);
    }
}
