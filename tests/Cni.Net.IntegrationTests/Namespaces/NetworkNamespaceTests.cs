using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Namespaces;

public class NetworkNamespaceTests
{
    private static string Unique(string hint) => $"cnt-{hint}-{Environment.ProcessId % 10000}-{Guid.NewGuid().ToString("N")[..6]}";

    [Fact]
    public void Create_LikeIpNetnsAdd_VisibleToIpAndDeletable()
    {
        string name = Unique("create");
        try
        {
            using (NetworkNamespace ns = NetworkNamespace.Create(name))
            {
                Assert.Contains(name, Shell.Check("ip", "netns", "list"), StringComparison.Ordinal);
                Assert.True(NetworkNamespace.Exists(name));
                // The namespace is a fresh one: only lo, and ip sees the same one through the bind mount.
                Assert.Equal(["lo"], Shell.Json("ip", "-j", "-n", name, "link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));
                using NetworkNamespace again = NetworkNamespace.OpenNamed(name);
                Assert.Equal(ns, again);
                using NetworkNamespace current = NetworkNamespace.OpenCurrent();
                Assert.NotEqual(ns, current);
                string inode = Shell.Check("stat", "-L", "-c", "%i", ns.Path).Trim();
                Assert.Equal(inode, ns.Inode.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            Assert.Throws<IOException>(() => NetworkNamespace.Create(name));
            Assert.True(NetworkNamespace.Delete(name));
            Assert.DoesNotContain(name, Shell.Check("ip", "netns", "list"), StringComparison.Ordinal);
            Assert.False(NetworkNamespace.Delete(name));
        }
        finally
        {
            Shell.Run("ip", ["netns", "delete", name]);
        }
    }

    [Fact]
    public void Run_ExecutesInsideOnDedicatedThread_CallerUnchanged()
    {
        using var t = new TestNamespace("run");
        using NetworkNamespace ns = NetworkNamespace.Open(t.Path);
        using NetworkNamespace before = NetworkNamespace.OpenCurrent();
        int callerThread = Environment.CurrentManagedThreadId;

        (ulong inode, int thread) = ns.Run(() =>
        {
            using NetworkNamespace inside = NetworkNamespace.OpenCurrent();
            return (inside.Inode, Environment.CurrentManagedThreadId);
        });

        Assert.Equal(ns.Inode, inode);
        Assert.NotEqual(callerThread, thread);
        using NetworkNamespace after = NetworkNamespace.OpenCurrent();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task StartInCurrent_RunsOnAPoolThreadInTheCallersNamespace_AndLeavesNoPoolThreadThere()
    {
        using var t = new TestNamespace("start");
        using NetworkNamespace ns = NetworkNamespace.Open(t.Path);
        using NetworkNamespace process = NetworkNamespace.OpenCurrent();

        // A caller inside the throwaway namespace (pool threads are in the process's): the work runs inside it.
        (ulong inode, bool pool) seenInside = ns.Run(() =>
        {
            (ulong, bool) seen = default;
            NetworkNamespace.StartInCurrent(() =>
            {
                using NetworkNamespace current = NetworkNamespace.OpenCurrent();
                seen = (current.Inode, Thread.CurrentThread.IsThreadPoolThread);
            }).Wait();
            return seen;
        });
        Assert.Equal((ns.Inode, true), seenInside);

        // A caller in the process's namespace: the work runs there.
        ulong seenOutside = 0;
        await NetworkNamespace.StartInCurrent(() =>
        {
            using NetworkNamespace current = NetworkNamespace.OpenCurrent();
            seenOutside = current.Inode;
        });
        Assert.Equal(process.Inode, seenOutside);

        // Every pool thread that ran the moved work went back: many work items, on every pool thread there is, all
        // see the process's namespace.
        ulong[] seen = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() =>
        {
            using NetworkNamespace current = NetworkNamespace.OpenCurrent();
            return current.Inode;
        }, TestContext.Current.CancellationToken)));
        Assert.All(seen, inode => Assert.Equal(process.Inode, inode));
    }

    [Fact]
    public async Task StartInCurrent_WorkThrows_TheTaskFaultsWithItsException()
    {
        var thrown = new InvalidOperationException("from the work");
        InvalidOperationException caught = await Assert.ThrowsAsync<InvalidOperationException>(() => NetworkNamespace.StartInCurrent(() => throw thrown));
        Assert.Same(thrown, caught);
    }

    /// <summary>
    /// What <see cref="NetworkNamespace.StartInCurrent(Action)"/> does in a plugin process (where
    /// <see cref="Cni.Net.Plugins.CniPluginHost.Run"/> sets <see cref="NetworkNamespace.StartsOwnThreads"/>, which this
    /// test process must not): a new thread, in the caller's namespace without being moved there.
    /// </summary>
    [Fact]
    public async Task OwnThread_StartsInTheCallersNamespace_NotOnThePool()
    {
        using var t = new TestNamespace("thread");
        using NetworkNamespace ns = NetworkNamespace.Open(t.Path);
        Assert.False(NetworkNamespace.StartsOwnThreads);

        (ulong Inode, bool Pool, bool Background, int Thread, int Caller) seen = ns.Run(() =>
        {
            (ulong, bool, bool, int) work = NetworkNamespace.StartOnOwnThread(() =>
            {
                using NetworkNamespace current = NetworkNamespace.OpenCurrent();
                Thread thread = Thread.CurrentThread;
                return Task.FromResult((current.Inode, thread.IsThreadPoolThread, thread.IsBackground, Environment.CurrentManagedThreadId));
            }).Result;
            return (work.Item1, work.Item2, work.Item3, work.Item4, Environment.CurrentManagedThreadId);
        });

        Assert.Equal(ns.Inode, seen.Inode);
        Assert.False(seen.Pool);
        Assert.True(seen.Background);
        Assert.NotEqual(seen.Caller, seen.Thread);

        var thrown = new InvalidOperationException("from the work");
        InvalidOperationException caught = await Assert.ThrowsAsync<InvalidOperationException>(
            () => NetworkNamespace.StartOnOwnThread<int>(() => throw thrown));
        Assert.Same(thrown, caught);
    }

    [Fact]
    public void RunOnCallingThread_ExecutesInsideOnThisThread_AndReturnsIt_AlsoAfterAnException()
    {
        using var t = new TestNamespace("inl");
        using NetworkNamespace ns = NetworkNamespace.Open(t.Path);
        using NetworkNamespace before = NetworkNamespace.OpenCurrent();
        int callerThread = Environment.CurrentManagedThreadId;

        (ulong inode, int thread) = ns.RunOnCallingThread(() =>
        {
            using NetworkNamespace inside = NetworkNamespace.OpenCurrent();
            return (inside.Inode, Environment.CurrentManagedThreadId);
        });
        Assert.Equal(ns.Inode, inode);
        Assert.Equal(callerThread, thread);
        using (NetworkNamespace after = NetworkNamespace.OpenCurrent())
        {
            Assert.Equal(before, after);
        }

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => ns.RunOnCallingThread<int>(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", e.Message);
        using (NetworkNamespace afterThrow = NetworkNamespace.OpenCurrent())
        {
            Assert.Equal(before, afterThrow);
        }
    }

    [Fact]
    public void Sysctl_InAnotherNamespace_WritesThereOnly()
    {
        using var t = new TestNamespace("sysc");
        using NetworkNamespace ns = NetworkNamespace.Open(t.Path);
        string outside = Sysctl.Read("net/ipv4/conf/lo/arp_notify");
        string flipped = outside == "1" ? "0" : "1";
        Sysctl.Write("net/ipv4/conf/lo/arp_notify", flipped, ns);
        Assert.Equal(flipped, Sysctl.Read("net/ipv4/conf/lo/arp_notify", ns));
        Assert.Equal(flipped, t.ExecCheck("cat", "/proc/sys/net/ipv4/conf/lo/arp_notify").Trim());
        Assert.Equal(outside, Sysctl.Read("net/ipv4/conf/lo/arp_notify"));
    }

    [Fact]
    public void Run_Exception_RethrownAndNoThreadLeftInside()
    {
        using var t = new TestNamespace("runex");
        using NetworkNamespace ns = NetworkNamespace.Open(t.Path);
        using NetworkNamespace before = NetworkNamespace.OpenCurrent();
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => ns.Run<int>(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", e.Message);
        using NetworkNamespace after = NetworkNamespace.OpenCurrent();
        Assert.Equal(before, after);
        // No thread of this process is in the test namespace any more (a thread that already ended may vanish
        // from /proc/self/task between listing and opening).
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            NetworkNamespace threadNs;
            try
            {
                threadNs = NetworkNamespace.Open(task + "/ns/net");
            }
            catch (IOException)
            {
                continue;
            }
            using (threadNs)
            {
                Assert.NotEqual(ns, threadNs);
            }
        }
    }

    [Fact]
    public void NetlinkSocket_OpenedInNamespace_StaysBoundThere()
    {
        using var t = new TestNamespace("sock");
        using NetworkNamespace ns = NetworkNamespace.Open(t.Path);
        using RouteNetlink rtnl = RouteNetlink.Open(ns);
        rtnl.AddVeth("sk0", "sk1");
        Assert.Equal(2, t.IpJson("link", "show", "type", "veth").GetArrayLength());
        Assert.False(File.Exists("/sys/class/net/sk0"));
    }

    [Fact]
    public void Open_NotANamespace_Throws()
    {
        Assert.Throws<FileNotFoundException>(() => NetworkNamespace.Open("/run/netns/cnt-does-not-exist"));
        Assert.Throws<IOException>(() => NetworkNamespace.Open("/proc/self/ns/uts"));
        Assert.Throws<ArgumentException>(() => NetworkNamespace.Create("a/b"));
        Assert.Throws<ArgumentException>(() => NetworkNamespace.Delete(".."));
    }
}
