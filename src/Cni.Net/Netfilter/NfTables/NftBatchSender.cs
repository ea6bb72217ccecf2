using System.Buffers;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>Writes a whole batch (begin, one message per change, end) from <paramref name="firstSequence"/> on; false when <paramref name="buffer"/> is too small.</summary>
internal delegate bool NftBatchWriter(Span<byte> buffer, uint firstSequence, out int length);

/// <summary>
/// Sends an nfnetlink batch — one kernel transaction, all of it or none — and reads the kernel's answers: an ACK per
/// change, or the error of the first change it refused (named by the caller's description of that change).
/// </summary>
internal static class NftBatchSender
{
    /// <summary>
    /// Writes the batch (in a buffer that grows until it fits), sends it and reads the replies.
    /// </summary>
    /// <param name="socket">A NETLINK_NETFILTER socket.</param>
    /// <param name="changes">How many changes are between the batch's begin and end.</param>
    /// <param name="write">Writes the batch.</param>
    /// <param name="describe">Names change <c>i</c> (or the batch itself for an index out of range) in errors.</param>
    /// <param name="generationChecked">
    /// The batch carries NFNL_BATCH_GENID: a refusal of the batch itself with ERESTART means another writer changed the
    /// ruleset since, and is answered with false instead of an exception.
    /// </param>
    /// <returns>True when every change was acknowledged; false only for a generation change (nothing was applied).</returns>
    /// <exception cref="NetfilterException">The kernel refused the batch (nothing was applied), or not every change was acknowledged.</exception>
    public static bool Send(NetlinkSocket socket, int changes, NftBatchWriter write, Func<int, string> describe, bool generationChecked)
    {
        int size = 16 * 1024;
        while (true)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                uint first = socket.ReserveSequences(changes + 2);
                if (!write(buffer, first, out int length))
                {
                    size = buffer.Length * 2;
                    continue;
                }
                socket.SendMessages(buffer.AsSpan(0, length));
                return ReadReplies(socket, first, changes, describe, generationChecked);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static bool ReadReplies(NetlinkSocket socket, uint first, int changes, Func<int, string> describe, bool generationChecked)
    {
        int acks = 0;
        int errorIndex = int.MaxValue;
        NetlinkException? error = null;
        uint last = first + 1 + (uint)changes;
        while (socket.TryReceivePending(out ReadOnlySpan<byte> datagram))
        {
            var reader = new NetlinkReader(datagram);
            while (reader.TryRead(out NetlinkMessage message))
            {
                if (message.PortId != socket.PortId || !message.IsError || unchecked(message.Sequence - first) > last - first)
                {
                    continue;
                }
                NetlinkError e = message.ReadError();
                if (e.Errno == 0)
                {
                    acks++;
                    continue;
                }
                int index = (int)(message.Sequence - first) - 1; // -1: the batch itself (generation check)
                if (generationChecked && e.Errno == ERESTART && index < 0)
                {
                    return false;
                }
                if (index < errorIndex)
                {
                    errorIndex = index;
                    error = e.ToException(describe(index));
                }
            }
        }
        if (error is not null)
        {
            throw new NetfilterException($"nf_tables refused the transaction; nothing was changed: {error.Message}", error);
        }
        if (acks != changes)
        {
            throw new NetfilterException(
                $"nf_tables acknowledged {acks} of {changes} changes; the outcome of the transaction is unknown");
        }
        return true;
    }
}
