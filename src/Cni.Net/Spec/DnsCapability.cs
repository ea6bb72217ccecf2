using System.Text.Json.Serialization;

namespace Cni.Net.Spec;

/// <summary>The <c>dns</c> capability (note the keys differ from a result's <c>dns</c>).</summary>
public sealed class DnsCapability
{
    /// <summary>Name servers (<c>servers</c>).</summary>
    [JsonPropertyName("servers")]
    public IReadOnlyList<string>? Servers { get; init; }

    /// <summary>Search domains (<c>searches</c>).</summary>
    [JsonPropertyName("searches")]
    public IReadOnlyList<string>? Searches { get; init; }

    /// <summary>Resolver options (<c>options</c>).</summary>
    [JsonPropertyName("options")]
    public IReadOnlyList<string>? Options { get; init; }
}
