using System.Buffers.Binary;
using Cni.Net.Netfilter.Conntrack;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.Fuzz.Targets;

/// <summary>
/// A netlink datagram as the kernel answers a request: the socket's reply framing (<see cref="NetlinkReader"/>, errors,
/// extended acks, NLMSG_DONE), then every message through every rtnetlink and conntrack decoder and a walk of its
/// attributes. Only <see cref="NetlinkProtocolException"/> (or a well-formed kernel error) may come out.
/// </summary>
internal static class NetlinkReaderTarget
{
    public static void Run(ReadOnlySpan<byte> datagram)
    {
        try
        {
            var state = new NetlinkSocket.ReplyState(1, 1);
            var handler = new DecodingHandler();
            NetlinkSocket.ProcessDatagram(datagram, ref state, ref handler, "fuzz", default);
        }
        catch (NetlinkProtocolException)
        {
        }
        catch (NetlinkException e) when (e.GetType() == typeof(NetlinkException) && e.Errno > 0)
        {
            // The input formed a well-formed NLMSG_ERROR / NLMSG_DONE carrying an error.
        }
    }

    /// <summary>Hand-built replies of each rtnetlink kind, and tc's requests as captured (TestData/TrafficControl).</summary>
    public static IReadOnlyList<byte[]> Seeds()
    {
        var seeds = new List<byte[]> { NetlinkReplies.Link(), NetlinkReplies.Address(), NetlinkReplies.Route(), NetlinkReplies.Neighbor(), NetlinkReplies.Error() };
        foreach (string file in TestData.Files("TrafficControl", "*.hex"))
        {
            byte[] message = Convert.FromHexString(File.ReadAllText(file).Trim());
            // The capture's sequence and port are tc's; the reply state expects 1/1, or the message is skipped as stale.
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), 1);
            BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(12), 1);
            seeds.Add(message);
        }
        return seeds;
    }

    private struct DecodingHandler : INetlinkReplyHandler
    {
        public readonly void OnMessage(NetlinkMessage message)
        {
            // Every decoder on every message: each must reject foreign or broken bytes cleanly.
            if (message.Payload.Length >= 16)
            {
                LinkInfo.Decode(message);
                foreach (NetlinkAttr a in message.GetAttributes<InterfaceInfoMessage>())
                {
                    if (a.IsNested)
                    {
                        foreach (NetlinkAttr inner in a.GetNested())
                        {
                            _ = inner.Value.Length;
                        }
                    }
                }
            }
            if (message.Payload.Length >= 12)
            {
                IPRoute.Decode(message);
                Neighbor.TryDecode(message, out _);
                RoutingRule.TryDecode(message, out _);
            }
            InterfaceAddress.TryDecode(message, out _);
            ConntrackMessages.TryDecode(message, out _);
        }

        public readonly void OnRestart()
        {
        }
    }
}
