using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class CniArgsTests
{
    [Fact]
    public void Parse_Pairs_InOrder()
    {
        CniArgs args = CniArgs.Parse("IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0");
        Assert.Equal(["IgnoreUnknown", "K8S_POD_NAMESPACE", "K8S_POD_NAME"], args.Pairs.Select(p => p.Key));
        Assert.Equal("web-0", args["K8S_POD_NAME"]);
        Assert.True(args.IgnoreUnknown);
        Assert.Null(args["missing"]);
    }

    [Fact]
    public void Parse_EqualsInsideValue_SplitsAtFirst()
    {
        CniArgs args = CniArgs.Parse("A=b=c;B==");
        Assert.Equal("b=c", args["A"]);
        Assert.Equal("=", args["B"]);
    }

    [Fact]
    public void Parse_EmptyPairs_AreSkipped_AndEmptyValuesKept()
    {
        CniArgs args = CniArgs.Parse(";;A=1;;B=;");
        Assert.Equal(2, args.Pairs.Count);
        Assert.Equal("", args["B"]);
        Assert.Equal("A=1;B=", args.ToString());
    }

    [Fact]
    public void Parse_Duplicates_KeptInOrder_LastWins()
    {
        CniArgs args = CniArgs.Parse("IP=10.0.0.2;IP=10.0.0.3");
        Assert.Equal(2, args.Pairs.Count);
        Assert.Equal("10.0.0.3", args["IP"]);
        Assert.Equal("IP=10.0.0.2;IP=10.0.0.3", args.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Parse_Empty_GivesNoPairs(string? value)
    {
        Assert.Empty(CniArgs.Parse(value).Pairs);
        Assert.False(CniArgs.Parse(value).IgnoreUnknown);
    }

    [Theory]
    [InlineData("novalue", "novalue")]
    [InlineData("A=1;=2", "=2")]
    [InlineData("A=1;B", "'B'")]
    public void Parse_BadPair_ThrowsInvalidEnvironmentVariables(string value, string quoted)
    {
        var e = Assert.Throws<CniException>(() => CniArgs.Parse(value));
        Assert.Equal(CniErrorCode.InvalidEnvironmentVariables, e.Code);
        Assert.StartsWith("CNI_ARGS:", e.Message, StringComparison.Ordinal);
        Assert.Contains(quoted, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IgnoreUnknown=true", true)]
    [InlineData("IgnoreUnknown=TRUE", true)]
    [InlineData("IgnoreUnknown=0", false)]
    [InlineData("IgnoreUnknown=false", false)]
    public void IgnoreUnknown_AcceptsGoBooleans(string value, bool expected)
    {
        Assert.Equal(expected, CniArgs.Parse(value).IgnoreUnknown);
    }

    [Fact]
    public void EnsureKnown_UnknownKey_ThrowsUnlessIgnoreUnknown()
    {
        CniArgs.Parse("IP=10.0.0.2").EnsureKnown("IP", "MAC");
        var e = Assert.Throws<CniException>(() => CniArgs.Parse("IP=1;FOO=2").EnsureKnown("IP"));
        Assert.Equal(CniErrorCode.InvalidEnvironmentVariables, e.Code);
        Assert.Contains("FOO", e.Message, StringComparison.Ordinal);
        CniArgs.Parse("IgnoreUnknown=1;IP=1;FOO=2").EnsureKnown("IP");
    }

    [Fact]
    public void Constructor_FormatsPairs_AndRejectsSeparators()
    {
        var args = new CniArgs([new("K8S_POD_NAME", "a"), new("X", "b=c")]);
        Assert.Equal("K8S_POD_NAME=a;X=b=c", args.ToString());
        Assert.Equal(args.ToString(), CniArgs.Parse(args.ToString()).ToString());
        Assert.Throws<ArgumentException>(() => new CniArgs([new("a;b", "c")]));
        Assert.Throws<ArgumentException>(() => new CniArgs([new("a", "c;d")]));
        Assert.Throws<ArgumentException>(() => new CniArgs([new("", "c")]));
    }
}
