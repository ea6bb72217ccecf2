using System.Text;
using System.Text.Json.Nodes;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.Tests.Plugins;

namespace Cni.Net.Tests.Regressions;

/// <summary>
/// Inputs the fuzzers crashed the readers with (the in-process mutation loop earlier, SharpFuzz + afl-fuzz since:
/// tests/Cni.Net.Fuzz, eng/fuzz.sh); each failed before its fix.
/// </summary>
public class FuzzCrashTests
{
    [Fact]
    public void Result_LoneSurrogateEscape_IsADecodingError()
    {
        byte[] json = Encoding.UTF8.GetBytes("""{"cniVersion":"0.3.0","ips":[{"version":"6","address":"\ud800"}]}""");
        CniException e = Assert.Throws<CniException>(() => CniResult.Parse(json));
        Assert.Equal(CniErrorCode.DecodingFailure, e.Code);
    }

    [Fact]
    public void Error_LoneSurrogateEscape_IsADecodingError()
    {
        byte[] json = Encoding.UTF8.GetBytes("""{"cniVersion":"1.0.0","code":7,"msg":"\udc00"}""");
        CniException e = Assert.Throws<CniException>(() => CniError.Parse(json));
        Assert.Equal(CniErrorCode.DecodingFailure, e.Code);
    }

    // afl-fuzz, config target: a lone surrogate escape in a key or string of a config list or a plugin config passed
    // the reader (it checks escapes only as text) and threw InvalidOperationException when the tree was built (a key)
    // or wherever the string was first read (a value: the plugin's typed config, type, name).
    [Theory]
    [InlineData("""{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"bridge","\ud800x":true}]}""")]
    [InlineData("""{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"bridge","bridge":"\ud800"}]}""")]
    [InlineData("""{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"bridge","ipam":{"type":"host-local","ranges":[[{"subnet":"\udbff"}]]}}]}""")]
    public void ConfigList_LoneSurrogateEscape_IsADecodingError(string json)
    {
        CniException e = Assert.Throws<CniException>(() => NetworkConfigList.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(CniErrorCode.DecodingFailure, e.Code);
        Assert.StartsWith("network config list: invalid JSON string", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PluginConfig_LoneSurrogateEscape_IsADecodingError()
    {
        byte[] json = Encoding.UTF8.GetBytes("""{"cniVersion":"0.3.1","name":"n","type":"bridge","ipam":{"type":"host-local","subnet":"\udbff"}}""");
        CniException e = Assert.Throws<CniException>(() => PluginConfig.Parse(json));
        Assert.Equal(CniErrorCode.DecodingFailure, e.Code);
    }

    [Theory]
    [InlineData(new byte[] { 0x7b, 0x22, 0x63, 0x6e, 0x69, 0x56, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d })] // {"cniVersion":"<ff fe>"}
    [InlineData(new byte[] { 0x7b, 0x22, 0x63, 0x6e, 0x69, 0x56, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x22, 0x3a, 0x22, 0x5c, 0x75, 0x64, 0x38, 0x30, 0x30, 0x22, 0x7d })] // {"cniVersion":"\ud800"}
    public async Task PluginHost_StdinWithUntranscodableVersion_AnswersACniErrorInsteadOfCrashing(byte[] stdin)
    {
        var env = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = "ADD",
            ["CNI_CONTAINERID"] = "fuzz",
            ["CNI_NETNS"] = "/var/run/netns/fuzz",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = "/nonexistent",
        };
        CniPluginOutcome o = await CniPluginHost.InvokeAsync(new CniPluginHostTests.RecordingPlugin(), env, stdin, new CniPluginHostOptions(),
            TestContext.Current.CancellationToken);
        Assert.NotEqual(0, o.ExitCode);
        JsonObject error = JsonNode.Parse(o.Stdout)!.AsObject();
        // Invalid UTF-8 is a decoding failure; a lone surrogate reads as a version that is not one (a config error).
        Assert.Contains((int)error["code"]!, new[] { (int)CniErrorCode.DecodingFailure, (int)CniErrorCode.InvalidNetworkConfig });
    }
}
