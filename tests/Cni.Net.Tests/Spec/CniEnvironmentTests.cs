using System.Collections;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

public class CniEnvironmentTests
{
    private static Hashtable Env(string command, params (string Key, string Value)[] extra)
    {
        var env = new Hashtable
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = "ctr-abc123",
            ["CNI_NETNS"] = "/var/run/netns/ctr",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = "/opt/cni/bin::/usr/lib/cni",
        };
        foreach (var (k, v) in extra)
        {
            if (v is null)
            {
                env.Remove(k);
            }
            else
            {
                env[k] = v;
            }
        }
        return env;
    }

    [Fact]
    public void FromEnvironment_Add_ReadsEverything()
    {
        CniEnvironment e = CniEnvironment.FromEnvironment(Env("ADD", ("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=web")));
        Assert.Equal(CniCommand.Add, e.Command);
        Assert.Equal(("ctr-abc123", "/var/run/netns/ctr", "eth0"), (e.ContainerId, e.NetNs, e.IfName));
        Assert.Equal(["/opt/cni/bin", "/usr/lib/cni"], e.Path);
        Assert.Equal("IgnoreUnknown=1;K8S_POD_NAME=web", e.Args);
        Assert.Equal("web", e.ParsedArgs["K8S_POD_NAME"]);
    }

    [Theory]
    [InlineData("ADD", CniCommand.Add)]
    [InlineData("DEL", CniCommand.Del)]
    [InlineData("CHECK", CniCommand.Check)]
    [InlineData("VERSION", CniCommand.Version)]
    [InlineData("GC", CniCommand.GC)]
    [InlineData("STATUS", CniCommand.Status)]
    public void FromEnvironment_EachCommand_Parses(string text, CniCommand expected)
    {
        Assert.Equal(expected, CniEnvironment.FromEnvironment(Env(text)).Command);
    }

    [Theory]
    [InlineData("ADD", "CNI_CONTAINERID")]
    [InlineData("ADD", "CNI_NETNS")]
    [InlineData("ADD", "CNI_IFNAME")]
    [InlineData("ADD", "CNI_PATH")]
    [InlineData("CHECK", "CNI_NETNS")]
    [InlineData("DEL", "CNI_CONTAINERID")]
    [InlineData("DEL", "CNI_IFNAME")]
    [InlineData("DEL", "CNI_PATH")]
    [InlineData("GC", "CNI_PATH")]
    [InlineData("STATUS", "CNI_PATH")]
    [InlineData("ADD", "CNI_COMMAND")]
    public void FromEnvironment_MissingRequired_ThrowsCode4NamingIt(string command, string variable)
    {
        var e = Assert.Throws<CniException>(() => CniEnvironment.FromEnvironment(Env(command, (variable, null!))));
        Assert.Equal(CniErrorCode.InvalidEnvironmentVariables, e.Code);
        Assert.StartsWith(variable + " ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEnvironment_OptionalPerVerb_AreOptional()
    {
        CniEnvironment del = CniEnvironment.FromEnvironment(Env("DEL", ("CNI_NETNS", null!)));
        Assert.Null(del.NetNs);
        CniEnvironment gc = CniEnvironment.FromEnvironment(Env("GC", ("CNI_CONTAINERID", null!), ("CNI_IFNAME", null!), ("CNI_NETNS", null!)));
        Assert.Equal(CniCommand.GC, gc.Command);
        CniEnvironment version = CniEnvironment.FromEnvironment(new Hashtable { ["CNI_COMMAND"] = "VERSION" });
        Assert.Empty(version.Path);
    }

    [Theory]
    [InlineData("CNI_COMMAND", "add")]
    [InlineData("CNI_COMMAND", "FROB")]
    [InlineData("CNI_CONTAINERID", "-leading-dash")]
    [InlineData("CNI_CONTAINERID", "has space")]
    [InlineData("CNI_CONTAINERID", "a/b")]
    [InlineData("CNI_IFNAME", "a-very-long-name")]
    [InlineData("CNI_IFNAME", ".")]
    [InlineData("CNI_IFNAME", "..")]
    [InlineData("CNI_IFNAME", "eth/0")]
    [InlineData("CNI_IFNAME", "eth:0")]
    [InlineData("CNI_IFNAME", "eth 0")]
    [InlineData("CNI_IFNAME", "eth\t0")]
    [InlineData("CNI_IFNAME", "ééééééééé")]
    [InlineData("CNI_ARGS", "A=1;broken")]
    public void FromEnvironment_InvalidValue_ThrowsCode4NamingIt(string variable, string value)
    {
        var e = Assert.Throws<CniException>(() => CniEnvironment.FromEnvironment(Env("ADD", (variable, value))));
        Assert.Equal(CniErrorCode.InvalidEnvironmentVariables, e.Code);
        Assert.StartsWith(variable, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEnvironment_IfName15Bytes_IsAccepted()
    {
        Assert.Equal("abcdefghijklmno", CniEnvironment.FromEnvironment(Env("ADD", ("CNI_IFNAME", "abcdefghijklmno"))).IfName);
    }
}
