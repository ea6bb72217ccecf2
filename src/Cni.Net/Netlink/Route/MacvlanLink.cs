

namespace Cni.Net.Netlink.Route;

/// <summary>A macvlan on top of a parent link.</summary>
public sealed class MacvlanLink : LinkDefinition
{
    /// <summary>Describes the macvlan <paramref name="name"/> on the link with index <paramref name="parentIndex"/>.</summary>
    public MacvlanLink(string name, int parentIndex)
        : base(name)
    {
        ParentIndex = parentIndex;
    }

    /// <inheritdoc/>
    public override string Kind => "macvlan";

    /// <summary>Index of the parent link (IFLA_LINK).</summary>
    public int ParentIndex { get; set; }

    /// <summary>The mode; <see cref="MacvlanMode.Bridge"/> by default.</summary>
    public MacvlanMode Mode { get; set; } = MacvlanMode.Bridge;

    private protected override void WriteLinkAttributes(ref NetlinkWriter writer) =>
        writer.WriteUInt32(Ifla.IFLA_LINK, (uint)ParentIndex);

    private protected override bool HasInfoData => true;

    private protected override void WriteInfoData(ref NetlinkWriter writer) =>
        writer.WriteUInt32(Ifla.IFLA_MACVLAN_MODE, (uint)Mode);
}
