using Cni.Net.Samples.Bandwidth;
using Cni.Net.Samples.HostLocal;
using Cni.Net.Samples.PortMap;
using Cni.Net.Spec;
using Cni.Samples.Bridge;

namespace Cni.Net.Fuzz.Targets;

/// <summary>
/// What a runtime gives a plugin or the executor as configuration: a network config list and a single plugin config
/// (<see cref="NetworkConfigList.Parse"/>, <see cref="PluginConfig.Parse"/>, version negotiation, the well-known
/// sections), then each plugin config read into the sample plugins' records through <c>CniConfigReader</c>
/// (<see cref="PluginConfig.As{T}"/>) with their validation. Only <see cref="CniException"/> may come out.
/// </summary>
internal static class CniConfigTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        NetworkConfigList? list = null;
        try
        {
            list = NetworkConfigList.Parse(data);
            _ = list.NegotiateVersion();
        }
        catch (CniException)
        {
        }
        if (list is not null)
        {
            foreach (PluginConfig plugin in list.Plugins)
            {
                ReadTyped(plugin);
            }
        }
        PluginConfig? single = null;
        try
        {
            single = PluginConfig.Parse(data);
        }
        catch (CniException)
        {
        }
        if (single is not null)
        {
            ReadTyped(single);
        }
    }

    public static IReadOnlyList<byte[]> Seeds() => SpecSeeds.All();

    private static void ReadTyped(PluginConfig config)
    {
        Guard(config, static c => { _ = c.CniVersion; _ = c.Name; _ = c.Capabilities; _ = c.Ipam; _ = c.ConventionArgs; });
        Guard(config, static c => _ = c.RuntimeConfig);
        Guard(config, static c => _ = c.Dns);
        Guard(config, static c => _ = c.PrevResult);
        Guard(config, static c => BridgeConfig.ReadCniConfig(c.Json).Validate());
        Guard(config, static c => _ = HostLocalNetConf.ReadCniConfig(c.Json));
        Guard(config, static c => PortMapSettings.Validate(PortMapNetConf.ReadCniConfig(c.Json)));
        Guard(config, static c => _ = BandwidthNetConf.ReadCniConfig(c.Json));
    }

    private static void Guard(PluginConfig config, Action<PluginConfig> read)
    {
        try
        {
            read(config);
        }
        catch (CniException)
        {
        }
    }
}
