using System.Buffers;
using System.Net;
using System.Runtime.InteropServices;
using Cni.Net.Interop;

namespace Cni.Net.Dhcp;

/// <summary>
/// A DHCPv4 client for one interface (RFC 2131 section 4.4): acquires a lease (DISCOVER, OFFER, REQUEST, ACK),
/// renews it at T1 with the granting server, rebinds at T2 by acquiring again (as the Go reference client does),
/// and releases it. Failed attempts are repeated after 2 s four times, then after 4 s doubling up to
/// <see cref="DhcpClientOptions.ResendMax"/>, each ±1 s, until <see cref="DhcpClientOptions.ResendTimeout"/>.
/// </summary>
/// <remarks>Not thread-safe: one operation at a time (the maintenance loop is that one operation).</remarks>
public sealed class DhcpClient
{
    private const int BufferSize = 1500;
    private const int FastRetries = 4;
    private static readonly TimeSpan s_fastDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_firstDelay = TimeSpan.FromSeconds(4);

    private readonly IDhcpTransport _transport;
    private readonly DhcpClientOptions _options;
    private readonly byte[] _buffer = new byte[BufferSize];

    /// <summary>A client that talks through <paramref name="transport"/> (it does not own it).</summary>
    public DhcpClient(IDhcpTransport transport, DhcpClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        _transport = transport;
        _options = options;
    }

    /// <summary>The lease held now: the last ACK, or null before the first.</summary>
    public DhcpLease? Lease { get; private set; }

    /// <summary>Acquires a lease, retrying until the resend timeout.</summary>
    /// <exception cref="TimeoutException">No server granted a lease in time (the last failure in the message).</exception>
    /// <exception cref="IOException">The link is gone.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<DhcpLease> AcquireAsync(CancellationToken cancellationToken = default)
        => RetryAsync(ExchangeAsync, "acquire a lease", null, cancellationToken);

    /// <summary>Renews the held lease with the server that granted it (REQUEST with ciaddr, RENEWING state).</summary>
    /// <exception cref="InvalidOperationException">No lease is held.</exception>
    /// <exception cref="TimeoutException">The server did not renew in time.</exception>
    /// <exception cref="IOException">The link is gone.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<DhcpLease> RenewAsync(CancellationToken cancellationToken = default)
    {
        DhcpLease lease = Lease ?? throw new InvalidOperationException("no DHCP lease to renew");
        return RenewAsync(lease, null, cancellationToken);
    }

    private Task<DhcpLease> RenewAsync(DhcpLease lease, DateTimeOffset? until, CancellationToken cancellationToken)
        => RetryAsync(ct => RenewOnceAsync(lease, ct), "renew the lease", until, cancellationToken);

    /// <summary>Sends DHCPRELEASE for the held lease (no answer is expected) and forgets it.</summary>
    /// <exception cref="IOException">The link is gone.</exception>
    public void Release()
    {
        if (Lease is not { } lease)
        {
            return;
        }
        var writer = new DhcpMessageWriter(_buffer);
        writer.WriteHeader(DhcpMessageType.Release, NewTransactionId(), 0, broadcast: false, lease.Address, _transport.HardwareAddress.Span);
        WriteClientIdentifier(ref writer, extras: false);
        if (lease.ServerIdentifier is { } server)
        {
            writer.WriteOption(DhcpOptionCode.ServerIdentifier, server);
        }
        int length = writer.Complete();
        _transport.Send(_buffer.AsSpan(0, length), lease.Address, lease.ServerIdentifier ?? IPAddress.Broadcast);
        Lease = null;
    }

    /// <summary>
    /// Keeps the held lease: renews at T1, rebinds from T2, until cancelled, expired or the link is gone.
    /// <see cref="Lease"/> follows every ACK; <paramref name="renewed"/> is called after each.
    /// </summary>
    /// <exception cref="InvalidOperationException">No lease is held.</exception>
    public async Task<DhcpMaintenanceEnd> MaintainAsync(Action<DhcpLease>? renewed = null, CancellationToken cancellationToken = default)
    {
        if (Lease is null)
        {
            throw new InvalidOperationException("no DHCP lease to maintain");
        }
        TimeProvider clock = _options.TimeProvider;
        try
        {
            while (true)
            {
                DhcpLease lease = Lease!;
                TimeSpan untilRenewal = lease.RenewAt - clock.GetUtcNow();
                if (untilRenewal > TimeSpan.Zero)
                {
                    await Task.Delay(untilRenewal, clock, cancellationToken).ConfigureAwait(false);
                }
                DhcpLease? next = null;
                while (next is null)
                {
                    try
                    {
                        // Renewal is tried until T2, rebinding until the lease runs out.
                        next = clock.GetUtcNow() < lease.RebindAt
                            ? await RenewAsync(lease, lease.RebindAt, cancellationToken).ConfigureAwait(false)
                            : await RetryAsync(ExchangeAsync, "rebind the lease", lease.ExpiresAt, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TimeoutException) when (clock.GetUtcNow() < lease.ExpiresAt)
                    {
                        // Renewal failed: rebinding takes over after T2; before it, renew again.
                    }
                    catch (TimeoutException)
                    {
                        Lease = null;
                        return DhcpMaintenanceEnd.Expired;
                    }
                }
                renewed?.Invoke(next);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return DhcpMaintenanceEnd.Stopped;
        }
        catch (IOException)
        {
            return DhcpMaintenanceEnd.LinkGone;
        }
    }

    private async Task<DhcpLease> RetryAsync(Func<CancellationToken, Task<DhcpLease>> attempt, string what, DateTimeOffset? until,
        CancellationToken cancellationToken)
    {
        TimeProvider clock = _options.TimeProvider;
        TimeSpan limit = _options.ResendTimeout;
        if (until is { } end && end - clock.GetUtcNow() < limit)
        {
            limit = end - clock.GetUtcNow() > TimeSpan.Zero ? end - clock.GetUtcNow() : TimeSpan.FromMilliseconds(1);
        }
        using var deadline = new ClockDeadline(clock, limit, cancellationToken);
        TimeSpan delay = s_firstDelay;
        int fast = FastRetries;
        string? failure = null;
        try
        {
            while (true)
            {
                try
                {
                    DhcpLease lease = await attempt(deadline.Token).ConfigureAwait(false);
                    Lease = lease;
                    return lease;
                }
                catch (DhcpAttemptException e)
                {
                    failure = e.Message;
                }
                TimeSpan pause;
                if (fast > 0)
                {
                    fast--;
                    pause = s_fastDelay + Jitter();
                }
                else
                {
                    pause = delay + Jitter();
                    if (delay < _options.ResendMax)
                    {
                        delay *= 2;
                    }
                }
                await Task.Delay(pause, clock, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"could not {what} within {limit.TotalSeconds:0.#} s: {failure ?? "no answer"}");
        }
    }

    private static TimeSpan Jitter() => TimeSpan.FromMilliseconds((int)(KernelRandom() % 2000) - 1000);

    private async Task<DhcpLease> ExchangeAsync(CancellationToken cancellationToken)
    {
        uint xid = NewTransactionId();
        long started = Environment.TickCount64;
        Send(DhcpMessageType.Discover, xid, 0, clientAddress: null, requested: null, server: null, IPAddress.Broadcast);
        (IPAddress offered, IPAddress? server) = await WaitAsync(xid, DhcpMessageType.Offer,
            static r => (r.YourAddress, r.TryGetOption(DhcpOptionCode.ServerIdentifier, out ReadOnlySpan<byte> s) && s.Length == 4 ? new IPAddress(s) : null), cancellationToken)
            .ConfigureAwait(false);
        ushort seconds = (ushort)Math.Min((Environment.TickCount64 - started) / 1000, ushort.MaxValue);
        Send(DhcpMessageType.Request, xid, seconds, clientAddress: null, offered, server, IPAddress.Broadcast);
        return await WaitForAckAsync(xid, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DhcpLease> RenewOnceAsync(DhcpLease lease, CancellationToken cancellationToken)
    {
        uint xid = NewTransactionId();
        Send(DhcpMessageType.Request, xid, 0, lease.Address, requested: null, server: null, lease.ServerIdentifier ?? IPAddress.Broadcast);
        return await WaitForAckAsync(xid, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DhcpLease> WaitForAckAsync(uint xid, CancellationToken cancellationToken)
    {
        TimeProvider clock = _options.TimeProvider;
        (DhcpLease? lease, string? refusal) = await WaitAsync(xid, DhcpMessageType.Ack, r => r.MessageType == DhcpMessageType.Nak
            ? ((DhcpLease?)null, r.TryGetOption(DhcpOptionCode.Message, out ReadOnlySpan<byte> m) ? System.Text.Encoding.ASCII.GetString(m) : "no reason given")
            : (DhcpLease.FromAck(r, clock.GetUtcNow()), null), cancellationToken).ConfigureAwait(false);
        return lease ?? throw new DhcpAttemptException($"the server refused (DHCPNAK: {refusal})");
    }

    private void Send(DhcpMessageType type, uint xid, ushort seconds, IPAddress? clientAddress, IPAddress? requested, IPAddress? server, IPAddress destination)
    {
        var writer = new DhcpMessageWriter(_buffer);
        writer.WriteHeader(type, xid, seconds, _options.Broadcast, clientAddress, _transport.HardwareAddress.Span);
        if (requested is not null)
        {
            writer.WriteOption(DhcpOptionCode.RequestedIPAddress, requested);
        }
        if (server is not null)
        {
            writer.WriteOption(DhcpOptionCode.ServerIdentifier, server);
        }
        WriteClientIdentifier(ref writer, extras: true);
        int length = writer.Complete();
        _transport.Send(_buffer.AsSpan(0, length), clientAddress ?? IPAddress.Any, destination);
    }

    /// <summary>The client identifier, and (for DISCOVER and REQUEST) the parameter request list and extra options.</summary>
    private void WriteClientIdentifier(ref DhcpMessageWriter writer, bool extras)
    {
        bool identifierGiven = false;
        bool listGiven = false;
        if (extras)
        {
            foreach (DhcpOptionValue option in _options.ExtraOptions)
            {
                writer.WriteOption(option.Code, option.Value.Span);
                identifierGiven |= option.Code == DhcpOptionCode.ClientIdentifier;
                listGiven |= option.Code == DhcpOptionCode.ParameterRequestList;
            }
        }
        if (!identifierGiven && !_options.ClientIdentifier.IsEmpty)
        {
            writer.WriteOption(DhcpOptionCode.ClientIdentifier, _options.ClientIdentifier.Span);
        }
        if (extras && !listGiven && _options.ParameterRequestList.Count > 0)
        {
            Span<byte> list = stackalloc byte[Math.Min(_options.ParameterRequestList.Count, 255)];
            for (int i = 0; i < list.Length; i++)
            {
                list[i] = _options.ParameterRequestList[i];
            }
            writer.WriteOption(DhcpOptionCode.ParameterRequestList, list);
        }
    }

    /// <summary>Waits up to the per-answer timeout for a reply to <paramref name="xid"/> of type <paramref name="expected"/> (or a NAK).</summary>
    private async Task<T> WaitAsync<T>(uint xid, DhcpMessageType expected, DhcpReplyReader<T> read, CancellationToken cancellationToken)
    {
        using var answer = new ClockDeadline(_options.TimeProvider, _options.Timeout, cancellationToken);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (true)
            {
                int length;
                try
                {
                    length = await _transport.ReceiveAsync(buffer, answer.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new DhcpAttemptException($"no DHCP{expected.ToString().ToUpperInvariant()} within {_options.Timeout.TotalSeconds:0.#} s");
                }
                if (DhcpMessageReader.TryRead(buffer.AsSpan(0, length), out DhcpMessageReader reply)
                    && reply.Operation == DhcpMessage.BootReply
                    && reply.TransactionId == xid
                    && reply.HardwareAddress.SequenceEqual(_transport.HardwareAddress.Span)
                    && (reply.MessageType == expected || (expected == DhcpMessageType.Ack && reply.MessageType == DhcpMessageType.Nak)))
                {
                    return read(reply);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static uint NewTransactionId() => KernelRandom();

    // The kernel's random numbers, not RandomNumberGenerator: on Linux that is OpenSSL's, loaded with dlopen, which a
    // statically linked plugin (CniNetStaticExecutable) cannot do safely — the daemon then died at random.
    private static unsafe uint KernelRandom()
    {
        uint value;
        while (Syscalls.getrandom(&value, sizeof(uint), 0) != sizeof(uint))
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new IOException($"getrandom failed: {Errno.Describe(errno)} (errno {errno})");
            }
        }
        return value;
    }

    private delegate T DhcpReplyReader<T>(DhcpMessageReader reply);

    /// <summary>
    /// A token cancelled with the caller's or after a delay on the client's clock: every wait of the client (T1, T2,
    /// resends, answer timeouts) runs on <see cref="DhcpClientOptions.TimeProvider"/>, so they keep their order on any clock.
    /// </summary>
    private sealed class ClockDeadline : IDisposable
    {
        private readonly CancellationTokenSource _source;
        private readonly ITimer _timer;

        public ClockDeadline(TimeProvider clock, TimeSpan delay, CancellationToken outer)
        {
            _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
            CancellationTokenSource source = _source;
            _timer = clock.CreateTimer(static s => Cancel((CancellationTokenSource)s!), source, delay, Timeout.InfiniteTimeSpan);
        }

        public CancellationToken Token => _source.Token;

        private static void Cancel(CancellationTokenSource source)
        {
            try
            {
                source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The wait ended just as the timer fired.
            }
        }

        public void Dispose()
        {
            _timer.Dispose();
            _source.Dispose();
        }
    }

    /// <summary>One exchange failed in a way the next attempt may not (no answer, a NAK).</summary>
    private sealed class DhcpAttemptException(string message) : Exception(message);
}
