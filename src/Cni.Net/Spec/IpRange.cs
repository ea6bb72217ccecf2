using System.Text.Json.Serialization;

namespace Cni.Net.Spec;

/// <summary>One range of the <c>ipRanges</c> capability (and of host-local's <c>ranges</c>).</summary>
public sealed class IpRange
{
    /// <summary>The subnet in CIDR notation (<c>subnet</c>).</summary>
    [JsonPropertyName("subnet")]
    public string Subnet { get; init; } = string.Empty;

    /// <summary>First address to hand out (<c>rangeStart</c>).</summary>
    [JsonPropertyName("rangeStart")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RangeStart { get; init; }

    /// <summary>Last address to hand out (<c>rangeEnd</c>).</summary>
    [JsonPropertyName("rangeEnd")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RangeEnd { get; init; }

    /// <summary>The gateway (<c>gateway</c>).</summary>
    [JsonPropertyName("gateway")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Gateway { get; init; }
}
