using System.Text.Json.Nodes;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Spec;

/// <summary>
/// The typed runtimeConfig is read capability by capability (each under its own type's metadata): every capability
/// of the record is read, with the record's key rules (folded names, the last non-null value wins).
/// </summary>
public sealed class CniRuntimeConfigTests
{
    // What a runtime sends, with every capability CniRuntimeConfig knows; keys spelled as containerd's Go structs do.
    private const string Every = """
        {"PortMappings":[{"HostPort":8080,"ContainerPort":80,"Protocol":"tcp","HostIP":"127.0.0.1"}],
         "Bandwidth":{"IngressRate":1000,"IngressBurst":2000,"EgressRate":3000,"EgressBurst":4000},
         "IPRanges":[[{"Subnet":"10.1.0.0/24","RangeStart":"10.1.0.10","RangeEnd":"10.1.0.20","Gateway":"10.1.0.1"}]],
         "IPs":["10.1.0.5/24"],"MAC":"0a:58:0a:01:00:05","DNS":{"Servers":["10.96.0.10"],"Searches":["svc"],"Options":["ndots:5"]},
         "Aliases":["web"],"CgroupPath":"/kubepods/pod1","DeviceID":"0000:00:1f.6","InfinibandGUID":"c2:11:22:33:44:55:66:77"}
        """;

    [Fact]
    public void EveryCapabilityOfTheRecord_IsRead()
    {
        CniRuntimeConfig config = CniRuntimeConfig.Parse(JsonNode.Parse(Every)!.AsObject());
        // A capability added to the record but not to FromJson would stay null here.
        foreach (System.Reflection.PropertyInfo property in typeof(CniRuntimeConfig).GetProperties())
        {
            Assert.True(property.GetValue(config) is not null, $"{property.Name} was not read");
        }
        Assert.Equal("""{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":"127.0.0.1"}],"bandwidth":{"ingressRate":1000,"ingressBurst":2000,"egressRate":3000,"egressBurst":4000},"ipRanges":[[{"subnet":"10.1.0.0/24","rangeStart":"10.1.0.10","rangeEnd":"10.1.0.20","gateway":"10.1.0.1"}]],"ips":["10.1.0.5/24"],"mac":"0a:58:0a:01:00:05","dns":{"servers":["10.96.0.10"],"searches":["svc"],"options":["ndots:5"]},"aliases":["web"],"cgroupPath":"/kubepods/pod1","deviceID":"0000:00:1f.6","infinibandGUID":"c2:11:22:33:44:55:66:77"}""",
            config.ToJsonObject().ToJsonString());
    }

    [Fact]
    public void SpellingsOfOneCapability_TheLastNonNullWins_UnknownKeysIgnored()
    {
        CniRuntimeConfig config = CniRuntimeConfig.Parse(JsonNode.Parse("""
            {"bandwidth":{"ingressRate":1},"BANDWIDTH":{"ingressRate":2},"Bandwidth":null,"mac":null,"someOtherCapability":{"x":1}}
            """)!.AsObject());
        Assert.Equal(2UL, config.Bandwidth!.IngressRate);
        Assert.Null(config.Mac);
        Assert.Null(config.PortMappings);
    }

    [Fact]
    public void ACapabilityOfTheWrongShape_Code7NamingItsPath()
    {
        CniException e = Assert.Throws<CniException>(() =>
            CniRuntimeConfig.Parse(JsonNode.Parse("""{"dns":{"servers":"10.96.0.10"}}""")!.AsObject()));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.StartsWith("runtimeConfig.dns.servers:", e.Message, StringComparison.Ordinal);
    }
}
