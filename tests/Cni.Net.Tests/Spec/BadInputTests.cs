using System.Text;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

/// <summary>Bad input to the public parsing API gives CniException with the right code and the field named — nothing else.</summary>
public class BadInputTests
{
    [Theory]
    // truncated / malformed JSON
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}""", CniErrorCode.DecodingFailure, "result: invalid JSON")]
    [InlineData("", CniErrorCode.DecodingFailure, "result: invalid JSON")]
    [InlineData("""{"cniVersion":"1.0.0"} {}""", CniErrorCode.DecodingFailure, "result: invalid JSON")]
    [InlineData("""{"cniVersion":"1.0.0",}""", CniErrorCode.DecodingFailure, "result: invalid JSON")]
    // wrong types
    [InlineData("""[]""", CniErrorCode.DecodingFailure, "result: expected an object")]
    [InlineData("""{"cniVersion":1}""", CniErrorCode.DecodingFailure, "cniVersion: expected a string")]
    [InlineData("""{"cniVersion":"1.0.0","ips":{}}""", CniErrorCode.DecodingFailure, "ips: expected an array")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[1]}""", CniErrorCode.DecodingFailure, "ips[]: expected an object")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":5}]}""", CniErrorCode.DecodingFailure, "ips[].address: expected a string")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"gateway":"10.0.0.1"}]}""", CniErrorCode.DecodingFailure, "ips[].address: required")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2"}]}""", CniErrorCode.DecodingFailure, "ips[].address: '10.0.0.2' is not")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.256/24"}]}""", CniErrorCode.DecodingFailure, "ips[].address:")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/33"}]}""", CniErrorCode.DecodingFailure, "ips[].address:")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"010.0.0.2/24"}]}""", CniErrorCode.DecodingFailure, "ips[].address:")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"1/8"}]}""", CniErrorCode.DecodingFailure, "ips[].address:")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"fe80::1%eth0/64"}]}""", CniErrorCode.DecodingFailure, "ips[].address:")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24","gateway":"gw"}]}""", CniErrorCode.DecodingFailure, "ips[].gateway:")]
    [InlineData("""{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mtu":"1500"}]}""", CniErrorCode.DecodingFailure, "interfaces[].mtu: expected a number")]
    [InlineData("""{"cniVersion":"1.0.0","routes":[{"gw":"10.0.0.1"}]}""", CniErrorCode.DecodingFailure, "routes[].dst: required")]
    [InlineData("""{"cniVersion":"1.0.0","dns":{"nameservers":"8.8.8.8"}}""", CniErrorCode.DecodingFailure, "dns.nameservers: expected an array")]
    [InlineData("""{"cniVersion":"0.2.0","ip4":{"gateway":"10.0.0.1"}}""", CniErrorCode.DecodingFailure, "ip4.ip: required")]
    [InlineData("""{"cniVersion":"0.2.0","ip4":[]}""", CniErrorCode.DecodingFailure, "ip4: expected an object")]
    // huge numbers
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24","interface":99999999999}]}""", CniErrorCode.DecodingFailure, "ips[].interface: number out of range")]
    [InlineData("""{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24","interface":-1}]}""", CniErrorCode.DecodingFailure, "ips[].interface: number out of range")]
    [InlineData("""{"cniVersion":"1.1.0","routes":[{"dst":"0.0.0.0/0","mtu":1e400}]}""", CniErrorCode.DecodingFailure, "routes[].mtu: number out of range")]
    [InlineData("""{"cniVersion":"1.1.0","routes":[{"dst":"0.0.0.0/0","table":1.5}]}""", CniErrorCode.DecodingFailure, "routes[].table: number out of range")]
    // versions
    [InlineData("""{"cniVersion":"2.0.0","ips":[]}""", CniErrorCode.IncompatibleVersion, "cniVersion: result version 2.0.0 is not supported")]
    [InlineData("""{"cniVersion":"one","ips":[]}""", CniErrorCode.IncompatibleVersion, "cniVersion: 'one' is not a CNI version")]
    public void CniResultParse_BadInput(string json, CniErrorCode code, string messageStart)
    {
        var e = Assert.Throws<CniException>(() => CniResult.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(code, e.Code);
        Assert.StartsWith(messageStart, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name":"n","type":"bridge" """, CniErrorCode.DecodingFailure, "plugin config: invalid JSON")]
    [InlineData("""42""", CniErrorCode.DecodingFailure, "plugin config: expected a JSON object")]
    [InlineData("""{"name":"n"}""", CniErrorCode.InvalidNetworkConfig, "type: required")]
    [InlineData("""{"type":7}""", CniErrorCode.InvalidNetworkConfig, "type: expected a string")]
    [InlineData("""{"type":""}""", CniErrorCode.InvalidNetworkConfig, "type: '' is not a plugin file name")]
    [InlineData("""{"type":"../../bin/sh"}""", CniErrorCode.InvalidNetworkConfig, "type: '../../bin/sh' is not a plugin file name")]
    [InlineData("""{"type":"/usr/bin/bridge"}""", CniErrorCode.InvalidNetworkConfig, "type: '/usr/bin/bridge'")]
    [InlineData("""{"type":"a\\b"}""", CniErrorCode.InvalidNetworkConfig, "type:")]
    [InlineData("""{"type":"x","name":1}""", CniErrorCode.InvalidNetworkConfig, "name: expected a string")]
    [InlineData("""{"type":"x","cniVersion":true}""", CniErrorCode.InvalidNetworkConfig, "cniVersion: expected a string")]
    [InlineData("""{"type":"x","cniVersion":"latest"}""", CniErrorCode.IncompatibleVersion, "cniVersion: 'latest' is not a CNI version")]
    [InlineData("""{"type":"x","capabilities":[]}""", CniErrorCode.InvalidNetworkConfig, "capabilities: expected an object")]
    [InlineData("""{"type":"x","capabilities":{"portMappings":"true"}}""", CniErrorCode.InvalidNetworkConfig, "capabilities.portMappings: expected a boolean")]
    [InlineData("""{"type":"x","ipam":"host-local"}""", CniErrorCode.InvalidNetworkConfig, "ipam: expected an object")]
    [InlineData("""{"type":"x","ipam":{"type":1}}""", CniErrorCode.InvalidNetworkConfig, "ipam.type: expected a string")]
    [InlineData("""{"type":"x","runtimeConfig":1}""", CniErrorCode.InvalidNetworkConfig, "runtimeConfig: expected an object")]
    [InlineData("""{"type":"x","prevResult":[]}""", CniErrorCode.InvalidNetworkConfig, "prevResult: expected an object")]
    public void PluginConfigParse_BadInput(string json, CniErrorCode code, string messageStart)
    {
        var e = Assert.Throws<CniException>(() => PluginConfig.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(code, e.Code);
        Assert.StartsWith(messageStart, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"plugins":[{"type":"x"}]}""", CniErrorCode.InvalidNetworkConfig, "name: required")]
    [InlineData("""{"name":["n"],"plugins":[{"type":"x"}]}""", CniErrorCode.InvalidNetworkConfig, "name: expected a string")]
    [InlineData("""{"name":"-net","plugins":[{"type":"x"}]}""", CniErrorCode.InvalidNetworkConfig, "name: '-net' is not a valid network name")]
    [InlineData("""{"name":"my net","plugins":[{"type":"x"}]}""", CniErrorCode.InvalidNetworkConfig, "name: 'my net'")]
    [InlineData("""{"name":"net/1","plugins":[{"type":"x"}]}""", CniErrorCode.InvalidNetworkConfig, "name: 'net/1'")]
    [InlineData("""{"name":"","plugins":[{"type":"x"}]}""", CniErrorCode.InvalidNetworkConfig, "name: ''")]
    [InlineData("""{"name":"n","plugins":{}}""", CniErrorCode.InvalidNetworkConfig, "plugins: expected an array")]
    [InlineData("""{"name":"n","plugins":[]}""", CniErrorCode.InvalidNetworkConfig, "plugins: the list is empty")]
    [InlineData("""{"name":"n","plugins":["bridge"]}""", CniErrorCode.InvalidNetworkConfig, "plugins[0]: expected an object")]
    [InlineData("""{"name":"n","plugins":[{"type":"x"},{"bridge":"cni0"}]}""", CniErrorCode.InvalidNetworkConfig, "plugins[1].type: required")]
    [InlineData("""{"name":"n","plugins":[{"type":"x","capabilities":{"mac":1}}]}""", CniErrorCode.InvalidNetworkConfig, "plugins[0].capabilities.mac")]
    [InlineData("""{"name":"n","cniVersion":"1.0","cniVersions":"1.1.0","plugins":[{"type":"x"}]}""", CniErrorCode.InvalidNetworkConfig, "cniVersions: expected an array")]
    [InlineData("""{"name":"n","cniVersions":["1.1.0",2],"plugins":[{"type":"x"}]}""", CniErrorCode.InvalidNetworkConfig, "cniVersions[1]: expected a string")]
    [InlineData("""{"name":"n","cniVersions":["1.1.0","x.y"],"plugins":[{"type":"x"}]}""", CniErrorCode.IncompatibleVersion, "cniVersions[1]: 'x.y'")]
    [InlineData("""{"name":"n","cniVersion":"1.0.0-beta","plugins":[{"type":"x"}]}""", CniErrorCode.IncompatibleVersion, "cniVersion: '1.0.0-beta'")]
    [InlineData("""{"name":"n","plugins":[{"type":"x"}]""", CniErrorCode.DecodingFailure, "network config list: invalid JSON")]
    [InlineData("""null""", CniErrorCode.DecodingFailure, "network config list: expected a JSON object, found null")]
    public void NetworkConfigListParse_BadInput(string json, CniErrorCode code, string messageStart)
    {
        var e = Assert.Throws<CniException>(() => NetworkConfigList.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(code, e.Code);
        Assert.StartsWith(messageStart, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepNesting_IsRejectedAsDecodingFailure()
    {
        string deep = new string('[', 10_000) + new string(']', 10_000);
        foreach (Action parse in DeepParsers("{\"cniVersion\":\"1.0.0\",\"type\":\"x\",\"name\":\"n\",\"code\":1,\"x\":" + deep + "}"))
        {
            var e = Assert.Throws<CniException>(parse);
            Assert.Equal(CniErrorCode.DecodingFailure, e.Code);
            Assert.Contains("depth", e.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static IEnumerable<Action> DeepParsers(string json)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        yield return () => CniResult.Parse(bytes);
        yield return () => PluginConfig.Parse(bytes);
        yield return () => NetworkConfigList.Parse(bytes);
        yield return () => CniError.Parse(bytes);
    }

    public static TheoryData<string> Examples =>
        ["result-0.2.0.json", "result-0.4.0.json", "result-1.1.0.json", "conflist-1.1.0.json", "plugin-tuning-add-1.1.0.json",
         "error-1.0.0.json"];

    /// <summary>Every truncation and many byte mutations of the examples: only CniException may escape.</summary>
    [Theory]
    [MemberData(nameof(Examples))]
    public void AnyCorruption_OnlyCniExceptionEscapes(string file)
    {
        byte[] original = SpecTestData.Read("Spec/" + file);
        var random = new Random(file.Length);
        var inputs = new List<byte[]>();
        for (int length = 0; length < original.Length; length++)
        {
            inputs.Add(original[..length]);
        }
        byte[] alphabet = "{}[]\",:0-9eE.tfn \\/"u8.ToArray();
        for (int i = 0; i < 2000; i++)
        {
            byte[] mutated = (byte[])original.Clone();
            mutated[random.Next(mutated.Length)] = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            inputs.Add(mutated);
        }
        foreach (byte[] input in inputs)
        {
            foreach (Func<object?> parse in AllParsers(input))
            {
                try
                {
                    parse();
                }
                catch (CniException)
                {
                }
                catch (Exception e)
                {
                    Assert.Fail($"{e.GetType().Name} escaped for input {Encoding.UTF8.GetString(input)}: {e}");
                }
            }
        }
    }

    private static IEnumerable<Func<object?>> AllParsers(byte[] bytes)
    {
        yield return () => CniResult.Parse(bytes, CniVersion.V1_0_0).ConvertTo(CniVersion.V0_2_0);
        yield return () => PluginConfig.Parse(bytes).PrevResult;
        yield return () => PluginConfig.Parse(bytes).RuntimeConfig;
        yield return () => PluginConfig.Parse(bytes).Dns;
        yield return () => PluginConfig.Parse(bytes).ConventionArgs;
        yield return () => NetworkConfigList.Parse(bytes).NegotiateVersion();
        yield return () => CniError.Parse(bytes);
    }
}
