

namespace Cni.Net.Netlink.Route;

/// <summary>An ipvlan on top of a parent link.</summary>
public sealed class IpvlanLink : LinkDefinition
{
    /// <summary>Describes the ipvlan <paramref name="name"/> on the link with index <paramref name="parentIndex"/>.</summary>
    public IpvlanLink(string name, int parentIndex)
        : base(name)
    {
        ParentIndex = parentIndex;
    }

    /// <inheritdoc/>
    public override string Kind => "ipvlan";

    /// <summary>Index of the parent link (IFLA_LINK).</summary>
    public int ParentIndex { get; set; }

    /// <summary>The mode; <see cref="IpvlanMode.L2"/> by default.</summary>
    public IpvlanMode Mode { get; set; } = IpvlanMode.L2;

    private protected override void WriteLinkAttributes(ref NetlinkWriter writer) =>
        writer.WriteUInt32(Ifla.IFLA_LINK, (uint)ParentIndex);

    private protected override bool HasInfoData => true;

    private protected override void WriteInfoData(ref NetlinkWriter writer)
    {
        writer.WriteUInt16(Ifla.IFLA_IPVLAN_MODE, (ushort)Mode);
        writer.WriteUInt16(Ifla.IFLA_IPVLAN_FLAGS, 0); // bridge (neither private nor vepa), as ip sends it
    }
}
