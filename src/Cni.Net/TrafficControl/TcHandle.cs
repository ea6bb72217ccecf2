using System.Globalization;

namespace Cni.Net.TrafficControl;

/// <summary>
/// A traffic-control handle <c>major:minor</c> (16 bits each), naming a qdisc (<c>1:</c>), a class (<c>1:10</c>) or a
/// special parent (<c>root</c>, <c>ingress</c>). Written as tc writes it: hexadecimal.
/// </summary>
/// <param name="Value">The 32-bit handle.</param>
public readonly record struct TcHandle(uint Value)
{
    /// <summary>No handle (the kernel picks one).</summary>
    public static TcHandle Unspecified => new(0);

    /// <summary>The root of a device's egress (<c>TC_H_ROOT</c>).</summary>
    public static TcHandle Root => new(0xFFFF_FFFF);

    /// <summary>The ingress/clsact attachment point (<c>TC_H_INGRESS</c> = <c>TC_H_CLSACT</c>).</summary>
    public static TcHandle Ingress => new(0xFFFF_FFF1);

    /// <summary>The handle of an ingress or clsact qdisc (<c>ffff:</c>).</summary>
    public static TcHandle IngressQdisc => new(0xFFFF_0000);

    /// <summary>clsact's ingress hook, the parent of its ingress filters (<c>ffff:fff2</c>).</summary>
    public static TcHandle ClsactIngress => new(0xFFFF_FFF2);

    /// <summary>clsact's egress hook, the parent of its egress filters (<c>ffff:fff3</c>).</summary>
    public static TcHandle ClsactEgress => new(0xFFFF_FFF3);

    /// <summary>Builds <c>major:minor</c>.</summary>
    /// <param name="major">The qdisc number.</param>
    /// <param name="minor">The class number (0 for the qdisc itself).</param>
    /// <returns>The handle.</returns>
    public static TcHandle Create(ushort major, ushort minor) => new(((uint)major << 16) | minor);

    /// <summary>The qdisc number.</summary>
    public ushort Major => (ushort)(Value >> 16);

    /// <summary>The class number.</summary>
    public ushort Minor => (ushort)Value;

    /// <summary>Parses tc's notation: <c>root</c>, <c>ingress</c>, <c>none</c>, <c>1:</c>, <c>1:10</c>, <c>ffff:fff2</c> (hexadecimal).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The handle.</returns>
    /// <exception cref="FormatException">Not a handle.</exception>
    public static TcHandle Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text)
        {
            case "root": return Root;
            case "ingress": return Ingress;
            case "none": return Unspecified;
        }
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string major = colon < 0 ? text : text[..colon];
        string minor = colon < 0 ? "" : text[(colon + 1)..];
        if (!ushort.TryParse(major, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort ma)
            || (minor.Length > 0 && !ushort.TryParse(minor, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _)))
        {
            throw new FormatException($"'{text}' is not a tc handle (major:minor in hexadecimal, root or ingress)");
        }
        ushort mi = minor.Length > 0 ? ushort.Parse(minor, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) : (ushort)0;
        return Create(ma, mi);
    }

    /// <summary>tc's notation.</summary>
    /// <returns><c>root</c>, <c>1:</c> or <c>1:10</c>.</returns>
    public override string ToString() => Value switch
    {
        0xFFFF_FFFF => "root",
        0 => "none",
        _ => Minor == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{Major:x}:")
            : string.Create(CultureInfo.InvariantCulture, $"{Major:x}:{Minor:x}"),
    };
}
