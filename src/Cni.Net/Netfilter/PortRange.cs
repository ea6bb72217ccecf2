using System.Globalization;

namespace Cni.Net.Netfilter;

/// <summary>A single port or an inclusive port range, as <c>80</c> or <c>1000:2000</c>.</summary>
/// <param name="First">The first port.</param>
/// <param name="Last">The last port (equal to <paramref name="First"/> for a single port).</param>
public readonly record struct PortRange(ushort First, ushort Last)
{
    /// <summary>A single port.</summary>
    /// <param name="port">The port.</param>
    public PortRange(ushort port)
        : this(port, port)
    {
    }

    /// <summary>True when the range holds one port.</summary>
    public bool IsSingle => First == Last;

    /// <summary>The iptables form: <c>80</c> or <c>1000:2000</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => IsSingle
        ? First.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{First}:{Last}");

    /// <summary>A single port.</summary>
    /// <param name="port">The port.</param>
    public static implicit operator PortRange(ushort port) => new(port);

    internal void Validate(string paramName)
    {
        if (First > Last)
        {
            throw new ArgumentException($"port range {First}:{Last} is reversed", paramName);
        }
    }

    internal static bool TryParse(ReadOnlySpan<char> text, out PortRange range)
    {
        range = default;
        int colon = text.IndexOf(':');
        if (colon < 0)
        {
            if (!ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort p))
            {
                return false;
            }
            range = new PortRange(p);
            return true;
        }
        if (!ushort.TryParse(text[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out ushort a)
            || !ushort.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out ushort b))
        {
            return false;
        }
        range = new PortRange(a, b);
        return true;
    }
}
