

namespace Cni.Net.Netlink.Route;

/// <summary>An 802.1Q/802.1ad VLAN on top of a parent link.</summary>
public sealed class VlanLink : LinkDefinition
{
    /// <summary>Describes VLAN <paramref name="id"/> named <paramref name="name"/> on the link <paramref name="parentIndex"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not 0–4094.</exception>
    public VlanLink(string name, int parentIndex, ushort id)
        : base(name)
    {
        ParentIndex = parentIndex;
        Id = id;
    }

    /// <inheritdoc/>
    public override string Kind => "vlan";

    /// <summary>Index of the parent link (IFLA_LINK).</summary>
    public int ParentIndex { get; set; }

    /// <summary>The VLAN id (0–4094).</summary>
    public ushort Id
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, (ushort)4094);
            field = value;
        }
    }

    /// <summary>The tag protocol; 802.1Q by default.</summary>
    public VlanProtocol Protocol { get; set; } = VlanProtocol.Dot1Q;

    private protected override void WriteLinkAttributes(ref NetlinkWriter writer) =>
        writer.WriteUInt32(Ifla.IFLA_LINK, (uint)ParentIndex);

    private protected override bool HasInfoData => true;

    private protected override void WriteInfoData(ref NetlinkWriter writer)
    {
        writer.WriteUInt16(Ifla.IFLA_VLAN_ID, Id);
        writer.WriteUInt16BigEndian(Ifla.IFLA_VLAN_PROTOCOL, (ushort)Protocol);
    }
}
