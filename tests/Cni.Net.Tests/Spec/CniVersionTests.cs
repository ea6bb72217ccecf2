using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class CniVersionTests
{
    [Theory]
    [InlineData("0.1.0", 0, 1, 0)]
    [InlineData("1.1.0", 1, 1, 0)]
    [InlineData("2.10.33", 2, 10, 33)]
    [InlineData("1", 1, 0, 0)]
    [InlineData("1.0", 1, 0, 0)]
    public void Parse_ValidText_GivesNumbers(string text, int major, int minor, int patch)
    {
        CniVersion v = CniVersion.Parse(text);
        Assert.Equal((major, minor, patch), (v.Major, v.Minor, v.Patch));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.")]
    [InlineData(".1")]
    [InlineData("1.0.0.0")]
    [InlineData("v1.0.0")]
    [InlineData("1.0.0-rc1")]
    [InlineData("1..0")]
    [InlineData("99999999999.0.0")]
    [InlineData(" 1.0.0")]
    public void Parse_Invalid_ThrowsIncompatibleVersion(string text)
    {
        var e = Assert.Throws<CniException>(() => CniVersion.Parse(text));
        Assert.Equal(CniErrorCode.IncompatibleVersion, e.Code);
        Assert.False(CniVersion.TryParse(text, out _));
    }

    [Fact]
    public void ToString_FormatsThreeParts()
    {
        Assert.Equal("1.1.0", CniVersion.Parse("1.1").ToString());
        Assert.Equal("0.3.1", CniVersion.V0_3_1.ToString());
    }

    [Fact]
    public void Compare_OrdersNumerically()
    {
        Assert.True(CniVersion.Parse("0.10.0") > CniVersion.Parse("0.9.0"));
        Assert.True(CniVersion.V0_3_0 < CniVersion.V0_3_1);
        Assert.True(CniVersion.V1_1_0 >= CniVersion.Latest);
        Assert.True(CniVersion.V0_4_0 <= CniVersion.V1_0_0);
        Assert.Equal(CniVersion.V1_0_0, CniVersion.Parse("1.0.0"));
        Assert.NotEqual(CniVersion.V1_0_0, CniVersion.V1_1_0);
        Assert.True(CniVersion.V1_0_0 != CniVersion.V1_1_0);
    }

    [Fact]
    public void Supported_IsTheSpecSetAscending()
    {
        Assert.Equal(["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
            CniVersion.Supported.Select(v => v.ToString()));
        Assert.Equal(CniVersion.V1_1_0, CniVersion.Latest);
        Assert.True(CniVersion.V0_3_1.IsSupported);
        Assert.False(CniVersion.Parse("1.2.0").IsSupported);
        Assert.False(CniVersion.Parse("0.5.0").IsSupported);
    }
}
