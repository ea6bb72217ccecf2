using System.Net;
using Cni.Net.Conventions;
using Cni.Net.Netfilter;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Conventions;

public class PortMappingConversionsTests
{
    [Fact]
    public void ToHostPortMapping_DefaultsProtocolAndParsesHostIP()
    {
        Assert.Equal(new HostPortMapping(8080, 80, "tcp"), new PortMapping { HostPort = 8080, ContainerPort = 80 }.ToHostPortMapping());
        Assert.Equal(new HostPortMapping(53, 5353, "udp", IPAddress.Parse("10.0.0.1")),
            new PortMapping { HostPort = 53, ContainerPort = 5353, Protocol = "UDP", HostIP = "10.0.0.1" }.ToHostPortMapping());
    }

    [Fact]
    public void ToHostPortMappings_InvalidEntry_Code7NamingTheIndex()
    {
        PortMapping[] entries = [new() { HostPort = 1, ContainerPort = 1 }, new() { HostPort = 70000, ContainerPort = 80 }];
        var e = Assert.Throws<CniException>(() => entries.ToHostPortMappings());
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Equal("runtimeConfig.portMappings[1]: invalid host port number: 70000", e.Message);
        Assert.Throws<CniException>(() => new PortMapping { HostPort = 1, ContainerPort = 1, Protocol = "icmp" }.ToHostPortMapping());
        Assert.Throws<CniException>(() => new PortMapping { HostPort = 1, ContainerPort = 1, HostIP = "host" }.ToHostPortMapping());
    }

    [Fact]
    public void ToPortMapping_RoundTrips_AnyAddressLeftOut()
    {
        var m = new HostPortMapping(8443, 443, "sctp", IPAddress.Parse("fd00::1"));
        Assert.Equal(m, m.ToPortMapping().ToHostPortMapping());
        Assert.Null(new HostPortMapping(1, 2, "tcp", IPAddress.Any).ToPortMapping().HostIP);
    }
}
