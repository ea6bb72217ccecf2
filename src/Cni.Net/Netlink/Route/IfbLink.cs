

namespace Cni.Net.Netlink.Route;

/// <summary>An intermediate functional block device (the bandwidth plugin's egress shaper).</summary>
public sealed class IfbLink : LinkDefinition
{
    /// <summary>Describes the ifb link <paramref name="name"/>.</summary>
    public IfbLink(string name)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string Kind => "ifb";
}
