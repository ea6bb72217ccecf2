using System.Net;
using Cni.Net.Kubelet;

namespace Cni.Net.Tests.Kubelet;

public class NetworkPluginOptionsTests
{
    [Fact]
    public void Parse_NoFlags_KubeletDefaults()
    {
        NetworkPluginOptions o = NetworkPluginOptions.Parse([]);
        Assert.Equal("", o.NetworkPlugin);
        Assert.Equal(["/opt/cni/bin"], o.CniBinDirectories);
        Assert.Equal("/etc/cni/net.d", o.CniConfDirectory);
        Assert.Equal("/var/lib/cni/cache", o.CniCacheDirectory);
        Assert.Null(o.HostLocalDataDirectory);
        Assert.Equal(0, o.NetworkPluginMtu);
        Assert.Equal(IPNetwork.Parse("10.0.0.0/8"), o.NonMasqueradeCidr);
        Assert.Null(o.PodCidr);
        Assert.Equal(HairpinMode.PromiscuousBridge, o.HairpinMode);
    }

    [Fact]
    public void Parse_EveryFlagInBothSpellings_Read()
    {
        NetworkPluginOptions o = NetworkPluginOptions.Parse(
        [
            "--network-plugin=kubenet", "--cni-bin-dir", "/a, /b,,/c", "--cni-conf-dir=/conf", "--cni-cache-dir", "/cache",
            "--network-plugin-mtu=8873", "--non-masquerade-cidr", "100.64.0.0/10", "--pod-cidr=10.244.1.0/24,fd00:1::/64",
            "--hairpin-mode", "hairpin-veth", "--host-local-data-dir=/data",
        ]);
        Assert.Equal("kubenet", o.NetworkPlugin);
        Assert.Equal(["/a", "/b", "/c"], o.CniBinDirectories);
        Assert.Equal("/conf", o.CniConfDirectory);
        Assert.Equal("/cache", o.CniCacheDirectory);
        Assert.Equal("/data", o.HostLocalDataDirectory);
        Assert.Equal(8873, o.NetworkPluginMtu);
        Assert.Equal(IPNetwork.Parse("100.64.0.0/10"), o.NonMasqueradeCidr);
        Assert.Equal("10.244.1.0/24,fd00:1::/64", o.PodCidr);
        Assert.Equal(HairpinMode.HairpinVeth, o.HairpinMode);
    }

    [Theory]
    [InlineData("promiscuous-bridge", HairpinMode.PromiscuousBridge)]
    [InlineData("hairpin-veth", HairpinMode.HairpinVeth)]
    [InlineData("none", HairpinMode.None)]
    public void Parse_HairpinMode_KubeletSpelling(string value, HairpinMode expected) =>
        Assert.Equal(expected, NetworkPluginOptions.Parse(["--hairpin-mode=" + value]).HairpinMode);

    [Theory]
    [InlineData("--network-plugin-mtu=abc", "--network-plugin-mtu")]
    [InlineData("--network-plugin-mtu=-5", "--network-plugin-mtu")]
    [InlineData("--network-plugin-mtu=67", "--network-plugin-mtu")]
    [InlineData("--network-plugin-mtu=65536", "--network-plugin-mtu")]
    [InlineData("--non-masquerade-cidr=10.1.2.3/8", "--non-masquerade-cidr")]
    [InlineData("--non-masquerade-cidr=banana", "--non-masquerade-cidr")]
    [InlineData("--pod-cidr=10.244.1.0/24,10.244.2.0/24", "two CIDRs of one address family")]
    [InlineData("--pod-cidr=10.244.1.1/24", "--pod-cidr")]
    [InlineData("--hairpin-mode=sideways", "--hairpin-mode")]
    [InlineData("--cni-conf-dir=", "--cni-conf-dir must not be empty")]
    [InlineData("--kubeconfig=/x", "unknown flag --kubeconfig")]
    [InlineData("kubenet", "unexpected argument 'kubenet'")]
    public void Parse_BadFlag_ArgumentExceptionNamingIt(string flag, string expected)
    {
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => NetworkPluginOptions.Parse([flag]));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FlagWithoutValue_Throws()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => NetworkPluginOptions.Parse(["--pod-cidr"]));
        Assert.Contains("--pod-cidr needs a value", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MtuZero_MeansDetect() => Assert.Equal(0, NetworkPluginOptions.Parse(["--network-plugin-mtu=0"]).NetworkPluginMtu);

    [Fact]
    public void ParsePodCidrs_DualStack_BothFamilies()
    {
        IReadOnlyList<IPNetwork> cidrs = NetworkPluginOptions.ParsePodCidrs("10.244.1.0/24, fd00:1::/64");
        Assert.Equal([IPNetwork.Parse("10.244.1.0/24"), IPNetwork.Parse("fd00:1::/64")], cidrs);
    }

    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("none", "")]
    [InlineData("cni", "cni")]
    [InlineData("kubenet", "kubenet")]
    public void Create_KnownName_ThatPlugin(string? name, string expectedName) =>
        Assert.Equal(expectedName, NetworkPlugins.Create(name).Name);

    [Fact]
    public void Create_UnknownName_ArgumentException()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => NetworkPlugins.Create("calico"));
        Assert.Contains("\"calico\" not found", e.Message, StringComparison.Ordinal);
    }
}
