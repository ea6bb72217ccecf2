using System.Text.Json.Serialization;

namespace Cni.Net.Spec;

/// <summary>One <c>portMappings</c> capability entry: a host port forwarded to a container port.</summary>
public sealed class PortMapping
{
    /// <summary>The port on the host (<c>hostPort</c>).</summary>
    [JsonPropertyName("hostPort")]
    public int HostPort { get; init; }

    /// <summary>The port in the container (<c>containerPort</c>).</summary>
    [JsonPropertyName("containerPort")]
    public int ContainerPort { get; init; }

    /// <summary><c>tcp</c>, <c>udp</c> or <c>sctp</c> (<c>protocol</c>).</summary>
    [JsonPropertyName("protocol")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Protocol { get; init; }

    /// <summary>The host address to bind, if not all (<c>hostIP</c>).</summary>
    [JsonPropertyName("hostIP")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? HostIP { get; init; }
}
