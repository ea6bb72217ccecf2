using System.Net.Sockets;

namespace Cni.Net.Netlink.Route;

public sealed partial class RouteNetlink
{
    /// <summary>Adds a neighbour entry; fails with EEXIST when one exists.</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void AddNeighbor(Neighbor neighbor)
    {
        NetlinkWriter w = BeginNeighbor(RouteMessageType.NewNeighbor, NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl, neighbor);
        Socket.ExecuteOn(ref w, "add neighbour", NetlinkSubject.Of(neighbor));
    }

    /// <summary>Adds a neighbour entry or replaces the existing one (<c>ip neigh replace</c>).</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void ReplaceNeighbor(Neighbor neighbor)
    {
        NetlinkWriter w = BeginNeighbor(RouteMessageType.NewNeighbor, NetlinkMessageFlags.Create | NetlinkMessageFlags.Replace, neighbor);
        Socket.ExecuteOn(ref w, "replace neighbour", NetlinkSubject.Of(neighbor));
    }

    /// <summary>Deletes a neighbour entry.</summary>
    /// <exception cref="NetlinkException">The kernel refused (ENOENT when there is none).</exception>
    public void DeleteNeighbor(Neighbor neighbor)
    {
        NetlinkWriter w = BeginNeighbor(RouteMessageType.DeleteNeighbor, NetlinkMessageFlags.None, neighbor);
        Socket.ExecuteOn(ref w, "delete neighbour", NetlinkSubject.Of(neighbor));
    }

    /// <summary>Deletes a neighbour entry; <see langword="false"/> when there was none.</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryDeleteNeighbor(Neighbor neighbor)
    {
        NetlinkWriter w = BeginNeighbor(RouteMessageType.DeleteNeighbor, NetlinkMessageFlags.None, neighbor);
        return Socket.TryExecuteOn(ref w, "delete neighbour", GoneErrors, NetlinkSubject.Of(neighbor)) == 0;
    }

    /// <summary>Lists neighbour entries, optionally of one family and one link.</summary>
    /// <exception cref="NetlinkException">The dump failed.</exception>
    public List<Neighbor> ListNeighbors(AddressFamily family = AddressFamily.Unspecified, int index = 0)
    {
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.GetNeighbor, NetlinkMessageFlags.Dump);
        // A strict neighbour dump wants ndm_ifindex 0 and the link filter as NDA_IFINDEX.
        var ndm = new NeighborMessage { Family = ToKernelFamily(family) };
        w.WriteFamilyHeader(in ndm);
        if (index != 0 && Socket.StrictChecking)
        {
            w.WriteUInt32(Nda.NDA_IFINDEX, (uint)index);
        }
        List<Neighbor> all = Socket.DumpOn<Neighbor>(ref w, "list neighbours", Neighbor.TryDecode, NetlinkSubject.Link(index));
        if (index != 0)
        {
            all.RemoveAll(n => n.Index != index);
        }
        return all;
    }

    private NetlinkWriter BeginNeighbor(RouteMessageType type, NetlinkMessageFlags flags, Neighbor neighbor)
    {
        ArgumentNullException.ThrowIfNull(neighbor);
        var ndm = new NeighborMessage
        {
            Family = FamilyOf(neighbor.Address),
            Index = neighbor.Index,
            State = (ushort)neighbor.State,
            Flags = (byte)neighbor.Flags,
        };
        NetlinkWriter w = Socket.BeginRequest((ushort)type, flags);
        w.WriteFamilyHeader(in ndm);
        w.WriteIPAddress(Nda.NDA_DST, neighbor.Address);
        if (neighbor.LinkLayerAddress is not null && type != RouteMessageType.DeleteNeighbor)
        {
            WritePhysicalAddress(ref w, Nda.NDA_LLADDR, neighbor.LinkLayerAddress);
        }
        return w;
    }
}
