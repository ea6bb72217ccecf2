using System.Text;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class CniErrorTests
{
    [Fact]
    public void Parse_SpecExample_ReadsAllFields()
    {
        CniError e = CniError.Parse(SpecTestData.Read("Spec/error-1.0.0.json"));
        Assert.Equal(("1.0.0", 7u, "Invalid Configuration", "Network 192.168.0.0/31 too small to allocate from."),
            (e.CniVersion, e.Code, e.Msg, e.Details));
        SpecTestData.AssertJsonEquivalent(SpecTestData.Read("Spec/error-1.0.0.json"), e.ToUtf8Bytes());
    }

    [Fact]
    public void Parse_GoPluginError_WithoutVersionAndCode999()
    {
        CniError e = CniError.Parse(SpecTestData.Read("Spec/error-go-999.json"));
        Assert.Null(e.CniVersion);
        Assert.Equal(999u, e.Code);
        Assert.Null(e.Details);
        CniException ex = CniException.FromError(e);
        Assert.Equal((CniErrorCode)999, ex.Code);
        Assert.StartsWith("failed to allocate", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToError_StampsVersionAndKeepsCode()
    {
        var ex = new CniException(CniErrorCode.TryAgainLater, "locked", "lock held by pid 7");
        Assert.Equal("""{"cniVersion":"1.1.0","code":11,"msg":"locked","details":"lock held by pid 7"}""",
            Encoding.UTF8.GetString(StripIndent(ex.ToError(CniVersion.V1_1_0).ToUtf8Bytes())));
        Assert.Equal("""{"code":11,"msg":"locked","details":"lock held by pid 7"}""",
            Encoding.UTF8.GetString(StripIndent(ex.ToError(null).ToUtf8Bytes())));
    }

    [Theory]
    [InlineData("""{"msg":"no code"}""", "code")]
    [InlineData("""{"code":"7","msg":"x"}""", "code")]
    [InlineData("""{"code":-1,"msg":"x"}""", "code")]
    [InlineData("""{"code":99999999999,"msg":"x"}""", "code")]
    [InlineData("""{"code":7,"msg":5}""", "msg")]
    [InlineData("""[]""", "error")]
    [InlineData("{\"code\":7,\"msg\":\"x", "error")]
    public void Parse_BadInput_ThrowsDecodingFailureNamingField(string json, string field)
    {
        var e = Assert.Throws<CniException>(() => CniError.Parse(SpecTestData.Utf8(json)));
        Assert.Equal(CniErrorCode.DecodingFailure, e.Code);
        Assert.StartsWith(field, e.Message, StringComparison.Ordinal);
    }

    private static byte[] StripIndent(byte[] json) => Encoding.UTF8.GetBytes(SpecTestData.Compact(json));
}
