using System.Net;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class CniIPNetTests
{
    [Theory]
    [InlineData("10.1.0.5/24", "10.1.0.5", 24, "10.1.0.0/24")]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0, "0.0.0.0/0")]
    [InlineData("192.168.1.255/32", "192.168.1.255", 32, "192.168.1.255/32")]
    [InlineData("2001:db8::5/64", "2001:db8::5", 64, "2001:db8::/64")]
    [InlineData("fd00:1:2:3:4:5:6:7/127", "fd00:1:2:3:4:5:6:7", 127, "fd00:1:2:3:4:5:6:6/127")]
    [InlineData("::/0", "::", 0, "::/0")]
    public void Parse_KeepsHostBits_NetworkClearsThem(string text, string address, int prefix, string network)
    {
        CniIPNet value = CniIPNet.Parse(text);
        Assert.Equal(IPAddress.Parse(address), value.Address);
        Assert.Equal(prefix, value.PrefixLength);
        Assert.Equal(text, value.ToString());
        Assert.Equal(network, value.Network.ToString());
    }

    [Theory]
    [InlineData("10.1.0.5")]
    [InlineData("10.1.0.5/")]
    [InlineData("10.1.0.5/33")]
    [InlineData("10.1.0.5/-1")]
    [InlineData("10.1.0.5/+8")]
    [InlineData("10.1.0.5/ 8")]
    [InlineData("10.1.0/24")]
    [InlineData("10.1.0.256/24")]
    [InlineData("010.1.0.5/24")]
    [InlineData("10.01.0.5/24")]
    [InlineData("0x0a.1.0.5/24")]
    [InlineData("1/8")]
    [InlineData("2001:db8::5/129")]
    [InlineData("fe80::1%eth0/64")]
    [InlineData("/24")]
    [InlineData("")]
    public void TryParse_RejectsWhatGoRejects(string text)
    {
        Assert.False(CniIPNet.TryParse(text, out _));
        Assert.Throws<FormatException>(() => CniIPNet.Parse(text));
    }

    [Theory]
    [InlineData("0.0.0.0/8")]
    [InlineData("10.0.0.0/8")]
    [InlineData("100.64.0.1/10")]
    public void TryParse_AcceptsZeroOctets(string text)
    {
        Assert.True(CniIPNet.TryParse(text, out CniIPNet value));
        Assert.Equal(text, value.ToString());
    }

    [Fact]
    public void Equality_ComparesAddressAndPrefix()
    {
        Assert.Equal(CniIPNet.Parse("10.0.0.1/24"), new CniIPNet(IPAddress.Parse("10.0.0.1"), 24));
        Assert.NotEqual(CniIPNet.Parse("10.0.0.1/24"), CniIPNet.Parse("10.0.0.1/25"));
        Assert.True(CniIPNet.Parse("::1/128") == CniIPNet.Parse("::1/128"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CniIPNet(IPAddress.Parse("10.0.0.1"), 33));
    }
}
