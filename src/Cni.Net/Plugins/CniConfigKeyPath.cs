using System.ComponentModel;
using System.Globalization;

namespace Cni.Net.Plugins;

/// <summary>
/// Where a value sits in a configuration (<c>ipam.ranges[0][1].subnet</c>), kept as its parts and spelled out only
/// for an error message, so that reading a valid configuration builds no path strings. Used by the code the
/// <see cref="CniConfigAttribute"/> generator writes.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct CniConfigKeyPath : IEquatable<CniConfigKeyPath>
{
    private readonly string? _parent;
    private readonly string? _key;
    private readonly int _index;

    /// <summary>The value of <paramref name="key"/> in the object at <paramref name="parent"/> (<c>""</c>: the top).</summary>
    public CniConfigKeyPath(string parent, string key)
    {
        _parent = parent;
        _key = key;
        _index = -1;
    }

    /// <summary>Item <paramref name="index"/> of the list at <paramref name="parent"/>.</summary>
    public CniConfigKeyPath(string parent, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        _parent = parent;
        _index = index;
    }

    /// <summary>The path as CNI error messages spell it: keys joined by dots, list items in brackets.</summary>
    public override string ToString()
    {
        string parent = _parent ?? "";
        if (_key is null)
        {
            return _parent is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{parent}[{_index}]");
        }
        return parent.Length == 0 ? _key : _key.Length == 0 ? parent : string.Concat(parent, ".", _key);
    }

    /// <inheritdoc/>
    public bool Equals(CniConfigKeyPath other) =>
        string.Equals(_parent, other._parent, StringComparison.Ordinal) && string.Equals(_key, other._key, StringComparison.Ordinal) && _index == other._index;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CniConfigKeyPath other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_parent, _key, _index);

    /// <summary>Whether two paths are the same.</summary>
    public static bool operator ==(CniConfigKeyPath left, CniConfigKeyPath right) => left.Equals(right);

    /// <summary>Whether two paths differ.</summary>
    public static bool operator !=(CniConfigKeyPath left, CniConfigKeyPath right) => !left.Equals(right);
}
