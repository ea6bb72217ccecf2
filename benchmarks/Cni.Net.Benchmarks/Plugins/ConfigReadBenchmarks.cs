using System.Text;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Benchmarks.Plugins;

/// <summary>
/// A plugin's typed config read from the parsed tree, warm (a long-lived host's case): the reader <c>[CniConfig]</c>
/// writes at build time against <see cref="PluginConfig.As{T}"/> with a source-generated serializer context, the
/// same rules either way. An exec'd plugin reads once and cold; there the difference is the serializer's run-time
/// metadata (benchmarks/README.md, "Config readers written at build time").
/// </summary>
[MemoryDiagnoser]
public class ConfigReadBenchmarks
{
    // A bridge config as kubelet-style agents write it, with host-local's ranges and the runtime's capabilities.
    private static readonly PluginConfig s_config = PluginConfig.Parse(Encoding.UTF8.GetBytes("""
        {"cniVersion":"1.0.0","name":"k8s-pod-network","type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,
         "hairpinMode":true,"mtu":1450,
         "ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.1.0/24","gateway":"10.244.1.1"}],[{"subnet":"fd00:10:244:1::/64"}]],
                 "routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}],"dataDir":"/var/lib/cni/networks"},
         "runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],
                          "bandwidth":{"ingressRate":1000000,"ingressBurst":1000000,"egressRate":1000000,"egressBurst":1000000}},
         "args":{"cni":{"ips":["10.244.1.7"]}}}
        """));

    [Benchmark(Baseline = true)]
    public BenchBridgeConfig SerializerContext() => s_config.As(BenchConfigJsonContext.Default.BenchBridgeConfig);

    [Benchmark]
    public BenchBridgeConfig GeneratedReader() => BenchBridgeConfig.ReadCniConfig(s_config.Json);
}

/// <summary>bridge's keys and host-local's, in one record.</summary>
[CniConfig]
public sealed partial record BenchBridgeConfig
{
    public string? Bridge { get; init; }

    public bool IsGateway { get; init; }

    public bool IPMasq { get; init; }

    public bool HairpinMode { get; init; }

    public int Mtu { get; init; }

    public BenchIpam? Ipam { get; init; }

    public CniRuntimeConfig? RuntimeConfig { get; init; }

    public BenchArgs? Args { get; init; }
}

/// <summary>host-local's <c>ipam</c>.</summary>
public sealed record BenchIpam
{
    public string? Type { get; init; }

    public IReadOnlyList<IReadOnlyList<BenchRange>>? Ranges { get; init; }

    public IReadOnlyList<BenchRoute>? Routes { get; init; }

    public string? DataDir { get; init; }
}

/// <summary>One range of <c>ranges</c>.</summary>
public sealed record BenchRange
{
    public string? Subnet { get; init; }

    public string? Gateway { get; init; }
}

/// <summary>One route of <c>routes</c>.</summary>
public sealed record BenchRoute
{
    public string? Dst { get; init; }

    public string? Gw { get; init; }
}

/// <summary><c>args</c>.</summary>
public sealed record BenchArgs
{
    public BenchCniArgs? Cni { get; init; }
}

/// <summary><c>args.cni</c>.</summary>
public sealed record BenchCniArgs
{
    public IReadOnlyList<string>? Ips { get; init; }
}

[JsonSerializable(typeof(BenchBridgeConfig))]
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class BenchConfigJsonContext : JsonSerializerContext;
