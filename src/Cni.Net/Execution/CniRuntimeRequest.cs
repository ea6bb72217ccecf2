using System.Text.Json.Nodes;
using Cni.Net.Spec;

namespace Cni.Net.Execution;

/// <summary>
/// The per-container arguments of one chain operation (libcni's <c>RuntimeConf</c>): they become the CNI_* variables
/// and, filtered by each plugin's declared capabilities, its <c>runtimeConfig</c>.
/// </summary>
public sealed class CniRuntimeRequest
{
    /// <summary>Creates a request.</summary>
    /// <param name="containerId">CNI_CONTAINERID; must match <c>^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$</c>.</param>
    /// <param name="netNs">CNI_NETNS, the namespace path; may be null or empty for DEL.</param>
    /// <param name="ifName">CNI_IFNAME; default <c>eth0</c>.</param>
    public CniRuntimeRequest(string containerId, string? netNs, string ifName = "eth0")
    {
        ArgumentNullException.ThrowIfNull(containerId);
        ArgumentNullException.ThrowIfNull(ifName);
        ContainerId = containerId;
        NetNs = netNs;
        IfName = ifName;
    }

    /// <summary>CNI_CONTAINERID.</summary>
    public string ContainerId { get; }

    /// <summary>CNI_NETNS.</summary>
    public string? NetNs { get; }

    /// <summary>CNI_IFNAME.</summary>
    public string IfName { get; }

    /// <summary>CNI_ARGS as ordered pairs (joined as <c>K=V;K2=V2</c>).</summary>
    public IList<KeyValuePair<string, string>> Args { get; init; } = [];

    /// <summary>
    /// Capability arguments (<c>portMappings</c>, <c>bandwidth</c>, <c>ipRanges</c>, …). Each plugin receives, as
    /// <c>runtimeConfig</c>, only the keys it declares in its <c>capabilities</c>. When null on DEL, the arguments
    /// recorded at ADD (in the result cache) are used, so that portmap and friends can clean up.
    /// </summary>
    public JsonObject? CapabilityArgs { get; init; }

    /// <summary>
    /// Typed capability arguments (<c>portMappings</c>, <c>bandwidth</c>, <c>ipRanges</c>, …), written with the same
    /// JSON a plugin reads. They join <see cref="CapabilityArgs"/>; a key set in both comes from this object.
    /// </summary>
    /// <example><code>
    /// new CniRuntimeRequest("ctr1", "/run/netns/ctr1")
    /// {
    ///     RuntimeConfig = new CniRuntimeConfig { PortMappings = [new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "tcp" }] },
    /// };
    /// </code></example>
    public CniRuntimeConfig? RuntimeConfig { get; init; }

    /// <summary>The request with <see cref="RuntimeConfig"/> folded into <see cref="CapabilityArgs"/> (what plugins receive and the cache keeps).</summary>
    internal CniRuntimeRequest WithTypedArgsMerged() =>
        RuntimeConfig is null ? this : new CniRuntimeRequest(ContainerId, NetNs, IfName)
        {
            Args = Args,
            CapabilityArgs = EffectiveCapabilityArgs,
        };

    private JsonObject? EffectiveCapabilityArgs
    {
        get
        {
            if (RuntimeConfig is null)
            {
                return CapabilityArgs;
            }
            JsonObject typed = RuntimeConfig.ToJsonObject();
            if (CapabilityArgs is null)
            {
                return typed;
            }
            var merged = (JsonObject)CapabilityArgs.DeepClone();
            foreach ((string key, JsonNode? value) in typed)
            {
                merged[key] = value?.DeepClone();
            }
            return merged;
        }
    }
}
