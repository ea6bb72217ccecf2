using System.Runtime.InteropServices;
using Cni.Net.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Cni.Net.Netlink;

// The listening side of a socket: multicast groups (RTNLGRP_*) whose announcements the kernel queues on it. Only for
// sockets that make no requests of their own; replies and announcements would share the receive buffer.
public sealed unsafe partial class NetlinkSocket
{
    /// <summary>Subscribes the socket to a multicast group (NETLINK_ADD_MEMBERSHIP).</summary>
    /// <exception cref="NetlinkException">The kernel refused (no such group for the protocol).</exception>
    internal void JoinGroup(int group)
    {
        if (!SetOption(Syscalls.NETLINK_ADD_MEMBERSHIP, group))
        {
            ThrowHelper.ThrowErrno("setsockopt(NETLINK_ADD_MEMBERSHIP)", Marshal.GetLastSystemError());
        }
    }

    /// <summary>
    /// Reads one queued datagram without waiting. The span points into the socket's receive buffer and is valid until
    /// the next receive.
    /// </summary>
    /// <returns>False when nothing is queued.</returns>
    /// <exception cref="NetlinkException">recv failed; ENOBUFS when announcements were dropped for want of room.</exception>
    internal bool TryReceiveQueued(out ReadOnlySpan<byte> datagram)
    {
        if (!TryReceive(MSG_TRUNC | MSG_DONTWAIT, out int length))
        {
            datagram = default;
            return false;
        }
        datagram = new ReadOnlySpan<byte>(_receive, 0, length);
        return true;
    }
}
