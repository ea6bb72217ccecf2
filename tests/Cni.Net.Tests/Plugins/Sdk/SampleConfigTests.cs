using System.Text;
using System.Text.Json;
using Cni.Net.Plugins;
using Cni.Net.Samples.Bandwidth;
using Cni.Net.Samples.HostDevice;
using Cni.Net.Samples.HostLocal;
using Cni.Net.Samples.PortMap;
using Cni.Net.Samples.Tap;
using Cni.Samples.Bridge;

namespace Cni.Net.Tests.Plugins.Sdk;

/// <summary>
/// Every sample plugin reads its config through the SDK: each of its keys, written in another case, still reaches
/// the plugin (a wrong-typed value under it is refused with code 7 naming the key's canonical path), and
/// cross-key checks are code 7 too. All of this happens before any kernel call, so no root is needed.
/// </summary>
public class SampleConfigTests
{
    private static ICniPlugin Plugin(string name) => name switch
    {
        "bridge" => new BridgePlugin(),
        "host-local" => new HostLocalPlugin(),
        "portmap" => new PortMapPlugin(),
        "bandwidth" => new BandwidthPlugin(),
        "host-device" => new HostDevicePlugin(),
        "tap" => new TapPlugin(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static async Task<(uint Code, string Msg)> Fail(string plugin, string keys)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["CNI_COMMAND"] = "ADD",
            ["CNI_CONTAINERID"] = "ctr1",
            ["CNI_NETNS"] = "/run/netns/does-not-exist",
            ["CNI_IFNAME"] = "eth0",
            ["CNI_PATH"] = "/nonexistent",
        };
        string config = $$"""{"cniVersion":"1.0.0","name":"n","type":"{{plugin}}"{{keys}}}""";
        CniPluginOutcome o = await CniPluginHost.InvokeAsync(Plugin(plugin), env, Encoding.UTF8.GetBytes(config),
            new CniPluginHostOptions(), TestContext.Current.CancellationToken);
        Assert.Equal(1, o.ExitCode);
        using var doc = JsonDocument.Parse(o.Stdout);
        return (doc.RootElement.GetProperty("code").GetUInt32(), doc.RootElement.GetProperty("msg").GetString()!);
    }

    /// <summary>Each key of each sample, its canonical path, and a value of the wrong type for it.</summary>
    public static TheoryData<string, string, string> Keys() => new()
    {
        { "bridge", "bridge", "5" }, { "bridge", "isGateway", "\"x\"" }, { "bridge", "isDefaultGateway", "\"x\"" },
        { "bridge", "forceAddress", "\"x\"" }, { "bridge", "ipMasq", "\"x\"" }, { "bridge", "mtu", "\"x\"" },
        { "bridge", "hairpinMode", "1" }, { "bridge", "promiscMode", "1" }, { "bridge", "vlan", "1.5" },
        { "bridge", "preserveDefaultVlan", "\"x\"" }, { "bridge", "enabledad", "\"x\"" }, { "bridge", "macspoofchk", "\"x\"" },
        { "bridge", "args.cni.mac", "1" }, { "bridge", "runtimeConfig.mac", "1" }, { "bridge", "ipam.type", "1" },
        { "bandwidth", "ingressRate", "-1" }, { "bandwidth", "ingressBurst", "\"x\"" }, { "bandwidth", "egressRate", "1.5" },
        { "bandwidth", "egressBurst", "true" }, { "bandwidth", "shapedSubnets", "\"x\"" }, { "bandwidth", "unshapedSubnets", "{}" },
        { "portmap", "snat", "\"x\"" }, { "portmap", "markMasqBit", "\"x\"" }, { "portmap", "externalSetMarkChain", "1" },
        { "portmap", "masqAll", "1" }, { "portmap", "conditionsV4", "\"x\"" }, { "portmap", "conditionsV6", "{}" },
        { "host-local", "ipam.type", "1" }, { "host-local", "ipam.subnet", "1" }, { "host-local", "ipam.rangeStart", "1" },
        { "host-local", "ipam.rangeEnd", "1" }, { "host-local", "ipam.gateway", "1" }, { "host-local", "ipam.ranges", "\"x\"" },
        { "host-local", "ipam.routes", "\"x\"" }, { "host-local", "ipam.dataDir", "1" }, { "host-local", "ipam.resolvConf", "1" },
        { "host-local", "runtimeConfig.ipRanges", "{}" }, { "host-local", "runtimeConfig.ips", "\"x\"" },
        { "host-local", "args.cni.ips", "\"x\"" },
        { "host-device", "device", "1" }, { "host-device", "hwaddr", "1" }, { "host-device", "kernelpath", "true" },
        { "host-device", "pciBusID", "{}" }, { "host-device", "runtimeConfig.deviceID", "1" }, { "host-device", "ipam.type", "1" },
        { "tap", "mac", "1" }, { "tap", "mtu", "\"x\"" }, { "tap", "multiQueue", "\"x\"" }, { "tap", "owner", "-1" },
        { "tap", "group", "1.5" }, { "tap", "selinuxContext", "1" }, { "tap", "bridge", "1" }, { "tap", "runtimeConfig.mac", "1" },
        { "tap", "ipam.type", "1" },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task EveryKey_InAnyCase_IsReadAndTypeChecked(string plugin, string path, string wrongValue)
    {
        foreach (Func<string, string> spell in new Func<string, string>[] { k => k, k => k.ToUpperInvariant(), Alternate })
        {
            string[] parts = path.Split('.');
            string json = $"\"{spell(parts[^1])}\":{wrongValue}";
            for (int i = parts.Length - 2; i >= 0; i--)
            {
                json = $"\"{spell(parts[i])}\":{{{json}}}";
            }
            (uint code, string msg) = await Fail(plugin, "," + json);
            Assert.Equal(7u, code);
            Assert.StartsWith(path + ": ", msg, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("bridge", ",\"mtu\":70000", "mtu: 70000 is out of range")]
    [InlineData("bridge", ",\"vlan\":5000", "vlan: invalid VLAN ID 5000")]
    [InlineData("bridge", ",\"hairpinMode\":true,\"promiscMode\":true", "cannot set hairpin mode and promiscuous mode")]
    [InlineData("portmap", ",\"markMasqBit\":40", "markMasqBit must be between 0 and 31")]
    [InlineData("portmap", ",\"markMasqBit\":1,\"externalSetMarkChain\":\"X\"", "cannot specify externalSetMarkChain and markMasqBit")]
    [InlineData("bandwidth", ",\"ingressRate\":1000,\"prevResult\":{\"cniVersion\":\"1.0.0\"}", "bandwidth: ingressRate and ingressBurst must be set together")]
    [InlineData("host-local", ",\"ipam\":{\"subnet\":\"10.0.0.5/24\"}", "host bits set")]
    [InlineData("host-device", "", "specify either \"device\", \"hwaddr\", \"kernelpath\" or \"pciBusID\"")]
    [InlineData("host-device", ",\"runtimeConfig\":{\"deviceID\":\"0000:ff:1f.7\"}", "runtime config DeviceID 0000:ff:1f.7 not found or unsupported")]
    [InlineData("tap", ",\"mac\":\"02:00:00:00:00\"", "invalid args 02:00:00:00:00 for MAC addr")]
    [InlineData("tap", ",\"mtu\":70000", "mtu: 70000 is out of range")]
    public async Task CrossKeyChecks_AreCode7(string plugin, string keys, string message)
    {
        (uint code, string msg) = await Fail(plugin, keys);
        Assert.Equal(7u, code);
        Assert.Contains(message, msg, StringComparison.Ordinal);
    }

    private static string Alternate(string key) =>
        string.Concat(key.Select((c, i) => i % 2 == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)));
}
