using static Tmds.Linux.LibC;

namespace Cni.Net.Netlink;

// For protocols whose batches the kernel handles inside sendmsg and answers only partly (nfnetlink aborts a whole
// batch with a single error when its generation check fails): send bytes built in any buffer, then take the replies
// that are already queued without waiting for a count of acknowledgements that may never come.
public sealed unsafe partial class NetlinkSocket
{
    /// <summary>Reserves <paramref name="count"/> consecutive sequence numbers (never 0) and returns the first.</summary>
    internal uint ReserveSequences(int count)
    {
        uint first = NextSequence();
        if (unchecked(first + (uint)count) < first)
        {
            // The block would wrap through 0; start again at 1.
            _sequence = 0;
            first = NextSequence();
        }
        _sequence = unchecked(first + (uint)count - 1);
        return first;
    }

    /// <summary>Sends <paramref name="messages"/> (one or more complete netlink messages) with one sendto.</summary>
    /// <exception cref="NetlinkException">sendto failed.</exception>
    internal void SendMessages(ReadOnlySpan<byte> messages)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        Send(messages);
    }

    /// <summary>
    /// Receives one datagram that is already queued, without blocking. The bytes stay valid until the next receive
    /// on this socket.
    /// </summary>
    /// <returns>False when nothing is queued.</returns>
    /// <exception cref="NetlinkException">recv failed.</exception>
    /// <exception cref="NetlinkProtocolException">The datagram did not fit the receive buffer.</exception>
    internal bool TryReceivePending(out ReadOnlySpan<byte> datagram)
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
