using System.Net;
using Cni.Net.Conventions.Links;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Plugins.Links;

public class LinksTests
{
    [Theory]
    [InlineData("10.77.0.2/24", "10.77.0.1")]
    [InlineData("10.77.3.200/16", "10.77.0.1")]
    [InlineData("192.168.1.130/25", "192.168.1.129")]
    [InlineData("fd00:1::5/64", "fd00:1::1")]
    public void DefaultGateway_IsTheFirstHostOfTheNetwork(string pod, string gateway) =>
        Assert.Equal(IPAddress.Parse(gateway), BridgeSetup.DefaultGateway(CniIPNet.Parse(pod)));

    [Theory]
    [InlineData("10.77.0.2/24", "10.77.0.255")]
    [InlineData("10.1.2.3/8", "10.255.255.255")]
    [InlineData("172.16.5.4/30", "172.16.5.7")]
    [InlineData("172.16.5.4/31", null)]
    [InlineData("172.16.5.4/32", null)]
    [InlineData("fd00::2/64", null)]
    public void ToInterfaceAddress_DerivesTheIPv4Broadcast(string address, string? broadcast)
    {
        var a = PodInterface.ToInterfaceAddress(7, CniIPNet.Parse(address));
        Assert.Equal(7, a.Index);
        Assert.Equal(CniIPNet.Parse(address).Address, a.Address);
        Assert.Equal(broadcast, a.Broadcast?.ToString());
    }

    [Fact]
    public void RandomHostName_IsVethAnd8HexDigits_AndFitsIfnamsiz()
    {
        var names = Enumerable.Range(0, 64).Select(_ => VethSetup.RandomHostName()).ToList();
        Assert.All(names, n => Assert.Matches("^veth[0-9a-f]{8}$", n));
        Assert.True(names.Distinct().Count() > 60);
    }

    [Fact]
    public void PodNamespace_TryOpen_EmptyOrMissing_IsNull()
    {
        Assert.Null(PodNamespace.TryOpen(null));
        Assert.Null(PodNamespace.TryOpen(""));
        Assert.Null(PodNamespace.TryOpen("/run/netns/cnt-unit-missing"));
    }

    [Fact]
    public void PodNamespace_Open_Missing_IsCode3()
    {
        CniException e = Assert.Throws<CniException>(() => PodNamespace.Open("/run/netns/cnt-unit-missing"));
        Assert.Equal(CniErrorCode.UnknownContainer, e.Code);
        Assert.Contains("/run/netns/cnt-unit-missing", e.Message, StringComparison.Ordinal);
    }
}
