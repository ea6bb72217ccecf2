using System.Net;
using System.Text.Json;
using Cni.Net.Netlink;
using Cni.Net.Interop;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

public class BatchTests
{
    [Fact]
    public void Batch_ManyRoutesAndLinks_AllAppliedAcrossFlushes()
    {
        using var s = new NetlinkTestScope("batch");
        s.Rtnl.AddVeth("up0", "up1");
        int uplink = s.Rtnl.GetLinkIndex("up0");
        s.Rtnl.SetLinkUp(uplink);
        s.Rtnl.AddAddress(uplink, IPAddress.Parse("10.0.0.1"), 24);
        var route = new IPRoute { DestinationPrefixLength = 32, Gateway = IPAddress.Parse("10.0.0.2"), DeviceIndex = uplink };

        RouteBatch batch = s.Rtnl.BeginBatch();
        int flushes = 0;
        for (int i = 0; i < 700; i++)
        {
            route.Destination = new IPAddress(new byte[] { 10, 128, (byte)(i >> 8), (byte)i });
            if (!batch.AddRoute(route))
            {
                batch.Execute();
                flushes++;
                Assert.True(batch.AddRoute(route));
            }
        }
        for (int i = 0; i < 20; i++)
        {
            Assert.True(batch.AddVeth($"bv{i}", $"bp{i}"));
        }
        batch.Execute();

        Assert.True(flushes >= 2);
        Assert.Equal(700, s.Ns.IpJson("route", "show", "via", "10.0.0.2").GetArrayLength());
        Assert.Equal(21, s.Ns.IpJson("link", "show", "type", "veth").GetArrayLength() / 2);
    }

    [Fact]
    public void Batch_FailureInTheMiddle_OthersAppliedFirstErrorThrown_ToleratedCounted()
    {
        using var s = new NetlinkTestScope("batcherr");
        s.Rtnl.AddVeth("x0", "x1");
        RouteBatch batch = s.Rtnl.BeginBatch();
        batch.AddVeth("a0", "a1");
        batch.AddVeth("x0", "x2");   // EEXIST
        batch.AddVeth("b0", "b1");
        NetlinkException? e = null;
        try
        {
            batch.Execute();
        }
        catch (NetlinkException caught)
        {
            e = caught;
        }
        Assert.NotNull(e);
        Assert.Equal("EEXIST", e.ErrnoName);
        Assert.True(s.LinkExists("a0"));
        Assert.True(s.LinkExists("b0"));

        RouteBatch again = s.Rtnl.BeginBatch();
        again.AddVeth("a0", "a1");
        again.AddVeth("c0", "c1");
        Assert.Equal(1, again.Execute([17]));
        Assert.True(s.LinkExists("c0"));
        // The socket is in step afterwards: an ordinary request still gets its own acknowledgement.
        s.Rtnl.DeleteLink("c0");
        Assert.False(s.LinkExists("c0"));
    }

    [Fact]
    public void RequestBatch_AnswersEachGetInOrder_CountsToleratedErrors_AndLeavesTheSocketInStep()
    {
        using var s = new NetlinkTestScope("batchget");
        s.Rtnl.AddVeth("g0", "g1");
        NetlinkSocket socket = s.Rtnl.Socket;

        var found = new LinkNames();
        Assert.Equal(1, RequestLinks(socket, ["g1", "missing0", "lo", "g0"], [Errno.ENODEV], ref found));
        Assert.Equal(["g1", "lo", "g0"], found.Names);

        // An error not tolerated is thrown once every request was answered: the others' replies were handed over.
        var partial = new LinkNames();
        NetlinkException e = Assert.Throws<NetlinkException>(() => RequestLinks(socket, ["g0", "missing1", "g1"], [], ref partial));
        Assert.Equal("ENODEV", e.ErrnoName);
        Assert.Equal(["g0", "g1"], partial.Names);

        // In step afterwards: an ordinary request gets its own answer.
        Assert.Equal("g1", s.Rtnl.GetLink("g1").Name);
    }

    private static int RequestLinks(NetlinkSocket socket, string[] names, int[] tolerated, ref LinkNames into)
    {
        NetlinkWriter batch = socket.BeginBatch();
        foreach (string name in names)
        {
            Assert.True(socket.AppendRequest(ref batch, (ushort)RouteMessageType.GetLink, NetlinkMessageFlags.None));
            batch.WriteFamilyHeader(default(InterfaceInfoMessage));
            batch.WriteString(Ifla.IFLA_IFNAME, name);
        }
        return socket.RequestBatch(ref batch, "get links", tolerated, ref into);
    }

    private struct LinkNames : INetlinkReplyHandler
    {
        public LinkNames()
        {
        }

        public List<string> Names { get; } = [];

        public readonly void OnMessage(NetlinkMessage message)
        {
            if (LinkInfo.TryDecode(message, out LinkInfo link))
            {
                Names.Add(link.Name);
            }
        }

        public readonly void OnRestart() => Names.Clear();
    }
}
