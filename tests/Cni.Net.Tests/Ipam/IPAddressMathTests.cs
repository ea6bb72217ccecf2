using System.Net;
using Cni.Net.Ipam;

namespace Cni.Net.Tests.Ipam;

public class IPAddressMathTests
{
    // Expected strings are what Go's net.IP.String() prints for the same address (RFC 5952, no dotted quads).
    [Theory]
    [InlineData("10.1.2.3", "10.1.2.3")]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("1::", "1::")]
    [InlineData("2001:DB8::1", "2001:db8::1")]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]
    [InlineData("1:0:0:2:0:0:0:3", "1:0:0:2::3")]
    [InlineData("1:0:0:2:0:0:3:4", "1::2:0:0:3:4")]
    [InlineData("::102:304", "::102:304")]
    [InlineData("fd00:9:0:0:0:0:0:ff", "fd00:9::ff")]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void Format_MatchesGoNetIPString(string input, string expected)
    {
        Assert.Equal(expected, IPAddressMath.Format(IPAddress.Parse(input)));
    }

    [Fact]
    public void Canonicalize_IPv4MappedIPv6_BecomesIPv4()
    {
        Assert.Equal(IPAddress.Parse("10.0.0.7"), IPAddressMath.Canonicalize(IPAddress.Parse("::ffff:10.0.0.7")));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("10.200.3.4")]
    [InlineData("::")]
    [InlineData("fd00::1:2")]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void ToValue_FromValue_RoundTrip(string text)
    {
        IPAddress ip = IPAddress.Parse(text);
        bool v6 = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        Assert.Equal(ip, IPAddressMath.FromValue(IPAddressMath.ToValue(ip), v6));
    }

    [Fact]
    public void ToValue_IPv4_IsBigEndianNumber()
    {
        Assert.Equal((UInt128)0x0A000102, IPAddressMath.ToValue(IPAddress.Parse("10.0.1.2")));
    }
}
