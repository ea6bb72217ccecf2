using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Cni.Net.Namespaces;
using Cni.Net.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Cni.Net.Netlink;

/// <summary>
/// An <c>AF_NETLINK</c> socket with a pinned send buffer and a pinned receive buffer that are reused for every
/// request, so that a request and its acknowledgement allocate nothing.
/// </summary>
/// <remarks>
/// <para>Requests carry sequence numbers that are never 0; replies are matched by sequence number and port id, and
/// anything else (a late reply to an abandoned request) is skipped. Extended acknowledgements (NETLINK_EXT_ACK),
/// strict dump checking (NETLINK_GET_STRICT_CHK) and capped acknowledgements (NETLINK_CAP_ACK) are switched on
/// where the kernel has them. Interrupted dumps (NLM_F_DUMP_INTR) are repeated up to five times.</para>
/// <para>Thread safety: a socket serves one request at a time and is not thread-safe; give each thread its own, or
/// serialise access. The writer returned by <see cref="BeginRequest"/> points into the socket's buffer and is valid
/// until the next request on the same socket.</para>
/// <para>The socket is bound to the network namespace of the thread that created it, for its whole life;
/// <see cref="Open(NetworkNamespace, NetlinkProtocol)"/> creates one inside another namespace.</para>
/// </remarks>
public sealed unsafe partial class NetlinkSocket : IDisposable
{
    /// <summary>Size of the send and receive buffers (64 KiB; the kernel's dump messages are at most 32 KiB).</summary>
    public const int BufferSize = 64 * 1024;

    internal const int MaxDumpAttempts = 5;

    private readonly SafeFdHandle _handle;
    // Not zeroed: every request writes all the bytes it sends (padding included) and replies are read only as far as
    // the kernel wrote them, so clearing 128 KiB would only touch pages a short-lived plugin never uses. Pooled: a
    // long-lived host opens sockets per pod.
    private readonly byte[] _send;
    private readonly byte[] _receive;
    private int _disposed;
    private uint _sequence;
    private uint _batchFirstSequence;
    private int _batchCount;

    /// <summary>Opens and binds a netlink socket in the calling thread's network namespace.</summary>
    /// <exception cref="NetlinkException">socket() or bind() failed.</exception>
    public NetlinkSocket(NetlinkProtocol protocol = NetlinkProtocol.Route)
        : this(protocol, BufferSize)
    {
    }

    /// <summary>
    /// A socket whose requests and replies fit in <paramref name="bufferSize"/> bytes each (acknowledged requests, no
    /// dumps): buffers of its own instead of pooled 64 KiB ones, for a socket held while the kernel works for long.
    /// </summary>
    internal NetlinkSocket(NetlinkProtocol protocol, int bufferSize)
    {
        Protocol = protocol;
        if (bufferSize == BufferSize)
        {
            _send = NetlinkBufferPool.Rent();
            _receive = NetlinkBufferPool.Rent();
        }
        else
        {
            _send = new byte[bufferSize];
            _receive = new byte[bufferSize];
        }
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, (int)protocol);
        if (fd < 0)
        {
            ThrowHelper.ThrowErrno("socket(AF_NETLINK)", Marshal.GetLastSystemError());
        }
        _handle = new SafeFdHandle(fd);
        try
        {
            int one = 1;
            // Capped acks keep the receive buffer small; extended acks carry the kernel's reason text.
            SetOption(Syscalls.NETLINK_CAP_ACK, one);
            ExtendedAck = SetOption(Syscalls.NETLINK_EXT_ACK, one);
            StrictChecking = SetOption(Syscalls.NETLINK_GET_STRICT_CHK, one);
            int kernelBufferSize = 1024 * 1024;
            // Room for the acknowledgements of a pipelined batch; SO_RCVBUFFORCE needs CAP_NET_ADMIN, the plain
            // option is capped by net.core.rmem_max and is the fallback.
            if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kernelBufferSize, sizeof(int)) != 0)
            {
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kernelBufferSize, sizeof(int));
            }

            Syscalls.sockaddr_nl address = default;
            address.nl_family = (ushort)AF_NETLINK;
            if (bind(fd, (sockaddr*)&address, (uint)sizeof(Syscalls.sockaddr_nl)) != 0)
            {
                ThrowHelper.ThrowErrno("bind(AF_NETLINK)", Marshal.GetLastSystemError());
            }
            socklen_t length = (uint)sizeof(Syscalls.sockaddr_nl);
            if (getsockname(fd, (sockaddr*)&address, &length) != 0)
            {
                ThrowHelper.ThrowErrno("getsockname(AF_NETLINK)", Marshal.GetLastSystemError());
            }
            PortId = address.nl_pid;
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
        _sequence = (uint)Environment.TickCount64 & 0xffffff;
    }

    /// <summary>Opens a netlink socket inside <paramref name="networkNamespace"/> (it stays bound to it).</summary>
    /// <exception cref="NetlinkException">socket() or bind() failed.</exception>
    public static NetlinkSocket Open(NetworkNamespace networkNamespace, NetlinkProtocol protocol = NetlinkProtocol.Route)
    {
        ArgumentNullException.ThrowIfNull(networkNamespace);
        return networkNamespace.RunOnCallingThread(() => new NetlinkSocket(protocol));
    }

    /// <summary>The protocol given at creation.</summary>
    public NetlinkProtocol Protocol { get; }

    /// <summary>The port id the kernel assigned at bind (nl_pid).</summary>
    public uint PortId { get; }

    /// <summary>Whether the kernel accepted NETLINK_EXT_ACK (errors then carry its message text).</summary>
    public bool ExtendedAck { get; }

    /// <summary>Whether the kernel accepted NETLINK_GET_STRICT_CHK (dump requests are validated and filtered).</summary>
    public bool StrictChecking { get; }

    /// <summary>The socket's file descriptor.</summary>
    public SafeHandle Handle => _handle;

    /// <summary>
    /// Starts a request in the socket's send buffer: a message header with the next sequence number and
    /// <see cref="NetlinkMessageFlags.Request"/>. Write the family header and attributes, then pass the writer to
    /// <see cref="Execute"/>, <see cref="TryExecute"/>, <see cref="Request{THandler}"/> or <see cref="Dump{T}"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public NetlinkWriter BeginRequest(ushort type, NetlinkMessageFlags flags)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var writer = new NetlinkWriter(_send);
        writer.BeginMessage(type, flags, NextSequence(), PortId);
        _batchCount = 0;
        return writer;
    }

    /// <summary>
    /// Starts a batch: several requests written back to back and sent with one <c>sendto</c>
    /// (<see cref="AppendRequest"/>, then <see cref="ExecuteBatch"/>).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed.</exception>
    public NetlinkWriter BeginBatch()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        _batchCount = 0;
        return new NetlinkWriter(_send);
    }

    /// <summary>
    /// Ends the batch's open request, if any, and starts the next one (with <see cref="NetlinkMessageFlags.Ack"/>).
    /// Returns <see langword="false"/>, writing nothing, when fewer than <paramref name="reserve"/> bytes remain or the
    /// batch already holds <see cref="MaxBatchRequests"/> requests: execute the batch and start another.
    /// </summary>
    public bool AppendRequest(ref NetlinkWriter batch, ushort type, NetlinkMessageFlags flags, int reserve = 512)
    {
        if (batch.HasOpenMessage)
        {
            batch.EndMessage(new MessageScope(batch.OpenMessageOffset));
        }
        if (batch.BytesRemaining < reserve || _batchCount >= MaxBatchRequests)
        {
            return false;
        }
        uint sequence = NextSequence();
        if (_batchCount == 0)
        {
            _batchFirstSequence = sequence;
        }
        else if (sequence != _batchFirstSequence + (uint)_batchCount)
        {
            // The sequence wrapped past 0 inside the batch; a batch must be consecutive.
            return false;
        }
        batch.BeginMessage(type, flags | NetlinkMessageFlags.Ack, sequence, PortId);
        _batchCount++;
        return true;
    }

    /// <summary>
    /// Most requests per batch: their acknowledgements must fit the socket's receive buffer, or the kernel drops them.
    /// </summary>
    public const int MaxBatchRequests = 256;

    /// <summary>Number of requests in the current batch.</summary>
    public int BatchCount => _batchCount;

    /// <summary>Sends the request and waits for its acknowledgement.</summary>
    /// <param name="request">The writer from <see cref="BeginRequest"/>.</param>
    /// <param name="operation">What the request does, for the exception (for example <c>add link</c>).</param>
    /// <exception cref="NetlinkException">The kernel refused the request.</exception>
    /// <exception cref="NetlinkProtocolException">The reply is malformed.</exception>
    public void Execute(ref NetlinkWriter request, string operation) => TryExecute(ref request, operation, default);

    /// <summary>
    /// Sends the request and waits for its acknowledgement; an error listed in <paramref name="toleratedErrors"/>
    /// (for example EEXIST for an idempotent add) is returned instead of thrown.
    /// </summary>
    /// <returns>0 on success, or the tolerated errno.</returns>
    /// <exception cref="NetlinkException">The kernel refused the request with an error not tolerated.</exception>
    /// <exception cref="NetlinkProtocolException">The reply is malformed.</exception>
    public int TryExecute(ref NetlinkWriter request, string operation, ReadOnlySpan<int> toleratedErrors)
    {
        var ignore = default(DiscardingHandler);
        return Transact(ref request, operation, toleratedErrors, ref ignore, NetlinkMessageFlags.Ack);
    }

    /// <summary>
    /// Sends a GET request (a dump when it has <see cref="NetlinkMessageFlags.Dump"/>) and hands every reply message to
    /// <paramref name="handler"/>. Interrupted dumps are repeated (the handler is told to restart) up to five times.
    /// </summary>
    /// <exception cref="NetlinkException">The kernel refused the request, or the dump stayed interrupted (EINTR).</exception>
    /// <exception cref="NetlinkProtocolException">The reply is malformed.</exception>
    public void Request<THandler>(ref NetlinkWriter request, string operation, ref THandler handler)
        where THandler : INetlinkReplyHandler, allows ref struct
    {
        // A plain GET is answered by one message and, with NLM_F_ACK, an acknowledgement that ends the reply;
        // a dump ends with NLMSG_DONE instead.
        Transact(ref request, operation, default, ref handler, NetlinkMessageFlags.Ack);
    }

    /// <summary>
    /// <see cref="Request{THandler}"/> that returns an error listed in <paramref name="toleratedErrors"/> (ENODEV for
    /// a lookup of what may not exist) instead of throwing it: a thrown exception costs more than the request.
    /// </summary>
    /// <returns>0 on success, or the tolerated errno.</returns>
    internal int TryRequest<THandler>(ref NetlinkWriter request, string operation, ReadOnlySpan<int> toleratedErrors, ref THandler handler)
        where THandler : INetlinkReplyHandler, allows ref struct =>
        Transact(ref request, operation, toleratedErrors, ref handler, NetlinkMessageFlags.Ack);

    /// <summary><see cref="Dump{T}"/> with tolerated errors (see <see cref="TryRequest{THandler}"/>).</summary>
    /// <returns>The items, empty when a tolerated error ended the request (then in <paramref name="errno"/>).</returns>
    internal List<T> TryDump<T>(ref NetlinkWriter request, string operation, NetlinkMessageDecoder<T> decode,
        ReadOnlySpan<int> toleratedErrors, out int errno)
    {
        ArgumentNullException.ThrowIfNull(decode);
        var handler = new ListHandler<T>(decode);
        errno = TryRequest(ref request, operation, toleratedErrors, ref handler);
        return handler.Items;
    }

    /// <summary>
    /// Sends a GET/dump request and collects the items <paramref name="decode"/> makes of the reply messages.
    /// </summary>
    /// <exception cref="NetlinkException">The kernel refused the request, or the dump stayed interrupted (EINTR).</exception>
    /// <exception cref="NetlinkProtocolException">The reply is malformed.</exception>
    public List<T> Dump<T>(ref NetlinkWriter request, string operation, NetlinkMessageDecoder<T> decode)
    {
        ArgumentNullException.ThrowIfNull(decode);
        var handler = new ListHandler<T>(decode);
        Request(ref request, operation, ref handler);
        return handler.Items;
    }

    /// <summary>
    /// Sends every request of the batch with one <c>sendto</c>, then reads all acknowledgements. Errors in
    /// <paramref name="toleratedErrors"/> are counted; the first other error is thrown after all acknowledgements
    /// were read (the kernel goes on with the requests after a failed one).
    /// </summary>
    /// <returns>How many requests ended with a tolerated error.</returns>
    /// <exception cref="NetlinkException">A request failed with an error not tolerated.</exception>
    /// <exception cref="NetlinkProtocolException">A reply is malformed.</exception>
    public int ExecuteBatch(ref NetlinkWriter batch, string operation, ReadOnlySpan<int> toleratedErrors)
    {
        var ignore = default(DiscardingHandler);
        return RequestBatch(ref batch, operation, toleratedErrors, ref ignore);
    }

    /// <summary>
    /// <see cref="ExecuteBatch"/> for GET requests (not dumps): every reply message to a request of the batch is handed
    /// to <paramref name="handler"/>, in the order the kernel answered (the order of the requests), and each request
    /// ends with its acknowledgement. One <c>sendto</c> for all of them instead of one round trip each.
    /// </summary>
    /// <returns>How many requests ended with a tolerated error.</returns>
    /// <exception cref="NetlinkException">A request failed with an error not tolerated (thrown after all were answered).</exception>
    /// <exception cref="NetlinkProtocolException">A reply is malformed.</exception>
    internal int RequestBatch<THandler>(ref NetlinkWriter batch, string operation, ReadOnlySpan<int> toleratedErrors, ref THandler handler)
        where THandler : INetlinkReplyHandler, allows ref struct
    {
        if (batch.HasOpenMessage)
        {
            batch.EndMessage(new MessageScope(batch.OpenMessageOffset));
        }
        int count = _batchCount;
        if (count == 0)
        {
            return 0;
        }
        Send(batch.WrittenSpan);
        var state = new BatchState(_batchFirstSequence, count);
        NetlinkException? first = null;
        int tolerated = 0;
        while (state.Pending > 0)
        {
            int length = Receive();
            var reader = new NetlinkReader(new ReadOnlySpan<byte>(_receive, 0, length));
            while (reader.TryRead(out NetlinkMessage message))
            {
                if (message.PortId != PortId || !state.Owns(message.Sequence))
                {
                    continue;
                }
                if (!message.IsError)
                {
                    if (message.Type >= NetlinkLayout.NLMSG_MIN_TYPE)
                    {
                        handler.OnMessage(message);
                    }
                    continue;
                }
                NetlinkError error = message.ReadError();
                if (!state.Complete(message.Sequence))
                {
                    continue;
                }
                if (error.Errno == 0)
                {
                    continue;
                }
                if (toleratedErrors.Contains(error.Errno))
                {
                    tolerated++;
                }
                else
                {
                    first ??= error.ToException(operation);
                }
            }
            CheckFullyConsumed(ref reader);
        }
        _batchCount = 0;
        batch.Reset();
        if (first is not null)
        {
            throw first;
        }
        return tolerated;
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _handle.Dispose();
        // Every use checks the handle first, so nothing reads or writes these after this point.
        if (_send.Length == BufferSize)
        {
            NetlinkBufferPool.Return(_send);
            NetlinkBufferPool.Return(_receive);
        }
    }

    /// <summary>
    /// <see cref="Request{THandler}"/> of a dump that stops reading once <paramref name="handler"/> is satisfied: the
    /// kernel makes each further part of a dump only when the previous one was read, so a search that ends early
    /// leaves the rest of the dump unmade (a chain of a thousand rules is not encoded to find its first).
    /// </summary>
    /// <returns>
    /// True when the reply was read to its end; false when it was left unfinished, after which the socket must be
    /// disposed (its next receive would go on with the dump).
    /// </returns>
    /// <exception cref="NetlinkException">The kernel refused the request, or the dump stayed interrupted (EINTR).</exception>
    /// <exception cref="NetlinkProtocolException">The reply is malformed.</exception>
    internal bool RequestUntilSatisfied<THandler>(ref NetlinkWriter request, string operation, ref THandler handler)
        where THandler : ISatisfiableReplyHandler, allows ref struct
    {
        ReadOnlySpan<byte> bytes = Seal(ref request, operation, NetlinkMessageFlags.Ack);
        for (int attempt = 1; ; attempt++)
        {
            var state = new ReplyState(MemoryMarshal.Read<uint>(bytes[8..]), PortId);
            Send(bytes);
            while (!state.Done)
            {
                int length = Receive();
                ProcessDatagram(new ReadOnlySpan<byte>(_receive, 0, length), ref state, ref handler, operation, default);
                if (!state.Done && handler.Satisfied)
                {
                    // What was found was in the kernel's table when this part was made, interrupted dump or not.
                    request.Reset();
                    return false;
                }
            }
            if (!RepeatInterrupted(ref request, ref state, attempt, operation))
            {
                return true;
            }
            handler.OnRestart();
        }
    }

    /// <summary>
    /// Reads and drops the rest of a dump that <see cref="RequestUntilSatisfied{THandler}"/> left unfinished, up to its
    /// end (NLMSG_DONE, or an error in its place), after which the socket serves requests again. Never blocks: the
    /// kernel queues each part of a dump before the read of the previous one returns, so nothing queued means no dump.
    /// </summary>
    /// <returns>True when the dump's end was read; false when nothing was queued before it.</returns>
    /// <exception cref="NetlinkProtocolException">The rest is malformed.</exception>
    internal bool FinishDump()
    {
        while (true)
        {
            if (!TryReceive(MSG_TRUNC | MSG_DONTWAIT, out int length))
            {
                return false;
            }
            var reader = new NetlinkReader(new ReadOnlySpan<byte>(_receive, 0, length));
            while (reader.TryRead(out NetlinkMessage message))
            {
                if (message.PortId == PortId && message.Type is NetlinkLayout.NLMSG_DONE or NetlinkLayout.NLMSG_ERROR)
                {
                    return true;
                }
            }
            CheckFullyConsumed(ref reader);
        }
    }

    private int Transact<THandler>(ref NetlinkWriter request, string operation, ReadOnlySpan<int> toleratedErrors,
        ref THandler handler, NetlinkMessageFlags addFlags)
        where THandler : INetlinkReplyHandler, allows ref struct
    {
        ReadOnlySpan<byte> bytes = Seal(ref request, operation, addFlags);
        for (int attempt = 1; ; attempt++)
        {
            var state = new ReplyState(MemoryMarshal.Read<uint>(bytes[8..]), PortId);
            Send(bytes);
            while (!state.Done)
            {
                int length = Receive();
                ProcessDatagram(new ReadOnlySpan<byte>(_receive, 0, length), ref state, ref handler, operation, toleratedErrors);
            }
            if (!RepeatInterrupted(ref request, ref state, attempt, operation))
            {
                return state.Errno;
            }
            handler.OnRestart();
        }
    }

    /// <summary>
    /// Ends the request begun by <see cref="BeginRequest"/> (with <see cref="NetlinkMessageFlags.Ack"/>) and copies it
    /// to <paramref name="destination"/>, for a request another process sends on this socket (a detached one, see
    /// <see cref="Interop.DetachedProcess"/>); <see cref="CompleteSentElsewhere"/> reads the answer. The writer is reset.
    /// </summary>
    /// <returns>The request's length and sequence number; length 0 when it does not fit.</returns>
    internal (int Length, uint Sequence) SealForElsewhere(ref NetlinkWriter request, string operation, Span<byte> destination)
    {
        ReadOnlySpan<byte> bytes = Seal(ref request, operation, NetlinkMessageFlags.Ack);
        uint sequence = MemoryMarshal.Read<uint>(bytes[8..]);
        int length = bytes.TryCopyTo(destination) ? bytes.Length : 0;
        request.Reset();
        return (length, sequence);
    }

    /// <summary>
    /// The outcome of a request of <see cref="SealForElsewhere"/> from the kernel's answer, read by the process that
    /// sent it, as <see cref="TryExecute"/> gives it.
    /// </summary>
    /// <returns>0 on success, or the tolerated errno.</returns>
    /// <exception cref="NetlinkException">The kernel refused the request with an error not tolerated.</exception>
    /// <exception cref="NetlinkProtocolException">The answer is malformed or does not end the request.</exception>
    internal int CompleteSentElsewhere(ReadOnlySpan<byte> answer, uint sequence, string operation, ReadOnlySpan<int> toleratedErrors)
    {
        var state = new ReplyState(sequence, PortId);
        var ignore = default(DiscardingHandler);
        ProcessDatagram(answer, ref state, ref ignore, operation, toleratedErrors);
        if (!state.Done)
        {
            ThrowHelper.ThrowProtocol($"{operation}: the answer did not end the request");
        }
        return state.Errno;
    }

    /// <summary>Ends the request begun by <see cref="BeginRequest"/> with <paramref name="addFlags"/> added.</summary>
    private ReadOnlySpan<byte> Seal(ref NetlinkWriter request, string operation, NetlinkMessageFlags addFlags)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (!request.HasOpenMessage || request.OpenMessageOffset != 0 || _batchCount != 0)
        {
            ThrowHelper.ThrowInvalidOperation("the writer does not hold a request begun by BeginRequest on this socket");
        }
        Span<byte> buffer = request.Buffer;
        if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(buffer), ref _send[0]))
        {
            ThrowHelper.ThrowInvalidOperation("the writer does not belong to this socket");
        }
        request.EndMessage(new MessageScope(0));
        ushort flags = MemoryMarshal.Read<ushort>(buffer[6..]);
        flags |= (ushort)addFlags;
        MemoryMarshal.Write(buffer[6..], in flags);
        return request.WrittenSpan;
    }

    /// <summary>
    /// After a reply was read: false when it is final (the request is reset); true when the dump was interrupted and
    /// is to be sent again under a new sequence number.
    /// </summary>
    private bool RepeatInterrupted(ref NetlinkWriter request, ref ReplyState state, int attempt, string operation)
    {
        if (!state.Interrupted || state.Errno != 0)
        {
            request.Reset();
            return false;
        }
        if (attempt == MaxDumpAttempts)
        {
            request.Reset();
            throw new NetlinkException(operation, Errno.EINTR,
                $"dump was interrupted by concurrent changes {MaxDumpAttempts} times in a row");
        }
        uint next = NextSequence();
        MemoryMarshal.Write(request.Buffer[8..], in next);
        return true;
    }

    /// <summary>
    /// Consumes one datagram of the reply to <see cref="ReplyState.Sequence"/>. Separate from the socket so that the
    /// fuzz tests can feed it arbitrary bytes: anything malformed throws <see cref="NetlinkProtocolException"/>.
    /// </summary>
    internal static void ProcessDatagram<THandler>(ReadOnlySpan<byte> datagram, ref ReplyState state, ref THandler handler,
        string operation, ReadOnlySpan<int> toleratedErrors)
        where THandler : INetlinkReplyHandler, allows ref struct
    {
        var reader = new NetlinkReader(datagram);
        while (!state.Done && reader.TryRead(out NetlinkMessage message))
        {
            if (message.Sequence != state.Sequence || message.PortId != state.PortId)
            {
                continue; // a stale reply to an earlier request
            }
            if ((message.Flags & NetlinkMessageFlags.DumpInterrupted) != 0)
            {
                state.Interrupted = true;
            }
            switch (message.Type)
            {
                case NetlinkLayout.NLMSG_NOOP:
                    continue;
                case NetlinkLayout.NLMSG_OVERRUN:
                    ThrowHelper.ThrowProtocol("NLMSG_OVERRUN: the kernel lost part of the reply");
                    break;
                case NetlinkLayout.NLMSG_DONE:
                    state.Done = true;
                    // A dump that failed reports its error (and extended ack) in NLMSG_DONE's payload.
                    NetlinkError doneError = NetlinkError.ParseDone(message);
                    if (doneError.Errno != 0)
                    {
                        if (doneError.Errno == Errno.EINTR && state.Interrupted)
                        {
                            break;
                        }
                        if (!toleratedErrors.Contains(doneError.Errno))
                        {
                            throw doneError.ToException(operation);
                        }
                        state.Errno = doneError.Errno;
                    }
                    break;
                case NetlinkLayout.NLMSG_ERROR:
                    state.Done = true;
                    NetlinkError nlerr = message.ReadError();
                    if (nlerr.Errno != 0)
                    {
                        if (!toleratedErrors.Contains(nlerr.Errno))
                        {
                            throw nlerr.ToException(operation);
                        }
                        state.Errno = nlerr.Errno;
                    }
                    break;
                default:
                    handler.OnMessage(message);
                    break;
            }
        }
        if (!state.Done)
        {
            CheckFullyConsumed(ref reader);
        }
    }

    private static void CheckFullyConsumed(ref NetlinkReader reader)
    {
        if (reader.BytesRemaining != 0)
        {
            ThrowHelper.ThrowProtocol($"{reader.BytesRemaining} bytes at the end of the datagram do not form a message");
        }
    }

    private uint NextSequence()
    {
        uint next = unchecked(++_sequence);
        if (next == 0)
        {
            next = _sequence = 1;
        }
        return next;
    }

    /// <summary>Subscribes the socket to a multicast group (NETLINK_ADD_MEMBERSHIP), for a socket that only listens.</summary>
    /// <exception cref="NetlinkException">The kernel refused (no such group for the protocol).</exception>
    internal void JoinGroup(int group)
    {
        if (!SetOption(Syscalls.NETLINK_ADD_MEMBERSHIP, group))
        {
            ThrowHelper.ThrowErrno("setsockopt(NETLINK_ADD_MEMBERSHIP)", Marshal.GetLastSystemError());
        }
    }

    private bool SetOption(int option, int value)
    {
        return setsockopt(_handle.Fd, Syscalls.SOL_NETLINK, option, &value, sizeof(int)) == 0;
    }

    private void Send(ReadOnlySpan<byte> bytes)
    {
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            Syscalls.sockaddr_nl kernel = default;
            kernel.nl_family = (ushort)AF_NETLINK;
            fixed (byte* p = bytes)
            {
                while (true)
                {
                    ssize_t sent = sendto(_handle.Fd, p, (size_t)bytes.Length, 0, (sockaddr*)&kernel,
                        (uint)sizeof(Syscalls.sockaddr_nl));
                    if ((long)sent >= 0)
                    {
                        if ((long)sent != bytes.Length)
                        {
                            ThrowHelper.ThrowErrno("sendto(AF_NETLINK)", Errno.EMSGSIZE);
                        }
                        return;
                    }
                    int errno = Marshal.GetLastSystemError();
                    if (errno != Errno.EINTR)
                    {
                        ThrowHelper.ThrowErrno("sendto(AF_NETLINK)", errno);
                    }
                }
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    // Waits for the next datagram; its bytes are in _receive until the next receive.
    private int Receive()
    {
        if (!TryReceive(MSG_TRUNC, out int length))
        {
            // Only a non-blocking receive can find nothing queued; the socket has no receive timeout.
            ThrowHelper.ThrowErrno("recv(AF_NETLINK)", Errno.EAGAIN);
        }
        return length;
    }

    /// <summary>
    /// The one receive loop: reads a datagram into the receive buffer, retrying on EINTR. MSG_TRUNC (always in
    /// <paramref name="flags"/>) makes recv return the datagram's real length, so truncation is detected.
    /// </summary>
    /// <returns>False when <paramref name="flags"/> has MSG_DONTWAIT and nothing is queued (EAGAIN).</returns>
    private bool TryReceive(int flags, out int length)
    {
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            fixed (byte* p = _receive)
            {
                while (true)
                {
                    long n = (long)recv(_handle.Fd, p, (size_t)_receive.Length, flags);
                    if (n >= 0)
                    {
                        if (n > _receive.Length)
                        {
                            ThrowHelper.ThrowProtocol($"netlink reply of {n} bytes was truncated to the {_receive.Length}-byte receive buffer");
                        }
                        length = (int)n;
                        return true;
                    }
                    int errno = Marshal.GetLastSystemError();
                    if (errno == Errno.EAGAIN)
                    {
                        length = 0;
                        return false;
                    }
                    if (errno != Errno.EINTR)
                    {
                        ThrowHelper.ThrowErrno("recv(AF_NETLINK)", errno);
                    }
                }
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    internal struct ReplyState
    {
        public ReplyState(uint sequence, uint portId)
        {
            Sequence = sequence;
            PortId = portId;
        }

        public uint Sequence { get; }

        public uint PortId { get; }

        public bool Done { get; set; }

        public bool Interrupted { get; set; }

        public int Errno { get; set; }
    }

    private struct BatchState
    {
        private readonly uint _first;
        private readonly int _count;
        private ulong _seen0;
        private ulong _seen1;
        private ulong _seen2;
        private ulong _seen3;

        public BatchState(uint first, int count)
        {
            _first = first;
            _count = count;
            Pending = count;
        }

        public int Pending { get; private set; }

        public readonly bool Owns(uint sequence) => unchecked(sequence - _first) < (uint)_count;

        public bool Complete(uint sequence)
        {
            int i = (int)unchecked(sequence - _first);
            ulong bit = 1UL << (i & 63);
            switch (i >> 6)
            {
                case 0:
                    if ((_seen0 & bit) != 0) { return false; }
                    _seen0 |= bit;
                    break;
                case 1:
                    if ((_seen1 & bit) != 0) { return false; }
                    _seen1 |= bit;
                    break;
                case 2:
                    if ((_seen2 & bit) != 0) { return false; }
                    _seen2 |= bit;
                    break;
                default:
                    if ((_seen3 & bit) != 0) { return false; }
                    _seen3 |= bit;
                    break;
            }
            Pending--;
            return true;
        }
    }

    internal struct DiscardingHandler : INetlinkReplyHandler
    {
        public readonly void OnMessage(NetlinkMessage message)
        {
        }

        public readonly void OnRestart()
        {
        }
    }

    private sealed class ListHandler<T> : INetlinkReplyHandler
    {
        private readonly NetlinkMessageDecoder<T> _decode;

        public ListHandler(NetlinkMessageDecoder<T> decode) => _decode = decode;

        public List<T> Items { get; } = [];

        public void OnMessage(NetlinkMessage message)
        {
            if (_decode(message, out T item))
            {
                Items.Add(item);
            }
        }

        public void OnRestart() => Items.Clear();
    }
}
