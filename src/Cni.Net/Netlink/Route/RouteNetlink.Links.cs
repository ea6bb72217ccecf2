using System.Diagnostics.CodeAnalysis;
using System.Net.NetworkInformation;
using Cni.Net.Namespaces;
using Cni.Net.Interop;

namespace Cni.Net.Netlink.Route;

public sealed partial class RouteNetlink
{
    private const NetlinkMessageFlags CreateExclusive = NetlinkMessageFlags.Create | NetlinkMessageFlags.Excl;

    /// <summary>Creates a link as <paramref name="definition"/> describes.</summary>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    /// <exception cref="NetlinkException">The kernel refused (EEXIST when it exists, EOPNOTSUPP for an unknown kind …).</exception>
    public void AddLink(LinkDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        NetlinkWriter w = BeginAddLink(definition);
        Socket.ExecuteOn(ref w, "add link", NetlinkSubject.Link(definition.Name));
    }

    /// <summary>Creates a link unless one of that name exists; <see langword="false"/> when it existed (EEXIST).</summary>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryAddLink(LinkDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        NetlinkWriter w = BeginAddLink(definition);
        return Socket.TryExecuteOn(ref w, "add link", ExistsErrors, NetlinkSubject.Link(definition.Name)) == 0;
    }

    /// <summary>
    /// Creates a link unless one of that name exists, and gives it as the kernel announced its creation (NLM_F_ECHO,
    /// Linux 6.3 and later; read by name where the kernel does not echo); <see langword="false"/> when it existed.
    /// </summary>
    /// <remarks>
    /// A link read back by name makes the kernel settle the carrier change it has pending first (rtnl_getlink runs
    /// linkwatch_sync_dev): a veth end that is up while its peer is down is deactivated there, which waits for an
    /// expedited RCU grace period with the RTNL lock held. The echo comes before that, and before
    /// <see cref="LinkDefinition.MasterIndex"/> is applied.
    /// </remarks>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryAddLink(LinkDefinition definition, [NotNullWhen(true)] out LinkInfo? created)
    {
        ArgumentNullException.ThrowIfNull(definition);
        NetlinkWriter w = BeginAddLink(definition, NetlinkMessageFlags.Echo);
        List<LinkInfo> echoed = Socket.TryDumpOn<LinkInfo>(ref w, "add link", LinkInfo.TryDecode, ExistsErrors, NetlinkSubject.Link(definition.Name),
            out int errno);
        if (errno != 0)
        {
            created = null;
            return false;
        }
        created = echoed.FindLast(l => l.Name == definition.Name) ?? GetLink(definition.Name);
        return true;
    }

    /// <summary>
    /// Creates a veth pair <paramref name="name"/>/<paramref name="peerName"/>, the peer optionally directly in
    /// <paramref name="peerNamespace"/>. Allocation-free.
    /// </summary>
    /// <param name="name">This end's name.</param>
    /// <param name="peerName">The peer's name.</param>
    /// <param name="peerNamespace">Where to create the peer, or <see langword="null"/> for this namespace.</param>
    /// <param name="mtu">MTU of both ends, or 0 for the default.</param>
    /// <exception cref="ArgumentException">A name is invalid.</exception>
    /// <exception cref="NetlinkException">The kernel refused (EEXIST when a name is taken).</exception>
    public void AddVeth(ReadOnlySpan<char> name, ReadOnlySpan<char> peerName, NetworkNamespace? peerNamespace = null, int mtu = 0)
    {
        ValidateName(name, nameof(name));
        ValidateName(peerName, nameof(peerName));
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.NewLink, CreateExclusive);
        EncodeVeth(ref w, name, peerName, peerNamespace, mtu);
        Socket.ExecuteOn(ref w, "add veth", NetlinkSubject.Link(name));
    }

    /// <summary>The body of RTM_NEWLINK for a veth pair (after the message header).</summary>
    internal static void EncodeVeth(ref NetlinkWriter w, scoped ReadOnlySpan<char> name, scoped ReadOnlySpan<char> peerName, NetworkNamespace? peerNamespace, int mtu)
    {
        w.WriteFamilyHeader(default(InterfaceInfoMessage));
        w.WriteString(Ifla.IFLA_IFNAME, name);
        if (mtu > 0)
        {
            w.WriteUInt32(Ifla.IFLA_MTU, (uint)mtu);
        }
        NestedScope info = w.BeginNested(Ifla.IFLA_LINKINFO);
        w.WriteString(Ifla.IFLA_INFO_KIND, "veth"u8);
        NestedScope data = w.BeginNested(Ifla.IFLA_INFO_DATA);
        WriteVethPeer(ref w, peerName, peerNamespace, mtu, null, 0);
        w.EndNested(data);
        w.EndNested(info);
    }

    /// <summary>The body of RTM_DELLINK by name.</summary>
    internal static void EncodeDeleteLink(ref NetlinkWriter w, scoped ReadOnlySpan<char> name)
    {
        w.WriteFamilyHeader(default(InterfaceInfoMessage));
        w.WriteString(Ifla.IFLA_IFNAME, name);
    }

    /// <summary>The body of RTM_NEWLINK that changes IFF_* flags.</summary>
    internal static void EncodeChangeFlags(ref NetlinkWriter w, int index, InterfaceFlags flags, InterfaceFlags change)
    {
        var ifi = new InterfaceInfoMessage { Index = index, Flags = (uint)flags, Change = (uint)change };
        w.WriteFamilyHeader(in ifi);
    }

    internal static void WriteVethPeer(ref NetlinkWriter w, scoped ReadOnlySpan<char> peerName, NetworkNamespace? peerNamespace, int mtu, PhysicalAddress? mac,
        uint transmitQueues)
    {
        // VETH_INFO_PEER holds a whole ifinfomsg followed by the peer's own IFLA_* attributes.
        NestedScope peer = w.BeginNested(Ifla.VETH_INFO_PEER);
        w.WriteFamilyHeader(default(InterfaceInfoMessage));
        w.WriteString(Ifla.IFLA_IFNAME, peerName);
        if (mtu > 0)
        {
            w.WriteUInt32(Ifla.IFLA_MTU, (uint)mtu);
        }
        if (mac is not null)
        {
            WritePhysicalAddress(ref w, Ifla.IFLA_ADDRESS, mac);
        }
        if (peerNamespace is not null)
        {
            w.WriteUInt32(Ifla.IFLA_NET_NS_FD, (uint)peerNamespace.Fd);
        }
        if (transmitQueues != 0)
        {
            w.WriteUInt32(Ifla.IFLA_NUM_TX_QUEUES, transmitQueues);
        }
        w.EndNested(peer);
    }

    /// <summary>Deletes the link named <paramref name="name"/> (a veth's peer goes with it). Allocation-free.</summary>
    /// <exception cref="NetlinkException">ENODEV when there is no such link, or another refusal.</exception>
    public void DeleteLink(ReadOnlySpan<char> name)
    {
        NetlinkWriter w = BeginDeleteLink(name);
        Socket.ExecuteOn(ref w, "delete link", NetlinkSubject.Link(name));
    }

    /// <summary>Deletes the link named <paramref name="name"/>; <see langword="false"/> when it did not exist.</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryDeleteLink(ReadOnlySpan<char> name)
    {
        NetlinkWriter w = BeginDeleteLink(name);
        return Socket.TryExecuteOn(ref w, "delete link", GoneErrors, NetlinkSubject.Link(name)) == 0;
    }

    /// <summary>Deletes the link with index <paramref name="index"/>.</summary>
    /// <exception cref="NetlinkException">ENODEV when there is no such link, or another refusal.</exception>
    public void DeleteLink(int index)
    {
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.DeleteLink, index);
        Socket.ExecuteOn(ref w, "delete link", NetlinkSubject.Link(index));
    }

    /// <summary>Deletes the link with index <paramref name="index"/>; <see langword="false"/> when it did not exist.</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryDeleteLink(int index)
    {
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.DeleteLink, index);
        return Socket.TryExecuteOn(ref w, "delete link", GoneErrors, NetlinkSubject.Link(index)) == 0;
    }

    /// <summary>Deletes every link of group <paramref name="group"/> in one request.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="group"/> is 0 (every ordinary link is in group 0).</exception>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void DeleteLinkGroup(uint group)
    {
        ArgumentOutOfRangeException.ThrowIfZero(group);
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.DeleteLink, 0);
        w.WriteUInt32(Ifla.IFLA_GROUP, group);
        Socket.Execute(ref w, "delete link group");
    }

    /// <summary>Returns the index of the link named <paramref name="name"/>. Allocation-free.</summary>
    /// <exception cref="NetlinkException">ENODEV when there is no such link.</exception>
    public int GetLinkIndex(ReadOnlySpan<char> name)
    {
        NetlinkWriter w = BeginGetLink(name);
        var handler = new IndexHandler();
        Socket.RequestOn(ref w, "get link", NetlinkSubject.Link(name), ref handler);
        return handler.Index;
    }

    /// <summary>Looks up the index of the link named <paramref name="name"/>; <see langword="false"/> when there is none.</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryGetLinkIndex(ReadOnlySpan<char> name, out int index)
    {
        NetlinkWriter w = BeginGetLink(name);
        var handler = new IndexHandler();
        if (Socket.TryRequestOn(ref w, "get link", NoSuchDevice, NetlinkSubject.Link(name), ref handler) != 0)
        {
            index = 0;
            return false;
        }
        index = handler.Index;
        return true;
    }

    /// <summary>Reads the link named <paramref name="name"/>.</summary>
    /// <exception cref="NetlinkException">ENODEV when there is no such link.</exception>
    public LinkInfo GetLink(ReadOnlySpan<char> name)
    {
        NetlinkWriter w = BeginGetLink(name);
        return Single(Socket.DumpOn<LinkInfo>(ref w, "get link", LinkInfo.TryDecode, NetlinkSubject.Link(name)));
    }

    /// <summary>Reads the link with index <paramref name="index"/>.</summary>
    /// <exception cref="NetlinkException">ENODEV when there is no such link.</exception>
    public LinkInfo GetLink(int index)
    {
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.GetLink, index);
        return Single(Socket.DumpOn<LinkInfo>(ref w, "get link", LinkInfo.TryDecode, NetlinkSubject.Link(index)));
    }

    /// <summary>Reads the link named <paramref name="name"/>; <see langword="false"/> when there is none.</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryGetLink(ReadOnlySpan<char> name, [NotNullWhen(true)] out LinkInfo? link)
    {
        NetlinkWriter w = BeginGetLink(name);
        return TryGetSingleLink(ref w, out link);
    }

    /// <summary>Reads the link with index <paramref name="index"/>; <see langword="false"/> when there is none.</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    public bool TryGetLink(int index, [NotNullWhen(true)] out LinkInfo? link)
    {
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.GetLink, index);
        return TryGetSingleLink(ref w, out link);
    }

    // A lookup that finds nothing is an ordinary answer (ENODEV), not an exception.
    private static ReadOnlySpan<int> NoSuchDevice => [Errno.ENODEV];

    private bool TryGetSingleLink(ref NetlinkWriter request, [NotNullWhen(true)] out LinkInfo? link)
    {
        List<LinkInfo> found = Socket.TryDump<LinkInfo>(ref request, "get link", LinkInfo.TryDecode, NoSuchDevice, out int errno);
        if (errno != 0)
        {
            link = null;
            return false;
        }
        link = Single(found);
        return true;
    }

    /// <summary>Lists every link of the namespace.</summary>
    /// <exception cref="NetlinkException">The dump failed.</exception>
    public List<LinkInfo> ListLinks()
    {
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.GetLink, NetlinkMessageFlags.Dump);
        w.WriteFamilyHeader(default(InterfaceInfoMessage));
        return Socket.Dump<LinkInfo>(ref w, "list links", LinkInfo.TryDecode);
    }

    /// <summary>Sets the link administratively up. Allocation-free.</summary>
    /// <exception cref="NetlinkException">The kernel refused (ENODEV …).</exception>
    public void SetLinkUp(int index) => ChangeFlags(index, InterfaceFlags.Up, InterfaceFlags.Up, "set link up");

    /// <summary>Sets the link administratively down. Allocation-free.</summary>
    /// <exception cref="NetlinkException">The kernel refused (ENODEV …).</exception>
    public void SetLinkDown(int index) => ChangeFlags(index, InterfaceFlags.None, InterfaceFlags.Up, "set link down");

    /// <summary>Switches promiscuous mode on or off.</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void SetLinkPromiscuous(int index, bool on) =>
        ChangeFlags(index, on ? InterfaceFlags.Promiscuous : InterfaceFlags.None, InterfaceFlags.Promiscuous, "set link promisc");

    /// <summary>Switches all-multicast mode (IFF_ALLMULTI) on or off.</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void SetLinkAllMulticast(int index, bool on) =>
        ChangeFlags(index, on ? InterfaceFlags.AllMulticast : InterfaceFlags.None, InterfaceFlags.AllMulticast, "set link allmulticast");

    /// <summary>Sets the MTU.</summary>
    /// <exception cref="NetlinkException">The kernel refused (EINVAL with its reason for an MTU out of range).</exception>
    public void SetLinkMtu(int index, int mtu)
    {
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, index);
        w.WriteUInt32(Ifla.IFLA_MTU, unchecked((uint)mtu));
        Socket.ExecuteOn(ref w, "set link mtu", NetlinkSubject.Link(index));
    }

    /// <summary>
    /// Sets one of the link's IPv4 settings, <c>net.ipv4.conf.&lt;link&gt;.&lt;setting&gt;</c>, through rtnetlink
    /// (<c>IFLA_AF_SPEC</c> / <c>AF_INET</c> / <c>IFLA_INET_CONF</c>) — the value and its "set explicitly" mark as a write
    /// of the sysctl leaves them. No <c>/proc/sys</c> path is walked: that lookup grows with the network namespaces on the
    /// node (each has its own <c>net</c> entry under one parent), and in another namespace it needs the thread moved
    /// there. Only for settings whose sysctl write has no side effect beyond the value (not <c>forwarding</c> or
    /// <c>route_localnet</c>, which also notify or flush the routing cache). Allocation-free.
    /// </summary>
    /// <param name="name">The link.</param>
    /// <param name="setting">The setting's IPV4_DEVCONF_* number (linux/ip.h).</param>
    /// <param name="value">Its value.</param>
    /// <exception cref="NetlinkException">The kernel refused (ENODEV; EAFNOSUPPORT when the link has no IPv4 configuration).</exception>
    internal void SetIPv4Setting(string name, ushort setting, uint value)
    {
        ValidateName(name, nameof(name));
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, 0);
        w.WriteString(Ifla.IFLA_IFNAME, name);
        NestedScope spec = w.BeginNested(Ifla.IFLA_AF_SPEC);
        NestedScope inet = w.BeginNested(AddressFamilies.AF_INET);
        NestedScope conf = w.BeginNested(Ifla.IFLA_INET_CONF);
        w.WriteUInt32(setting, value);
        w.EndNested(conf);
        w.EndNested(inet);
        w.EndNested(spec);
        Socket.ExecuteOn(ref w, "set ipv4 setting", NetlinkSubject.Link(name));
    }

    /// <summary>Sets the link-layer address.</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void SetLinkMacAddress(int index, PhysicalAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, index);
        WritePhysicalAddress(ref w, Ifla.IFLA_ADDRESS, address);
        Socket.ExecuteOn(ref w, "set link address", NetlinkSubject.Link(index));
    }

    /// <summary>Renames the link (it must be down).</summary>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    /// <exception cref="NetlinkException">The kernel refused (EBUSY while up, EEXIST when taken).</exception>
    public void SetLinkName(int index, ReadOnlySpan<char> name)
    {
        ValidateName(name, nameof(name));
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, index);
        w.WriteString(Ifla.IFLA_IFNAME, name);
        Socket.ExecuteOn(ref w, "set link name", NetlinkSubject.Link(index));
    }

    /// <summary>Sets the alias (IFLA_IFALIAS); an empty alias removes it.</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void SetLinkAlias(int index, ReadOnlySpan<char> alias)
    {
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, index);
        if (alias.IsEmpty)
        {
            w.WriteBytes(Ifla.IFLA_IFALIAS, default);
        }
        else
        {
            w.WriteString(Ifla.IFLA_IFALIAS, alias);
        }
        Socket.ExecuteOn(ref w, "set link alias", NetlinkSubject.Link(index));
    }

    /// <summary>Sets the transmit queue length.</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void SetLinkTxQueueLength(int index, uint length)
    {
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, index);
        w.WriteUInt32(Ifla.IFLA_TXQLEN, length);
        Socket.ExecuteOn(ref w, "set link txqueuelen", NetlinkSubject.Link(index));
    }

    /// <summary>Enslaves the link to <paramref name="masterIndex"/> (a bridge); 0 releases it (nomaster).</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void SetLinkMaster(int index, int masterIndex)
    {
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, index);
        w.WriteUInt32(Ifla.IFLA_MASTER, (uint)masterIndex);
        Socket.ExecuteOn(ref w, masterIndex == 0 ? "set link nomaster" : "set link master", NetlinkSubject.Link(index));
    }

    /// <summary>Sets the link group.</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void SetLinkGroup(int index, uint group)
    {
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, index);
        w.WriteUInt32(Ifla.IFLA_GROUP, group);
        Socket.ExecuteOn(ref w, "set link group", NetlinkSubject.Link(index));
    }

    /// <summary>Moves the link into <paramref name="target"/> (IFLA_NET_NS_FD).</summary>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void SetLinkNamespace(int index, NetworkNamespace target)
    {
        ArgumentNullException.ThrowIfNull(target);
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, index);
        w.WriteUInt32(Ifla.IFLA_NET_NS_FD, (uint)target.Fd);
        Socket.ExecuteOn(ref w, "set link netns", NetlinkSubject.Link(index));
    }

    /// <summary>
    /// Moves the link into <paramref name="target"/> and names it <paramref name="name"/> there, in one request:
    /// the kernel renames it in the target namespace (or while moving, when its current name is taken there), so
    /// the new name never appears in this namespace. <paramref name="alias"/> sets IFLA_IFALIAS in the same
    /// request (empty removes it, null leaves it).
    /// </summary>
    /// <remarks>
    /// The kernel moves first and applies the name and alias after: when the rename fails (EEXIST: the name is
    /// taken in the target) the link is already in the target under its old name. Check the name is free first.
    /// </remarks>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    /// <exception cref="NetlinkException">The kernel refused.</exception>
    public void MoveLink(int index, NetworkNamespace target, ReadOnlySpan<char> name, string? alias)
    {
        ArgumentNullException.ThrowIfNull(target);
        ValidateName(name, nameof(name));
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, index);
        w.WriteUInt32(Ifla.IFLA_NET_NS_FD, (uint)target.Fd);
        w.WriteString(Ifla.IFLA_IFNAME, name);
        if (alias is not null)
        {
            if (alias.Length == 0)
            {
                w.WriteBytes(Ifla.IFLA_IFALIAS, default);
            }
            else
            {
                w.WriteString(Ifla.IFLA_IFALIAS, alias);
            }
        }
        Socket.ExecuteOn(ref w, "move link", NetlinkSubject.Link(index));
    }

    /// <summary>Moves the link into the network namespace of process <paramref name="pid"/> (IFLA_NET_NS_PID).</summary>
    /// <exception cref="NetlinkException">The kernel refused (ESRCH for no such process).</exception>
    public void SetLinkNamespace(int index, int pid)
    {
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.SetLink, index);
        w.WriteUInt32(Ifla.IFLA_NET_NS_PID, (uint)pid);
        Socket.ExecuteOn(ref w, "set link netns", NetlinkSubject.Link(index));
    }

    /// <summary>Changes the bridge-port settings of a link enslaved to a bridge.</summary>
    /// <exception cref="NetlinkException">The kernel refused (EOPNOTSUPP when the link is not a bridge port).</exception>
    public void SetBridgePort(int index, BridgePortSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.NewLink, index);
        NestedScope info = w.BeginNested(Ifla.IFLA_LINKINFO);
        w.WriteString(Ifla.IFLA_INFO_SLAVE_KIND, "bridge"u8);
        NestedScope data = w.BeginNested(Ifla.IFLA_INFO_SLAVE_DATA);
        settings.Write(ref w);
        w.EndNested(data);
        w.EndNested(info);
        Socket.ExecuteOn(ref w, "set bridge port", NetlinkSubject.Link(index));
    }

    private void ChangeFlags(int index, InterfaceFlags flags, InterfaceFlags change, string operation)
    {
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.NewLink, NetlinkMessageFlags.None);
        EncodeChangeFlags(ref w, index, flags, change);
        Socket.ExecuteOn(ref w, operation, NetlinkSubject.Link(index));
    }

    private NetlinkWriter BeginAddLink(LinkDefinition definition, NetlinkMessageFlags extraFlags = NetlinkMessageFlags.None)
    {
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.NewLink, CreateExclusive | extraFlags);
        EncodeAddLink(ref w, definition);
        return w;
    }

    /// <summary>The body of RTM_NEWLINK that creates <paramref name="definition"/>.</summary>
    internal static void EncodeAddLink(ref NetlinkWriter w, LinkDefinition definition)
    {
        var ifi = new InterfaceInfoMessage();
        if (definition.Up)
        {
            ifi.Flags = (uint)InterfaceFlags.Up;
            ifi.Change = (uint)InterfaceFlags.Up;
        }
        w.WriteFamilyHeader(in ifi);
        definition.Write(ref w);
    }

    private NetlinkWriter BeginDeleteLink(ReadOnlySpan<char> name)
    {
        ValidateName(name, nameof(name));
        NetlinkWriter w = Socket.BeginRequest((ushort)RouteMessageType.DeleteLink, NetlinkMessageFlags.None);
        EncodeDeleteLink(ref w, name);
        return w;
    }

    private NetlinkWriter BeginGetLink(ReadOnlySpan<char> name)
    {
        ValidateName(name, nameof(name));
        NetlinkWriter w = BeginLinkRequest(RouteMessageType.GetLink, 0);
        w.WriteString(Ifla.IFLA_IFNAME, name);
        return w;
    }

    private NetlinkWriter BeginLinkRequest(RouteMessageType type, int index)
    {
        NetlinkWriter w = Socket.BeginRequest((ushort)type, NetlinkMessageFlags.None);
        var ifi = new InterfaceInfoMessage { Index = index };
        w.WriteFamilyHeader(in ifi);
        return w;
    }

    private static T Single<T>(List<T> items)
    {
        if (items.Count != 1)
        {
            ThrowHelper.ThrowProtocol($"expected one reply message, got {items.Count}");
        }
        return items[0];
    }

    private struct IndexHandler : INetlinkReplyHandler
    {
        public int Index;

        public void OnMessage(NetlinkMessage message)
        {
            if (message.Type == (ushort)RouteMessageType.NewLink)
            {
                Index = message.ReadFamilyHeader<InterfaceInfoMessage>().Index;
            }
        }

        public void OnRestart() => Index = 0;
    }
}
