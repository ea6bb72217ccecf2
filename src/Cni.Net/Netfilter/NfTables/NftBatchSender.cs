using System.Buffers;
using Cni.Net.Netlink;
using static Cni.Net.Netfilter.NfTables.NfTablesProtocol;

namespace Cni.Net.Netfilter.NfTables;

/// <summary>Writes change <paramref name="index"/> of a batch as one message with <paramref name="sequence"/>.</summary>
internal delegate void NftChangeWriter(ref NetlinkWriter writer, int index, uint sequence);

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
    /// <param name="generation">
    /// The ruleset generation the changes were planned against (NFNL_BATCH_GENID), or null for none. When another
    /// writer changed the ruleset since, the kernel refuses the batch with ERESTART, answered here with false.
    /// </param>
    /// <param name="writeChange">Writes one change.</param>
    /// <param name="describe">Names change <c>i</c> (or the batch itself for an index out of range) in errors.</param>
    /// <returns>True when every change was acknowledged; false only for a generation change (nothing was applied).</returns>
    /// <exception cref="NetfilterException">The kernel refused the batch (nothing was applied), or not every change was acknowledged.</exception>
    public static bool Send(NetlinkSocket socket, int changes, uint? generation, NftChangeWriter writeChange, Func<int, string> describe)
    {
        int size = 16 * 1024;
        while (true)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                uint first = socket.ReserveSequences(changes + 2);
                if (!TryWrite(buffer, first, changes, generation, writeChange, out int length))
                {
                    size = buffer.Length * 2;
                    continue;
                }
                socket.SendMessages(buffer.AsSpan(0, length));
                if (!NfnetlinkSocketPool.ObjectsDeleted && Deletes(buffer.AsSpan(0, length)))
                {
                    // Set before the replies are read: a refused batch deleted nothing, but a wrong guess only costs
                    // a detached release at exit.
                    NfnetlinkSocketPool.ObjectsDeleted = true;
                }
                return ReadReplies(socket, first, changes, describe, generationChecked: generation.HasValue);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Whether a batch deletes nf_tables objects (tables, chains, rules, sets, elements, objects, flowtables).</summary>
    internal static bool Deletes(ReadOnlySpan<byte> batch)
    {
        var reader = new NetlinkReader(batch);
        while (reader.TryRead(out NetlinkMessage message))
        {
            if (message.Type >> 8 != NFNL_SUBSYS_NFTABLES)
            {
                continue;
            }
            switch (message.Type & 0xff)
            {
                case 2: // NFT_MSG_DELTABLE
                case NFT_MSG_DELCHAIN:
                case NFT_MSG_DELRULE:
                case 11: // NFT_MSG_DELSET
                case 14: // NFT_MSG_DELSETELEM
                case 20: // NFT_MSG_DELOBJ
                case 24: // NFT_MSG_DELFLOWTABLE
                case >= 26 and <= 33: // NFT_MSG_DESTROY* (Linux 6.3)
                    return true;
            }
        }
        return false;
    }

    /// <summary>Writes the whole batch (begin, one message per change, end); false when <paramref name="buffer"/> is too small.</summary>
    public static bool TryWrite(Span<byte> buffer, uint firstSequence, int changes, uint? generation, NftChangeWriter writeChange,
        out int length)
    {
        var w = new NetlinkWriter(buffer);
        length = 0;
        try
        {
            MessageScope begin = w.BeginMessage(NFNL_MSG_BATCH_BEGIN, NetlinkMessageFlags.None, firstSequence);
            w.WriteFamilyHeader(NfGenMsg.For(0, NFNL_SUBSYS_NFTABLES));
            if (generation is uint g)
            {
                w.WriteUInt32BigEndian(NFNL_BATCH_GENID, g);
            }
            w.EndMessage(begin);
            for (int i = 0; i < changes; i++)
            {
                writeChange(ref w, i, firstSequence + 1 + (uint)i);
            }
            MessageScope end = w.BeginMessage(NFNL_MSG_BATCH_END, NetlinkMessageFlags.None, firstSequence + 1 + (uint)changes);
            w.WriteFamilyHeader(NfGenMsg.For(0, NFNL_SUBSYS_NFTABLES));
            w.EndMessage(end);
        }
        catch (InvalidOperationException) when (w.BytesRemaining < 4096)
        {
            return false;
        }
        length = w.BytesWritten;
        return true;
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
