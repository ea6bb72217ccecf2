using System.Runtime.InteropServices;

namespace Cni.Net.Interop;

/// <summary>
/// The kernel's clean-up that a plugin process leaves to a process of its own instead of waiting for it before it can
/// exit (<c>cni-net-detached.c</c>, linked into NativeAOT executables by <c>Cni.Net.Detached.targets</c>): a link
/// deletion, whose request returns only after the device's teardown, and the release of sockets whose last close
/// waits for the kernel (NETLINK_NETFILTER after rules were deleted).
/// </summary>
/// <remarks>
/// The detached process shares this one's memory but not its descriptors: it closes all but the ones it is given at
/// once, so the caller of the plugin sees the end of its output when the plugin exits. Nobody waits for it; its parent
/// exits soon after and the kernel reparents it to init (or the nearest subreaper), which reaps it. Used only where
/// <see cref="ProcessExitsAfterRequest"/> says the process answers one request and exits: a long-lived process would
/// collect zombies.
/// </remarks>
internal static unsafe partial class DetachedProcess
{
    /// <summary>Most descriptors a detached process keeps.</summary>
    public const int MaxKept = 8;

    // Its stack: the detached code uses a few hundred bytes; 64 KiB of address space, touched one page at a time.
    private const ulong StackSize = 64 * 1024;

    private static bool s_processExitsAfterRequest;
    private static bool s_optedOut;
    private static int s_available; // 0 not probed, 1 linked in, -1 not

    /// <summary>
    /// Whether this process answers one request and exits (set by the plugin host in a plugin process), so that work
    /// may outlive it.
    /// </summary>
    public static bool ProcessExitsAfterRequest
    {
        get => Volatile.Read(ref s_processExitsAfterRequest);
        set => Volatile.Write(ref s_processExitsAfterRequest, value);
    }

    /// <summary>Whether the node operator turned detaching off (<c>CNI_NET_DETACHED_CLEANUP=0</c>, read by the plugin host).</summary>
    public static bool OptedOut
    {
        get => Volatile.Read(ref s_optedOut);
        set => Volatile.Write(ref s_optedOut, value);
    }

    /// <summary>Whether detached processes can be started here: the native part linked in, and not opted out.</summary>
    public static bool Usable => !OptedOut && IsLinkedIn;

    /// <summary>Whether this process leaves work to detached processes: <see cref="ProcessExitsAfterRequest"/> and <see cref="Usable"/>.</summary>
    public static bool CanDetach => ProcessExitsAfterRequest && Usable;

    /// <summary>
    /// Whether the native part is there: linked into a NativeAOT executable, or (the tests) a <c>libcni-net-native.so</c>
    /// beside the assembly.
    /// </summary>
    public static bool IsLinkedIn
    {
        get
        {
            int state = Volatile.Read(ref s_available);
            if (state == 0)
            {
                try
                {
                    // Refused (EINVAL) without starting anything; only tells whether the function is there.
                    _ = StartNative(null, 0);
                    state = 1;
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
                {
                    state = -1;
                }
                Volatile.Write(ref s_available, state);
            }
            return state > 0;
        }
    }

    /// <summary>Told the pid of every detached process started (the tests reap theirs with it).</summary>
    internal static Action<int>? Started { get; set; }

    /// <summary>What the detached process is given (the layout of <c>struct cni_net_detached_work</c>).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Work
    {
        /// <summary>The descriptors it keeps; every other one it closes at once.</summary>
        public fixed int Keep[MaxKept];
        public int KeepCount;
        /// <summary>A netlink socket to send <see cref="Request"/> on and read one answer from, or -1.</summary>
        public int RequestFd;
        public void* Request;
        public ulong RequestLength;
        public void* Answer;
        public ulong AnswerCapacity;
        /// <summary>The answer's length, or -errno; written before <see cref="DoneFd"/> is signalled.</summary>
        public long AnswerResult;
        /// <summary>An eventfd signalled once the answer is in, or -1.</summary>
        public int DoneFd;
        /// <summary>Read to its end before the process exits (this process holds the writing end), or -1.</summary>
        public int WaitFd;
        /// <summary>
        /// With <see cref="KeepCount"/> -1 (the NETLINK_NETFILTER sockets kept, every other descriptor closed at once):
        /// the other end of <see cref="WaitFd"/>'s pipe.
        /// </summary>
        public int DropFd;
    }

    [LibraryImport("cni-net-native", EntryPoint = "cni_net_start_detached")]
    private static partial long StartNative(Work* work, ulong stackSize);

    /// <summary>
    /// Starts a detached process on <paramref name="work"/>, which must stay valid until it has read it (for a request,
    /// until <see cref="Work.DoneFd"/> is signalled; otherwise for this process's life).
    /// </summary>
    /// <returns>False when nothing was started (not <see cref="Usable"/>, or the kernel refused).</returns>
    public static bool TryStart(Work* work)
    {
        if (!Usable)
        {
            return false;
        }
        long pid = StartNative(work, StackSize);
        if (pid <= 0)
        {
            return false;
        }
        Started?.Invoke((int)pid);
        return true;
    }

    /// <summary>
    /// Leaves the last close of this process's NETLINK_NETFILTER sockets, whose release after nf_tables deleted rules
    /// waits for their destroy work, to a detached process that waits until this one has exited (and then for one RCU
    /// grace period, by which the destroy work has usually run by itself), so that the caller of this process does not
    /// wait for it. The detached process closes every other descriptor at once — the standard streams, files and any
    /// lock held through them — as this process's exit would. Call it last, once the answer is written: this process
    /// should exit right after.
    /// </summary>
    /// <returns>False when nothing was started: the descriptors are released at exit, as without it.</returns>
    public static bool TryReleaseAfterExit()
    {
        if (!CanDetach)
        {
            return false;
        }
        int* pipe = stackalloc int[2];
        if (ProcessInterop.pipe2(pipe, ProcessInterop.O_CLOEXEC) != 0)
        {
            return false;
        }
        // The writing end stays open here until this process exits, which the detached process sees as the pipe's end.
        if (!TryReleaseAfterClose(pipe[0], pipe[1]))
        {
            _ = Syscalls.close(pipe[1]);
            return false;
        }
        return true;
    }

    /// <summary>
    /// <see cref="TryReleaseAfterExit"/> with the pipe given: the detached process keeps this process's
    /// NETLINK_NETFILTER sockets until every writing end of the pipe but its own (<paramref name="writingEnd"/>, which it
    /// closes at once with the rest) is closed. <paramref name="readingEnd"/> is closed here.
    /// </summary>
    internal static bool TryReleaseAfterClose(int readingEnd, int writingEnd)
    {
        // Read by the detached process when it starts, which may be after this method has returned: never freed.
        var work = (Work*)NativeMemory.AllocZeroed((nuint)sizeof(Work));
        work->KeepCount = -1;
        work->RequestFd = -1;
        work->DoneFd = -1;
        work->WaitFd = readingEnd;
        work->DropFd = writingEnd;
        bool started = TryStart(work);
        _ = Syscalls.close(readingEnd);
        if (!started)
        {
            NativeMemory.Free(work);
        }
        return started;
    }
}
