using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Cni.Net.Netlink.Route;

/// <summary>A neighbour (ARP or NDP) cache entry: what <c>ip neigh</c> shows and adds.</summary>
public sealed class Neighbor
{
    /// <summary>Describes the entry <paramref name="address"/> on the link <paramref name="index"/>.</summary>
    public Neighbor(int index, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Index = index;
        Address = address;
    }

    /// <summary>The link index.</summary>
    public int Index { get; set; }

    /// <summary>The IP address (NDA_DST).</summary>
    public IPAddress Address { get; set; }

    /// <summary>The link-layer address (NDA_LLADDR), or <see langword="null"/>.</summary>
    public PhysicalAddress? LinkLayerAddress { get; set; }

    /// <summary>The state; <see cref="NeighborStates.Permanent"/> by default for adds.</summary>
    public NeighborStates State { get; set; } = NeighborStates.Permanent;

    /// <summary>NTF_* flags.</summary>
    public NeighborFlags Flags { get; set; }

    /// <summary>The address family.</summary>
    public AddressFamily Family => Address.AddressFamily;

    /// <inheritdoc/>
    public override string ToString() => $"{Address} dev {Index} lladdr {LinkLayerAddress} {State}";

    internal static bool TryDecode(NetlinkMessage message, out Neighbor neighbor)
    {
        if (message.Type != (ushort)RouteMessageType.NewNeighbor)
        {
            neighbor = null!;
            return false;
        }
        NeighborMessage ndm = message.ReadFamilyHeader<NeighborMessage>();
        IPAddress? address = null;
        PhysicalAddress? lladdr = null;
        foreach (NetlinkAttr a in message.GetAttributes<NeighborMessage>())
        {
            switch (a.Type)
            {
                case Nda.NDA_DST:
                    address = a.GetIPAddress();
                    break;
                case Nda.NDA_LLADDR:
                    lladdr = new PhysicalAddress(a.Value.ToArray());
                    break;
            }
        }
        if (address is null)
        {
            // Bridge FDB entries (AF_BRIDGE) have no IP address; they are not neighbours of this API.
            neighbor = null!;
            return false;
        }
        neighbor = new Neighbor(ndm.Index, address)
        {
            LinkLayerAddress = lladdr,
            State = (NeighborStates)ndm.State,
            Flags = (NeighborFlags)ndm.Flags,
        };
        return true;
    }
}
