using System.Net.NetworkInformation;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class CniInterfaceTests
{
    [Theory]
    [InlineData("0a:58:0a:f4:01:05")]
    [InlineData("0A:58:0A:F4:01:05")]
    [InlineData("0a-58-0a-f4-01-05")]
    [InlineData("0a580af40105")]
    public void ParseMac_CommonSpellings_RoundTripThroughFormatMac(string text)
    {
        PhysicalAddress a = CniInterface.ParseMac(text);
        Assert.Equal("0a:58:0a:f4:01:05", CniInterface.FormatMac(a));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("zz:58:0a:f4:01:05")]
    [InlineData("0a:58:0a")]
    public void TryParseMac_NotAnAddress_False(string? text)
    {
        Assert.False(CniInterface.TryParseMac(text, out PhysicalAddress? a) && a.GetAddressBytes().Length == 6);
        if (text is null or "" or "zz:58:0a:f4:01:05")
        {
            Assert.False(CniInterface.TryParseMac(text, out _));
        }
    }

    [Fact]
    public void ParseMac_Garbage_FormatExceptionSaysWhatIsExpected()
    {
        var e = Assert.Throws<FormatException>(() => CniInterface.ParseMac("nope"));
        Assert.Contains("'nope' is not a hardware address", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FormatMac_Ethernet_LowerCaseColonSeparated()
    {
        Assert.Equal("0a:58:0a:f4:01:05", CniInterface.FormatMac(PhysicalAddress.Parse("0A-58-0A-F4-01-05")));
    }

    [Fact]
    public void FormatMac_InfiniBand20Bytes_AllBytes()
    {
        byte[] bytes = [.. Enumerable.Range(0, 20).Select(i => (byte)(0xf0 + i % 16))];
        string text = CniInterface.FormatMac(new PhysicalAddress(bytes));
        Assert.Equal(20 * 3 - 1, text.Length);
        Assert.StartsWith("f0:f1:f2", text, StringComparison.Ordinal);
    }

    [Fact]
    public void FormatMac_NullAndEmpty()
    {
        Assert.Null(CniInterface.FormatMac(null));
        Assert.Equal("", CniInterface.FormatMac(PhysicalAddress.None));
    }
}
