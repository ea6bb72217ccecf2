using System.Net;
using Cni.Net.Dhcp;

namespace Cni.Net.Tests.Dhcp;

public class DhcpLeaseTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A server's reply (op 2) with yiaddr and the given options.</summary>
    internal static byte[] Reply(DhcpMessageType type, uint xid, ReadOnlySpan<byte> mac, string yiaddr, params (byte Code, byte[] Value)[] options)
    {
        byte[] buffer = new byte[1000];
        var w = new DhcpMessageWriter(buffer);
        w.WriteHeader(type, xid, 0, false, null, mac);
        foreach ((byte code, byte[] value) in options)
        {
            w.WriteOption(code, value);
        }
        byte[] m = buffer[..w.Complete()];
        m[0] = 2;
        IPAddress.Parse(yiaddr).TryWriteBytes(m.AsSpan(16, 4), out _);
        return m;
    }

    private static DhcpLease Lease(params (byte, byte[])[] options)
    {
        byte[] m = Reply(DhcpMessageType.Ack, 7, [1, 2, 3, 4, 5, 6], "10.1.2.3", options);
        Assert.True(DhcpMessageReader.TryRead(m, out DhcpMessageReader r));
        return DhcpLease.FromAck(r, s_now);
    }

    [Fact]
    public void FromAck_ReadsAddressMaskRoutersDnsAndTimes()
    {
        DhcpLease lease = Lease(
            (DhcpOptionCode.SubnetMask, [255, 255, 240, 0]),
            (DhcpOptionCode.Router, [10, 1, 0, 1, 10, 1, 0, 2]),
            (DhcpOptionCode.DomainNameServer, [10, 1, 0, 53]),
            (DhcpOptionCode.DomainName, "example.test"u8.ToArray()),
            (DhcpOptionCode.ServerIdentifier, [10, 1, 0, 1]),
            (DhcpOptionCode.IPAddressLeaseTime, [0, 0, 0x0e, 0x10]));
        Assert.Equal(IPAddress.Parse("10.1.2.3"), lease.Address);
        Assert.Equal(20, lease.PrefixLength);
        Assert.Equal([IPAddress.Parse("10.1.0.1"), IPAddress.Parse("10.1.0.2")], lease.Routers);
        Assert.Equal([IPAddress.Parse("10.1.0.53")], lease.DnsServers);
        Assert.Equal("example.test", lease.DomainName);
        Assert.Equal(IPAddress.Parse("10.1.0.1"), lease.ServerIdentifier);
        Assert.Equal(TimeSpan.FromHours(1), lease.LeaseTime);
        Assert.Equal(TimeSpan.FromMinutes(30), lease.RenewalTime);     // T1 = lease / 2
        Assert.Equal(TimeSpan.FromMinutes(51), lease.RebindingTime);   // T2 = lease * 85 %
        Assert.Equal(s_now.AddHours(1), lease.ExpiresAt);
    }

    [Fact]
    public void FromAck_NoLeaseTimeNoMask_DefaultsAndNullPrefix()
    {
        DhcpLease lease = Lease((DhcpOptionCode.RenewalTime, [0, 0, 0, 10]), (DhcpOptionCode.RebindingTime, [0, 0, 0, 20]));
        Assert.Equal(DhcpLease.DefaultLeaseTime, lease.LeaseTime);
        Assert.Equal(TimeSpan.FromSeconds(10), lease.RenewalTime);
        Assert.Equal(TimeSpan.FromSeconds(20), lease.RebindingTime);
        Assert.Null(lease.PrefixLength);
        Assert.Null(Lease((DhcpOptionCode.SubnetMask, [255, 0, 255, 0])).PrefixLength); // not contiguous
    }

    [Fact]
    public void FromAck_ClasslessRoutes_Rfc3442Encoding()
    {
        // 10.0.0.0/8 via 10.1.0.1; 192.168.7.0/24 on-link; 0.0.0.0/0 via 10.1.0.9; 172.16.128.0/17 via 10.1.0.1
        DhcpLease lease = Lease((DhcpOptionCode.ClasslessStaticRoute,
            [8, 10, 10, 1, 0, 1, 24, 192, 168, 7, 0, 0, 0, 0, 0, 10, 1, 0, 9, 17, 172, 16, 128, 10, 1, 0, 1]));
        Assert.Equal(
            ["10.0.0.0/8 via 10.1.0.1", "192.168.7.0/24 via 0.0.0.0", "0.0.0.0/0 via 10.1.0.9", "172.16.128.0/17 via 10.1.0.1"],
            lease.ClasslessStaticRoutes.Select(r => $"{r.Destination} via {r.Gateway}"));
        Assert.True(lease.ClasslessStaticRoutes[1].OnLink);
        Assert.Empty(Lease((DhcpOptionCode.ClasslessStaticRoute, [33, 1, 2, 3, 4, 5, 6, 7, 8, 9])).ClasslessStaticRoutes); // width > 32
        Assert.Empty(Lease((DhcpOptionCode.ClasslessStaticRoute, [24, 10, 0])).ClasslessStaticRoutes);                  // cut short
    }

    [Fact]
    public void FromAck_StaticRoutes_ClassfulMasks()
    {
        DhcpLease lease = Lease((DhcpOptionCode.StaticRoute,
            [10, 2, 0, 0, 10, 1, 0, 1, 172, 20, 5, 0, 10, 1, 0, 1, 192, 168, 9, 0, 10, 1, 0, 1, 230, 0, 0, 0, 10, 1, 0, 1]));
        Assert.Equal(["10.0.0.0/8", "172.20.0.0/16", "192.168.9.0/24"], lease.StaticRoutes.Select(r => r.Destination.ToString()));
    }
}
