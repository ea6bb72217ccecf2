using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

public class DeferredTeardownTests
{
    private static readonly TimeSpan TeardownTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task DeletingAVethDeferringTeardown_ReturnsWithBothEndsGone_BeforeTheKernelsTeardownHasFinished()
    {
        using var s = new NetlinkTestScope("defer");
        using var peer = new TestNamespace("deferpeer");
        using NetworkNamespace peerNs = NetworkNamespace.Open(peer.Path);
        int returnedFirst = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            s.Rtnl.AddLink(new VethLink("dt0", "dt1") { PeerNamespace = peerNs, Up = true });
            s.Ip("addr", "add", "10.99.0.1/24", "dev", "dt0");
            int index = s.Rtnl.GetLinkIndex("dt0");

            Assert.True(s.Rtnl.TryDeleteLinkDeferringTeardown(index, out Task teardown));
            // The teardown waits for an RCU barrier (tens of milliseconds); returning before it is the point. A thread
            // descheduled for that long between the two lines would see it done, hence several attempts.
            if (!teardown.IsCompleted)
            {
                returnedFirst++;
            }
            Assert.False(s.LinkExists("dt0"));
            Assert.Equal(0, peer.IpJson("link", "show").EnumerateArray().Count(l => l.GetProperty("ifname").GetString() == "dt1"));
            Assert.Equal(0, s.Ns.IpJson("-4", "addr", "show").EnumerateArray().Count(l => l.GetProperty("ifname").GetString() == "dt0"));
            // Name and address are free at once, teardown or not.
            s.Rtnl.AddLink(new VethLink("dt0", "dt1") { PeerNamespace = peerNs });
            s.Ip("addr", "add", "10.99.0.1/24", "dev", "dt0");
            await teardown.WaitAsync(TeardownTimeout, TestContext.Current.CancellationToken);
            s.Rtnl.DeleteLink("dt0");
        }
        Assert.True(returnedFirst > 0, "every deletion returned only after the kernel's teardown had finished");
    }

    [Fact]
    public async Task DeletingByNameDeferringTeardown_DeletesTheLink_AndAnAbsentLinkGivesFalseAndNothingToWaitFor()
    {
        using var s = new NetlinkTestScope("defername");
        s.Rtnl.AddLink(new IfbLink("dtifb0") { Up = true });

        Assert.True(s.Rtnl.TryDeleteLinkDeferringTeardown("dtifb0", out Task teardown));
        Assert.False(s.LinkExists("dtifb0"));
        await teardown.WaitAsync(TeardownTimeout, TestContext.Current.CancellationToken);

        Assert.False(s.Rtnl.TryDeleteLinkDeferringTeardown("dtifb0", out Task none));
        Assert.True(none.IsCompletedSuccessfully);
        Assert.False(s.Rtnl.TryDeleteLinkDeferringTeardown(99999, out Task noneByIndex));
        Assert.True(noneByIndex.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task BeyondTheCapOfRunningTeardowns_ADeletionWaitsForItsOwn_AndTheCountReturnsToZero()
    {
        using var s = new NetlinkTestScope("defercap");
        using var peer = new TestNamespace("defercappeer");
        using NetworkNamespace peerNs = NetworkNamespace.Open(peer.Path);
        int cap = RouteNetlink.MaxDeferredTeardowns;
        try
        {
            // No teardown may be left running: every deletion is the waiting one, its teardown over when it returns.
            RouteNetlink.MaxDeferredTeardowns = 0;
            s.Rtnl.AddLink(new VethLink("dc0", "dc1") { PeerNamespace = peerNs, Up = true });
            Assert.True(s.Rtnl.TryDeleteLinkDeferringTeardown("dc0", out Task waited));
            Assert.Same(Task.CompletedTask, waited);
            Assert.False(s.LinkExists("dc0"));
            Assert.Equal(0, peer.IpJson("link", "show").EnumerateArray().Count(l => l.GetProperty("ifname").GetString() == "dc1"));
            Assert.Equal(0, RouteNetlink.DeferredTeardowns);

            // One may run: the first deletion leaves its teardown running, a second one meanwhile waits for its own.
            RouteNetlink.MaxDeferredTeardowns = 1;
            int waitedBehindAnother = 0;
            for (int attempt = 0; attempt < 10 && waitedBehindAnother == 0; attempt++)
            {
                // Up and addressed, as a pod's veth: its teardown then waits for an RCU barrier.
                s.Rtnl.AddLink(new VethLink("dc0", "dc1") { PeerNamespace = peerNs, Up = true });
                s.Ip("addr", "add", "10.99.1.1/24", "dev", "dc0");
                s.Rtnl.AddLink(new VethLink("dc2", "dc3") { PeerNamespace = peerNs, Up = true });
                Assert.True(s.Rtnl.TryDeleteLinkDeferringTeardown("dc0", out Task first));
                // The first teardown takes milliseconds; a thread descheduled for longer sees it done.
                bool firstRunning = RouteNetlink.DeferredTeardowns == 1;
                Assert.True(s.Rtnl.TryDeleteLinkDeferringTeardown("dc2", out Task second));
                // Waited for: the completed task a deletion that left nothing running returns, never a teardown's own.
                if (firstRunning && ReferenceEquals(second, Task.CompletedTask))
                {
                    waitedBehindAnother++;
                }
                Assert.False(s.LinkExists("dc0"));
                Assert.False(s.LinkExists("dc2"));
                await Task.WhenAll(first, second).WaitAsync(TeardownTimeout, TestContext.Current.CancellationToken);
            }
            Assert.True(waitedBehindAnother > 0, "the first teardown was over before the second deletion in every attempt");
            Assert.Equal(0, RouteNetlink.DeferredTeardowns);
        }
        finally
        {
            RouteNetlink.MaxDeferredTeardowns = cap;
        }
    }

    [Fact]
    public async Task WhenTheListeningSocketOverflows_TheDeletionWaitsForTheKernelsAnswer_AndStillReportsTheLinkDeleted()
    {
        using var s = new NetlinkTestScope("deferoverflow");
        using var peer = new TestNamespace("deferoverflowpeer");
        using NetworkNamespace peerNs = NetworkNamespace.Open(peer.Path);
        using RouteNetlink noise = RouteNetlink.Open(s.Namespace);
        s.Rtnl.AddLink(new IfbLink("dtnoise0"));
        int noisy = s.Rtnl.GetLinkIndex("dtnoise0");
        s.Rtnl.AddLink(new VethLink("do0", "do1") { PeerNamespace = peerNs, Up = true });
        s.Ip("addr", "add", "10.99.2.1/24", "dev", "do0");
        int index = s.Rtnl.GetLinkIndex("do0");
        // A busy node's announcements: far more than the listening socket's megabyte holds, queued before the
        // deletion's own, so the kernel drops announcements and the socket reports ENOBUFS.
        int announced = 0;
        RouteNetlink.AfterSubscribing = () =>
        {
            for (int i = 0; i < 2000; i++)
            {
                noise.SetLinkMtu(noisy, 1400 + (i & 1));
                announced++;
            }
        };
        try
        {
            Assert.True(s.Rtnl.TryDeleteLinkDeferringTeardown(index, out Task teardown));

            Assert.Equal(2000, announced);
            // Its announcement possibly lost, the deletion waited for the kernel's answer, which comes only after the
            // teardown: nothing is left running.
            Assert.True(teardown.IsCompletedSuccessfully);
            Assert.Equal(0, RouteNetlink.DeferredTeardowns);
            Assert.False(s.LinkExists("do0"));
            Assert.Equal(0, peer.IpJson("link", "show").EnumerateArray().Count(l => l.GetProperty("ifname").GetString() == "do1"));
            Assert.Equal(0, s.Ns.IpJson("-4", "addr", "show").EnumerateArray().Count(l => l.GetProperty("ifname").GetString() == "do0"));
        }
        finally
        {
            RouteNetlink.AfterSubscribing = null;
        }

        // The next deletion, with nothing flooding, is deferred again.
        s.Rtnl.AddLink(new VethLink("do0", "do1") { PeerNamespace = peerNs, Up = true });
        Assert.True(s.Rtnl.TryDeleteLinkDeferringTeardown("do0", out Task next));
        Assert.False(s.LinkExists("do0"));
        await next.WaitAsync(TeardownTimeout, TestContext.Current.CancellationToken);
    }

    [Fact]
    public void ARefusedDeletion_ThrowsTheKernelsRefusal_InsteadOfWaitingForAnAnnouncement()
    {
        using var s = new NetlinkTestScope("deferlo");
        int lo = s.Rtnl.GetLinkIndex("lo");

        // The kernel refuses to delete the loopback device; no RTM_DELLINK comes, the answer must end the wait.
        var e = Assert.Throws<NetlinkException>(() => s.Rtnl.TryDeleteLinkDeferringTeardown(lo, out _));
        Assert.NotEqual(0, e.Errno);
        Assert.Contains("delete link", e.Message);
        Assert.True(s.LinkExists("lo"));
    }
}
