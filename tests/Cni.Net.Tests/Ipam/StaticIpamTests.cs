using Cni.Net.Ipam;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Ipam;

public class StaticIpamTests
{
    private static List<CniIPConfig> Resolve(string args = "", string[]? argsIps = null, string[]? runtimeIps = null, string version = "1.0.0",
        params (string, string?)[] configured) =>
        StaticIpam.ResolveAddresses(configured, CniArgs.Parse(args), argsIps, runtimeIps, CniVersion.Parse(version));

    [Fact]
    public void Configured_KeepHostBitsAndGateways()
    {
        List<CniIPConfig> ips = Resolve(configured: [("10.10.0.1/24", "10.10.0.254"), ("3ffe:ffff:0:01ff::1/64", null)]);
        Assert.Equal(["10.10.0.1/24 gw 10.10.0.254", "3ffe:ffff:0:1ff::1/64 gw -"], ips.Select(i => $"{i.Address} gw {i.Gateway?.ToString() ?? "-"}"));
    }

    [Fact]
    public void EnvArgs_AddAddressesAndAssignGatewaysByContainment()
    {
        List<CniIPConfig> ips = Resolve("IgnoreUnknown=1;IP=10.1.0.5/16, 192.168.1.7/24;GATEWAY=10.1.0.1", configured: [("10.1.9.9/16", null)]);
        Assert.Equal(["10.1.9.9/16 gw 10.1.0.1", "10.1.0.5/16 gw 10.1.0.1", "192.168.1.7/24 gw -"], ips.Select(i => $"{i.Address} gw {i.Gateway?.ToString() ?? "-"}"));
    }

    [Fact]
    public void ArgsIps_ThenRuntimeIps_ReplaceTheList()
    {
        Assert.Equal(["10.2.0.2/24"], Resolve(argsIps: ["10.2.0.2/24"], configured: [("10.10.0.1/24", null)]).Select(i => i.Address.ToString()));
        Assert.Equal(["10.3.0.3/24"], Resolve(argsIps: ["10.2.0.2/24"], runtimeIps: ["10.3.0.3/24"]).Select(i => i.Address.ToString()));
    }

    [Theory]
    [InlineData("10.0.0.1", "the 'address' field is expected to be in CIDR notation, got: '10.0.0.1'")]
    [InlineData("garbage/24", "the 'address' field is expected to be in CIDR notation, got: 'garbage/24'")]
    public void BadAddress_IsCode7WithTheReferenceMessage(string address, string message)
    {
        CniException e = Assert.Throws<CniException>(() => Resolve(configured: [(address, null)]));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void TwoAddressesOfAFamily_Before030_AreRefused()
    {
        CniException e = Assert.Throws<CniException>(() => Resolve(version: "0.2.0", configured: [("10.0.0.1/24", null), ("10.0.0.2/24", null)]));
        Assert.Contains("does not support more than 1 address per family", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, Resolve(version: "0.3.1", configured: [("10.0.0.1/24", null), ("10.0.0.2/24", null)]).Count);
    }

    [Fact]
    public void Verify_GatewayMismatch_IsReported()
    {
        var previous = new CniResult(CniVersion.Latest);
        previous.IPs.Add(new CniIPConfig { Address = CniIPNet.Parse("10.0.0.1/24"), Gateway = System.Net.IPAddress.Parse("10.0.0.254") });
        Assert.Null(StaticIpam.Verify(Resolve(configured: [("10.0.0.1/24", "10.0.0.254")]), previous));
        Assert.Null(StaticIpam.Verify(Resolve(configured: [("10.0.0.1/24", null)]), previous));
        Assert.Equal("static: Failed to match addr 10.0.0.1", StaticIpam.Verify(Resolve(configured: [("10.0.0.1/24", "10.0.0.253")]), previous));
    }
}
