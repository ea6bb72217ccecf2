using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;

namespace Cni.Net.IntegrationTests.Namespaces;

public class SysctlTests
{
    [Fact]
    public void WriteAndRead_InNamespace_SeenBySysctlThere()
    {
        using var t = new TestNamespace("sysctl");
        using NetworkNamespace ns = NetworkNamespace.Open(t.Path);
        Assert.Equal("0", Sysctl.Read("net.ipv4.ip_forward", ns));
        Sysctl.Write("net.ipv4.ip_forward", "1", ns);
        Assert.Equal("1", Sysctl.Read("net/ipv4/ip_forward", ns));
        Assert.Equal("net.ipv4.ip_forward = 1", t.ExecCheck("sysctl", "net.ipv4.ip_forward").Trim());

        Sysctl.Write("net.ipv4.conf.lo.route_localnet", "1", ns);
        Assert.Equal("1", t.ExecCheck("cat", "/proc/sys/net/ipv4/conf/lo/route_localnet").Trim());
        Sysctl.Write("net/ipv6/conf/lo/disable_ipv6", "1", ns);
        Assert.Equal("1", Sysctl.Read("net.ipv6.conf.lo.disable_ipv6", ns));
    }

    [Fact]
    public void Write_InCurrentNamespace_NotInRoot()
    {
        Require.NotInRootNamespace();
        string old = Sysctl.Read("net.ipv4.conf.all.arp_notify");
        try
        {
            Sysctl.Write("net.ipv4.conf.all.arp_notify", "1");
            Assert.Equal("1", File.ReadAllText("/proc/sys/net/ipv4/conf/all/arp_notify").Trim());
        }
        finally
        {
            Sysctl.Write("net.ipv4.conf.all.arp_notify", old);
        }
    }

    [Fact]
    public void Errors_InvalidKeyMissingKeyRefusedValue()
    {
        using var t = new TestNamespace("sysctlerr");
        using NetworkNamespace ns = NetworkNamespace.Open(t.Path);
        Assert.Throws<ArgumentException>(() => Sysctl.Read("kernel.hostname", ns));
        Assert.Throws<ArgumentException>(() => Sysctl.Read("net/../kernel/hostname", ns));
        Assert.Throws<ArgumentException>(() => Sysctl.Write("net.ipv4.ip_forward", "1\n0", ns));
        FileNotFoundException missing = Assert.Throws<FileNotFoundException>(() => Sysctl.Read("net.ipv4.conf.nosuch0.rp_filter", ns));
        Assert.Contains("net.ipv4.conf.nosuch0.rp_filter", missing.Message, StringComparison.Ordinal);
        IOException refused = Assert.Throws<IOException>(() => Sysctl.Write("net.ipv4.conf.lo.rp_filter", "banana", ns));
        Assert.Contains("rp_filter", refused.Message, StringComparison.Ordinal);
    }
}
