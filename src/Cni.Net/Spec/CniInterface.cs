namespace Cni.Net.Spec;

/// <summary>An interface a plugin created or configured (a result's <c>interfaces[]</c>, 0.3.0 and later).</summary>
public sealed class CniInterface
{
    /// <summary>The interface name (<c>name</c>).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The hardware address as text (<c>mac</c>); 20-byte InfiniBand addresses included.</summary>
    public string? Mac { get; set; }

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
