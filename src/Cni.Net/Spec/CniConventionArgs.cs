using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Cni.Net.Spec;

/// <summary>
/// The <c>args.cni</c> section of a plugin configuration (CONVENTIONS.md): arguments a runtime passes in the
/// configuration rather than in <c>CNI_ARGS</c>.
/// </summary>
public sealed class CniConventionArgs
{
    /// <summary><c>ips</c>: requested addresses (as host-local reads them).</summary>
    [JsonPropertyName("ips")]
    public IReadOnlyList<string>? Ips { get; init; }

    /// <summary><c>labels</c>: key/value pairs describing the container.</summary>
    [JsonPropertyName("labels")]
    public IReadOnlyList<CniLabel>? Labels { get; init; }

    internal static CniConventionArgs FromJson(JsonObject json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, CniJsonContext.Plain.CniConventionArgs) ?? new CniConventionArgs();
        }
        catch (JsonException e)
        {
            string path = string.IsNullOrEmpty(e.Path) ? "" : e.Path.TrimStart('$').TrimStart('.');
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"args.cni.{path}: value does not have the conventional shape", null, e);
        }
    }
}

/// <summary>One <c>args.cni.labels</c> entry.</summary>
public sealed class CniLabel
{
    /// <summary>The label key.</summary>
    [JsonPropertyName("key")]
    public string Key { get; init; } = string.Empty;

    /// <summary>The label value.</summary>
    [JsonPropertyName("value")]
    public string Value { get; init; } = string.Empty;
}
