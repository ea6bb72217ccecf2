using Cni.Net.Conventions;

namespace Cni.Net.Tests.Conventions;

public class TuningTests
{
    [Theory]
    [InlineData("net.ipv4.conf.IFNAME.arp_filter", "eth0", "/proc/sys/net/ipv4/conf/eth0/arp_filter")]
    [InlineData("net.core.somaxconn", "eth0", "/proc/sys/net/core/somaxconn")]
    [InlineData("net/ipv6/conf/IFNAME/accept_ra", "net1", "/proc/sys/net/ipv6/conf/net1/accept_ra")]
    public void ToPath_MapsKeysAsTheReference(string key, string ifName, string expected) =>
        Assert.Equal(expected, TuningSysctls.ToPath(key, ifName));

    [Theory]
    [InlineData("kernel.hostname")]
    [InlineData("net")]
    public void ToPath_OutsideNet_IsRefused(string key)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => TuningSysctls.ToPath(key, "eth0"));
        Assert.StartsWith("invalid net sysctl key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindRefused_MatchesUnanchoredAsGo()
    {
        string[] allow = ["^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]*$", "somaxconn"];
        Assert.Null(TuningSysctls.FindRefused(["net.ipv4.conf.IFNAME.arp_filter", "net.core.somaxconn"], allow));
        Assert.Equal("net.ipv4.ip_forward", TuningSysctls.FindRefused(["net.core.somaxconn", "net.ipv4.ip_forward"], allow));
        Assert.Null(TuningSysctls.FindRefused(["anything"], null));
    }

    [Fact]
    public void ReadAllowlist_TrimsAndSkipsBlankLines_NullWhenMissing()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "  ^net\\.core\\..*  \n\n\t\nfoo\n");
            Assert.Equal(["^net\\.core\\..*", "foo"], TuningSysctls.ReadAllowlist(path));
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Null(TuningSysctls.ReadAllowlist(path));
    }

    [Fact]
    public void Backup_SaveLoad_RoundTripsInTheReferenceFormat()
    {
        string dir = Directory.CreateTempSubdirectory("tuning-").FullName;
        try
        {
            string path = LinkSettingsBackup.FilePath(Path.Combine(dir, "sub"), "ctr1", "eth0");
            Assert.EndsWith("/sub/ctr1_eth0.json", path, StringComparison.Ordinal);
            new LinkSettingsBackup { Mac = "0a:58:0a:00:00:02", Promiscuous = false, Mtu = 1500, TxQueueLength = 1000 }.Save(path);
            Assert.Equal("{\n \"mac\": \"0a:58:0a:00:00:02\",\n \"promisc\": false,\n \"mtu\": 1500,\n \"txQLen\": 1000\n}", File.ReadAllText(path));
            Assert.True(OperatingSystem.IsLinux() && File.GetUnixFileMode(path) == (UnixFileMode.UserRead | UnixFileMode.UserWrite));
            LinkSettingsBackup loaded = LinkSettingsBackup.Load(path)!;
            Assert.Equal(("0a:58:0a:00:00:02", (bool?)false, 1500, (bool?)null, (int?)1000),
                (loaded.Mac, loaded.Promiscuous, loaded.Mtu, loaded.AllMulticast, loaded.TxQueueLength));
            File.WriteAllText(path, "{\"MTU\":9000,\"AllMulti\":true}");
            loaded = LinkSettingsBackup.Load(path)!;
            Assert.Equal((9000, (bool?)true), (loaded.Mtu, loaded.AllMulticast));
            File.WriteAllText(path, "not json");
            Assert.Null(LinkSettingsBackup.Load(path));
            Assert.Null(LinkSettingsBackup.Load(Path.Combine(dir, "missing.json")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
