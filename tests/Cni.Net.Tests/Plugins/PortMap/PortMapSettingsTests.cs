using System.Text;
using Cni.Net.Conventions;
using Cni.Net.Plugins;
using Cni.Net.Samples.PortMap;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cni.Net.Tests.Plugins.PortMap;

/// <summary>portmap's layout is settled once per invocation: the node default is a PATH search for iptables.</summary>
public class PortMapSettingsTests
{
    private const string Config = """
        {"cniVersion":"1.0.0","name":"demo","type":"portmap","backend":"nftables",
         "runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]},
         "prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/x"}],
                       "ips":[{"interface":0,"address":"10.1.2.3/24"}]}}
        """;

    [Fact]
    public void Validate_SettlesTheLayout_AndReadTakesIt_WithoutResolvingAgain()
    {
        byte[] stdin = Encoding.UTF8.GetBytes(Config);
        PluginConfig config = PluginConfig.Parse(stdin);
        PortMapNetConf conf = PortMapNetConf.ReadCniConfig(config.Json);
        PortMapSettings.Validate(conf);
        Assert.Equal(ReferenceBackendChoice.Nftables, conf.ResolvedBackend);

        // Read must use what Validate settled: were it to resolve again, it would answer nftables (the configured one).
        conf.ResolvedBackend = ReferenceBackendChoice.Iptables;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["CNI_COMMAND"] = "ADD", ["CNI_CONTAINERID"] = "ctr", ["CNI_NETNS"] = "/run/netns/x", ["CNI_IFNAME"] = "eth0", ["CNI_PATH"] = "/opt/cni/bin",
        };
        var request = new CniPluginRequest(CniEnvironment.FromEnvironment(environment), environment, config, CniVersion.V1_0_0, stdin, [],
            TimeSpan.FromSeconds(5), NullLogger.Instance);
        PortMapSettings settings = PortMapSettings.Read(new CniPluginRequest<PortMapNetConf>(request, conf));
        Assert.Equal(ReferenceBackendChoice.Iptables, settings.Backend);
        Assert.Equal([new HostPortMapping(8080, 80, "tcp")], settings.Mappings);
    }

    [Fact]
    public void Validate_WithNoBackend_SettlesOnTheNodeDefault()
    {
        PortMapNetConf conf = PortMapNetConf.ReadCniConfig(PluginConfig.Parse("""{"cniVersion":"1.0.0","name":"demo","type":"portmap"}"""u8).Json);
        PortMapSettings.Validate(conf);
        Assert.Equal(ReferenceBackendChoice.Resolve(null), conf.ResolvedBackend);
    }
}
