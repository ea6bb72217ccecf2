using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Cni.Net.Interop;
using Cni.Net.Namespaces;

namespace Cni.Net.Netlink.Route;

public sealed partial class RouteNetlink
{
    /// <summary>
    /// Teardowns left running at most (64); beyond that a deletion waits for its own, as a plain one does. Settable for
    /// the tests of that path.
    /// </summary>
    internal static int MaxDeferredTeardowns { get; set; } = 64;

    private const int RtnlGroupLink = 1; // RTNLGRP_LINK
    private const int RequestBufferSize = 4096;
    private const string DeleteOperation = "delete link";
    private static int s_deferredTeardowns;

    /// <summary>
    /// Whether <see cref="TryDeleteLinkDeferringTeardown(int, out Task)"/> returns before the kernel's teardown of the
    /// link in this process: always in a long-lived process; in a plugin process (run by the plugin host, answering one
    /// request) when its executable links the package's detached process (NativeAOT with <c>CniNetFastStartup</c>, the
    /// default) and the node operator did not turn it off (<c>CNI_NET_DETACHED_CLEANUP=0</c>). Where false, it waits for
    /// the teardown as <see cref="TryDeleteLink(int)"/> does.
    /// </summary>
    public static bool DefersTeardown => !DetachedProcess.ProcessExitsAfterRequest || DetachedProcess.Usable;

    /// <summary>Teardowns started by <see cref="TryDeleteLinkDeferringTeardown(int, out Task)"/> still running.</summary>
    internal static int DeferredTeardowns => Volatile.Read(ref s_deferredTeardowns);

    /// <summary>
    /// Run once the listening socket is subscribed and before the request goes out, on the deleting thread: the tests'
    /// way to queue announcements the listening socket cannot hold, as a busy node's would.
    /// </summary>
    internal static Action? AfterSubscribing { get; set; }

    /// <summary>
    /// Deletes the link with index <paramref name="index"/> (a veth's peer goes with it) and returns as soon as the
    /// kernel has taken it out of its namespace — name and index free, addresses and routes gone, no longer a bridge
    /// port — instead of when the kernel has finished tearing it down. The deleting request waits for that teardown
    /// (an RCU barrier after the device is unlisted: about 20 ms, against half a millisecond for the rest), so it runs
    /// on a thread of its own and <paramref name="teardown"/> completes when it returns.
    /// </summary>
    /// <remarks>
    /// <para>A process that exits right after would wait for the kernel's teardown anyway — the kernel does not let it
    /// end while one of its threads is inside the request. So in a plugin process (one the plugin host runs, which
    /// answers one request and exits) the request goes out from a detached process of its own instead, which shares this
    /// one's memory, keeps only the socket, and ends when the kernel answers, after this process may have exited
    /// (<see cref="DefersTeardown"/>; the package links it into NativeAOT executables, <c>CniNetDetachedTeardown</c>).
    /// Where that is not linked in, a plugin process deletes the link as <see cref="TryDeleteLink(int)"/> does.</para>
    /// <para>The removal is the kernel's own announcement (RTM_DELLINK on RTNLGRP_LINK, sent once the link is
    /// unlisted), read from a socket subscribed before the request is sent. When the kernel refuses, the refusal is
    /// thrown here as <see cref="TryDeleteLink(int)"/> throws it. With 64 teardowns already running, when the listening
    /// socket cannot be set up, or when announcements are lost (the listening socket overflowed), this waits for the
    /// request like <see cref="TryDeleteLink(int)"/>.</para>
    /// </remarks>
    /// <param name="index">The link's index.</param>
    /// <param name="teardown">Completes when the kernel has finished the teardown (at once when nothing was deleted).</param>
    /// <returns><see langword="false"/> when no such link existed.</returns>
    /// <exception cref="NetlinkException">The kernel refused for another reason than absence.</exception>
    public bool TryDeleteLinkDeferringTeardown(int index, out Task teardown) => TryDeleteLinkDeferringTeardown(index, observe: true, out teardown);

    /// <summary>
    /// <see cref="TryDeleteLinkDeferringTeardown(int, out Task)"/> for a caller that does not follow the teardown: in a
    /// plugin process, no thread is started to wait for its end.
    /// </summary>
    /// <param name="index">The link's index.</param>
    /// <returns><see langword="false"/> when no such link existed.</returns>
    /// <exception cref="NetlinkException">The kernel refused for another reason than absence.</exception>
    public bool TryDeleteLinkDeferringTeardown(int index) => TryDeleteLinkDeferringTeardown(index, observe: false, out _);

    /// <summary>
    /// <see cref="TryDeleteLinkDeferringTeardown(int)"/> by name: one RTM_GETLINK for the index first.
    /// </summary>
    /// <param name="name">The link's name.</param>
    /// <returns><see langword="false"/> when no such link existed.</returns>
    /// <exception cref="NetlinkException">The kernel refused for another reason than absence.</exception>
    public bool TryDeleteLinkDeferringTeardown(string name) =>
        TryGetLink(name, out LinkInfo? link) && link is not null && TryDeleteLinkDeferringTeardown(link.Index, observe: false, out _);

    private bool TryDeleteLinkDeferringTeardown(int index, bool observe, out Task teardown) =>
        TryDeleteLinkDeferringTeardown(index, observe, detach: DetachedProcess.ProcessExitsAfterRequest, out teardown);

    /// <summary>
    /// The deferring deletion, the request sent from a detached process when <paramref name="detach"/> (a plugin
    /// process's way; the tests ask for it in theirs) and from a thread of this process otherwise.
    /// </summary>
    internal bool TryDeleteLinkDeferringTeardown(int index, bool observe, bool detach, out Task teardown)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        if (detach && !DetachedProcess.Usable)
        {
            teardown = Task.CompletedTask;
            return TryDeleteLink(index);
        }
        if (Interlocked.Increment(ref s_deferredTeardowns) > MaxDeferredTeardowns)
        {
            Interlocked.Decrement(ref s_deferredTeardowns);
            teardown = Task.CompletedTask;
            return TryDeleteLink(index);
        }
        DeferredLinkDeletion? deletion = null;
        try
        {
            deletion = DeferredLinkDeletion.TryStart(Socket, index, () => Interlocked.Decrement(ref s_deferredTeardowns), detach);
        }
        finally
        {
            if (deletion is null)
            {
                Interlocked.Decrement(ref s_deferredTeardowns);
            }
        }
        if (deletion is null)
        {
            teardown = Task.CompletedTask;
            return TryDeleteLink(index);
        }
        return deletion.WaitUnlisted(observe, out teardown);
    }

    /// <summary>
    /// <see cref="TryDeleteLinkDeferringTeardown(int, out Task)"/> by name: one RTM_GETLINK for the index first.
    /// </summary>
    /// <param name="name">The link's name.</param>
    /// <param name="teardown">Completes when the kernel has finished the teardown (at once when nothing was deleted).</param>
    /// <returns><see langword="false"/> when no such link existed.</returns>
    /// <exception cref="NetlinkException">The kernel refused for another reason than absence.</exception>
    public bool TryDeleteLinkDeferringTeardown(string name, out Task teardown)
    {
        if (!TryGetLink(name, out LinkInfo? link) || link is null)
        {
            teardown = Task.CompletedTask;
            return false;
        }
        return TryDeleteLinkDeferringTeardown(link.Index, out teardown);
    }

    /// <summary>
    /// One deletion: the listening socket and an eventfd on the caller's side, the request on a thread of its own that
    /// signals the eventfd when the kernel answers. The eventfd outlives whichever side lets go of it last.
    /// </summary>
    private sealed unsafe class DeferredLinkDeletion
    {
        private readonly NetlinkSocket _events;
        private readonly NetlinkSocket _request;
        private readonly SafeFdHandle _answered;
        private readonly int _index;
        private readonly Action _finished;
        private readonly TaskCompletionSource _teardown = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _deleted;
        private Exception? _failure;
        private DetachedRequest? _detached;
        private bool _watching;

        private DeferredLinkDeletion(NetlinkSocket events, NetlinkSocket request, SafeFdHandle answered, int index, Action finished)
        {
            _events = events;
            _request = request;
            _answered = answered;
            _index = index;
            _finished = finished;
        }

        /// <summary>
        /// Opens the sockets and the eventfd and starts the request's thread; null when any of it fails (the namespace
        /// cannot be entered, no eventfd, no subscription), and the deletion then waits as a plain one does.
        /// </summary>
        public static DeferredLinkDeletion? TryStart(NetlinkSocket beside, int index, Action finished, bool detach)
        {
            NetlinkSocket? events = null;
            NetlinkSocket? request = null;
            SafeFdHandle? answered = null;
            try
            {
                using (NetworkNamespace home = NetworkNamespace.OfSocket(beside.Handle))
                {
                    events = NetlinkSocket.Open(home);
                    // Held for the whole teardown, and only ever answered with an acknowledgement: small buffers.
                    request = home.RunOnCallingThread(() => new NetlinkSocket(NetlinkProtocol.Route, RequestBufferSize));
                }
                // Subscribed before the request goes out, so the announcement cannot be missed.
                events.JoinGroup(RtnlGroupLink);
                AfterSubscribing?.Invoke();
                int fd = Syscalls.eventfd(0, Syscalls.EFD_CLOEXEC);
                if (fd < 0)
                {
                    ThrowHelper.ThrowErrno("eventfd", Marshal.GetLastSystemError());
                }
                answered = new SafeFdHandle(fd);
                var deletion = new DeferredLinkDeletion(events, request, answered, index, finished);
                if (detach && deletion.TrySendDetached())
                {
                    return deletion;
                }
                bool added = false;
                answered.DangerousAddRef(ref added); // the request thread's hold, released when it has signalled
                var thread = new Thread(deletion.Delete) { IsBackground = true, Name = "link teardown" };
                thread.UnsafeStart();
                return deletion;
            }
            catch (Exception e) when (e is IOException or NetlinkException)
            {
                events?.Dispose();
                request?.Dispose();
                answered?.Dispose();
                return null;
            }
        }

        public bool WaitUnlisted(bool observe, out Task teardown)
        {
            try
            {
                teardown = _teardown.Task;
                if (WaitForAnnouncement())
                {
                    if (_detached is not null)
                    {
                        if (observe)
                        {
                            WatchDetached();
                        }
                        else
                        {
                            // Nobody follows the teardown: the detached process holds its own copy of the socket,
                            // and its memory stays until this process, which exits soon, is gone.
                            _request.Dispose();
                            _finished();
                        }
                    }
                    return true;
                }
                if (_detached is not null)
                {
                    CompleteDetached();
                }
                // The kernel answered first: a refusal, absence, or a deletion whose announcement was lost.
                if (Volatile.Read(ref _failure) is { } failure)
                {
                    _ = _teardown.Task.Exception; // thrown here; the task need not be observed as well
                    ExceptionDispatchInfo.Capture(failure).Throw();
                }
                return Volatile.Read(ref _deleted);
            }
            finally
            {
                _events.Dispose();
                if (!_watching)
                {
                    _answered.Dispose();
                }
            }
        }

        /// <summary>
        /// Sends the request from a detached process, so that this one, a plugin process, can exit before the kernel's
        /// teardown is over; false when it cannot (then a thread of this process sends it).
        /// </summary>
        private bool TrySendDetached()
        {
            var links = new RouteNetlink(_request, ownsSocket: false);
            NetlinkWriter w = links.BeginLinkRequest(RouteMessageType.DeleteLink, _index);
            var detached = new DetachedRequest();
            (int length, uint sequence) = _request.SealForElsewhere(ref w, DeleteOperation, detached.RequestSpan);
            if (length == 0)
            {
                detached.Free();
                return false;
            }
            detached.Sequence = sequence;
            DetachedProcess.Work* work = detached.Work;
            work->Keep[0] = (int)_request.Handle.DangerousGetHandle();
            work->Keep[1] = _answered.Fd;
            work->KeepCount = 2;
            work->RequestFd = work->Keep[0];
            work->RequestLength = (ulong)length;
            work->DoneFd = _answered.Fd;
            work->WaitFd = -1;
            if (!DetachedProcess.TryStart(work))
            {
                detached.Free();
                return false;
            }
            _detached = detached;
            return true;
        }

        /// <summary>The detached process has signalled: its answer decides as the request thread's would.</summary>
        private void CompleteDetached()
        {
            DetachedRequest detached = _detached!;
            try
            {
                long result = Volatile.Read(ref detached.Work->AnswerResult);
                if (result < 0)
                {
                    ThrowHelper.ThrowErrno(DeleteOperation, (int)-result);
                }
                int errno = _request.CompleteSentElsewhere(detached.AnswerSpan(result), detached.Sequence, DeleteOperation, GoneErrors);
                Volatile.Write(ref _deleted, errno == 0);
            }
            catch (Exception e) when (e is NetlinkException or NetlinkProtocolException or IOException)
            {
                Volatile.Write(ref _failure, e is NetlinkException n ? n.About(NetlinkSubject.Link(_index).ToString()) : e);
            }
            finally
            {
                detached.Free();
                _request.Dispose();
                Finish();
            }
        }

        /// <summary>
        /// The link left its namespace before the detached process's answer came: a thread waits for that answer, which
        /// ends the teardown task (this process may exit first; the detached one goes on).
        /// </summary>
        private void WatchDetached()
        {
            _watching = true;
            var thread = new Thread(() =>
            {
                try
                {
                    ProcessInterop.PollFd fd = default;
                    fd.fd = _answered.Fd;
                    fd.events = ProcessInterop.POLLIN;
                    while (ProcessInterop.poll(&fd, 1, -1) < 0 && Marshal.GetLastSystemError() == Errno.EINTR)
                    {
                    }
                    CompleteDetached();
                }
                finally
                {
                    _answered.Dispose();
                }
            })
            { IsBackground = true, Name = "link teardown" };
            thread.UnsafeStart();
        }

        /// <summary>Waits for the link's RTM_DELLINK or for the kernel's answer to the request, whichever comes first.</summary>
        /// <returns>True when the announcement came first.</returns>
        private bool WaitForAnnouncement()
        {
            bool listening = true;
            ProcessInterop.PollFd* fds = stackalloc ProcessInterop.PollFd[2];
            fds[0].fd = _answered.Fd;
            fds[0].events = ProcessInterop.POLLIN;
            fds[1].fd = (int)_events.Handle.DangerousGetHandle();
            fds[1].events = ProcessInterop.POLLIN;
            while (true)
            {
                fds[0].revents = 0;
                fds[1].revents = 0;
                if (ProcessInterop.poll(fds, listening ? 2ul : 1ul, -1) < 0)
                {
                    int errno = Marshal.GetLastSystemError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }
                    ThrowHelper.ThrowErrno("poll", errno);
                }
                if (fds[0].revents != 0)
                {
                    return false;
                }
                if (!listening || fds[1].revents == 0)
                {
                    continue;
                }
                try
                {
                    while (_events.TryReceivePending(out ReadOnlySpan<byte> datagram))
                    {
                        if (Announces(datagram, _index))
                        {
                            return true;
                        }
                    }
                }
                catch (Exception e) when (e is NetlinkException { Errno: Errno.ENOBUFS } or NetlinkProtocolException)
                {
                    // Announcements were dropped (ours perhaps among them), or one about another link did not fit the
                    // buffer: the kernel's answer to the request still comes.
                    listening = false;
                }
            }
        }

        private static bool Announces(ReadOnlySpan<byte> datagram, int index)
        {
            var reader = new NetlinkReader(datagram);
            while (reader.TryRead(out NetlinkMessage message))
            {
                // AF_UNSPEC: the device itself. The bridge announces a port leaving it as an AF_BRIDGE RTM_DELLINK,
                // which also happens without a deletion (nomaster).
                if (message.Type == (ushort)RouteMessageType.DeleteLink &&
                    message.Payload.Length >= 8 &&
                    message.Payload[0] == 0 &&
                    MemoryMarshal.Read<int>(message.Payload[4..]) == index)
                {
                    return true;
                }
            }
            return false;
        }

        private void Delete()
        {
            try
            {
                using var links = new RouteNetlink(_request, ownsSocket: true);
                Volatile.Write(ref _deleted, links.TryDeleteLink(_index));
            }
            catch (Exception e)
            {
                Volatile.Write(ref _failure, e);
            }
            finally
            {
                // The task is complete before the caller can wake, so a refusal it rethrows is the task's observed one.
                Finish();
                ulong one = 1;
                _ = ProcessInterop.write(_answered.Fd, (byte*)&one, sizeof(ulong));
                _answered.DangerousRelease();
            }
        }

        private void Finish()
        {
            _finished();
            if (_failure is null)
            {
                _teardown.SetResult();
            }
            else
            {
                _teardown.SetException(_failure);
            }
        }

        /// <summary>
        /// The native memory a detached process reads its request from and writes its answer to: freed once its answer
        /// is in, and never when this process exits first.
        /// </summary>
        private sealed class DetachedRequest
        {
            private const int RequestCapacity = 256;
            private const int AnswerCapacity = 8192;

            public DetachedRequest()
            {
                Work = (DetachedProcess.Work*)NativeMemory.AllocZeroed((nuint)sizeof(DetachedProcess.Work));
                Work->Request = NativeMemory.Alloc(RequestCapacity);
                Work->Answer = NativeMemory.Alloc(AnswerCapacity);
                Work->AnswerCapacity = AnswerCapacity;
            }

            public DetachedProcess.Work* Work { get; private set; }

            public uint Sequence { get; set; }

            public Span<byte> RequestSpan => new(Work->Request, RequestCapacity);

            public ReadOnlySpan<byte> AnswerSpan(long length) => new(Work->Answer, (int)Math.Min(length, AnswerCapacity));

            public void Free()
            {
                if (Work is null)
                {
                    return;
                }
                NativeMemory.Free(Work->Request);
                NativeMemory.Free(Work->Answer);
                NativeMemory.Free(Work);
                Work = null;
            }
        }
    }
}
