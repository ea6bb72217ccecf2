using Cni.Net.Netfilter;
using Cni.Net.Netlink;

namespace Cni.Net.Tests.Netfilter;

/// <summary>The process's kept NETLINK_NETFILTER sockets: reused, bounded, closed after a failure.</summary>
public class NfnetlinkSocketPoolTests
{
    private static NetlinkSocket Open() => new(NetlinkProtocol.Netfilter);

    [Fact]
    public void AReturnedSocket_IsTheNextOneRented()
    {
        (NetlinkSocket first, (ulong, ulong) key) = NfnetlinkSocketPool.Rent(Open);
        NfnetlinkSocketPool.Return(key, first);
        (NetlinkSocket again, (ulong, ulong) sameKey) = NfnetlinkSocketPool.Rent(Open);
        try
        {
            Assert.Same(first, again);
            Assert.Equal(key, sameKey);
        }
        finally
        {
            NfnetlinkSocketPool.Return(sameKey, again);
        }
    }

    [Fact]
    public void MoreSocketsThanKept_AreClosedOnReturn()
    {
        var rented = Enumerable.Range(0, 6).Select(_ => NfnetlinkSocketPool.Rent(Open)).ToList();
        Assert.Equal(6, rented.Select(r => r.Socket).Distinct().Count());
        foreach ((NetlinkSocket socket, (ulong, ulong) key) in rented)
        {
            NfnetlinkSocketPool.Return(key, socket);
        }
        (int sockets, int namespaces) = NfnetlinkSocketPool.Count();
        Assert.InRange(sockets, 1, 4 * namespaces);
        Assert.InRange(namespaces, 1, NfnetlinkSocketPool.MaxNamespaces);
        // Four of the six are kept for this namespace; the other two were closed.
        var kept = Enumerable.Range(0, 4).Select(_ => NfnetlinkSocketPool.Rent(Open)).ToList();
        try
        {
            Assert.All(kept, k => Assert.Contains(rented, r => ReferenceEquals(r.Socket, k.Socket)));
        }
        finally
        {
            kept.ForEach(k => NfnetlinkSocketPool.Return(k.Namespace, k.Socket));
        }
    }

    [Fact]
    public async Task RetiredSockets_StayOpenUpToFour_TheOldestIsClosedOffTheCallersPath()
    {
        // Other tests retire sockets too (searches of shared chains): fill the queue with this test's own first.
        var retired = Enumerable.Range(0, 5).Select(_ => Open()).ToList();
        foreach (NetlinkSocket socket in retired)
        {
            NfnetlinkSocketPool.Retire(socket);
        }

        Assert.InRange(NfnetlinkSocketPool.RetiredCount(), 1, 4);
        Assert.All(retired.Skip(1), s => Assert.False(s.Handle.IsClosed));
        for (int i = 0; i < 200 && !retired[0].Handle.IsClosed; i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        Assert.True(retired[0].Handle.IsClosed);

        // Push this test's sockets out again, so none of them stays open after it.
        var others = Enumerable.Range(0, 4).Select(_ => Open()).ToList();
        others.ForEach(NfnetlinkSocketPool.Retire);
        for (int i = 0; i < 200 && retired.Any(s => !s.Handle.IsClosed); i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        Assert.All(retired, s => Assert.True(s.Handle.IsClosed));
    }

    [Fact]
    public void AfterAFailure_TheSocketIsClosedNotKept()
    {
        NetlinkSocket? used = null;
        Assert.Throws<InvalidOperationException>(() => NfnetlinkSocketPool.Run(Open, socket =>
        {
            used = socket;
            throw new InvalidOperationException("a request failed");
        }));
        Assert.NotNull(used);
        NetlinkSocket? next = null;
        NfnetlinkSocketPool.Run(Open, socket => next = socket);
        Assert.NotSame(used, next);
    }
}
