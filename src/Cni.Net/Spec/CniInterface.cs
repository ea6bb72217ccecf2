namespace Cni.Net.Spec;

/// <summary>An interface a plugin created or configured (a result's <c>interfaces[]</c>, 0.3.0 and later).</summary>
public sealed class CniInterface
{
    /// <summary>The interface name (<c>name</c>).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The hardware address as text (<c>mac</c>); 20-byte InfiniBand addresses included.</summary>
    public string? Mac { get; set; }

    /// <summary>
    /// A hardware address as CNI results carry it: lower-case hex bytes joined by colons (<c>0a:58:0a:f4:01:05</c>),
    /// whatever its length; null for null.
    /// </summary>
    /// <param name="address">The address, for example a link's.</param>
    /// <returns>The text, or null.</returns>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(address))]
    public static string? FormatMac(System.Net.NetworkInformation.PhysicalAddress? address)
    {
        if (address is null)
        {
            return null;
        }
        byte[] bytes = address.GetAddressBytes();
        if (bytes.Length == 0)
        {
            return string.Empty;
        }
        return string.Create(bytes.Length * 3 - 1, bytes, static (span, b) =>
        {
            for (int i = 0; i < b.Length; i++)
            {
                if (i > 0)
                {
                    span[i * 3 - 1] = ':';
                }
                b[i].TryFormat(span.Slice(i * 3, 2), out _, "x2", System.Globalization.CultureInfo.InvariantCulture);
            }
        });
    }

    /// <summary>
    /// Reads a hardware address written as CNI results and <c>ip link</c> write it (<c>0a:58:0a:f4:01:05</c>; dashes or no
    /// separators are accepted too, any case).
    /// </summary>
    /// <param name="text">The text, for example <see cref="Mac"/>.</param>
    /// <param name="address">The address when the text is one.</param>
    /// <returns>Whether <paramref name="text"/> is a non-empty hardware address.</returns>
    public static bool TryParseMac([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? text,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out System.Net.NetworkInformation.PhysicalAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text) || !System.Net.NetworkInformation.PhysicalAddress.TryParse(text.Trim(), out address) ||
            address.GetAddressBytes().Length == 0)
        {
            address = null;
            return false;
        }
        return true;
    }

    /// <summary>Reads a hardware address (see <see cref="TryParseMac"/>).</summary>
    /// <param name="text">The text, for example <see cref="Mac"/>.</param>
    /// <returns>The address.</returns>
    /// <exception cref="FormatException"><paramref name="text"/> is not a hardware address.</exception>
    public static System.Net.NetworkInformation.PhysicalAddress ParseMac(string text) =>
        TryParseMac(text, out System.Net.NetworkInformation.PhysicalAddress? address)
            ? address
            : throw new FormatException($"'{text}' is not a hardware address (expected hex bytes joined by colons, such as 0a:58:0a:f4:01:05)");

    /// <summary>The MTU (<c>mtu</c>, 1.1.0).</summary>
    public int? Mtu { get; set; }

    /// <summary>The sandbox (network namespace path) the interface is in; absent for host interfaces.</summary>
    public string? Sandbox { get; set; }

    /// <summary>A vhost-user or similar socket path (<c>socketPath</c>, 1.1.0).</summary>
    public string? SocketPath { get; set; }

    /// <summary>The PCI address of a device (<c>pciID</c>, 1.1.0).</summary>
    public string? PciId { get; set; }

    /// <summary>A copy.</summary>
    public CniInterface Clone() => (CniInterface)MemberwiseClone();
}
