using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.Tuning;

/// <summary>The reference tuning plugin's keys (name, cniVersion and prevResult come through PluginConfig).</summary>
[CniConfig]
internal sealed partial record TuningConfig
{
    [JsonPropertyName("dataDir")]
    public string? DataDir { get; init; }

    [JsonPropertyName("sysctl")]
    public Dictionary<string, string>? Sysctl { get; init; }

    [JsonPropertyName("mac")]
    public string? Mac { get; init; }

    [JsonPropertyName("promisc")]
    public bool Promisc { get; init; }

    [JsonPropertyName("mtu")]
    public int Mtu { get; init; }

    [JsonPropertyName("txQLen")]
    public int? TxQLen { get; init; }

    [JsonPropertyName("allmulti")]
    public bool? Allmulti { get; init; }

    [JsonPropertyName("runtimeConfig")]
    public TuningRuntimeConfig? RuntimeConfig { get; init; }

    [JsonPropertyName("args")]
    public TuningArgs? Args { get; init; }
}

/// <summary>The <c>mac</c> capability.</summary>
internal sealed record TuningRuntimeConfig
{
    [JsonPropertyName("mac")]
    public string? Mac { get; init; }
}

/// <summary><c>args</c>: only its <c>cni</c> member is read.</summary>
internal sealed record TuningArgs
{
    [JsonPropertyName("cni")]
    public TuningOverrides? Cni { get; init; }
}

/// <summary><c>args.cni</c>: per-attachment overrides of the config's keys (sysctls are merged).</summary>
internal sealed record TuningOverrides
{
    [JsonPropertyName("sysctl")]
    public Dictionary<string, string>? Sysctl { get; init; }

    [JsonPropertyName("mac")]
    public string? Mac { get; init; }

    [JsonPropertyName("promisc")]
    public bool? Promisc { get; init; }

    [JsonPropertyName("mtu")]
    public int? Mtu { get; init; }

    [JsonPropertyName("allmulti")]
    public bool? Allmulti { get; init; }

    [JsonPropertyName("txQLen")]
    public int? TxQLen { get; init; }
}
