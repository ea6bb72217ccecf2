

namespace Cni.Net.Netlink.Route;

/// <summary>A dummy link (a local sink with no carrier of its own).</summary>
public sealed class DummyLink : LinkDefinition
{
    /// <summary>Describes the dummy link <paramref name="name"/>.</summary>
    public DummyLink(string name)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string Kind => "dummy";
}
