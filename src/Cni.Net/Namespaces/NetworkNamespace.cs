using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Cni.Net.Interop;

namespace Cni.Net.Namespaces;

/// <summary>
/// An open network namespace (a file descriptor of an nsfs file such as <c>/run/netns/x</c> or
/// <c>/proc/&lt;pid&gt;/ns/net</c>).
/// </summary>
/// <remarks>
/// <c>setns</c> only moves the calling OS thread, so code runs inside the namespace through <see cref="Run{T}"/>,
/// which uses a new dedicated thread that ends afterwards: no thread of the pool or of the caller is ever left in
/// another namespace, also when the delegate throws. Netlink sockets opened there
/// (<c>NetlinkSocket.Open(NetworkNamespace, …)</c>) stay bound to it.
/// </remarks>
public sealed class NetworkNamespace : IDisposable, IEquatable<NetworkNamespace>
{
    /// <summary>Where <c>ip netns</c> keeps named namespaces.</summary>
    public const string RunDirectory = "/run/netns";

    private readonly SafeFdHandle _handle;

    private NetworkNamespace(SafeFdHandle handle, string path, ulong device, ulong inode)
    {
        _handle = handle;
        Path = path;
        Device = device;
        Inode = inode;
    }

    /// <summary>The path the namespace was opened from.</summary>
    public string Path { get; }

    /// <summary>Device number of the nsfs file (with <see cref="Inode"/> the namespace's identity).</summary>
    public ulong Device { get; }

    /// <summary>Inode number of the namespace (as in <c>net:[4026531840]</c>).</summary>
    public ulong Inode { get; }

    /// <summary>The namespace's file descriptor (for IFLA_NET_NS_FD and setns).</summary>
    public SafeHandle Handle => _handle;

    internal int Fd => _handle.Fd;

    /// <summary>Opens the network namespace at <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="IOException">The file cannot be opened or is not a network namespace.</exception>
    public static NetworkNamespace Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int fd = Syscalls.open(path, Syscalls.O_RDONLY | Syscalls.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.ENOENT)
            {
                throw new FileNotFoundException($"network namespace {path} does not exist", path);
            }
            throw NamespaceErrors.Io("open", path, errno);
        }
        var handle = new SafeFdHandle(fd);
        try
        {
            int type = Syscalls.ioctl(fd, Syscalls.NS_GET_NSTYPE);
            if (type != Syscalls.CLONE_NEWNET)
            {
                throw new IOException($"{path} is not a network namespace");
            }
            (ulong device, ulong inode) = Identify(fd, path);
            return new NetworkNamespace(handle, path, device, inode);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the network namespace a socket lives in (<c>SIOCGSKNS</c>), for opening more sockets beside it when only
    /// the socket is at hand.
    /// </summary>
    /// <exception cref="IOException">The kernel refused (not a socket).</exception>
    internal static NetworkNamespace OfSocket(SafeHandle socket)
    {
        const string path = "the namespace of a socket";
        bool added = false;
        int fd;
        try
        {
            socket.DangerousAddRef(ref added);
            fd = Syscalls.ioctl((int)socket.DangerousGetHandle(), Syscalls.SIOCGSKNS);
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
        if (fd < 0)
        {
            throw NamespaceErrors.Last("ioctl(SIOCGSKNS)", path);
        }
        var handle = new SafeFdHandle(fd);
        try
        {
            (ulong device, ulong inode) = Identify(fd, path);
            return new NetworkNamespace(handle, $"net:[{inode}]", device, inode);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Opens the network namespace of the calling thread.</summary>
    /// <exception cref="IOException">The namespace file cannot be opened.</exception>
    public static NetworkNamespace OpenCurrent() => Open(CurrentPath);

    /// <summary>Opens the named namespace <c>/run/netns/<paramref name="name"/></c>.</summary>
    /// <exception cref="ArgumentException">The name is not a valid file name.</exception>
    /// <exception cref="IOException">The namespace does not exist or cannot be opened.</exception>
    public static NetworkNamespace OpenNamed(string name)
    {
        ValidateName(name);
        return Open(RunDirectory + "/" + name);
    }

    /// <summary>Whether <c>/run/netns/<paramref name="name"/></c> exists.</summary>
    /// <exception cref="ArgumentException">The name is not a valid file name.</exception>
    public static bool Exists(string name)
    {
        ValidateName(name);
        return File.Exists(RunDirectory + "/" + name);
    }

    /// <summary>
    /// Creates a new named network namespace as <c>ip netns add</c> does: a fresh namespace bind-mounted on
    /// <c>/run/netns/<paramref name="name"/></c> (with <c>/run/netns</c> a shared mount, so that the mount propagates
    /// to other mount namespaces), and returns it open.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a valid file name.</exception>
    /// <exception cref="IOException">It exists already (EEXIST), or a system call failed.</exception>
    public static NetworkNamespace Create(string name)
    {
        ValidateName(name);
        string path = RunDirectory + "/" + name;
        Directory.CreateDirectory(RunDirectory);
        MakeRunDirectoryShared();
        int fd = Syscalls.open(path, Syscalls.O_RDONLY | Syscalls.O_CREAT | Syscalls.O_EXCL | Syscalls.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw NamespaceErrors.Last("create", path);
        }
        Syscalls.close(fd);
        try
        {
            RunOnDedicatedThread(() =>
            {
                if (Syscalls.unshare(Syscalls.CLONE_NEWNET) != 0)
                {
                    throw NamespaceErrors.Last("unshare(CLONE_NEWNET)", path);
                }
                string self = $"/proc/self/task/{Syscalls.gettid()}/ns/net";
                if (Syscalls.mount(self, path, "none", Syscalls.MS_BIND, IntPtr.Zero) != 0)
                {
                    throw NamespaceErrors.Last("mount --bind", path);
                }
                return 0;
            });
            return Open(path);
        }
        catch
        {
            Syscalls.umount2(path, Syscalls.MNT_DETACH);
            File.Delete(path);
            throw;
        }
    }

    /// <summary>
    /// Deletes the named namespace as <c>ip netns delete</c> does (lazy unmount, then unlink). The namespace lives on
    /// while processes or open descriptors still use it.
    /// </summary>
    /// <returns><see langword="false"/> when it did not exist.</returns>
    /// <exception cref="ArgumentException">The name is not a valid file name.</exception>
    /// <exception cref="IOException">Unmounting or removing the file failed.</exception>
    public static bool Delete(string name)
    {
        ValidateName(name);
        string path = RunDirectory + "/" + name;
        if (!File.Exists(path))
        {
            return false;
        }
        if (Syscalls.umount2(path, Syscalls.MNT_DETACH) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINVAL)
            {
                throw NamespaceErrors.Io("umount", path, errno); // EINVAL: not a mount point any more
            }
        }
        File.Delete(path);
        return true;
    }

    /// <summary>
    /// Runs <paramref name="func"/> inside this namespace on a new dedicated thread, waits for it and returns its
    /// value or rethrows its exception (with its original stack trace).
    /// </summary>
    /// <exception cref="IOException">setns failed.</exception>
    public T Run<T>(Func<T> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        return RunOnDedicatedThread(() =>
        {
            // The thread ends right after, but it returns to its namespace first so that not even a thread that
            // is still exiting stays inside.
            int original = Syscalls.open("/proc/thread-self/ns/net", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC, 0);
            bool added = false;
            try
            {
                _handle.DangerousAddRef(ref added);
                if (Syscalls.setns(_handle.Fd, Syscalls.CLONE_NEWNET) != 0)
                {
                    throw NamespaceErrors.Last("setns", Path);
                }
                return func();
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
                if (original >= 0)
                {
                    _ = Syscalls.setns(original, Syscalls.CLONE_NEWNET);
                    _ = Syscalls.close(original);
                }
            }
        });
    }

    /// <summary>
    /// Runs a short synchronous library step (opening a socket, writing a sysctl) inside this namespace on the calling
    /// thread, and returns the thread to its namespace before anything else can run on it. A dedicated thread costs
    /// more than the step itself; <paramref name="func"/> must not await, block for long or call user code. Should the
    /// way back fail (it cannot while the original namespace's descriptor is held), the process stops rather than run
    /// on in the wrong namespace.
    /// </summary>
    /// <exception cref="IOException">setns failed (the thread did not move).</exception>
    internal T RunOnCallingThread<T>(Func<T> func)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        int original = Syscalls.open("/proc/thread-self/ns/net", Syscalls.O_RDONLY | Syscalls.O_CLOEXEC, 0);
        if (original < 0)
        {
            throw NamespaceErrors.Last("open", "/proc/thread-self/ns/net");
        }
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            if (Syscalls.setns(_handle.Fd, Syscalls.CLONE_NEWNET) != 0)
            {
                throw NamespaceErrors.Last("setns", Path);
            }
            try
            {
                return func();
            }
            finally
            {
                if (Syscalls.setns(original, Syscalls.CLONE_NEWNET) != 0)
                {
                    Environment.FailFast($"a thread could not return to its network namespace after working in {Path} " +
                        $"({Errno.Name(Marshal.GetLastPInvokeError())}); stopping rather than acting in the wrong namespace");
                }
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
            _ = Syscalls.close(original);
        }
    }

    /// <summary>
    /// Starts <paramref name="work"/> on another thread in the calling thread's network namespace, so that it runs
    /// while the caller goes on: a thread-pool thread, or in a plugin process (one run by
    /// <see cref="Plugins.CniPluginHost.Run"/>) a thread of its own. A namespace belongs to a thread, and
    /// <see cref="Task.Run(Action)"/> gives no say in which one a pool thread is in: usually the process's, which is
    /// almost always the caller's too.
    /// </summary>
    /// <remarks>
    /// Where the pool is running, a thread created for the work costs 0.2–0.5 ms, as much as the sysctls and addresses a
    /// plugin would overlap; a pool thread in another namespace than the caller's is moved there for the whole of the
    /// work and moved back before it returns to the pool. A plugin process's pool has no thread yet and would start two
    /// for the first work item, so there a new thread, which starts in the caller's namespace by itself, costs less.
    /// </remarks>
    /// <param name="work">The work; its exception faults the returned task.</param>
    /// <returns>The running work.</returns>
    /// <exception cref="IOException">The calling thread's namespace cannot be opened.</exception>
    public static Task StartInCurrent(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return StartInCurrent(() =>
        {
            work();
            return Task.FromResult(true);
        });
    }

    /// <summary>
    /// <see cref="StartInCurrent(Action)"/> for asynchronous work: it starts in the caller's namespace; what runs after
    /// its first real wait runs wherever the continuation is scheduled, as after any <see langword="await"/>.
    /// </summary>
    internal static Task<T> StartInCurrent<T>(Func<Task<T>> work)
    {
        if (StartsOwnThreads)
        {
            return StartOnOwnThread(work);
        }
        NetworkNamespace caller = OpenCurrent();
        return Task.Run(() => RunInAsync(caller, work));
    }

    /// <summary>
    /// Whether <see cref="StartInCurrent(Action)"/> gives work a new thread of its own rather than a pool thread. The
    /// plugin host sets it in a plugin process (<see cref="Plugins.CniPluginHost.Run"/>), which answers one request and
    /// exits: its pool has no thread yet and would start two for the first work item (a worker and the gate thread
    /// that watches it), the caller waiting until each has started. For bridge's in-process IPAM delegate that took
    /// 0.2–0.55 ms longer than a thread of its own (benchmarks/README).
    /// </summary>
    internal static bool StartsOwnThreads
    {
        get => Volatile.Read(ref s_startsOwnThreads);
        set => Volatile.Write(ref s_startsOwnThreads, value);
    }

    private static bool s_startsOwnThreads;

    /// <summary>
    /// Starts <paramref name="work"/> on a new background thread, which starts in the calling thread's network
    /// namespace by itself. What runs after its first real wait runs wherever the continuation is scheduled.
    /// </summary>
    /// <returns>The work's task; an exception <paramref name="work"/> throws faults it.</returns>
    internal static Task<T> StartOnOwnThread<T>(Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var started = new TaskCompletionSource<Task<T>>();
        var thread = new Thread(() =>
        {
            Task<T> running;
            try
            {
                running = work();
            }
            catch (Exception e)
            {
                running = Task.FromException<T>(e);
            }
            started.SetResult(running);
        })
        {
            IsBackground = true,
        };
        thread.Start();
        return started.Task.Unwrap();
    }

    private static async Task<T> RunInAsync<T>(NetworkNamespace caller, Func<Task<T>> work)
    {
        using (caller)
        {
            if (IdentifyCurrent() == (caller.Device, caller.Inode))
            {
                return await work().ConfigureAwait(false);
            }
            // A pool thread must not go back to the pool in another namespace: the whole of the work stays on it.
            return caller.RunOnCallingThread(() => work().GetAwaiter().GetResult());
        }
    }

    /// <summary>Runs <paramref name="action"/> inside this namespace on a new dedicated thread (see <see cref="Run{T}"/>).</summary>
    /// <exception cref="IOException">setns failed.</exception>
    public void Run(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Run(() =>
        {
            action();
            return 0;
        });
    }

    /// <summary>Whether both refer to the same namespace (same device and inode).</summary>
    public bool Equals(NetworkNamespace? other) =>
        other is not null && other.Device == Device && other.Inode == Inode;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as NetworkNamespace);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Device, Inode);

    /// <summary>The path and identity, e.g. <c>/run/netns/a (net:[4026532281])</c>.</summary>
    public override string ToString() => $"{Path} (net:[{Inode}])";

    /// <summary>Closes the namespace's file descriptor (the namespace itself lives on while used).</summary>
    public void Dispose() => _handle.Dispose();

    internal static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal) || name.Length > 255)
        {
            throw new ArgumentException($"'{name}' is not a valid namespace name (a file name without '/')", nameof(name));
        }
    }

    private static (ulong Device, ulong Inode) Identify(int fd, string path) =>
        TryIdentify(fd, "", Syscalls.AT_EMPTY_PATH, out (ulong, ulong) identity) ? identity : throw NamespaceErrors.Last("statx", path);

    /// <summary>
    /// The identity (<see cref="Device"/>, <see cref="Inode"/>) of the calling thread's network namespace, without
    /// opening it: one <c>statx</c> of <c>/proc/thread-self/ns/net</c>.
    /// </summary>
    /// <exception cref="IOException">statx failed (no /proc).</exception>
    internal static (ulong Device, ulong Inode) IdentifyCurrent() =>
        TryIdentify(AtFdCwd, CurrentPath, 0, out (ulong, ulong) identity) ? identity : throw NamespaceErrors.Last("statx", CurrentPath);

    /// <summary>
    /// The identity of the namespace file at <paramref name="path"/> (a bind mount under /run/netns or a
    /// <c>/proc/…/ns/net</c> link), without opening it: one <c>statx</c>.
    /// </summary>
    /// <returns>false when the path cannot be reached.</returns>
    internal static bool TryIdentifyPath(string path, out (ulong Device, ulong Inode) identity) =>
        TryIdentify(AtFdCwd, path, 0, out identity);

    private const int AtFdCwd = -100;
    internal const string CurrentPath = "/proc/thread-self/ns/net";

    private static unsafe bool TryIdentify(int dirfd, string path, int flags, out (ulong Device, ulong Inode) identity)
    {
        byte* buffer = stackalloc byte[Syscalls.StatxSize];
        if (Syscalls.statx(dirfd, path, flags, Syscalls.STATX_INO, buffer) != 0)
        {
            identity = default;
            return false;
        }
        ulong inode = *(ulong*)(buffer + Syscalls.StatxInoOffset);
        uint major = *(uint*)(buffer + Syscalls.StatxDevMajorOffset);
        uint minor = *(uint*)(buffer + Syscalls.StatxDevMinorOffset);
        identity = (((ulong)major << 32) | minor, inode);
        return true;
    }

    private static void MakeRunDirectoryShared()
    {
        // As ip netns does: make /run/netns a shared mount point, bind-mounting it onto itself first if needed.
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (Syscalls.mount("", RunDirectory, "none", Syscalls.MS_SHARED | Syscalls.MS_REC, IntPtr.Zero) == 0)
            {
                return;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINVAL || attempt == 1)
            {
                throw NamespaceErrors.Io("mount --make-shared", RunDirectory, errno);
            }
            if (Syscalls.mount(RunDirectory, RunDirectory, "none", Syscalls.MS_BIND | Syscalls.MS_REC, IntPtr.Zero) != 0)
            {
                throw NamespaceErrors.Last("mount --bind", RunDirectory);
            }
        }
    }

    private static T RunOnDedicatedThread<T>(Func<T> func)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = func();
            }
#pragma warning disable CA1031 // every exception is handed back to the caller's thread
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }, 256 * 1024)
        {
            IsBackground = true,
            Name = "netns",
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }
}
