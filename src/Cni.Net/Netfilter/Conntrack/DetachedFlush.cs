using System.Runtime.InteropServices;
using Cni.Net.Interop;
using Cni.Net.Netlink;

namespace Cni.Net.Netfilter.Conntrack;

/// <summary>
/// Filtered conntrack flushes (one per port, Linux 6.11 and later) sent from a detached process
/// (<see cref="DetachedProcess"/>): one datagram that holds them all, on a NETLINK_NETFILTER socket only that process
/// keeps. The kernel carries out every message of the datagram while the detached process sends it; that process then
/// reads one acknowledgement and exits. Nobody waits for it, and its request stays in memory until this process, which
/// exits after its answer, is gone.
/// </summary>
internal static unsafe class DetachedFlush
{
    private const int MessageReserve = 160; // nlmsghdr + nfgenmsg + a tuple with protocol and port, rounded up
    private const int AnswerCapacity = 1024;
    private const int SocketBufferSize = 4096;
    private const string Operation = "flush conntrack entries";

    /// <summary>Starts the detached process; false when the socket, the request or the process cannot be made.</summary>
    public static bool TryStart(byte family, byte protocol, ReadOnlySpan<ushort> ports)
    {
        NetlinkSocket socket;
        try
        {
            socket = new NetlinkSocket(NetlinkProtocol.Netfilter, SocketBufferSize);
        }
        catch (NetlinkException)
        {
            return false;
        }
        // This process's descriptor goes at the end of the block; the detached process holds a copy of its own.
        using (socket)
        {
            int capacity = ports.Length * MessageReserve;
            var work = (DetachedProcess.Work*)NativeMemory.AllocZeroed((nuint)sizeof(DetachedProcess.Work));
            byte* request = (byte*)NativeMemory.Alloc((nuint)capacity);
            work->Answer = NativeMemory.Alloc(AnswerCapacity);
            work->AnswerCapacity = AnswerCapacity;
            int length = 0;
            for (int i = 0; i < ports.Length; i++)
            {
                if (ports[..i].Contains(ports[i]))
                {
                    continue;
                }
                NetlinkWriter w = socket.BeginRequest(ConntrackLayout.DeleteMessageType, NetlinkMessageFlags.None);
                ConntrackMessages.WriteDumpBody(ref w, family, protocol, ports[i]);
                (int written, _) = socket.SealForElsewhere(ref w, Operation, new Span<byte>(request + length, capacity - length));
                if (written == 0)
                {
                    Free(work, request);
                    return false;
                }
                length += written;
            }
            int fd = (int)socket.Handle.DangerousGetHandle();
            work->Keep[0] = fd;
            work->KeepCount = 1;
            work->RequestFd = fd;
            work->Request = request;
            work->RequestLength = (ulong)length;
            work->DoneFd = -1;
            work->WaitFd = -1;
            work->DropFd = -1;
            if (!DetachedProcess.TryStart(work))
            {
                Free(work, request);
                return false;
            }
            return true;
        }
    }

    private static void Free(DetachedProcess.Work* work, byte* request)
    {
        NativeMemory.Free(request);
        NativeMemory.Free(work->Answer);
        NativeMemory.Free(work);
    }
}
