using System.Net.NetworkInformation;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class CniInterfaceTests
{
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
