using System.Net;
using Cni.Net.Ipam;

namespace Cni.Net.Tests.Ipam;

public sealed class HostLocalStoreTests : IDisposable
{
    private readonly TempDataDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void TryReserve_WritesReferenceFormat()
    {
        using (HostLocalStore store = HostLocalStore.Open("net1", _data.Path))
        {
            Assert.True(store.TryReserve(IPAddress.Parse("10.0.0.2"), " ctr-1 ", "eth0", 0));
            Assert.True(store.TryReserve(IPAddress.Parse("FD00:0:0:0::2"), "ctr-1", "eth0", 1));
        }
        string dir = _data.NetworkPath("net1");
        Assert.Equal("ctr-1\r\neth0"u8.ToArray(), File.ReadAllBytes(Path.Combine(dir, "10.0.0.2")));
        Assert.Equal("ctr-1\r\neth0"u8.ToArray(), File.ReadAllBytes(Path.Combine(dir, "fd00::2")));
        Assert.Equal("10.0.0.2"u8.ToArray(), File.ReadAllBytes(Path.Combine(dir, "last_reserved_ip.0")));
        Assert.Equal("fd00::2"u8.ToArray(), File.ReadAllBytes(Path.Combine(dir, "last_reserved_ip.1")));
        Assert.Equal((UnixFileMode)0x1A4, File.GetUnixFileMode(Path.Combine(dir, "10.0.0.2"))); // 0644
        Assert.Equal((UnixFileMode)0x1E8, File.GetUnixFileMode(Path.Combine(dir, "lock"))); // 0750 as go-filemutex
    }

    [Fact]
    public void TryReserve_Taken_ReturnsFalseAndKeepsOwner()
    {
        using HostLocalStore store = HostLocalStore.Open("net1", _data.Path);
        Assert.True(store.TryReserve(IPAddress.Parse("10.0.0.2"), "a", "eth0", 0));
        Assert.False(store.TryReserve(IPAddress.Parse("10.0.0.2"), "b", "eth0", 0));
        Assert.Equal("a\r\neth0", File.ReadAllText(Path.Combine(store.Directory, "10.0.0.2")));
    }

    [Fact]
    public void Release_ByContainerAndIfName_LeavesOtherInterfaces()
    {
        using HostLocalStore store = HostLocalStore.Open("net1", _data.Path);
        store.TryReserve(IPAddress.Parse("10.0.0.2"), "a", "eth0", 0);
        store.TryReserve(IPAddress.Parse("fd00::2"), "a", "eth0", 1);
        store.TryReserve(IPAddress.Parse("10.0.0.3"), "a", "net1", 0);
        store.TryReserve(IPAddress.Parse("10.0.0.4"), "b", "eth0", 0);
        IReadOnlyList<IPAddress> released = store.Release("a", "eth0");
        Assert.Equal(["10.0.0.2", "fd00::2"], released.Select(a => a.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(["10.0.0.3", "10.0.0.4", "last_reserved_ip.0", "last_reserved_ip.1", "lock"],
            Directory.GetFiles(store.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(store.Release("a", "eth0"));
    }

    [Fact]
    public void TryReserve_NamesNoTemporary_AndTheNextScanRemovesOnesAKilledWriterLeft()
    {
        // A writer killed between creating and filling a reservation left an empty file that blocked the address and
        // that no DEL matched. Now the content goes into an unnamed file linked in place, so the directory sees one new
        // name per reservation; a named temporary (file systems without unnamed files) a killed writer left goes with
        // the next scan, which every ADD, DEL, CHECK and GC runs, not with a listing of its own when the store opens.
        string dir;
        var created = new List<string>();
        using (HostLocalStore store = HostLocalStore.Open("net1", _data.Path))
        {
            dir = store.Directory;
            using var watcher = new FileSystemWatcher(dir) { EnableRaisingEvents = true };
            watcher.Created += (_, e) => { lock (created) { created.Add(e.Name!); } };
            Assert.True(store.TryReserve(IPAddress.Parse("10.0.0.2"), "a", "eth0", 0));
            Assert.True(SpinWait.SpinUntil(() => { lock (created) { return created.Contains("last_reserved_ip.0"); } }, TimeSpan.FromSeconds(5)),
                "inotify reported no creation within 5 s");
            lock (created)
            {
                // The address first, then the last-reserved record; nothing under a temporary name before either.
                Assert.Equal(["10.0.0.2", "last_reserved_ip.0"], created);
            }
            Assert.Equal(["10.0.0.2", "last_reserved_ip.0", "lock"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        File.WriteAllText(Path.Combine(dir, ".10.0.0.3.4242.cni-net-reserving"), "b\r\neth0");
        File.WriteAllText(Path.Combine(dir, ".keep.tmp"), "not ours");
        using (HostLocalStore store = HostLocalStore.Open("net1", _data.Path))
        {
            Assert.Contains(".10.0.0.3.4242.cni-net-reserving", Directory.GetFiles(dir).Select(Path.GetFileName));
            Assert.Empty(store.GetByAttachment("b", "eth0"));
            Assert.Equal([".keep.tmp", "10.0.0.2", "last_reserved_ip.0", "lock"],
                Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.True(store.TryReserve(IPAddress.Parse("10.0.0.3"), "c", "eth0", 0));
            Assert.Equal("c\r\neth0", File.ReadAllText(Path.Combine(dir, "10.0.0.3")));
        }
    }

    [Fact]
    public void CreateExclusive_ThroughANamedTemporary_WhereUnnamedFilesCannotBeHad_BehavesTheSame()
    {
        string dir = _data.NetworkPath("plain");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "10.0.0.7");
        Assert.True(Cni.Net.Interop.PosixFile.TryCreateExclusiveThroughTemporary(path, "a\r\neth0"u8));
        Assert.False(Cni.Net.Interop.PosixFile.TryCreateExclusiveThroughTemporary(path, "b\r\neth0"u8));
        Assert.False(Cni.Net.Interop.PosixFile.TryCreateExclusive(path, "c\r\neth0"u8));
        Assert.Equal("a\r\neth0", File.ReadAllText(path));
        Assert.Equal(["10.0.0.7"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Equal((UnixFileMode)0x1A4, File.GetUnixFileMode(path)); // 0644, as the unnamed path makes it
        Assert.Throws<IOException>(() => Cni.Net.Interop.PosixFile.TryCreateExclusive(Path.Combine(dir, "missing", "10.0.0.8"), "x"u8));
    }

    [Fact]
    public void Release_LegacyFileWithOnlyContainerId_IsReleased()
    {
        using HostLocalStore store = HostLocalStore.Open("net1", _data.Path);
        File.WriteAllText(Path.Combine(store.Directory, "10.0.0.9"), "old-ctr\n");
        Assert.Equal([IPAddress.Parse("10.0.0.9")], store.GetByAttachment("old-ctr", "eth0"));
        Assert.Equal([IPAddress.Parse("10.0.0.9")], store.Release("old-ctr", "eth0"));
        Assert.False(File.Exists(Path.Combine(store.Directory, "10.0.0.9")));
    }

    [Fact]
    public void ListReservations_SkipsLockAndLastReservedFiles()
    {
        using HostLocalStore store = HostLocalStore.Open("net1", _data.Path);
        store.TryReserve(IPAddress.Parse("10.0.0.2"), "a", "eth0", 0);
        store.TryReserve(IPAddress.Parse("2001:db8::5"), "b", "net1", 3);
        var list = store.ListReservations().OrderBy(r => r.ContainerId, StringComparer.Ordinal).ToList();
        Assert.Equal(2, list.Count);
        Assert.Equal((IPAddress.Parse("10.0.0.2"), "a", "eth0"), (list[0].Address, list[0].ContainerId, list[0].IfName));
        Assert.Equal((IPAddress.Parse("2001:db8::5"), "b", "net1"), (list[1].Address, list[1].ContainerId, list[1].IfName));
    }

    [Fact]
    public void ListReservations_OnlyNamesSpelledAsTheReferenceSpellsThem()
    {
        using HostLocalStore store = HostLocalStore.Open("net1", _data.Path);
        foreach (string name in new[] { "1.2", "10.0.0.1.bak", "FD00::1", "fd00:0::1", "010.0.0.1", "notes.txt" })
        {
            File.WriteAllText(Path.Combine(store.Directory, name), "x\r\neth0");
        }
        File.WriteAllText(Path.Combine(store.Directory, "fd00::1"), "x\r\neth0");
        Assert.Equal([IPAddress.Parse("fd00::1")], store.ListReservations().Select(r => r.Address));
        Assert.Equal([IPAddress.Parse("fd00::1")], store.Release("x", "eth0"));
        Assert.True(File.Exists(Path.Combine(store.Directory, "1.2")));
    }

    [Theory]
    [InlineData("0.0.0.0", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("10.0.0.256", false)]
    [InlineData("10.0.0.01", false)]
    [InlineData("10.0.0", false)]
    [InlineData("10.0.0.1.", false)]
    [InlineData(".10.0.0.1", false)]
    [InlineData("1000.0.0.1", false)]
    [InlineData("10..0.1", false)]
    [InlineData(" 10.0.0.1", false)]
    [InlineData("10.0.0.1x", false)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("last_reserved_ip.0", false)]
    public void ListReservations_IPv4AndIPv6Names_CountOnlyInTheReferenceSpelling(string name, bool counts)
    {
        using HostLocalStore store = HostLocalStore.Open("net1", _data.Path);
        File.WriteAllText(Path.Combine(store.Directory, name), "x\r\neth0");
        Assert.Equal(counts ? [IPAddress.Parse(name)] : [], store.ListReservations().Select(r => r.Address));
        Assert.Equal(counts ? [IPAddress.Parse(name)] : [], store.GetByAttachment("x", "eth0"));
    }

    [Fact]
    public void Scan_SkipsDirectoriesAndDanglingLinks_AndFollowsLinksToFiles()
    {
        using HostLocalStore store = HostLocalStore.Open("net1", _data.Path);
        string dir = store.Directory;
        Directory.CreateDirectory(Path.Combine(dir, "10.0.0.7"));
        File.WriteAllText(Path.Combine(_data.Path, "target"), "y\r\neth0");
        File.CreateSymbolicLink(Path.Combine(dir, "10.0.0.8"), Path.Combine(_data.Path, "target"));
        File.CreateSymbolicLink(Path.Combine(dir, "10.0.0.9"), Path.Combine(_data.Path, "missing"));
        Directory.CreateSymbolicLink(Path.Combine(dir, "10.0.0.10"), Path.Combine(dir, "10.0.0.7"));
        Assert.Equal([IPAddress.Parse("10.0.0.8")], store.ListReservations().Select(r => r.Address));
        Assert.Equal([IPAddress.Parse("10.0.0.8")], store.Release("y", "eth0"));
        Assert.True(Directory.Exists(Path.Combine(dir, "10.0.0.7")));
        Assert.True(File.Exists(Path.Combine(_data.Path, "target")));
    }

    [Fact]
    public void Scan_MoreReservationsThanOneDirectoryRead_SeesEveryOne()
    {
        // 2,000 names are several getdents64 calls of the scan's buffer.
        using HostLocalStore store = HostLocalStore.Open("net1", _data.Path);
        for (int i = 0; i < 2000; i++)
        {
            File.WriteAllText(Path.Combine(store.Directory, $"10.1.{i / 250}.{i % 250}"), $"c{i}\r\neth0");
        }
        Assert.Equal(2000, store.ListReservations().Select(r => r.Address).Distinct().Count());
        Assert.Equal([IPAddress.Parse("10.1.7.249")], store.GetByAttachment("c1999", "eth0"));
        Assert.Equal([IPAddress.Parse("10.1.0.0")], store.Release("c0", "eth0"));
        Assert.Equal(1999, store.ListReservations().Count);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void TryReserve_RecordsTheLastAddress_OverLongerAndShorterOnes_AsTheWholeFile()
    {
        using HostLocalStore store = HostLocalStore.Open("net1", _data.Path);
        string last = Path.Combine(store.Directory, "last_reserved_ip.0");
        // Written by another writer (the reference plugin writes 0600), longer than what follows.
        File.WriteAllText(last, "10.100.200.250");
        File.SetUnixFileMode(last, (UnixFileMode)0x180);
        Assert.True(store.TryReserve(IPAddress.Parse("10.0.0.2"), "a", "eth0", 0));
        Assert.Equal("10.0.0.2"u8.ToArray(), File.ReadAllBytes(last));
        Assert.True(store.TryReserve(IPAddress.Parse("10.0.0.123"), "b", "eth0", 0));
        Assert.Equal("10.0.0.123"u8.ToArray(), File.ReadAllBytes(last));
        Assert.True(store.TryReserve(IPAddress.Parse("10.0.0.9"), "c", "eth0", 0));
        Assert.Equal("10.0.0.9"u8.ToArray(), File.ReadAllBytes(last));
        Assert.Equal(IPAddress.Parse("10.0.0.9"), store.GetLastReserved(0));
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(last)); // the same file, not a new one
    }

    [Fact]
    public void GetLastReserved_MissingOrGarbage_IsNull()
    {
        using HostLocalStore store = HostLocalStore.Open("net1", _data.Path);
        Assert.Null(store.GetLastReserved(0));
        File.WriteAllText(Path.Combine(store.Directory, "last_reserved_ip.0"), "not an ip");
        Assert.Null(store.GetLastReserved(0));
        File.WriteAllText(Path.Combine(store.Directory, "last_reserved_ip.0"), "10.1.1.1");
        Assert.Equal(IPAddress.Parse("10.1.1.1"), store.GetLastReserved(0));
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    public void Open_NetworkNameThatIsNotADirectoryName_Throws(string network)
    {
        Assert.ThrowsAny<ArgumentException>(() => HostLocalStore.Open(network, _data.Path));
    }

    [Fact]
    public void Open_WhileAnotherHoldsTheLock_WaitsForIt()
    {
        HostLocalStore first = HostLocalStore.Open("net1", _data.Path);
        var acquired = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            using HostLocalStore second = HostLocalStore.Open("net1", _data.Path);
            acquired.Set();
        });
        thread.Start();
        Assert.False(acquired.Wait(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken));
        first.Dispose();
        Assert.True(acquired.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        thread.Join();
    }

    [Fact]
    public void Open_HoldsAnFlockThatOtherProcessesSee()
    {
        string lockPath;
        using (HostLocalStore store = HostLocalStore.Open("net1", _data.Path))
        {
            lockPath = Path.Combine(store.Directory, "lock");
            // util-linux flock(1) uses flock(2), as Go's filemutex does: it must find the lock taken.
            Assert.Equal(1, RunFlock(lockPath));
        }
        Assert.Equal(0, RunFlock(lockPath));
    }

    private static int RunFlock(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("flock") { ArgumentList = { "--nonblock", "--conflict-exit-code", "1", path, "true" } };
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
