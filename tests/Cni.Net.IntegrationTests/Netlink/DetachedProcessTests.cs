using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using Cni.Net.Interop;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

/// <summary>
/// The detached process a plugin process leaves the kernel's clean-up to (<see cref="DetachedProcess"/>), run here
/// from <c>libcni-net-native.so</c>, which the test project builds from the package's C file. Each test reaps the
/// processes it started and checks that they exited cleanly.
/// </summary>
public sealed class DetachedProcessTests : IDisposable
{
    private const int WaitAllChildren = 0x40000000; // __WALL: also children with no exit signal
    private static readonly TimeSpan TeardownTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<int> _started = new();
    private readonly HashSet<int> _reaped = [];

    public DetachedProcessTests()
    {
        Assert.True(DetachedProcess.IsLinkedIn, "libcni-net-native.so is built beside the tests (Cni.Net.IntegrationTests.csproj)");
        // Only these tests ask for detached deletions in this process (detach: true); it is no plugin process.
        Assert.False(DetachedProcess.ProcessExitsAfterRequest);
        Assert.False(DetachedProcess.OptedOut);
        DetachedProcess.Started = _started.Enqueue;
    }

    /// <summary>After a failure, a detached process may still be waiting: it is killed and reaped, not left behind.</summary>
    public unsafe void Dispose()
    {
        DetachedProcess.Started = null;
        foreach (int pid in _started.Where(p => !_reaped.Contains(p)))
        {
            _ = ProcessInterop.kill(pid, ProcessInterop.SIGKILL);
            int status;
            _ = ProcessInterop.waitpid(pid, &status, WaitAllChildren);
        }
    }

    [Fact]
    public async Task DeletingFromADetachedProcess_ReturnsWithBothEndsGone_AndThatProcessFinishesTheTeardown()
    {
        using var s = new NetlinkTestScope("detach");
        using var peer = new TestNamespace("detachpeer");
        using NetworkNamespace peerNs = NetworkNamespace.Open(peer.Path);
        s.Rtnl.AddLink(new VethLink("dd0", "dd1") { PeerNamespace = peerNs, Up = true });
        s.Ip("addr", "add", "10.98.0.1/24", "dev", "dd0");
        int index = s.Rtnl.GetLinkIndex("dd0");

        Assert.True(s.Rtnl.TryDeleteLinkDeferringTeardown(index, observe: true, detach: true, out Task teardown));

        Assert.False(s.LinkExists("dd0"));
        Assert.DoesNotContain(peer.IpJson("link", "show").EnumerateArray(), l => l.GetProperty("ifname").GetString() == "dd1");
        Assert.DoesNotContain(s.Ns.IpJson("-4", "addr", "show").EnumerateArray(), l => l.GetProperty("ifname").GetString() == "dd0");
        await teardown.WaitAsync(TeardownTimeout, TestContext.Current.CancellationToken);
        int pid = Assert.Single(_started);
        Assert.NotEqual(Environment.ProcessId, pid);
        Assert.Equal(0, Reap(pid));
    }

    [Fact]
    public void DeletingUnobserved_LeavesNothingRunningHere_AndTheDetachedProcessEnds()
    {
        using var s = new NetlinkTestScope("detachu");
        s.Rtnl.AddLink(new IfbLink("ddifb0") { Up = true });
        int before = RouteNetlink.DeferredTeardowns;

        Assert.True(s.Rtnl.TryDeleteLinkDeferringTeardown(s.Rtnl.GetLinkIndex("ddifb0"), observe: false, detach: true, out _));

        Assert.False(s.LinkExists("ddifb0"));
        // No thread of this process follows the teardown: the count of those running is back where it was.
        Assert.Equal(before, RouteNetlink.DeferredTeardowns);
        Assert.Equal(0, Reap(Assert.Single(_started)));
    }

    [Fact]
    public void ARefusalAnsweredToTheDetachedProcess_IsThrownHere_AsTryDeleteLinkThrowsIt()
    {
        using var s = new NetlinkTestScope("detachr");
        int lo = s.Rtnl.GetLinkIndex("lo");

        NetlinkException direct = Assert.Throws<NetlinkException>(() => s.Rtnl.TryDeleteLink(lo));
        NetlinkException detached = Assert.Throws<NetlinkException>(() => s.Rtnl.TryDeleteLinkDeferringTeardown(lo, observe: true, detach: true, out _));

        Assert.Equal(direct.Errno, detached.Errno);
        Assert.Equal(direct.Message, detached.Message);
        Assert.True(s.LinkExists("lo"));
        Assert.Equal(0, Reap(Assert.Single(_started)));
    }

    [Fact]
    public void AnAbsentLink_GivesFalse_AndATeardownAlreadyOver()
    {
        using var s = new NetlinkTestScope("detacha");

        Assert.False(s.Rtnl.TryDeleteLinkDeferringTeardown(99999, observe: true, detach: true, out Task teardown));

        Assert.True(teardown.IsCompletedSuccessfully);
        Assert.Equal(0, Reap(Assert.Single(_started)));
    }

    [Fact]
    public unsafe void ReleaseAfterClose_KeepsTheNetfilterSockets_UntilThePipeEnds_AndClosesEverythingElseAtOnce()
    {
        int* pipe = stackalloc int[2];
        int* other = stackalloc int[2];
        Assert.Equal(0, ProcessInterop.pipe2(pipe, ProcessInterop.O_CLOEXEC));
        Assert.Equal(0, ProcessInterop.pipe2(other, ProcessInterop.O_CLOEXEC));
        using var netfilter = new NetlinkSocket(NetlinkProtocol.Netfilter);
        using var route = new NetlinkSocket(NetlinkProtocol.Route);
        string kept = netfilter.Handle.DangerousGetHandle().ToString(CultureInfo.InvariantCulture);
        string routeSocket = route.Handle.DangerousGetHandle().ToString(CultureInfo.InvariantCulture);
        string readingEnd = pipe[0].ToString(CultureInfo.InvariantCulture);
        string writingEnd = pipe[1].ToString(CultureInfo.InvariantCulture);
        try
        {
            Assert.True(DetachedProcess.TryReleaseAfterClose(pipe[0], pipe[1]));
            int pid = Assert.Single(_started);
            // Once the detached process has closed what it does not keep, it holds the pipe's reading end and sockets
            // only: our netfilter socket among them (and the other netfilter sockets this test process has open), but no
            // standard stream, no file, no other pipe, and not the route socket.
            string[] fds = WaitForDescriptors(pid, fd => fd.Number == readingEnd ||
                (fd.Target.StartsWith("socket:", StringComparison.Ordinal) && fd.Number != routeSocket && fd.Number is not ("0" or "1" or "2")));
            Assert.Contains(kept, fds);
            Assert.DoesNotContain(writingEnd, fds);
            // This process's copy of the other pipe's writing end closed, no writer is left: it went at once there.
            _ = Syscalls.close(other[1]);
            other[1] = -1;
            Assert.True(Readable(other[0], 0));

            // The pipe's end (this process's exit, in a plugin): the detached process lets go of the socket and exits.
            _ = Syscalls.close(pipe[1]);
            pipe[1] = -1;
            Assert.Equal(0, Reap(pid));
        }
        finally
        {
            foreach (int fd in new[] { pipe[1], other[0], other[1] })
            {
                if (fd >= 0)
                {
                    _ = Syscalls.close(fd);
                }
            }
        }
    }

    /// <summary>Waits for the process's exit (not by a signal) and returns its exit code.</summary>
    private unsafe int Reap(int pid)
    {
        _reaped.Add(pid);
        int status;
        int reaped;
        do
        {
            reaped = ProcessInterop.waitpid(pid, &status, WaitAllChildren);
        }
        while (reaped < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
        Assert.Equal(pid, reaped);
        ChildExit exit = ChildExit.FromWaitStatus(status);
        Assert.Equal(0, exit.Signal);
        return exit.ExitCode;
    }

    /// <summary>The process's descriptors (number and what it refers to) once all are <paramref name="settled"/>.</summary>
    private static string[] WaitForDescriptors(int pid, Func<(string Number, string Target), bool> settled)
    {
        DateTime deadline = DateTime.UtcNow + TeardownTimeout;
        while (true)
        {
            var fds = new List<(string Number, string Target)>();
            foreach (string path in Directory.GetFiles($"/proc/{pid}/fd"))
            {
                try
                {
                    fds.Add((Path.GetFileName(path), new FileInfo(path).LinkTarget ?? ""));
                }
                catch (IOException)
                {
                    // Closed between the listing and the read.
                }
            }
            if (fds.All(settled) || DateTime.UtcNow > deadline)
            {
                Assert.All(fds, fd => Assert.True(settled(fd), $"the detached process still holds descriptor {fd.Number} ({fd.Target})"));
                return fds.Select(fd => fd.Number).ToArray();
            }
            Thread.Sleep(1);
        }
    }

    private static unsafe bool Readable(int fd, int timeoutMs)
    {
        ProcessInterop.PollFd p = default;
        p.fd = fd;
        p.events = ProcessInterop.POLLIN;
        return ProcessInterop.poll(&p, 1, timeoutMs) == 1;
    }
}
