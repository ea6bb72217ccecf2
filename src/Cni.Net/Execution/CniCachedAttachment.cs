using System.Text.Json.Nodes;

namespace Cni.Net.Execution;

/// <summary>
/// One entry of the result cache (libcni's <c>cniCacheV1</c> file): what a successful ADD of a network list to a
/// container recorded, so that CHECK, DEL and GC can find it again — also when a Go runtime wrote it.
/// </summary>
public sealed class CniCachedAttachment
{
    internal CniCachedAttachment(string networkName, string containerId, string ifName, string? netNs,
        ReadOnlyMemory<byte> config, IReadOnlyList<KeyValuePair<string, string>> cniArgs, JsonObject? capabilityArgs,
        JsonObject? result, string path)
    {
        NetworkName = networkName;
        ContainerId = containerId;
        IfName = ifName;
        NetNs = netNs;
        Config = config;
        CniArgs = cniArgs;
        CapabilityArgs = capabilityArgs;
        ResultJson = result;
        FilePath = path;
    }

    /// <summary>The network (list) name.</summary>
    public string NetworkName { get; }

    /// <summary>The container id the attachment belongs to.</summary>
    public string ContainerId { get; }

    /// <summary>The interface name inside the container.</summary>
    public string IfName { get; }

    /// <summary>The network namespace path given at ADD (libcni records it since 1.1; older files lack it).</summary>
    public string? NetNs { get; }

    /// <summary>The network configuration list bytes as given at ADD.</summary>
    public ReadOnlyMemory<byte> Config { get; }

    /// <summary>The CNI_ARGS pairs given at ADD.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> CniArgs { get; }

    /// <summary>The capability arguments given at ADD, or <see langword="null"/>.</summary>
    public JsonObject? CapabilityArgs { get; }

    /// <summary>The final ADD result as stored (in the version it was produced in), or <see langword="null"/>.</summary>
    public JsonObject? ResultJson { get; }

    /// <summary>The cache file this entry was read from.</summary>
    public string FilePath { get; }
}
