using System.Buffers.Binary;
using Cni.Net.Fuzz.Targets;

namespace Cni.Net.Tests.Netlink;

/// <summary>
/// Random and mutated replies must never read out of bounds nor throw anything but NetlinkProtocolException
/// (or NetlinkException when the bytes happen to form a well-formed kernel error): the netlink fuzz target of
/// tests/Cni.Net.Fuzz (which afl-fuzz drives coverage-guided) on plain random inputs.
/// </summary>
public class NetlinkFuzzTests
{
    [Fact]
    public void RandomBytes_OnlyProtocolExceptions()
    {
        var random = new Random(42);
        var buffer = new byte[512];
        for (int i = 0; i < 20000; i++)
        {
            int length = random.Next(0, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (length >= 16 && random.Next(2) == 0)
            {
                // Plausible header so that the decoders get exercised, not only the framing.
                BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)random.Next(16, length + 1));
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(4), (ushort)random.Next(1, 31));
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(8), 1);
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(12), 1);
            }
            Feed(buffer.AsSpan(0, length));
        }
    }

    [Fact]
    public void MutatedValidReplies_OnlyProtocolExceptions()
    {
        var random = new Random(7);
        byte[][] seeds = [NetlinkReplies.Link(), NetlinkReplies.Address(), NetlinkReplies.Route(), NetlinkReplies.Neighbor(), NetlinkReplies.Error()];
        var work = new byte[1024];
        for (int i = 0; i < 20000; i++)
        {
            byte[] seed = seeds[i % seeds.Length];
            seed.CopyTo(work, 0);
            int length = seed.Length;
            int mutations = random.Next(1, 6);
            for (int k = 0; k < mutations; k++)
            {
                switch (random.Next(4))
                {
                    case 0:
                        work[random.Next(length)] = (byte)random.Next(256);
                        break;
                    case 1:
                        length = random.Next(0, length + 1); // truncate
                        break;
                    case 2:
                        int at = random.Next(Math.Max(1, length - 1));
                        BinaryPrimitives.WriteUInt16LittleEndian(work.AsSpan(at), (ushort)random.Next(65536));
                        break;
                    default:
                        work[random.Next(length)] ^= (byte)(1 << random.Next(8));
                        break;
                }
                if (length == 0)
                {
                    break;
                }
            }
            Feed(work.AsSpan(0, length));
        }
    }

    private static void Feed(ReadOnlySpan<byte> datagram) => NetlinkReaderTarget.Run(datagram);
}
