using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Cni.Net.Spec;

/// <summary>
/// A CNI specification version such as <c>1.1.0</c>. Any <c>major[.minor[.patch]]</c> parses (the set is open);
/// <see cref="IsSupported"/> says whether Cni.Net speaks it.
/// </summary>
/// <remarks>A configuration that omits <c>cniVersion</c> means <see cref="V0_1_0"/>.</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "V1_1_0 reads as the spec version it names.")]
public readonly struct CniVersion : IEquatable<CniVersion>, IComparable<CniVersion>
{
    private static readonly CniVersion[] s_supported =
    [
        new(0, 1, 0), new(0, 2, 0), new(0, 3, 0), new(0, 3, 1), new(0, 4, 0), new(1, 0, 0), new(1, 1, 0),
    ];

    private static readonly string[] s_supportedText = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    /// <summary>Creates a version from its three numbers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A number is negative.</exception>
    public CniVersion(int major, int minor, int patch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(major);
        ArgumentOutOfRangeException.ThrowIfNegative(minor);
        ArgumentOutOfRangeException.ThrowIfNegative(patch);
        Major = major;
        Minor = minor;
        Patch = patch;
    }

    /// <summary>CNI 0.1.0 (results with <c>ip4</c>/<c>ip6</c>).</summary>
    public static CniVersion V0_1_0 => s_supported[0];

    /// <summary>CNI 0.2.0 (results with <c>ip4</c>/<c>ip6</c>).</summary>
    public static CniVersion V0_2_0 => s_supported[1];

    /// <summary>CNI 0.3.0 (results with <c>interfaces</c>, <c>ips</c> carrying <c>version</c>).</summary>
    public static CniVersion V0_3_0 => s_supported[2];

    /// <summary>CNI 0.3.1.</summary>
    public static CniVersion V0_3_1 => s_supported[3];

    /// <summary>CNI 0.4.0 (adds CHECK).</summary>
    public static CniVersion V0_4_0 => s_supported[4];

    /// <summary>CNI 1.0.0 (drops <c>ips[].version</c>).</summary>
    public static CniVersion V1_0_0 => s_supported[5];

    /// <summary>CNI 1.1.0 (adds GC, STATUS, <c>cniVersions</c> and new interface and route fields).</summary>
    public static CniVersion V1_1_0 => s_supported[6];

    /// <summary>The highest version Cni.Net supports (1.1.0).</summary>
    public static CniVersion Latest => s_supported[6];

    /// <summary>Every version Cni.Net supports, ascending.</summary>
    public static IReadOnlyList<CniVersion> Supported => s_supported;

    /// <summary>The major number.</summary>
    public int Major { get; }

    /// <summary>The minor number.</summary>
    public int Minor { get; }

    /// <summary>The patch number.</summary>
    public int Patch { get; }

    /// <summary>Whether Cni.Net reads and writes this version.</summary>
    public bool IsSupported => Array.IndexOf(s_supported, this) >= 0;

    /// <summary>Parses <c>major[.minor[.patch]]</c> (as libcni does: missing parts are 0).</summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.IncompatibleVersion"/>: not a version.</exception>
    public static CniVersion Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!TryParse(value, out CniVersion version))
        {
            throw new CniException(CniErrorCode.IncompatibleVersion, $"'{CniJson.Truncate(value)}' is not a CNI version");
        }
        return version;
    }

    /// <summary>Parses <c>major[.minor[.patch]]</c>; false when the text is not a version.</summary>
    public static bool TryParse(ReadOnlySpan<char> value, out CniVersion version)
    {
        version = default;
        Span<int> parts = stackalloc int[3];
        int count = 0;
        while (true)
        {
            int dot = value.IndexOf('.');
            ReadOnlySpan<char> part = dot < 0 ? value : value[..dot];
            if (count == 3 || part.IsEmpty || part.Length > 9)
            {
                return false;
            }
            int n = 0;
            foreach (char c in part)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
                n = (n * 10) + (c - '0');
            }
            parts[count++] = n;
            if (dot < 0)
            {
                break;
            }
            value = value[(dot + 1)..];
        }
        version = new CniVersion(parts[0], parts[1], parts[2]);
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(CniVersion other) => Major == other.Major && Minor == other.Minor && Patch == other.Patch;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is CniVersion other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Major, Minor, Patch);

    /// <inheritdoc/>
    public int CompareTo(CniVersion other)
    {
        int c = Major.CompareTo(other.Major);
        if (c == 0)
        {
            c = Minor.CompareTo(other.Minor);
        }
        return c != 0 ? c : Patch.CompareTo(other.Patch);
    }

    /// <summary>The version as <c>major.minor.patch</c>.</summary>
    public override string ToString()
    {
        int index = Array.IndexOf(s_supported, this);
        return index >= 0 ? s_supportedText[index] : string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Patch}");
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(CniVersion left, CniVersion right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(CniVersion left, CniVersion right) => !left.Equals(right);

    /// <summary>Ordering.</summary>
    public static bool operator <(CniVersion left, CniVersion right) => left.CompareTo(right) < 0;

    /// <summary>Ordering.</summary>
    public static bool operator <=(CniVersion left, CniVersion right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering.</summary>
    public static bool operator >(CniVersion left, CniVersion right) => left.CompareTo(right) > 0;

    /// <summary>Ordering.</summary>
    public static bool operator >=(CniVersion left, CniVersion right) => left.CompareTo(right) >= 0;
}
