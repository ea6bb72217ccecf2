using System.Net;
using System.Threading.Channels;
using Cni.Net.Dhcp;
using Microsoft.Extensions.Time.Testing;

namespace Cni.Net.Tests.Dhcp;

public class DhcpClientTests
{
    private static readonly byte[] s_mac = [0x02, 0, 0, 0, 0, 0x10];

    /// <summary>What the client sent, as the server saw it.</summary>
    private sealed record Sent(DhcpMessageType Type, IPAddress Source, IPAddress Destination, IPAddress ClientAddress,
        bool Broadcast, string? Requested, string? Server, byte[]? ClientId, byte[]? Parameters, byte[]? HostName);

    /// <summary>A scripted DHCP server: answers each client message with what <see cref="Answer"/> returns.</summary>
    private sealed class FakeServer : IDhcpTransport
    {
        private readonly Channel<byte[]> _replies = Channel.CreateUnbounded<byte[]>();

        public List<Sent> Sent { get; } = [];

        public Func<Sent, uint, byte[]?> Answer { get; set; } = (_, _) => null;

        public ReadOnlyMemory<byte> HardwareAddress => s_mac;

        public void Send(ReadOnlySpan<byte> message, IPAddress source, IPAddress destination)
        {
            Assert.True(DhcpMessageReader.TryRead(message, out DhcpMessageReader r));
            Assert.Equal(s_mac, r.HardwareAddress.ToArray());
            var options = new Dictionary<byte, byte[]>();
            foreach (byte code in (byte[])[DhcpOptionCode.RequestedIPAddress, DhcpOptionCode.ServerIdentifier, DhcpOptionCode.ClientIdentifier,
                DhcpOptionCode.ParameterRequestList, DhcpOptionCode.HostName])
            {
                if (r.TryGetOption(code, out ReadOnlySpan<byte> v))
                {
                    options[code] = v.ToArray();
                }
            }
            byte[]? Option(byte code) => options.GetValueOrDefault(code);
            var sent = new Sent(r.MessageType, source, destination, r.ClientAddress, r.Broadcast,
                Option(DhcpOptionCode.RequestedIPAddress) is { } q ? new IPAddress(q).ToString() : null,
                Option(DhcpOptionCode.ServerIdentifier) is { } s ? new IPAddress(s).ToString() : null,
                Option(DhcpOptionCode.ClientIdentifier), Option(DhcpOptionCode.ParameterRequestList), Option(DhcpOptionCode.HostName));
            lock (Sent)
            {
                Sent.Add(sent);
            }
            if (Answer(sent, r.TransactionId) is { } reply)
            {
                _replies.Writer.TryWrite(reply);
            }
        }

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            byte[] reply = await _replies.Reader.ReadAsync(cancellationToken);
            reply.CopyTo(buffer);
            return reply.Length;
        }

        public void Dispose()
        {
        }
    }

    private static readonly (byte, byte[])[] s_grant =
    [
        (DhcpOptionCode.ServerIdentifier, [10, 9, 0, 1]),
        (DhcpOptionCode.SubnetMask, [255, 255, 255, 0]),
        (DhcpOptionCode.Router, [10, 9, 0, 1]),
    ];

    private static byte[] Grant(DhcpMessageType type, uint xid, uint leaseSeconds = 3600) =>
        DhcpLeaseTests.Reply(type, xid, s_mac, "10.9.0.77", [.. s_grant, (DhcpOptionCode.IPAddressLeaseTime,
            [(byte)(leaseSeconds >> 24), (byte)(leaseSeconds >> 16), (byte)(leaseSeconds >> 8), (byte)leaseSeconds])]);

    /// <summary>A well-behaved server: OFFER for DISCOVER, ACK for REQUEST.</summary>
    private static byte[]? Serve(Sent sent, uint xid, uint leaseSeconds = 3600) => sent.Type switch
    {
        DhcpMessageType.Discover => Grant(DhcpMessageType.Offer, xid, leaseSeconds),
        DhcpMessageType.Request => Grant(DhcpMessageType.Ack, xid, leaseSeconds),
        _ => null,
    };

    private static DhcpClientOptions Options(bool broadcast = false) => new()
    {
        ClientIdentifier = "\0ctr/net/eth0"u8.ToArray(),
        Broadcast = broadcast,
        Timeout = TimeSpan.FromMilliseconds(300),
        ResendTimeout = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public async Task AcquireAsync_DiscoverOfferRequestAck_GrantsTheLease()
    {
        using var server = new FakeServer { Answer = (s, x) => Serve(s, x) };
        DhcpClientOptions options = Options(broadcast: true);
        options.ExtraOptions.Add(new DhcpOptionValue(DhcpOptionCode.HostName, "pod-a"u8.ToArray()));
        var client = new DhcpClient(server, options);

        DhcpLease lease = await client.AcquireAsync(TestContext.Current.CancellationToken);

        Assert.Equal(IPAddress.Parse("10.9.0.77"), lease.Address);
        Assert.Equal(24, lease.PrefixLength);
        Assert.Same(lease, client.Lease);
        Assert.Equal([DhcpMessageType.Discover, DhcpMessageType.Request], server.Sent.Select(s => s.Type));
        Sent discover = server.Sent[0], request = server.Sent[1];
        Assert.Equal((IPAddress.Any, IPAddress.Broadcast, true), (discover.Source, discover.Destination, discover.Broadcast));
        Assert.Equal("\0ctr/net/eth0"u8.ToArray(), discover.ClientId!);
        Assert.Equal([DhcpOptionCode.SubnetMask, DhcpOptionCode.Router], discover.Parameters!);
        Assert.Equal("pod-a"u8.ToArray(), discover.HostName!);
        Assert.Null(discover.Requested);
        // The REQUEST (SELECTING) names the offer and its server, from 0.0.0.0 with ciaddr empty.
        Assert.Equal(("10.9.0.77", "10.9.0.1", IPAddress.Any), (request.Requested, request.Server, request.ClientAddress));
        Assert.Equal("pod-a"u8.ToArray(), request.HostName!);
    }

    [Fact]
    public async Task AcquireAsync_NakThenAck_RetriesAndSucceeds()
    {
        int requests = 0;
        using var server = new FakeServer
        {
            Answer = (s, x) => s.Type == DhcpMessageType.Request && Interlocked.Increment(ref requests) == 1
                ? DhcpLeaseTests.Reply(DhcpMessageType.Nak, x, s_mac, "0.0.0.0", (DhcpOptionCode.Message, "address taken"u8.ToArray()))
                : Serve(s, x),
        };
        DhcpLease lease = await new DhcpClient(server, Options()).AcquireAsync(TestContext.Current.CancellationToken);
        Assert.Equal(IPAddress.Parse("10.9.0.77"), lease.Address);
        Assert.Equal(4, server.Sent.Count); // DISCOVER REQUEST(NAK) DISCOVER REQUEST
    }

    [Fact]
    public async Task AcquireAsync_ForeignRepliesAreIgnored_NoServerTimesOut()
    {
        // Replies for another transaction or another client are not ours: the client keeps waiting, then gives up.
        using var server = new FakeServer
        {
            Answer = (s, x) => s.Type == DhcpMessageType.Discover ? Grant(DhcpMessageType.Offer, x + 1) : null,
        };
        DhcpClientOptions options = Options();
        // The first answer wait (100 ms) must end before the whole attempt does (3 s) for its reason to be reported; with
        // 300 ms against 900 ms a CI stall once let the attempt's deadline come first ("no answer").
        options.Timeout = TimeSpan.FromMilliseconds(100);
        options.ResendTimeout = TimeSpan.FromSeconds(3);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => new DhcpClient(server, options).AcquireAsync(TestContext.Current.CancellationToken));
        Assert.Contains("no DHCPOFFER", e.Message, StringComparison.Ordinal);
        Assert.Null(server.Sent.FirstOrDefault(s => s.Type == DhcpMessageType.Request));
    }

    [Fact]
    public async Task RenewAndRelease_UseCiaddrAndTheServer()
    {
        using var server = new FakeServer { Answer = (s, x) => Serve(s, x) };
        var client = new DhcpClient(server, Options());
        await client.AcquireAsync(TestContext.Current.CancellationToken);
        DhcpLease renewed = await client.RenewAsync(TestContext.Current.CancellationToken);
        client.Release();

        Sent renew = server.Sent[2], release = server.Sent[3];
        Assert.Equal(DhcpMessageType.Request, renew.Type);
        Assert.Equal((IPAddress.Parse("10.9.0.77"), IPAddress.Parse("10.9.0.1"), IPAddress.Parse("10.9.0.77")),
            (renew.Source, renew.Destination, renew.ClientAddress));
        Assert.Null(renew.Requested); // RENEWING: no requested address, no server identifier (RFC 2131 4.3.2)
        Assert.Null(renew.Server);
        Assert.Equal(DhcpMessageType.Release, release.Type);
        Assert.Equal((IPAddress.Parse("10.9.0.77"), "10.9.0.1"), (release.ClientAddress, release.Server));
        Assert.Equal("\0ctr/net/eth0"u8.ToArray(), release.ClientId!);
        Assert.Null(client.Lease);
        Assert.Equal(IPAddress.Parse("10.9.0.77"), renewed.Address);
    }

    [Fact]
    public async Task MaintainAsync_RenewsAtT1_UntilStopped()
    {
        // On a fake clock: when the client renews is its own arithmetic, not the test machine's load.
        CancellationToken ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var server = new FakeServer { Answer = (s, x) => Serve(s, x, leaseSeconds: 200) };
        DhcpClientOptions options = Options();
        options.TimeProvider = clock;
        options.Timeout = TimeSpan.FromSeconds(30);
        var client = new DhcpClient(server, options);
        await client.AcquireAsync(ct);
        var renewals = Channel.CreateUnbounded<DhcpLease>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<DhcpMaintenanceEnd> maintaining = client.MaintainAsync(l => renewals.Writer.TryWrite(l), stop.Token);

        // T1 = 100 s: nothing before it, one renewal at it, the next one T1 of the renewed lease later.
        clock.Advance(TimeSpan.FromSeconds(99));
        await Task.Delay(50, ct);
        Assert.False(renewals.Reader.TryRead(out _));
        clock.Advance(TimeSpan.FromSeconds(1));
        DhcpLease first = await renewals.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(200), first.RenewAt);
        clock.Advance(TimeSpan.FromSeconds(100));
        await renewals.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        stop.Cancel();
        Assert.Equal(DhcpMaintenanceEnd.Stopped, await maintaining.WaitAsync(TimeSpan.FromSeconds(10), ct));
        Assert.False(renewals.Reader.TryRead(out _));
        // Renewals are unicast REQUESTs from the leased address to the server that granted it.
        Assert.Equal(4, server.Sent.Count);
        Assert.All(server.Sent.Skip(2), s => Assert.Equal(
            (DhcpMessageType.Request, IPAddress.Parse("10.9.0.77"), IPAddress.Parse("10.9.0.1")), (s.Type, s.ClientAddress, s.Destination)));
        Assert.NotNull(client.Lease);
    }

    [Fact]
    public async Task MaintainAsync_ServerGone_RebindsThenExpires()
    {
        // On a fake clock, as above: T1 = 1 s, T2 = 1.75 s, expiry at 2 s of the client's time, whatever the load.
        CancellationToken ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        bool up = true;
        using var server = new FakeServer { Answer = (s, x) => Volatile.Read(ref up) ? Serve(s, x, leaseSeconds: 2) : null };
        DhcpClientOptions options = Options();
        options.TimeProvider = clock;
        options.ResendTimeout = TimeSpan.FromMilliseconds(700);
        var client = new DhcpClient(server, options);
        await client.AcquireAsync(ct);
        Volatile.Write(ref up, false);
        Task<DhcpMaintenanceEnd> maintaining = client.MaintainAsync(null, ct);

        clock.Advance(TimeSpan.FromSeconds(1));
        // The renewal at T1 is sent before the clock moves on: renewing (ciaddr set) is what T1 starts.
        await WaitUntilAsync(() => Snapshot(server).Any(s => s.Type == DhcpMessageType.Request && !s.ClientAddress.Equals(IPAddress.Any)), ct);
        for (int step = 0; !maintaining.IsCompleted && step < 400; step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(25));
            await Task.Delay(2, ct);
        }

        Assert.Equal(DhcpMaintenanceEnd.Expired, await maintaining.WaitAsync(TimeSpan.FromSeconds(10), ct));
        Assert.Null(client.Lease);
        Assert.True(clock.GetUtcNow() >= DateTimeOffset.UnixEpoch.AddSeconds(2), "expired before the lease ran out");
        // Renewals (ciaddr set) came first, then rebinding from T2 by DISCOVER.
        Assert.Equal(DhcpMessageType.Discover, Snapshot(server)[^1].Type);
    }

    private static List<Sent> Snapshot(FakeServer server)
    {
        lock (server.Sent)
        {
            return [.. server.Sent];
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        for (int i = 0; !condition(); i++)
        {
            Assert.True(i < 1000, "timed out waiting for the client");
            await Task.Delay(10, ct);
        }
    }
}
