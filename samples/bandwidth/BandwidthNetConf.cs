using System.Text.Json.Serialization;
using Cni.Net.Plugins;

namespace Cni.Net.Samples.Bandwidth;

/// <summary>
/// The reference plugin's own keys, all in bits (rates per second). <c>runtimeConfig.bandwidth</c>, when the runtime
/// passes it, replaces them as a whole (read from <see cref="Cni.Net.Plugins.CniPluginRequest.RuntimeConfig"/>).
/// </summary>
[CniConfig]
internal sealed partial record BandwidthNetConf
{
    public ulong IngressRate { get; init; }

    public ulong IngressBurst { get; init; }

    public ulong EgressRate { get; init; }

    public ulong EgressBurst { get; init; }

    public IReadOnlyList<string?>? ShapedSubnets { get; init; }

    public IReadOnlyList<string?>? UnshapedSubnets { get; init; }
}
