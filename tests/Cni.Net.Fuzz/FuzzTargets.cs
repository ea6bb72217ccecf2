using Cni.Net.Fuzz.Targets;

namespace Cni.Net.Fuzz;

/// <summary>Every fuzz target, by name.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("netlink", NetlinkReaderTarget.Run, NetlinkReaderTarget.Seeds, Json: false),
        new("nftables", NfTablesDecoderTarget.Run, NfTablesDecoderTarget.Seeds, Json: false),
        new("config", CniConfigTarget.Run, CniConfigTarget.Seeds, Json: true),
        new("result", CniResultTarget.Run, CniResultTarget.Seeds, Json: true),
        new("plugin-host", PluginHostTarget.Run, PluginHostTarget.Seeds, Json: true),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
