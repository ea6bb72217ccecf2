using System.Net;

namespace Cni.Net.Netlink;

/// <summary>
/// What a request was about (a link by name or index, an address, a route), for the error message only: it holds the
/// name span or the object and turns into text only when the kernel refuses, so a request that succeeds allocates
/// nothing for it.
/// </summary>
internal readonly ref struct NetlinkSubject
{
    private readonly ReadOnlySpan<char> _name;
    private readonly int _index;
    private readonly int _prefixLength;
    private readonly object? _item;

    private NetlinkSubject(ReadOnlySpan<char> name, int index, object? item, int prefixLength = -1)
    {
        _name = name;
        _index = index;
        _item = item;
        _prefixLength = prefixLength;
    }

    /// <summary>A link by name: <c>"eth0"</c>.</summary>
    public static NetlinkSubject Link(ReadOnlySpan<char> name) => new(name, 0, null);

    /// <summary>A link by index: <c>index 7</c>.</summary>
    public static NetlinkSubject Link(int index) => new(default, index, null);

    /// <summary>An address on a link: <c>10.1.0.2/24 dev 7</c>.</summary>
    public static NetlinkSubject Address(IPAddress address, int prefixLength, int index) => new(default, index, address, prefixLength);

    /// <summary>An object whose <see cref="object.ToString"/> names it (an address, a route, a neighbour).</summary>
    public static NetlinkSubject Of(object item) => new(default, 0, item);

    public override string ToString() =>
        _prefixLength >= 0 ? $"{_item}/{_prefixLength} dev {_index}"
        : _item is not null ? _item.ToString() ?? ""
        : !_name.IsEmpty ? $"\"{_name}\""
        : $"index {_index}";
}
