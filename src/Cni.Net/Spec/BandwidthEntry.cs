using System.Text.Json.Serialization;

namespace Cni.Net.Spec;

/// <summary>The <c>bandwidth</c> capability: rates and bursts in bits (per second for rates).</summary>
public sealed class BandwidthEntry
{
    /// <summary>Traffic to the container, bits per second (<c>ingressRate</c>).</summary>
    [JsonPropertyName("ingressRate")]
    public ulong IngressRate { get; init; }

    /// <summary>Ingress burst, bits (<c>ingressBurst</c>).</summary>
    [JsonPropertyName("ingressBurst")]
    public ulong IngressBurst { get; init; }

    /// <summary>Traffic from the container, bits per second (<c>egressRate</c>).</summary>
    [JsonPropertyName("egressRate")]
    public ulong EgressRate { get; init; }

    /// <summary>Egress burst, bits (<c>egressBurst</c>).</summary>
    [JsonPropertyName("egressBurst")]
    public ulong EgressBurst { get; init; }
}
