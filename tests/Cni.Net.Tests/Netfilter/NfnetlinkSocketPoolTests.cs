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
