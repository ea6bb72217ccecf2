using System.Collections.Concurrent;

namespace Cni.Net.Netlink;

/// <summary>
/// The pinned send and receive buffers of closed <see cref="NetlinkSocket"/>s, kept for the next ones. A plugin process
/// opens a few sockets and exits, but a long-lived host (the chain executor, the plugin server, a node agent) opens
/// several per pod: without reuse each pod ADD allocated about 1 MB of pinned arrays for sockets that live milliseconds.
/// </summary>
internal static class NetlinkBufferPool
{
    // Enough for the sockets a few concurrent pod operations hold at once; more are allocated and then left to the GC.
    private const int MaxPooled = 32;

    private static readonly ConcurrentQueue<byte[]> s_free = new();
    private static int s_count;

    /// <summary>A pinned buffer of <see cref="NetlinkSocket.BufferSize"/> bytes, not zeroed.</summary>
    public static byte[] Rent()
    {
        if (s_free.TryDequeue(out byte[]? buffer))
        {
            Interlocked.Decrement(ref s_count);
            return buffer;
        }
        return GC.AllocateUninitializedArray<byte>(NetlinkSocket.BufferSize, pinned: true);
    }

    /// <summary>Gives back a buffer from <see cref="Rent"/>; its owner must not touch it again.</summary>
    public static void Return(byte[] buffer)
    {
        if (Interlocked.Increment(ref s_count) <= MaxPooled)
        {
            s_free.Enqueue(buffer);
        }
        else
        {
            Interlocked.Decrement(ref s_count);
        }
    }
}
