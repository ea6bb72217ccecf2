using System.Text.Json.Serialization;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Cni.Net.Conventions;
using Cni.Net.Conventions.Links;

namespace Cni.Samples.Bridge;

/// <summary>The reference bridge plugin's configuration keys (unknown keys are ignored, as the reference does).</summary>
[CniConfig]
internal sealed partial record BridgeConfig
{
    public string? Bridge { get; init; }

    public bool IsGateway { get; init; }

    public bool IsDefaultGateway { get; init; }

    public bool ForceAddress { get; init; }

    public bool IPMasq { get; init; }

    public int Mtu { get; init; }

    public bool HairpinMode { get; init; }

    public bool PromiscMode { get; init; }

    public int Vlan { get; init; }

    /// <summary><c>vlanTrunk</c>: tagged VLANs of the pod's port, as <c>{"id"}</c> or <c>{"minID","maxID"}</c> entries.</summary>
    public IReadOnlyList<BridgeVlanTrunk>? VlanTrunk { get; init; }

    /// <summary>Keep VLAN 1 on the pod's port when <c>vlan</c> or <c>vlanTrunk</c> is set (false since plugins v1.8).</summary>
    public bool PreserveDefaultVlan { get; init; }

    /// <summary>Isolate the pod's port: it talks only to non-isolated ports (the uplink, the gateway).</summary>
    public bool PortIsolation { get; init; }

    /// <summary>Leave the pod's interface down (layer 2 only: refused together with IPAM).</summary>
    public bool DisableContainerInterface { get; init; }

    /// <summary><c>ipMasqBackend</c>: <c>iptables</c> or <c>nftables</c>; absent, the reference's default for the node.</summary>
    [JsonPropertyName("ipMasqBackend")]
    public string? IPMasqBackend { get; init; }

    [JsonPropertyName("enabledad")]
    public bool EnableDad { get; init; }

    [JsonPropertyName("macspoofchk")]
    public bool MacSpoofCheck { get; init; }

    /// <summary><c>ipam</c>: only its <c>type</c> matters here (the section goes to the IPAM plugin whole).</summary>
    public BridgeIpam? Ipam { get; init; }

    [JsonIgnore]
    public bool HasIpam => !string.IsNullOrEmpty(Ipam?.Type);

    /// <summary><c>args.cni</c>: only <c>mac</c> is read.</summary>
    public BridgeArgs? Args { get; init; }

    /// <summary><c>runtimeConfig</c>: only the <c>mac</c> capability is read (other capabilities are not bridge's).</summary>
    public BridgeCniArgs? RuntimeConfig { get; init; }

    [JsonIgnore]
    public string BridgeName => string.IsNullOrEmpty(Bridge) ? "cni0" : Bridge;

    /// <summary>The trunk's VLAN ids, ascending (set by <see cref="Validate"/>).</summary>
    [JsonIgnore]
    public IReadOnlyList<int> TrunkVlans { get; private set; } = [];

    /// <summary>Whether the bridge filters VLANs: as the reference, once <c>vlan</c> or <c>vlanTrunk</c> is given.</summary>
    [JsonIgnore]
    public bool VlanFiltering => Vlan != 0 || VlanTrunk is not null;

    /// <summary>The masquerade layout ADD writes (resolved by <see cref="Validate"/>).</summary>
    [JsonIgnore]
    public string MasqueradeLayout { get; private set; } = ReferenceBackendChoice.Iptables;

    /// <summary>The reference's checks on combinations and ranges, made before any link is touched.</summary>
    public void Validate()
    {
        if (Vlan is < 0 or > 4094)
        {
            throw CniException.InvalidConfig("vlan", $"invalid VLAN ID {Vlan} (must be between 0 and 4094)");
        }
        if (HairpinMode && PromiscMode)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "cannot set hairpin mode and promiscuous mode at the same time");
        }
        if (Vlan != 0 && (IsGateway || IsDefaultGateway))
        {
            throw new CniException(CniErrorCode.UnsupportedField, "isGateway together with vlan (a gateway interface per VLAN) is not supported by this bridge plugin");
        }
        if (DisableContainerInterface && HasIpam)
        {
            throw CniException.InvalidConfig("disableContainerInterface", "cannot use IPAM when DisableContainerInterface flag is set");
        }
        try
        {
            TrunkVlans = Cni.Net.Conventions.VlanTrunk.Collect((VlanTrunk ?? []).Select(t => (t.Id, t.MinId, t.MaxId)));
        }
        catch (ArgumentException e)
        {
            throw CniException.InvalidConfig("vlanTrunk", e.Message);
        }
        if (IPMasq)
        {
            try
            {
                MasqueradeLayout = ReferenceBackendChoice.Resolve(IPMasqBackend);
            }
            catch (ArgumentException e)
            {
                throw CniException.InvalidConfig("ipMasqBackend", e.Message);
            }
        }
        if (Mtu != 0 && Mtu is < 68 or > 65535)
        {
            // The kernel would refuse it halfway (68 is IPv4's minimum, 65535 the largest a bridge or veth takes).
            throw CniException.InvalidConfig("mtu", $"{Mtu} is out of range (68 to 65535, or 0 for the default)");
        }
    }
}

/// <summary>An entry of <c>vlanTrunk</c>: one VLAN, or a range.</summary>
internal sealed record BridgeVlanTrunk
{
    public int? Id { get; init; }

    [JsonPropertyName("minID")]
    public int? MinId { get; init; }

    [JsonPropertyName("maxID")]
    public int? MaxId { get; init; }
}

/// <summary><c>ipam</c> of the bridge config.</summary>
internal sealed record BridgeIpam
{
    public string? Type { get; init; }
}

/// <summary><c>args</c> of the bridge config.</summary>
internal sealed record BridgeArgs
{
    public BridgeCniArgs? Cni { get; init; }
}

/// <summary><c>args.cni</c> and <c>runtimeConfig</c> of the bridge config: the MAC address asked for.</summary>
internal sealed record BridgeCniArgs
{
    public string? Mac { get; init; }
}
